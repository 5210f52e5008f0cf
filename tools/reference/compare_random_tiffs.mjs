// Compares the browser's TIFF reader (backend-web's tiff-decode.ts, run in Node) with Pillow on the files of
// probe_random_tiffs.py (same folder): the same array where ved should read the file (byte for byte, JPEG-
// compressed files within one level), and an INVALID_IMAGE where Pillow fails or ved's rules refuse the mode.
//
//   .venv-ref/bin/python tools/reference/probe_random_tiffs.py /tmp/rt 300 1
//   pnpm build && node tools/reference/compare_random_tiffs.mjs /tmp/rt
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VedError, parseSafetensors } from '../../packages/core/dist/index.js';
import { decodeTiff } from '../../packages/backend-web/dist/tiff-decode.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node compare_random_tiffs.mjs OUT_DIR');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
const expected = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'expected.safetensors'))), 'expected.safetensors');
const counts = { exact: 0, jpegWithinOne: 0, refusedByBoth: 0, grayJpegRefused: 0 };
const failures = [];
for (const c of index.cases) {
  const file = join(dir, `${c.id}.tif`);
  let got;
  let thrown;
  try {
    got = await decodeTiff(new Uint8Array(readFileSync(file)), file);
  } catch (e) {
    thrown = e;
  }
  const tag = `${c.id} (${c.mode ?? '?'} ${c.compression ?? ''})`;
  if (thrown !== undefined && !(thrown instanceof VedError)) failures.push(`${tag}: crashed: ${thrown?.stack ?? thrown}`);
  else if (c.error !== undefined) {
    if (thrown !== undefined) counts.refusedByBoth++;
    else failures.push(`${tag}: Pillow/ved's rules refuse (${c.error}); ved read ${got.height}x${got.width}x${got.channels}`);
  } else if (thrown !== undefined && /JPEG-compressed grayscale TIFF/.test(thrown.message)) counts.grayJpegRefused++; // a documented gap
  else if (thrown !== undefined) failures.push(`${tag}: ved refused (${thrown.message}); Pillow gave ${JSON.stringify(c.shape)}`);
  else if (JSON.stringify([got.height, got.width, got.channels]) !== JSON.stringify(c.shape)) failures.push(`${tag}: shape ${got.height}x${got.width}x${got.channels} against ${JSON.stringify(c.shape)}`);
  else {
    const want = expected.getRaw(String(c.id));
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got.data[i]));
    if (worst === 0) counts.exact++;
    else if (worst <= 1 && c.compression === 'jpeg') counts.jpegWithinOne++;
    else failures.push(`${tag}: max |diff| ${worst}`);
  }
}
for (const f of failures) console.log(f);
console.log(`${index.cases.length} TIFFs: ${counts.exact} identical, ${counts.jpegWithinOne} JPEG-compressed within one level, ${counts.refusedByBoth} refused by both, ${counts.grayJpegRefused} JPEG-compressed grayscale refused by ved (by design), ${failures.length} differ`);
process.exitCode = failures.length === 0 ? 0 : 1;
