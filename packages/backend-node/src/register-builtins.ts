/**
 * The built-in architectures, one line each, imported on first use so that an
 * app bundles only what it runs. A missing package fails naming it.
 */
import { registerLazy } from '@ved/core';

registerLazy('encoder', 'vit', '@ved/encoder-vit', () => import('@ved/encoder-vit'));
registerLazy('decoder', 'gpt2', '@ved/decoder-gpt2', () => import('@ved/decoder-gpt2'));
