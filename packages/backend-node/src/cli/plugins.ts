/**
 * `--plugin MODULE` and `VED_PLUGINS=a,b`: third-party architecture packages
 * imported before a command runs. A plugin registers its encoders or decoders
 * with `@ved/core`'s `registerEncoder` / `registerDecoder` when imported, as
 * the built-in ones do.
 *
 * A package name is resolved from the current directory first (a plugin
 * installed in the user's project), then from ved's own location (one
 * installed beside a global ved); a path (`./my-plugin.js`) or `file:` URL is
 * taken relative to the current directory. ESM resolution (package `exports`,
 * `import` condition) is `import-meta-resolve`'s, which is node's own algorithm.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VedError, knownDecoders, knownEncoders } from '@ved/core';
import { resolve } from 'import-meta-resolve';

/** The plugins to load: `--plugin` flags, then `VED_PLUGINS` (comma-separated), without duplicates. */
export function pluginList(flags: readonly string[], env: string | undefined): string[] {
  const fromEnv = (env ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...new Set([...flags, ...fromEnv])];
}

function isPath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('file:');
}

/** The URL to import for `spec`, or undefined when no location resolves it. */
export function resolvePlugin(spec: string, cwd: string): string | undefined {
  if (isPath(spec)) return spec.startsWith('file:') ? spec : pathToFileURL(resolvePath(cwd, spec)).href;
  for (const parent of [pathToFileURL(`${resolvePath(cwd)}/`).href, import.meta.url]) {
    try {
      return resolve(spec, parent);
    } catch {
      // try the next location
    }
  }
  return undefined;
}

export interface LoadedPlugin {
  spec: string;
  /** The `model_type`s it registered. */
  registered: string[];
}

/** Imports each plugin in order; a missing or failing one is a `VedError` naming it. */
export async function loadPlugins(specs: readonly string[], cwd = process.cwd()): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const spec of specs) {
    const url = resolvePlugin(spec, cwd);
    if (url === undefined) {
      throw new VedError(
        'MISSING_PACKAGE',
        `Plugin ${JSON.stringify(spec)} not found from ${cwd} nor beside ved; install it (npm install ${spec}) or give a path (./plugin.js).`,
      );
    }
    const before = new Set([...knownEncoders(), ...knownDecoders()]);
    try {
      await import(url);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why = code === 'ERR_MODULE_NOT_FOUND' ? `not found (${(cause as Error).message})` : `failed to load: ${(cause as Error).message}`;
      throw new VedError('MISSING_PACKAGE', `Plugin ${JSON.stringify(spec)} (${url}) ${why}`, { cause });
    }
    loaded.push({ spec, registered: [...knownEncoders(), ...knownDecoders()].filter((t) => !before.has(t)) });
  }
  return loaded;
}
