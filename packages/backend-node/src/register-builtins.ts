/**
 * The built-in architectures, one line each, imported on first use so that an
 * app bundles only what it runs. A missing package fails naming it.
 */
import { registerLazy } from '@ved/core';

registerLazy('encoder', 'vit', '@ved/encoder-vit', () => import('@ved/encoder-vit'));
registerLazy('encoder', 'deit', '@ved/encoder-deit', () => import('@ved/encoder-deit'));
registerLazy('encoder', 'beit', '@ved/encoder-beit', () => import('@ved/encoder-beit'));
registerLazy('encoder', 'swin', '@ved/encoder-swin', () => import('@ved/encoder-swin'));
registerLazy('encoder', 'donut-swin', '@ved/encoder-swin', () => import('@ved/encoder-swin'));
registerLazy('decoder', 'gpt2', '@ved/decoder-gpt2', () => import('@ved/decoder-gpt2'));
registerLazy('decoder', 'bert', '@ved/decoder-bert', () => import('@ved/decoder-bert'));
registerLazy('decoder', 'roberta', '@ved/decoder-roberta', () => import('@ved/decoder-roberta'));
registerLazy('decoder', 'xlm-roberta', '@ved/decoder-roberta', () => import('@ved/decoder-roberta'));
registerLazy('decoder', 'bart', '@ved/decoder-bart', () => import('@ved/decoder-bart'));
registerLazy('decoder', 'mbart', '@ved/decoder-bart', () => import('@ved/decoder-bart'));
registerLazy('decoder', 'trocr', '@ved/decoder-trocr', () => import('@ved/decoder-trocr'));
