/**
 * Errors of `ved serve` as HTTP answers: `{"error": {"code", "message"}}`
 * with the `VedError` code the CLI prints (`INVALID_IMAGE`, `INVALID_OPTION`,
 * ...), or one of the server's own codes for what only HTTP has (a body over
 * the limit, a full queue, an unknown route).
 */
import { VedError } from '@ved/core';

/** Codes of failures that only the server has. */
export type ServeCode =
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'QUEUE_FULL'
  | 'SHUTTING_DOWN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CLIENT_CLOSED'
  | 'INTERNAL';

export class ServeError extends Error {
  constructor(
    readonly code: ServeCode,
    readonly status: number,
    message: string,
    /** Seconds for `Retry-After` (503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ServeError';
  }
}

export interface HttpError {
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
}

/** Status of each `VedError` code: the client's fault (400) or the server's (500). */
const CLIENT_CODES = new Set([
  'INVALID_IMAGE',
  'INVALID_OPTION',
  'INVALID_INPUT',
  'INVALID_JSON',
  'TOKEN_OUT_OF_RANGE',
  'SEQUENCE_TOO_LONG',
  'IMAGE_TOO_LARGE',
  'FILE_NOT_FOUND',
]);

/** Fastify's own errors (body parsing, limits, routing), by their `code`. */
const FASTIFY: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_INPUT' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
};

export function toHttpError(err: unknown): HttpError {
  if (err instanceof ServeError) return { status: err.status, code: err.code, message: err.message, ...(err.retryAfter ? { retryAfter: err.retryAfter } : {}) };
  if (err instanceof VedError) {
    if (err.code === 'DISPOSED') return { status: 503, code: 'SHUTTING_DOWN', message: err.message, retryAfter: 1 };
    return { status: CLIENT_CODES.has(err.code) ? 400 : 500, code: err.code, message: err.message };
  }
  const e = err as { code?: string; statusCode?: number; message?: string; name?: string };
  const known = e.code === undefined ? undefined : FASTIFY[e.code];
  if (known) return { ...known, message: e.message ?? known.code };
  // The JSON parser's SyntaxError carries a 400 status.
  if (e.name === 'SyntaxError' && e.statusCode === 400) return { status: 400, code: 'INVALID_JSON', message: `The body is not valid JSON: ${e.message}` };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: 'INVALID_INPUT', message: e.message ?? 'Bad request.' };
  }
  return { status: 500, code: 'INTERNAL', message: e.message ?? String(err) };
}

export function errorBody(e: HttpError): { error: { code: string; message: string } } {
  return { error: { code: e.code, message: e.message } };
}
