/**
 * Typed errors. Every error ved throws on bad input is a `VedError` with a stable
 * `code`, and a message that names the file, tensor, option or `model_type`
 * involved, what was found and what was expected.
 */

export type VedErrorCode =
  | 'FILE_NOT_FOUND'
  | 'INVALID_JSON'
  | 'INVALID_CONFIG'
  | 'UNKNOWN_MODEL_TYPE'
  | 'MISSING_WEIGHT'
  | 'WEIGHT_SHAPE_MISMATCH'
  | 'INVALID_SAFETENSORS'
  /** A weights file (`.bin`, `.h5`, `.msgpack`) that is corrupt, truncated or not what its name says. */
  | 'INVALID_CHECKPOINT'
  /** A pickle that needs a global or opcode `torch.load(weights_only=True)` refuses: nothing of it runs. */
  | 'UNSAFE_PICKLE'
  /** A well-formed checkpoint ved cannot read (torch's pre-1.6 format, sparse or quantized tensors). */
  | 'UNSUPPORTED_CHECKPOINT'
  | 'UNSUPPORTED_DTYPE'
  | 'INVALID_IMAGE'
  | 'INVALID_OPTION'
  | 'INVALID_INPUT'
  | 'MISSING_PACKAGE'
  /** A lazily registered architecture package that was found but threw while loading. */
  | 'PLUGIN_LOAD_FAILED'
  /** A different plugin (or image processor) registered under a `model_type` (or class name) already taken. */
  | 'DUPLICATE_REGISTRATION'
  /** Two copies of `@ved/core` whose shared plugin registries have incompatible layouts. */
  | 'REGISTRY_VERSION_MISMATCH'
  | 'WRITE_FAILED'
  /** A token id outside the vocabulary (or negative) in an option, a prompt or the labels. */
  | 'TOKEN_OUT_OF_RANGE'
  /** More decoder positions than the decoder's position table holds. */
  | 'SEQUENCE_TOO_LONG'
  /** An image whose header declares more pixels than the decompression-bomb limit. */
  | 'IMAGE_TOO_LARGE'
  /** A config whose weights would not fit in memory. */
  | 'MODEL_TOO_LARGE'
  /** Checkpoint tensors the model does not use, under `strict` loading. */
  | 'UNEXPECTED_WEIGHTS'
  /** A model or session used after `dispose()`. */
  | 'DISPOSED'
  /** Training stopped: a NaN or infinite loss or gradient norm (`@ved/training`'s `TrainingDivergedError` names the step). */
  | 'TRAINING_DIVERGED'
  | 'RUNTIME';

export class VedError extends Error {
  readonly code: VedErrorCode;
  constructor(code: VedErrorCode, message: string, options?: { cause?: unknown }) {
    super(shortenLongRuns(message), options);
    this.name = 'VedError';
    this.code = code;
  }
}

/** Formats a list of valid choices for an error message. */
export function listChoices(choices: Iterable<string>): string {
  const all = [...choices].sort();
  return all.length === 0 ? '(none registered)' : all.map((c) => JSON.stringify(c)).join(', ');
}

/** Longest run of non-space characters (a path, a JSON value) kept whole in an error message. */
export const MAX_MESSAGE_RUN = 240;

/**
 * Shortens every run of non-space characters longer than `MAX_MESSAGE_RUN`
 * (a 20 MB path or value echoed in a message) to its start and end around
 * `…(N characters)…`, so that errors stay readable and small.
 */
export function shortenLongRuns(message: string, max = MAX_MESSAGE_RUN): string {
  if (message.length <= max) return message;
  // A scan, not a regex: V8's regex engine overflows its stack on runs of megabytes.
  const keep = Math.floor((max - 24) / 2);
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < message.length; ) {
    if (isSpace(message.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i;
    while (end < message.length && !isSpace(message.charCodeAt(end))) end++;
    if (end - i > max) {
      parts.push(message.slice(copied, i + keep), `…(${end - i} characters)…`, message.slice(end - keep, end));
      copied = end;
    }
    i = end;
  }
  parts.push(message.slice(copied));
  return parts.join('');
}

/** `\s` of a regex, by char code. */
function isSpace(c: number): boolean {
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}
