/**
 * The plugin registry: architectures by `model_type`, the lazy imports of the
 * built-in ones, and the image-processor classes the architectures bring.
 *
 * One table per process. It lives on `globalThis` under
 * `Symbol.for('ved.registry')`, so a plugin that brings its own copy of
 * `@ved/core` registers into the table the app reads. Each copy checks the
 * table's `version` (its layout) on every use: a copy with the same version
 * shares it, a copy with another fails with `REGISTRY_VERSION_MISMATCH` naming
 * both versions, rather than registering into a table nobody reads.
 *
 * Duplicates: registering the same plugin object (or the same image-processor
 * defaults object) again is harmless; a different one under a taken
 * `model_type` (or class name) throws `DUPLICATE_REGISTRATION` and leaves the
 * table as it was. `registerLazy` records where a built-in architecture (or
 * image-processor class) lives; a registered one wins over the lazy entry.
 */
import { VedError, listChoices } from '../errors.js';
import type { DecoderPlugin, EncoderPlugin, ImageProcessorDefinition, PromptBehaviour } from '../contracts.js';

type Kind = 'encoder' | 'decoder';
type Loader = () => Promise<unknown>;

interface LazyEntry {
  packageName: string;
  load: Loader;
}

interface Table<P> {
  plugins: Map<string, P>;
  lazy: Map<string, LazyEntry>;
}

/** The object shared on `globalThis`. Change its shape only with a new `REGISTRY_VERSION`. */
export interface SharedRegistry {
  readonly version: number;
  readonly encoder: Table<EncoderPlugin<any>>;
  readonly decoder: Table<DecoderPlugin<any>>;
  readonly imageProcessors: Map<string, ImageProcessorDefinition>;
  /** Image-processor classes by name, from modules exporting `imageProcessors` to import on first use. */
  readonly lazyImageProcessors: Map<string, LazyEntry>;
}

/** The layout version of `SharedRegistry`; copies of `@ved/core` share a table only when it is equal. */
export const REGISTRY_VERSION = 1;

/** Where the table lives on `globalThis` (`Symbol.for`, so every copy of this module finds the same key). */
export const REGISTRY_KEY: unique symbol = Symbol.for('ved.registry') as any;

/** The process-wide table, created by the first copy of `@ved/core` that needs it. */
export function sharedRegistry(): SharedRegistry {
  const holder = globalThis as unknown as Record<symbol, unknown>;
  let found = holder[REGISTRY_KEY] as Partial<SharedRegistry> | undefined;
  if (found === undefined) {
    found = {
      version: REGISTRY_VERSION,
      encoder: { plugins: new Map(), lazy: new Map() },
      decoder: { plugins: new Map(), lazy: new Map() },
      imageProcessors: new Map(),
      lazyImageProcessors: new Map(),
    } satisfies SharedRegistry;
    Object.defineProperty(holder, REGISTRY_KEY, { value: found, enumerable: false, writable: false, configurable: true });
  }
  if (typeof found !== 'object' || found === null || found.version !== REGISTRY_VERSION) {
    const other = typeof found === 'object' && found !== null ? JSON.stringify(found.version) : JSON.stringify(found);
    throw new VedError(
      'REGISTRY_VERSION_MISMATCH',
      `Two incompatible copies of @ved/core are loaded: the plugin registry on globalThis[Symbol.for('ved.registry')] has version ${other}, ` +
        `this copy of @ved/core expects version ${REGISTRY_VERSION}. Install one version of @ved/core (architecture packages take it as a peer dependency), ` +
        'e.g. with `npm ls @ved/core` to find the second copy.',
    );
  }
  return found as SharedRegistry;
}

function describe(plugin: unknown): string {
  return typeof plugin === 'object' && plugin !== null && 'modelType' in plugin ? `plugin object for "${String((plugin as { modelType: unknown }).modelType)}"` : 'plugin';
}

/** Throws unless every image processor of `definitions` is new or already registered as the same definition. */
function checkImageProcessors(definitions: readonly ImageProcessorDefinition[], where: string): void {
  const taken = sharedRegistry().imageProcessors;
  const seen = new Map<string, ImageProcessorDefinition>();
  for (const d of definitions) {
    if (typeof d?.name !== 'string' || d.name.length === 0 || typeof d.defaults !== 'object' || d.defaults === null) {
      throw new VedError('INVALID_INPUT', `${where}: an image processor needs a "name" (e.g. "ViTImageProcessor") and a "defaults" object, got ${JSON.stringify(d)}.`);
    }
    if (d.pipeline !== undefined && d.pipeline !== 'standard' && d.pipeline !== 'donut' && d.pipeline !== 'nougat') {
      throw new VedError('INVALID_INPUT', `${where}: image processor "${d.name}" has pipeline ${JSON.stringify(d.pipeline)}, expected "standard", "donut" or "nougat".`);
    }
    const before = taken.get(d.name) ?? seen.get(d.name);
    if (before !== undefined && !sameImageProcessor(before, d)) {
      throw new VedError(
        'DUPLICATE_REGISTRATION',
        `${where}: an image processor is already registered as "${d.name}" with other defaults (the same defaults object registered again is harmless).`,
      );
    }
    seen.set(d.name, d);
  }
}

function sameImageProcessor(a: ImageProcessorDefinition, b: ImageProcessorDefinition): boolean {
  return a.defaults === b.defaults && (a.pipeline ?? 'standard') === (b.pipeline ?? 'standard');
}

function addImageProcessors(definitions: readonly ImageProcessorDefinition[]): void {
  const table = sharedRegistry().imageProcessors;
  for (const d of definitions) if (!table.has(d.name)) table.set(d.name, d);
}

function register<P extends { modelType: string }>(kind: Kind, plugin: P, processors: readonly ImageProcessorDefinition[]): void {
  if (typeof plugin?.modelType !== 'string' || plugin.modelType.length === 0) {
    throw new VedError('INVALID_INPUT', `register${kind === 'encoder' ? 'Encoder' : 'Decoder'}: the plugin has no "modelType" string, got ${JSON.stringify(plugin?.modelType)}.`);
  }
  const table = sharedRegistry()[kind] as unknown as Table<P>;
  const taken = table.plugins.get(plugin.modelType);
  if (taken === plugin) return;
  if (taken !== undefined) {
    throw new VedError(
      'DUPLICATE_REGISTRATION',
      `An ${kind} is already registered for model_type "${plugin.modelType}" (another ${describe(taken)}); ` +
        'registering the same plugin object again is harmless, a different one is refused. Is the package loaded twice (two installed copies)?',
    );
  }
  checkImageProcessors(processors, `The ${kind} for model_type "${plugin.modelType}"`);
  addImageProcessors(processors);
  table.plugins.set(plugin.modelType, plugin);
}

/** Registers an encoder under its `modelType`, with the image processors it lists. */
export function registerEncoder(plugin: EncoderPlugin<any>): void {
  register('encoder', plugin, plugin?.imageProcessors ?? []);
}

/** Registers a decoder under its `modelType`. */
export function registerDecoder(plugin: DecoderPlugin<any>): void {
  register('decoder', plugin, []);
}

/**
 * Declares where a built-in architecture lives, to be imported on first use
 * (the import should register it). A later declaration for the same
 * `model_type` replaces the earlier one.
 *
 * With kind `'image-processor'`, declares where the image-processor class
 * `name` lives: `load` imports a module exporting `imageProcessors` (an
 * `ImageProcessorDefinition[]`, such as `@ved/encoder-vit/image-processors`),
 * registered when `ImageProcessor.load` first needs the class.
 */
export function registerLazy(kind: Kind | 'image-processor', name: string, packageName: string, load: Loader): void {
  const registry = sharedRegistry();
  const table = kind === 'image-processor' ? registry.lazyImageProcessors : registry[kind].lazy;
  table.set(name, { packageName, load });
}

/**
 * Makes image-processor classes known without registering an architecture
 * (what a backend does for the built-in architectures' classes, so that a
 * checkpoint may name any of them whichever encoder it has).
 */
export function registerImageProcessors(definitions: readonly ImageProcessorDefinition[]): void {
  checkImageProcessors(definitions, 'registerImageProcessors');
  addImageProcessors(definitions);
}

/** The registered image-processor class `name`, if any (a lazily declared one once loaded). */
export function getImageProcessorDefinition(name: string): ImageProcessorDefinition | undefined {
  return sharedRegistry().imageProcessors.get(name);
}

/** The package a lazily declared, not yet loaded image-processor class `name` lives in. */
export function lazyImageProcessorPackage(name: string): string | undefined {
  return sharedRegistry().imageProcessors.has(name) ? undefined : sharedRegistry().lazyImageProcessors.get(name)?.packageName;
}

/**
 * The image-processor class `name`, importing its module first when it was
 * declared with `registerLazy('image-processor', ...)`; undefined when the
 * class is neither registered nor declared.
 */
export async function loadImageProcessorDefinition(name: string): Promise<ImageProcessorDefinition | undefined> {
  const registry = sharedRegistry();
  const found = registry.imageProcessors.get(name);
  if (found !== undefined) return found;
  const lazy = registry.lazyImageProcessors.get(name);
  if (lazy === undefined) return undefined;
  const what = `The image processor "${name}"`;
  const loaded = await loadLazy(lazy, what);
  const list = (loaded as { imageProcessors?: unknown } | null)?.imageProcessors;
  if (Array.isArray(list)) registerImageProcessors(list as ImageProcessorDefinition[]);
  const definition = registry.imageProcessors.get(name);
  if (definition === undefined) {
    throw new VedError('MISSING_PACKAGE', `Loading ${lazy.packageName} did not provide the image processor "${name}" (its module must export \`imageProcessors\` listing it).`);
  }
  return definition;
}

/** Names of the registered and lazily declared image-processor classes, sorted. */
export function knownImageProcessorNames(): string[] {
  const registry = sharedRegistry();
  return [...new Set([...registry.imageProcessors.keys(), ...registry.lazyImageProcessors.keys()])].sort();
}

function known(kind: Kind): Set<string> {
  const table = sharedRegistry()[kind];
  return new Set([...table.plugins.keys(), ...table.lazy.keys()]);
}

/** Node's and bundlers' "module not found" errors: the package is not installed. */
function isNotFound(cause: unknown, packageName: string): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return message.includes(packageName);
  return /Cannot find (module|package)|Failed to (fetch|resolve|load)|error loading dynamically imported module/i.test(message) && message.includes(packageName);
}

/** Imports a lazy entry; `what` starts the error messages (e.g. `The encoder for model_type "vit"`). */
async function loadLazy(lazy: LazyEntry, what: string): Promise<unknown> {
  try {
    return await lazy.load();
  } catch (cause) {
    if (isNotFound(cause, lazy.packageName)) {
      throw new VedError(
        'MISSING_PACKAGE',
        `${what} lives in the package ${lazy.packageName}, which could not be loaded; install it (e.g. \`pnpm add ${lazy.packageName}\`).`,
        { cause },
      );
    }
    const detail = cause instanceof VedError ? `[${cause.code}] ${cause.message}` : cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new VedError('PLUGIN_LOAD_FAILED', `${what} lives in the package ${lazy.packageName}, which threw while loading: ${detail}`, { cause });
  }
}

async function lookup<P>(kind: Kind, modelType: string): Promise<P> {
  const table = sharedRegistry()[kind] as unknown as Table<P>;
  const found = table.plugins.get(modelType);
  if (found !== undefined) return found;
  const lazy = table.lazy.get(modelType);
  if (lazy === undefined) {
    throw new VedError(
      'UNKNOWN_MODEL_TYPE',
      `Unknown ${kind} model_type "${modelType}". Known ${kind}s: ${listChoices(known(kind))}.`,
    );
  }
  await loadLazy(lazy, `The ${kind} for model_type "${modelType}"`);
  const loaded = table.plugins.get(modelType);
  if (loaded === undefined) {
    throw new VedError('MISSING_PACKAGE', `Loading ${lazy.packageName} did not register an ${kind} for model_type "${modelType}".`);
  }
  return loaded;
}

export function getEncoder(modelType: string): Promise<EncoderPlugin<any>> {
  return lookup('encoder', modelType);
}

export function getDecoder(modelType: string): Promise<DecoderPlugin<any>> {
  return lookup('decoder', modelType);
}

/** The registered (already loaded) encoder for `modelType`, without importing a lazy one. */
export function findEncoder(modelType: string): EncoderPlugin<any> | undefined {
  return sharedRegistry().encoder.plugins.get(modelType);
}

/** The registered (already loaded) decoder for `modelType`, without importing a lazy one. */
export function findDecoder(modelType: string): DecoderPlugin<any> | undefined {
  return sharedRegistry().decoder.plugins.get(modelType);
}

export function knownEncoders(): string[] {
  return [...known('encoder')].sort();
}

export function knownDecoders(): string[] {
  return [...known('decoder')].sort();
}

/**
 * How `generate()` treats given `decoderInputIds` for this pair: the
 * decoder's declared `prompt`, else the encoder's, else transformers' own rule
 * in `GenerationMixin._prepare_decoder_input_ids_for_generation`, which tests
 * the encoder's `model_type` string (`"donut" in config.encoder.model_type.lower()`)
 * for any encoder, registered or not.
 */
export function promptBehaviour(encoderModelType: string, decoderModelType?: string): PromptBehaviour {
  const declared = (decoderModelType === undefined ? undefined : findDecoder(decoderModelType)?.prompt) ?? findEncoder(encoderModelType)?.prompt;
  if (declared !== undefined) return declared;
  return { prependStartToken: encoderModelType.toLowerCase().includes('donut') ? 'never' : 'when-missing' };
}
