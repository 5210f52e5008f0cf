/**
 * The built-in architectures, one line each, imported on first use so that an
 * app bundles only what it runs. A missing package fails naming it.
 *
 * Their image-processor classes are data (Python's class defaults), registered
 * up front: a checkpoint may name any of them whichever encoder it has (TrOCR's
 * DeiT checkpoints use `ViTImageProcessor`). The optional encoder packages'
 * classes are registered when the package is installed.
 */
import { registerImageProcessors, registerLazy, type ImageProcessorDefinition } from '@ved/core';
import { imageProcessors as vitProcessors } from '@ved/encoder-vit/image-processors';

async function optionalProcessors(load: () => Promise<{ imageProcessors: readonly ImageProcessorDefinition[] }>): Promise<readonly ImageProcessorDefinition[]> {
  try {
    return (await load()).imageProcessors;
  } catch (cause) {
    if ((cause as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND') return []; // an optional peer left out
    throw cause;
  }
}

registerImageProcessors([
  ...vitProcessors,
  ...(await optionalProcessors(() => import('@ved/encoder-deit/image-processors'))),
  ...(await optionalProcessors(() => import('@ved/encoder-beit/image-processors'))),
  ...(await optionalProcessors(() => import('@ved/encoder-swin/image-processors'))),
]);

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
