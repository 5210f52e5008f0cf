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
  | 'WRITE_FAILED'
  | 'RUNTIME';

export class VedError extends Error {
  readonly code: VedErrorCode;
  constructor(code: VedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VedError';
    this.code = code;
  }
}

/** Formats a list of valid choices for an error message. */
export function listChoices(choices: Iterable<string>): string {
  const all = [...choices].sort();
  return all.length === 0 ? '(none registered)' : all.map((c) => JSON.stringify(c)).join(', ');
}
