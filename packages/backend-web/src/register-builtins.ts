/**
 * The built-in architectures, one line each, as lazy imports: a bundler puts
 * each in its own chunk, and a page downloads only the ones its model uses.
 * Apps that want to ship only some architectures import `@ved/backend-web/lite`
 * and register those themselves (see docs/browser.md).
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
// Their image-processor classes, imported when a preprocessor_config.json names one (ImageProcessor.load):
// a checkpoint may pair a class with another encoder (TrOCR's DeiT checkpoints use ViTImageProcessor).
registerLazy('image-processor', 'ViTImageProcessor', '@ved/encoder-vit', () => import('@ved/encoder-vit/image-processors'));
registerLazy('image-processor', 'DeiTImageProcessor', '@ved/encoder-deit', () => import('@ved/encoder-deit/image-processors'));
registerLazy('image-processor', 'BeitImageProcessor', '@ved/encoder-beit', () => import('@ved/encoder-beit/image-processors'));
registerLazy('image-processor', 'DonutImageProcessor', '@ved/encoder-swin', () => import('@ved/encoder-swin/image-processors'));
registerLazy('image-processor', 'NougatImageProcessor', '@ved/encoder-swin', () => import('@ved/encoder-swin/image-processors'));
