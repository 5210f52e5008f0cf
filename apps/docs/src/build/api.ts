/**
 * The API reference: TypeDoc over the public entry points of @ved/core,
 * @ved/generation, @ved/backend-web and @ved/backend-node (apps/docs/api/*.ts
 * re-export each one under its package name), read from the TypeScript
 * sources through the `source` export condition.
 */
import { join } from 'node:path';
import { Application, LogLevel } from 'typedoc';
import { VedError } from '@ved/core';

export const API_PACKAGES = ['core', 'generation', 'backend-web', 'backend-node'] as const;

export interface ApiOptions {
  /** apps/docs. */
  appDir: string;
  /** Where the reference goes (`<site>/api`). */
  out: string;
}

export async function buildApiReference({ appDir, out }: ApiOptions): Promise<void> {
  const app = await Application.bootstrapWithPlugins({
    name: 'ved API reference',
    entryPoints: API_PACKAGES.map((p) => join(appDir, 'api', `${p}.ts`)),
    entryPointStrategy: 'resolve',
    tsconfig: join(appDir, 'tsconfig.api.json'),
    readme: join(appDir, 'api', 'README.md'),
    out,
    // The sources were type-checked by their own builds; TypeDoc only reads them.
    skipErrorChecking: true,
    // No repository URL to link sources to.
    disableSources: true,
    excludePrivate: true,
    excludeInternal: true,
    hideGenerator: true,
    navigationLinks: { Guides: '../index.html', 'Live demo': '../demo.html' },
    titleLink: '../index.html',
    // Symbols that a public type mentions but no entry point exports (internal helpers) are fine.
    validation: { notExported: false, invalidLink: true, rewrittenLink: true, notDocumented: false, unusedMergeModuleWith: true },
    logLevel: LogLevel.Warn,
  });
  const project = await app.convert();
  if (project === undefined || app.logger.hasErrors()) {
    throw new VedError('RUNTIME', `TypeDoc could not read the entry points ${API_PACKAGES.map((p) => `api/${p}.ts`).join(', ')} (with ${join(appDir, 'tsconfig.api.json')}); see its messages above.`);
  }
  await app.generateDocs(project, out);
  if (app.logger.hasErrors()) throw new VedError('RUNTIME', `TypeDoc failed while writing the API reference to ${out}; see its messages above.`);
}
