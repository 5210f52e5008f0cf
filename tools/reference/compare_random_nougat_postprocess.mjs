// Compares ved's nougatPostProcess with the pages of probe_random_nougat_postprocess.py (same folder):
// the same string as transformers' NougatTokenizer.post_process_single, with fix_markdown true and false.
//
//   .venv-ref/bin/python tools/reference/probe_random_nougat_postprocess.py /tmp/nougat-pp 5000 1
//   pnpm --filter @ved/core build && node tools/reference/compare_random_nougat_postprocess.mjs /tmp/nougat-pp
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nougatPostProcess } from '../../packages/core/dist/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node compare_random_nougat_postprocess.mjs OUT_DIR');
const { cases, seed } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));

/** Where two strings first differ, with a little context either side. */
function firstDifference(got, want) {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const around = (s) => JSON.stringify(s.slice(Math.max(0, i - 30), i + 30));
  return `at ${i}: ved ${around(got)} / Python ${around(want)}`;
}

let same = 0;
let pythonRaised = 0;
const failures = [];
const start = performance.now();
for (const c of cases) {
  if (c.error !== undefined) {
    pythonRaised++;
    failures.push({ id: c.id, what: `Python raised ${c.error}`, input: c.input });
    continue;
  }
  const diffs = [];
  for (const [fixMarkdown, want] of [[true, c.markdown], [false, c.plain]]) {
    let got;
    try {
      got = nougatPostProcess(c.input, { fixMarkdown });
    } catch (e) {
      diffs.push(`fixMarkdown ${fixMarkdown}: ved threw ${e}`);
      continue;
    }
    if (got !== want) diffs.push(`fixMarkdown ${fixMarkdown}: ${firstDifference(got, want)}`);
  }
  if (diffs.length === 0) same++;
  else failures.push({ id: c.id, what: diffs.join('; '), input: c.input });
}
const seconds = ((performance.now() - start) / 1000).toFixed(1);
console.log(`${cases.length} pages (seed ${seed}): ${same} identical with fixMarkdown true and false, ${failures.length} different (${pythonRaised} where Python raised); ved took ${seconds}s`);
for (const f of failures.slice(0, 10)) console.log(`  page ${f.id}: ${f.what}\n    input ${JSON.stringify(f.input).slice(0, 400)}`);
if (failures.length > 0) {
  writeFileSync(join(dir, 'failures.json'), JSON.stringify(failures, null, 1));
  console.log(`all differences in ${join(dir, 'failures.json')}`);
  process.exitCode = 1;
}
