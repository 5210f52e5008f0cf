/**
 * Why a file could not be had over HTTP. Every case is a `VedError` naming the
 * file and URL; `reason` and `status` let code tell them apart.
 */
import { VedError, type VedErrorCode } from '../../errors.js';

export type HttpFailure =
  /** The server answered 404 (or 410): the model has no such file. */
  | 'not-found'
  /** Any other non-2xx status, e.g. 401 for a private repository, 500. */
  | 'status'
  /** The request did not complete: no connection, DNS, CORS, aborted. */
  | 'network'
  /** The body ended before `Content-Length` bytes arrived. */
  | 'truncated'
  /** Offline mode and the file is not in the cache. */
  | 'offline';

// Every failure to obtain a checkpoint file reads as FILE_NOT_FOUND, as a file
// that cannot be read from disk does; `reason` says which.
const CODE: VedErrorCode = 'FILE_NOT_FOUND';

export class HttpError extends VedError {
  constructor(
    readonly reason: HttpFailure,
    readonly url: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(CODE, message, options);
    this.name = 'HttpError';
  }
}

/** The error for a non-2xx response, with the hub's `X-Error-Message` when there is one. */
export function statusError(response: Response, url: string, file: string, where: string): HttpError {
  const hubMessage = response.headers.get('x-error-message');
  const detail = hubMessage ? ` (${hubMessage})` : '';
  if (response.status === 404 || response.status === 410) {
    return new HttpError('not-found', url, `File not found: ${file} is not in ${where} (HTTP ${response.status} for ${url})${detail}.`, response.status);
  }
  const hint =
    response.status === 401 || response.status === 403
      ? ' The repository may be private or gated (pass an access token in "headers"), or it may not exist.'
      : '';
  return new HttpError(
    'status',
    url,
    `Cannot download ${file} from ${where}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}${detail}.${hint}`,
    response.status,
  );
}
