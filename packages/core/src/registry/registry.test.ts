/**
 * The plugin registry: duplicates, lazy-load failures, the version check of
 * the table shared on globalThis, two copies of the module sharing it, image
 * processors brought by plugins, and the prompt rule lookup.
 */
import { describe, expect, it } from 'vitest';
import type { DecoderPlugin, EncoderPlugin, ImageProcessorDefinition } from '../contracts.js';
import { VedError, type VedErrorCode } from '../errors.js';
import { parseImageProcessorConfig } from '../processing/image-processor-config.js';
import { ImageProcessor } from '../processing/image-processor.js';
import {
  REGISTRY_KEY,
  REGISTRY_VERSION,
  findEncoder,
  getDecoder,
  getEncoder,
  getImageProcessorDefinition,
  knownEncoders,
  knownImageProcessorNames,
  loadImageProcessorDefinition,
  promptBehaviour,
  registerDecoder,
  registerEncoder,
  registerImageProcessors,
  registerLazy,
  sharedRegistry,
} from './registry.js';

function encoder(modelType: string, extra: Partial<EncoderPlugin> = {}): EncoderPlugin {
  return { modelType, ...extra } as unknown as EncoderPlugin;
}

function decoder(modelType: string, extra: Partial<DecoderPlugin> = {}): DecoderPlugin {
  return { modelType, ...extra } as unknown as DecoderPlugin;
}

async function errorOf(action: () => unknown): Promise<VedError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(VedError);
    return error as VedError;
  }
  throw new Error('expected a VedError');
}

async function expectCode(action: () => unknown, code: VedErrorCode, ...fragments: string[]): Promise<void> {
  const error = await errorOf(action);
  expect(error.code).toBe(code);
  for (const f of fragments) expect(error.message).toContain(f);
}

describe('duplicates', () => {
  it('ignores the same plugin object registered twice', () => {
    const p = encoder('dup-same');
    registerEncoder(p);
    registerEncoder(p);
    expect(findEncoder('dup-same')).toBe(p);
    expect(knownEncoders().filter((t) => t === 'dup-same')).toHaveLength(1);
  });

  it('refuses a different plugin under a taken model_type and keeps the first', async () => {
    const first = encoder('dup-other');
    registerEncoder(first);
    await expectCode(() => registerEncoder(encoder('dup-other')), 'DUPLICATE_REGISTRATION', 'model_type "dup-other"', 'loaded twice');
    expect(await getEncoder('dup-other')).toBe(first);
    const d = decoder('dup-dec');
    registerDecoder(d);
    await expectCode(() => registerDecoder({ ...d }), 'DUPLICATE_REGISTRATION', 'decoder', 'model_type "dup-dec"');
  });

  it('keeps encoders and decoders apart', async () => {
    const e = encoder('both-kinds');
    const d = decoder('both-kinds');
    registerEncoder(e);
    registerDecoder(d);
    expect(await getEncoder('both-kinds')).toBe(e);
    expect(await getDecoder('both-kinds')).toBe(d);
  });

  it('refuses a plugin without a modelType', async () => {
    await expectCode(() => registerEncoder({} as EncoderPlugin), 'INVALID_INPUT', 'modelType');
  });

  it('shares an image processor listed by two plugins when it is the same definition, and refuses a different one atomically', async () => {
    const shared: ImageProcessorDefinition = { name: 'DupSharedImageProcessor', defaults: { do_resize: false } };
    registerEncoder(encoder('dup-proc-a', { imageProcessors: [shared] }));
    registerEncoder(encoder('dup-proc-b', { imageProcessors: [{ ...shared }] })); // same defaults object
    await expectCode(
      () => registerEncoder(encoder('dup-proc-c', { imageProcessors: [{ name: 'DupSharedImageProcessor', defaults: { do_resize: true } }] })),
      'DUPLICATE_REGISTRATION',
      '"DupSharedImageProcessor"',
      'model_type "dup-proc-c"',
    );
    expect(findEncoder('dup-proc-c')).toBeUndefined(); // nothing of it registered
    expect(getImageProcessorDefinition('DupSharedImageProcessor')).toBe(shared);
  });
});

describe('lazy loading', () => {
  it('imports the package on first use', async () => {
    const p = encoder('lazy-ok');
    let loads = 0;
    registerLazy('encoder', 'lazy-ok', 'ved-lazy-ok', async () => {
      loads++;
      registerEncoder(p);
    });
    expect(knownEncoders()).toContain('lazy-ok');
    expect(findEncoder('lazy-ok')).toBeUndefined();
    expect(await getEncoder('lazy-ok')).toBe(p);
    expect(await getEncoder('lazy-ok')).toBe(p);
    expect(loads).toBe(1);
  });

  it('names the package and model_type when the import throws', async () => {
    registerLazy('encoder', 'lazy-throws', 'ved-lazy-throws', async () => {
      throw new TypeError('boom at import');
    });
    const error = await errorOf(() => getEncoder('lazy-throws'));
    expect(error.code).toBe('PLUGIN_LOAD_FAILED');
    expect(error.message).toContain('model_type "lazy-throws"');
    expect(error.message).toContain('ved-lazy-throws');
    expect(error.message).toContain('TypeError: boom at import');
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(TypeError);
  });

  it('keeps the code of a VedError thrown while importing in the message', async () => {
    registerLazy('decoder', 'lazy-ved-error', 'ved-lazy-ved-error', async () => {
      throw new VedError('DUPLICATE_REGISTRATION', 'already there');
    });
    await expectCode(() => getDecoder('lazy-ved-error'), 'PLUGIN_LOAD_FAILED', 'ved-lazy-ved-error', '[DUPLICATE_REGISTRATION] already there');
  });

  it('says to install a package that is not found', async () => {
    registerLazy('encoder', 'lazy-missing', 'ved-lazy-missing', () => import(/* @vite-ignore */ ['ved-lazy-missing'][0]!));
    await expectCode(() => getEncoder('lazy-missing'), 'MISSING_PACKAGE', 'model_type "lazy-missing"', 'ved-lazy-missing', 'install it');
  });

  it('fails when the package registers nothing under the model_type', async () => {
    registerLazy('encoder', 'lazy-empty', 'ved-lazy-empty', async () => undefined);
    await expectCode(() => getEncoder('lazy-empty'), 'MISSING_PACKAGE', 'ved-lazy-empty', 'did not register an encoder for model_type "lazy-empty"');
  });

  it('lists the known model types for an unknown one', async () => {
    await expectCode(() => getEncoder('no-such-encoder'), 'UNKNOWN_MODEL_TYPE', '"no-such-encoder"', '"lazy-ok"');
  });

  it('offers no near name: a config writes model_type, and "swinv2" is not a misspelt "swin"', async () => {
    const err = await getEncoder('lazy_ok').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).not.toContain('did you mean');
  });
});

describe('one table per process', () => {
  it('lives on globalThis under Symbol.for("ved.registry")', () => {
    const table = (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('ved.registry')];
    expect(REGISTRY_KEY).toBe(Symbol.for('ved.registry'));
    expect(table).toBe(sharedRegistry());
    expect(sharedRegistry().version).toBe(REGISTRY_VERSION);
  });

  it('is shared by a second copy of the module', async () => {
    // A query string makes the module loader evaluate the file again: a second copy of @ved/core.
    const copy = (await import(/* @vite-ignore */ `./registry.js?copy=${Date.now()}`)) as typeof import('./registry.js');
    expect(copy.registerEncoder).not.toBe(registerEncoder);
    const fromCopy = encoder('second-copy');
    copy.registerEncoder(fromCopy);
    expect(await getEncoder('second-copy')).toBe(fromCopy);
    const fromHere = decoder('first-copy');
    registerDecoder(fromHere);
    expect(await copy.getDecoder('first-copy')).toBe(fromHere);
    expect(copy.knownEncoders()).toEqual(knownEncoders());
    await expectCode(() => copy.registerEncoder(encoder('second-copy')), 'DUPLICATE_REGISTRATION', '"second-copy"');
  });

  it('fails loudly, naming both versions, when another copy set up an incompatible table', async () => {
    const holder = globalThis as unknown as Record<symbol, unknown>;
    const saved = Object.getOwnPropertyDescriptor(holder, REGISTRY_KEY)!;
    Object.defineProperty(holder, REGISTRY_KEY, { value: { version: 99, tables: {} }, configurable: true, writable: false });
    try {
      for (const call of [() => registerEncoder(encoder('mismatch')), () => getEncoder('vit'), () => knownEncoders(), () => knownImageProcessorNames()]) {
        await expectCode(call, 'REGISTRY_VERSION_MISMATCH', 'version 99', `expects version ${REGISTRY_VERSION}`, '@ved/core');
      }
    } finally {
      Object.defineProperty(holder, REGISTRY_KEY, saved);
    }
    expect(findEncoder('mismatch')).toBeUndefined();
    expect(sharedRegistry().version).toBe(REGISTRY_VERSION);
  });
});

describe('image processors from plugins', () => {
  const toy: ImageProcessorDefinition = { name: 'ToyImageProcessor', defaults: { size: { height: 6, width: 6 }, do_resize: true, resample: 3 } };

  it('makes a plugin’s processor class readable, and its default class the one a file without a class implies', () => {
    expect(() => parseImageProcessorConfig({ image_processor_type: 'ToyImageProcessor' })).toThrow(/unknown image processor "ToyImageProcessor"/);
    registerEncoder(encoder('toy-encoder', { imageProcessors: [toy], defaultImageProcessor: 'ToyImageProcessor' }));
    const c = parseImageProcessorConfig({ image_processor_type: 'ToyImageProcessorFast' });
    expect(c).toMatchObject({ imageProcessorType: 'ToyImageProcessor', doResize: true, resample: 3, size: { height: 6, width: 6 }, rescaleFactor: 1 / 255 });
    expect(parseImageProcessorConfig({ do_resize: false }, { modelType: 'toy-encoder' })).toMatchObject({ imageProcessorType: 'ToyImageProcessor', doResize: false });
    expect(() => parseImageProcessorConfig({}, { modelType: 'unregistered' })).toThrow(/names no processor class/);
    expect(knownImageProcessorNames()).toContain('ToyImageProcessor');
  });

  it('runs Donut’s pipeline for a class that declares it', () => {
    registerImageProcessors([{ name: 'ToyDonutImageProcessor', pipeline: 'donut', defaults: { size: { height: 8, width: 6 }, do_pad: true } }]);
    const c = parseImageProcessorConfig({ image_processor_type: 'ToyDonutImageProcessor', size: [3, 4] });
    expect(c.donut).toEqual({ doAlignLongAxis: false, doThumbnail: false, doPad: true });
    expect(c.size).toEqual({ height: 4, width: 3 }); // a list size is [width, height] for Donut's pipeline
  });

  it('imports a lazily declared class on ImageProcessor.load, and says so from the sync parser before', async () => {
    const lazyToy: ImageProcessorDefinition = { name: 'LazyToyImageProcessor', defaults: { do_resize: true, size: { height: 3, width: 3 }, resample: 2 } };
    let loads = 0;
    registerLazy('image-processor', 'LazyToyImageProcessor', 'ved-lazy-toy', async () => {
      loads++;
      return { imageProcessors: [lazyToy] };
    });
    expect(knownImageProcessorNames()).toContain('LazyToyImageProcessor');
    await expectCode(() => parseImageProcessorConfig({ image_processor_type: 'LazyToyImageProcessor' }), 'MISSING_PACKAGE', 'ved-lazy-toy', 'ImageProcessor.load');
    const processor = await ImageProcessor.load({ image_processor_type: 'LazyToyImageProcessorFast' });
    expect(processor.config).toMatchObject({ imageProcessorType: 'LazyToyImageProcessor', size: { height: 3, width: 3 } });
    await ImageProcessor.load({ image_processor_type: 'LazyToyImageProcessor' });
    expect(loads).toBe(1);
    expect(getImageProcessorDefinition('LazyToyImageProcessor')).toBe(lazyToy);
  });

  it('names the package when a lazily declared class fails to load or is not in its module', async () => {
    registerLazy('image-processor', 'ThrowingImageProcessor', 'ved-throwing-processors', async () => {
      throw new Error('bad module');
    });
    await expectCode(() => ImageProcessor.load({ image_processor_type: 'ThrowingImageProcessor' }), 'PLUGIN_LOAD_FAILED', '"ThrowingImageProcessor"', 'ved-throwing-processors', 'bad module');
    registerLazy('image-processor', 'AbsentImageProcessor', 'ved-absent-processors', async () => ({ imageProcessors: [] }));
    await expectCode(() => ImageProcessor.load({ image_processor_type: 'AbsentImageProcessor' }), 'MISSING_PACKAGE', 'ved-absent-processors', '"AbsentImageProcessor"');
    expect(await loadImageProcessorDefinition('NeverDeclaredImageProcessor')).toBeUndefined();
  });

  it('refuses malformed definitions', async () => {
    await expectCode(() => registerImageProcessors([{ name: '', defaults: {} }]), 'INVALID_INPUT', '"name"');
    await expectCode(() => registerImageProcessors([{ name: 'BadPipeline', defaults: {}, pipeline: 'pix2struct' as 'donut' }]), 'INVALID_INPUT', '"pix2struct"');
  });
});

describe('prompt behaviour', () => {
  it('follows Python’s rule on the encoder model_type when no plugin declares one', () => {
    expect(promptBehaviour('vit-undeclared')).toEqual({ prependStartToken: 'when-missing' });
    expect(promptBehaviour('Some-DONUT-encoder')).toEqual({ prependStartToken: 'never' });
  });

  it('takes the encoder’s declaration, and the decoder’s over it', () => {
    registerEncoder(encoder('task-prompt-encoder', { prompt: { prependStartToken: 'never' } }));
    registerDecoder(decoder('plain-decoder'));
    registerDecoder(decoder('prepending-decoder', { prompt: { prependStartToken: 'when-missing' } }));
    expect(promptBehaviour('task-prompt-encoder')).toEqual({ prependStartToken: 'never' });
    expect(promptBehaviour('task-prompt-encoder', 'plain-decoder')).toEqual({ prependStartToken: 'never' });
    expect(promptBehaviour('task-prompt-encoder', 'prepending-decoder')).toEqual({ prependStartToken: 'when-missing' });
  });
});
