/** A model's files in the browser: over fetch from a URL or hub repository, cached with the Cache API. */
import { HttpFiles, WebCache, type HttpFilesOptions, type ModelCache, type ModelFiles } from '@ved/core';

export interface WebFilesOptions extends Omit<HttpFilesOptions, 'cache'> {
  /**
   * The Cache API cache to keep files in: a name (default `ved-models`), a
   * `ModelCache`, or false for none.
   */
  cache?: string | ModelCache | false;
}

/** `HttpFiles` for a URL (absolute or relative to the page) or a repository id, with the browser cache. */
export async function openWebModelFiles(idOrUrl: string, options: WebFilesOptions = {}): Promise<HttpFiles> {
  const { cache: cacheOption, ...rest } = options;
  const cache =
    cacheOption === false ? undefined : typeof cacheOption === 'object' ? cacheOption : await WebCache.open(cacheOption);
  return new HttpFiles(idOrUrl, { ...rest, ...(cache ? { cache } : {}) });
}

export function isModelFiles(value: unknown): value is ModelFiles {
  return typeof value === 'object' && value !== null && typeof (value as ModelFiles).readBytes === 'function' && typeof (value as ModelFiles).exists === 'function';
}
