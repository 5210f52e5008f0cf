/**
 * Architectures register by `model_type`. A backend also knows the built-in
 * architectures as lazy imports, so an app bundles only what it uses and a
 * missing package fails with a message naming it. Registering the same plugin
 * twice is harmless; a different plugin under a taken name throws.
 */
import { VedError, listChoices } from '../errors.js';
import type { DecoderPlugin, EncoderPlugin } from '../contracts.js';

type Kind = 'encoder' | 'decoder';
type Loader = () => Promise<unknown>;

interface Table<P> {
  plugins: Map<string, P>;
  lazy: Map<string, { packageName: string; load: Loader }>;
}

const tables = {
  encoder: { plugins: new Map(), lazy: new Map() } as Table<EncoderPlugin<any>>,
  decoder: { plugins: new Map(), lazy: new Map() } as Table<DecoderPlugin<any>>,
};

function register<P extends { modelType: string }>(kind: Kind, table: Table<P>, plugin: P): void {
  const taken = table.plugins.get(plugin.modelType);
  if (taken === plugin) return;
  if (taken !== undefined) {
    throw new VedError('INVALID_INPUT', `An ${kind} is already registered for model_type "${plugin.modelType}".`);
  }
  table.plugins.set(plugin.modelType, plugin);
}

export function registerEncoder(plugin: EncoderPlugin<any>): void {
  register('encoder', tables.encoder, plugin);
}

export function registerDecoder(plugin: DecoderPlugin<any>): void {
  register('decoder', tables.decoder, plugin);
}

/** Declares where a built-in architecture lives, to be imported on first use. */
export function registerLazy(kind: Kind, modelType: string, packageName: string, load: Loader): void {
  tables[kind].lazy.set(modelType, { packageName, load });
}

function known(kind: Kind): Set<string> {
  return new Set([...tables[kind].plugins.keys(), ...tables[kind].lazy.keys()]);
}

async function lookup<P>(kind: Kind, table: Table<P>, modelType: string): Promise<P> {
  const found = table.plugins.get(modelType);
  if (found !== undefined) return found;
  const lazy = table.lazy.get(modelType);
  if (lazy === undefined) {
    throw new VedError(
      'UNKNOWN_MODEL_TYPE',
      `Unknown ${kind} model_type "${modelType}". Known ${kind}s: ${listChoices(known(kind))}.`,
    );
  }
  try {
    await lazy.load();
  } catch (cause) {
    throw new VedError(
      'MISSING_PACKAGE',
      `The ${kind} for model_type "${modelType}" lives in the package ${lazy.packageName}, which could not be loaded; install it (e.g. \`pnpm add ${lazy.packageName}\`).`,
      { cause },
    );
  }
  const loaded = table.plugins.get(modelType);
  if (loaded === undefined) {
    throw new VedError('MISSING_PACKAGE', `Loading ${lazy.packageName} did not register an ${kind} for model_type "${modelType}".`);
  }
  return loaded;
}

export function getEncoder(modelType: string): Promise<EncoderPlugin<any>> {
  return lookup('encoder', tables.encoder, modelType);
}

export function getDecoder(modelType: string): Promise<DecoderPlugin<any>> {
  return lookup('decoder', tables.decoder, modelType);
}

export function knownEncoders(): string[] {
  return [...known('encoder')].sort();
}

export function knownDecoders(): string[] {
  return [...known('decoder')].sort();
}
