/** Loading checkpoints over HTTP (browser and Node): locations, fetch with progress, caches. */
export { DEFAULT_ENDPOINT, DEFAULT_REVISION, fileUrl, isHttpUrl, isRepoId, resolveModelLocation, type LocationOptions, type ModelLocation } from './location.js';
export { HttpError, type HttpFailure } from './http-error.js';
export { type DownloadProgress, type FetchFunction, type ProgressCallback } from './download.js';
export { DEFAULT_WEB_CACHE_NAME, WebCache, type CacheRequest, type ModelCache } from './model-cache.js';
export { HttpFiles, type FileRecord, type HttpFilesOptions } from './http-files.js';
