/** ved's defaults on top of the caller's onnxruntime-node session options. */
import { describe, expect, it } from 'vitest';
import { nodeSessionOptions } from './runtime.js';

describe('nodeSessionOptions', () => {
  it('turns intra-op spinning off, keeping the other options', () => {
    expect(nodeSessionOptions()).toEqual({ extra: { session: { 'intra_op.allow_spinning': '0' } } });
    const given = { intraOpNumThreads: 2, extra: { session: { model_external_initializers_file_folder_path: '/' }, other: { a: '1' } } };
    expect(nodeSessionOptions(given)).toEqual({
      intraOpNumThreads: 2,
      extra: { session: { model_external_initializers_file_folder_path: '/', 'intra_op.allow_spinning': '0' }, other: { a: '1' } },
    });
  });

  it('leaves a caller who sets spinning alone', () => {
    const given = { extra: { session: { 'intra_op.allow_spinning': '1' } } };
    expect(nodeSessionOptions(given)).toBe(given);
  });
});
