// Compares ved's GIF or BMP decoder (core's decodeGif, decodeBmp) with Pillow on the files of
// probe_random_gifs.py or probe_random_bmps.py (same
// folder): the same array, byte for byte, where Pillow opens the file, and an INVALID_IMAGE where it
// refuses it.
//
//   .venv-ref/bin/python tools/reference/probe_random_gifs.py /tmp/rg 1000 1
//   pnpm build && node tools/reference/compare_random_image_files.mjs gif /tmp/rg
//   (bmp: probe_random_bmps.py, then `compare_random_image_files.mjs bmp DIR`)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VedError, decodeBmp, decodeGif, parseSafetensors } from '../../packages/core/dist/index.js';

const DECODERS = { gif: decodeGif, bmp: decodeBmp };
const [format, dir] = process.argv.slice(2);
const decode = DECODERS[format];
if (decode === undefined || dir === undefined) throw new Error('usage: node compare_random_image_files.mjs gif|bmp OUT_DIR');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
const expected = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'expected.safetensors'))), 'expected.safetensors');

const counts = { match: 0, refusedByBoth: 0 };
const failures = [];
for (const c of index.cases) {
  const file = join(dir, `${c.id}.${format}`);
  let got;
  let thrown;
  try {
    got = decode(new Uint8Array(readFileSync(file)), file);
  } catch (e) {
    thrown = e;
  }
  if (thrown !== undefined && !(thrown instanceof VedError)) {
    failures.push(`${c.id} (${c.how}): crashed: ${thrown?.stack ?? thrown}`);
    continue;
  }
  if (c.error !== undefined) {
    if (thrown !== undefined) counts.refusedByBoth++;
    else failures.push(`${c.id} (${c.how}): Pillow refused (${c.error}); ved gave ${got.height}x${got.width}x${got.channels}`);
    continue;
  }
  if (thrown !== undefined) {
    failures.push(`${c.id} (${c.how}): ved refused (${thrown.message}); Pillow gave ${JSON.stringify(c.shape)}`);
    continue;
  }
  const shape = [got.height, got.width, got.channels];
  if (JSON.stringify(shape) !== JSON.stringify(c.shape)) {
    failures.push(`${c.id} (${c.how}): shape ${JSON.stringify(shape)} against Pillow's ${JSON.stringify(c.shape)}`);
    continue;
  }
  const want = expected.getRaw(String(c.id));
  let differ = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) if (want[i] !== got.data[i] && differ++ === 0) first = i;
  if (differ > 0) failures.push(`${c.id} (${c.how}): ${differ} of ${want.length} bytes differ, first at ${first} (ved ${got.data[first]}, Pillow ${want[first]})`);
  else counts.match++;
}
for (const f of failures) console.log(f);
console.log(`${index.cases.length} ${format.toUpperCase()}s: ${counts.match} identical, ${counts.refusedByBoth} refused by both, ${failures.length} differ`);
process.exitCode = failures.length === 0 ? 0 : 1;
