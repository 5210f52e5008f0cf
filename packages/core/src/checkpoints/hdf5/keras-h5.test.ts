/** The Keras HDF5 reader on Python-written files (fixtures/formats, make_checkpoint_format_fixtures.py). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openKerasH5 } from './keras-h5.js';

const FORMATS = fileURLToPath(new URL('../../../../../fixtures/formats/', import.meta.url));
const read = (path: string) => new Uint8Array(readFileSync(FORMATS + path));

describe('openKerasH5', () => {
  it("names every variable as PyTorch's VisionEncoderDecoderModel does, in PyTorch's layout", async () => {
    const weights = await openKerasH5(read('vit-gpt2/tf/tf_model.h5'), 'tf_model.h5', { encoderModelType: 'vit' });
    expect(weights.names()).toContain('encoder.embeddings.patch_embeddings.projection.weight');
    expect(weights.names()).toContain('decoder.transformer.h.0.crossattention.c_attn.weight');
    expect(weights.names()).toContain('enc_to_dec_proj.weight');
    expect(weights.names().some((n) => n.includes('kernel') || n.includes('gamma') || n.includes(':0'))).toBe(false);
    expect(weights.info('encoder.embeddings.patch_embeddings.projection.weight').shape).toEqual([12, 3, 4, 4]); // OIHW
    expect(weights.info('enc_to_dec_proj.weight').shape).toEqual([8, 12]); // [out, in]
  });

  it('a dataset claiming more data than the file holds is refused before anything is allocated', async () => {
    await expect(openKerasH5(read('hostile-h5/huge-dataset.h5'), 'huge-dataset.h5')).rejects.toMatchObject({
      code: 'INVALID_CHECKPOINT',
      message: expect.stringMatching(/more data than a \d+-byte file can hold/),
    });
  });

  it('bytes that are not HDF5: a typed error', async () => {
    await expect(openKerasH5(new TextEncoder().encode('not an hdf5 file at all'), 'x.h5')).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT' });
  });
});
