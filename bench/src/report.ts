/**
 * The bench's markdown report: per model, a speed table of the three
 * runtimes with ratios and floors, how far each run is from the floors, the
 * agreement of their generated ids, ved's dtypes against fp32, and the
 * issue's targets with what was measured.
 */
import { agreement, formatAgreement, wrongLengths } from './agreement.js';
import type { Dtype, RunResult, TaskName } from './protocol.js';
import { summarize } from './stats.js';
import { WEIGHT_BYTES, encoderFloor, generateFloor, type Floor, type ModelShape, type Rates } from './work.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1-minute load average when the bench started and ended (other work on the machine makes numbers noisy). */
  loadStart: number;
  loadEnd: number;
}

export interface Settings {
  threads: number;
  warmup: number;
  runs: number;
  encoderRuns: number;
  newTokens: number;
  numBeams: number;
  batchSize: number;
}

export interface ModelReport {
  model: string;
  description: string;
  shape: ModelShape;
  parameters: number;
  weightBytes: number;
  /** Smallest top-2 logit margin of PyTorch's greedy decisions on the bench images (how robust ids are to float noise). */
  greedyMargin?: number;
  /** Scale of the logits and PyTorch's own float noise (eager vs default attention), as yardsticks of the logit differences. */
  floatNoise?: { maxAbsLogit: number; eagerVsDefault: number };
  results: RunResult[];
  /** Teacher-forced logits compared, max |difference|: key `ved fp32 vs pytorch`, `ved q8 vs ved fp32`, … */
  logitDiffs: Record<string, number>;
  /** Runtimes skipped before they ran, with why. */
  skipped: Record<string, string>;
}

export interface BenchReport {
  date: string;
  machine: MachineInfo;
  settings: Settings;
  rates: Rates & { matmulSize: number; streamMb: number };
  models: ModelReport[];
  durationS: number;
}

const TASK_LABEL: Record<TaskName, (s: Settings) => string> = {
  encoder: () => 'encoder, 1 image',
  greedy: (s) => `greedy, 1 image × ${s.newTokens} tokens`,
  beam: (s) => `beam ${s.numBeams}, 1 image × ${s.newTokens} tokens`,
  batch: (s) => `greedy, batch of ${s.batchSize} × ${s.newTokens} tokens`,
};
const TASK_ORDER: TaskName[] = ['encoder', 'greedy', 'beam', 'batch'];

function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

/** Small differences in scientific notation (3.00e-5), others with 3 significant digits. */
export function fmtDiff(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) < 1e-2 ? x.toExponential(2) : x.toPrecision(3);
}

function fmtRatio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`;
}

function cell(times: readonly number[] | undefined): string {
  const s = times === undefined ? undefined : summarize(times);
  if (s === undefined) return 'n/a';
  return s.n === 1 ? fmtMs(s.median) : `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})`;
}

export function findResult(m: ModelReport, runtime: string, dtype: Dtype = 'fp32'): RunResult | undefined {
  return m.results.find((r) => r.runtime === runtime && r.dtype === dtype);
}

function taskMedian(r: RunResult | undefined, t: TaskName): number | undefined {
  const times = r?.tasks[t]?.timesMs;
  return times && times.length > 0 ? summarize(times)!.median : undefined;
}

function why(r: RunResult | undefined, t: TaskName): string | undefined {
  if (r === undefined) return undefined;
  return r.error ?? r.tasks[t]?.skipped;
}

/** The floor of a task for a dtype (ms). */
export function taskFloor(m: ModelReport, rates: Rates, s: Settings, t: TaskName, dtype: string, withCrossKv: boolean): Floor {
  switch (t) {
    case 'encoder':
      return encoderFloor(m.shape, rates, withCrossKv, dtype);
    case 'greedy':
      return generateFloor(m.shape, rates, { images: 1, rows: 1, newTokens: s.newTokens, dtype });
    case 'beam':
      return generateFloor(m.shape, rates, { images: 1, rows: s.numBeams, newTokens: s.newTokens, dtype });
    case 'batch':
      return generateFloor(m.shape, rates, { images: s.batchSize, rows: s.batchSize, newTokens: s.newTokens, dtype });
  }
}

function mib(bytes: number): number {
  return bytes / 2 ** 20;
}

function speedTable(m: ModelReport, report: BenchReport): string[] {
  const s = report.settings;
  const ved = findResult(m, 'ved');
  const tjs = findResult(m, 'transformers.js');
  const pt = findResult(m, 'pytorch');
  const lines = [
    `| ${s.threads} threads | ved fp32 | transformers.js fp32 | PyTorch fp32 | ved / PyTorch | ved / transformers.js | floor |`,
    '|---|---|---|---|---|---|---|',
  ];
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a / b : undefined);
  const load = (r: RunResult | undefined) => (r?.loadMs === undefined ? 'n/a' : fmtMs(r.loadMs));
  lines.push(`| load (ms) | ${load(ved)} | ${load(tjs)} | ${load(pt)} | ${fmtRatio(ratio(ved?.loadMs, pt?.loadMs))} | ${fmtRatio(ratio(ved?.loadMs, tjs?.loadMs))} | |`);
  for (const t of TASK_ORDER) {
    if (![ved, tjs, pt].some((r) => r?.tasks[t] !== undefined)) continue;
    const floor = taskFloor(m, report.rates, s, t, 'fp32', false).floorMs;
    const v = taskMedian(ved, t);
    lines.push(
      `| ${TASK_LABEL[t](s)} (ms) | ${cell(ved?.tasks[t]?.timesMs)} | ${cell(tjs?.tasks[t]?.timesMs)} | ${cell(pt?.tasks[t]?.timesMs)} | ` +
        `${fmtRatio(ratio(v, taskMedian(pt, t)))} | ${fmtRatio(ratio(v, taskMedian(tjs, t)))} | ${fmtMs(floor)} |`,
    );
  }
  const rest = (r: RunResult | undefined) => (r?.rssAfterLoadMb === undefined ? 'n/a' : r.rssAfterLoadMb.toFixed(0));
  lines.push(
    `| RSS after load (MiB) | ${rest(ved)} | ${rest(tjs)} | ${rest(pt)} | ${fmtRatio(ratio(ved?.rssAfterLoadMb, pt?.rssAfterLoadMb))} | ` +
      `${fmtRatio(ratio(ved?.rssAfterLoadMb, tjs?.rssAfterLoadMb))} | |`,
  );
  const rss = (r: RunResult | undefined) => (r?.peakRssMb === undefined ? 'n/a' : r.peakRssMb.toFixed(0));
  lines.push(
    `| peak RSS (MiB) | ${rss(ved)} | ${rss(tjs)} | ${rss(pt)} | ${fmtRatio(ratio(ved?.peakRssMb, pt?.peakRssMb))} | ` +
      `${fmtRatio(ratio(ved?.peakRssMb, tjs?.peakRssMb))} | weights ${mib(m.weightBytes).toFixed(0)} |`,
  );
  return lines;
}

function floorTable(m: ModelReport, report: BenchReport): string[] {
  const s = report.settings;
  const runs = [findResult(m, 'ved'), findResult(m, 'transformers.js'), findResult(m, 'pytorch')];
  const lines = [
    '| task | compute floor (ms) | memory floor (ms) | floor (ms) | ved × floor | transformers.js × floor | PyTorch × floor |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const t of TASK_ORDER) {
    if (!runs.some((r) => r?.tasks[t] !== undefined)) continue;
    const f = taskFloor(m, report.rates, s, t, 'fp32', false);
    const x = (r: RunResult | undefined) => {
      const med = taskMedian(r, t);
      return med === undefined ? 'n/a' : fmtRatio(med / f.floorMs);
    };
    lines.push(`| ${TASK_LABEL[t](s)} | ${fmtMs(f.computeMs)} | ${fmtMs(f.memoryMs)} | ${fmtMs(f.floorMs)} | ${runs.map(x).join(' | ')} |`);
  }
  return lines;
}

function agreementTable(m: ModelReport, report: BenchReport): string[] {
  const s = report.settings;
  const ved = findResult(m, 'ved');
  const tjs = findResult(m, 'transformers.js');
  const pt = findResult(m, 'pytorch');
  const lines = ['| generated ids | ved vs PyTorch | ved vs transformers.js | transformers.js vs PyTorch |', '|---|---|---|---|'];
  for (const t of ['greedy', 'beam', 'batch'] as const) {
    const seq = (r: RunResult | undefined) => r?.tasks[t]?.sequences;
    const pair = (a: RunResult | undefined, b: RunResult | undefined) => {
      const x = seq(a);
      const y = seq(b);
      return x && y ? formatAgreement(agreement(x, y)) : 'n/a';
    };
    if (![ved, tjs, pt].some((r) => seq(r) !== undefined)) continue;
    lines.push(`| ${TASK_LABEL[t](s)} | ${pair(ved, pt)} | ${pair(ved, tjs)} | ${pair(tjs, pt)} |`);
  }
  return lines;
}

function lengthNotes(m: ModelReport, report: BenchReport): string[] {
  const expected = report.settings.newTokens + 1;
  const notes: string[] = [];
  for (const r of m.results) {
    for (const t of ['greedy', 'beam', 'batch'] as const) {
      const seqs = r.tasks[t]?.sequences;
      if (!seqs) continue;
      const bad = wrongLengths(seqs, expected);
      if (bad.length > 0) {
        notes.push(`- ${r.runtime} ${r.dtype} ${t}: rows ${bad.join(', ')} have ${bad.map((i) => seqs[i]!.length).join(', ')} ids instead of ${expected} (it stopped early or ran long: it did not do the same work).`);
      }
    }
  }
  return notes;
}

/** Estimated weight bytes of a dtype: every weight at the dtype's bytes per parameter (embeddings and norms are a small share). */
export function dtypeWeightBytes(m: ModelReport, dtype: string): number {
  return (m.weightBytes * (WEIGHT_BYTES[dtype] ?? 4)) / 4;
}

function dtypeTable(m: ModelReport, report: BenchReport): string[] {
  const s = report.settings;
  const rows = m.results.filter((r) => r.runtime === 'ved');
  if (rows.length <= 1) return [];
  const fp32 = findResult(m, 'ved');
  const lines = [
    `| ved dtype | weights (MiB, est.) | load (ms) | encoder (ms) | greedy (ms) | beam ${s.numBeams} (ms) | batch ${s.batchSize} (ms) | peak RSS (MiB) | greedy ids vs fp32 (batch of ${s.batchSize}) | max \\|Δ logit\\| vs fp32 | greedy × floor |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const reason = r.error ?? Object.values(r.tasks).find((t) => t?.skipped && t.timesMs.length === 0 && r.dtype !== 'fp32')?.skipped;
    if (r.dtype !== 'fp32' && reason !== undefined && TASK_ORDER.every((t) => (r.tasks[t]?.timesMs.length ?? 0) === 0)) {
      lines.push(`| ${r.dtype} | ${mib(dtypeWeightBytes(m, r.dtype)).toFixed(0)} | n/a: ${reason} | | | | | | | | |`);
      continue;
    }
    const ids = r.tasks.batch?.sequences && fp32?.tasks.batch?.sequences ? formatAgreement(agreement(r.tasks.batch.sequences, fp32.tasks.batch.sequences)) : 'n/a';
    const diff = r.dtype === 'fp32' ? '0' : ((m.logitDiffs[`ved ${r.dtype} vs ved fp32`] === undefined ? 'n/a' : fmtDiff(m.logitDiffs[`ved ${r.dtype} vs ved fp32`]!)));
    const g = taskMedian(r, 'greedy');
    const floor = taskFloor(m, report.rates, s, 'greedy', r.dtype, true).floorMs;
    lines.push(
      `| ${r.dtype} | ${mib(dtypeWeightBytes(m, r.dtype)).toFixed(0)} | ${r.loadMs === undefined ? 'n/a' : fmtMs(r.loadMs)} | ${cell(r.tasks.encoder?.timesMs)} | ` +
        `${cell(r.tasks.greedy?.timesMs)} | ${cell(r.tasks.beam?.timesMs)} | ${cell(r.tasks.batch?.timesMs)} | ${r.peakRssMb?.toFixed(0) ?? 'n/a'} | ${ids} | ${diff} | ${g === undefined ? 'n/a' : fmtRatio(g / floor)} |`,
    );
  }
  return lines;
}

interface Target {
  what: string;
  goal: string;
  measured: number | undefined;
  /** met when measured ≤ limit (or ≥ when `atLeast`). */
  limit: number;
  atLeast?: boolean;
}

export function targets(m: ModelReport, report: BenchReport): Target[] {
  const s = report.settings;
  const ved = findResult(m, 'ved');
  const tjs = findResult(m, 'transformers.js');
  const pt = findResult(m, 'pytorch');
  const q8 = findResult(m, 'ved', 'q8');
  const div = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a / b : undefined);
  const greedyFloor = taskFloor(m, report.rates, s, 'greedy', 'fp32', true).floorMs;
  const out: Target[] = [
    { what: 'fp32 greedy, 1 image: ved / PyTorch', goal: '≤ 1.0×', measured: div(taskMedian(ved, 'greedy'), taskMedian(pt, 'greedy')), limit: 1.0 },
    { what: 'fp32 greedy, 1 image: ved / transformers.js', goal: '≤ 0.6×', measured: div(taskMedian(ved, 'greedy'), taskMedian(tjs, 'greedy')), limit: 0.6 },
    { what: 'fp32 greedy, 1 image: ved / floor', goal: '≤ 1.15×', measured: div(taskMedian(ved, 'greedy'), greedyFloor), limit: 1.15 },
    { what: `fp32 beam ${s.numBeams}: ved / PyTorch`, goal: '≤ 0.75×', measured: div(taskMedian(ved, 'beam'), taskMedian(pt, 'beam')), limit: 0.75 },
    {
      what: `fp32 batch of ${s.batchSize}: ved throughput / PyTorch's`,
      goal: '≥ 1.15×',
      measured: div(taskMedian(pt, 'batch'), taskMedian(ved, 'batch')),
      limit: 1.15,
      atLeast: true,
    },
    { what: 'q8 greedy: ved q8 / PyTorch fp32', goal: '≤ 0.5×', measured: div(taskMedian(q8, 'greedy'), taskMedian(pt, 'greedy')), limit: 0.5 },
  ];
  for (const r of m.results.filter((x) => x.runtime === 'ved')) {
    out.push({
      what: `peak RSS / weight bytes, ved ${r.dtype}`,
      goal: '≤ 1.5×',
      measured: r.peakRssMb === undefined || taskMedian(r, 'greedy') === undefined ? undefined : (r.peakRssMb * 2 ** 20) / dtypeWeightBytes(m, r.dtype),
      limit: 1.5,
    });
  }
  return out;
}

function targetTable(m: ModelReport, report: BenchReport): string[] {
  const lines = ['| target (issue 10) | goal | measured | met |', '|---|---|---|---|'];
  for (const t of targets(m, report)) {
    const met = t.measured === undefined ? 'n/a' : (t.atLeast ? t.measured >= t.limit : t.measured <= t.limit) ? 'yes' : 'no';
    lines.push(`| ${t.what} | ${t.goal} | ${fmtRatio(t.measured)} | ${met} |`);
  }
  return lines;
}

function notes(m: ModelReport): string[] {
  const out: string[] = [];
  for (const [runtime, reason] of Object.entries(m.skipped)) out.push(`- ${runtime}: not run: ${reason}`);
  for (const r of m.results) {
    if (r.error) out.push(`- ${r.runtime} ${r.dtype}: failed: ${r.error}`);
    for (const t of TASK_ORDER) {
      const reason = why(r, t);
      if (!r.error && reason && r.dtype === 'fp32') out.push(`- ${r.runtime} ${t}: n/a: ${reason}`);
    }
    for (const n of r.notes ?? []) out.push(`- ${r.runtime} ${r.dtype}: ${n}`);
  }
  const loads = m.results.filter((r) => r.loadAverage !== undefined);
  if (loads.length > 0) {
    out.push(`- load average when each run started: ${loads.map((r) => `${r.runtime} ${r.dtype} ${r.loadAverage!.toFixed(1)}`).join(', ')}`);
  }
  for (const [k, v] of Object.entries(m.logitDiffs)) out.push(`- teacher-forced logits, max |difference|, ${k}: ${fmtDiff(v)}`);
  if (m.floatNoise !== undefined) {
    out.push(
      `- for scale: the largest |logit| is ${m.floatNoise.maxAbsLogit.toPrecision(3)}; PyTorch's own eager and default attention differ by up to ${fmtDiff(m.floatNoise.eagerVsDefault)}`,
    );
  }
  if (m.greedyMargin !== undefined) {
    out.push(`- smallest top-2 logit margin of PyTorch's greedy decisions on these images: ${fmtDiff(m.greedyMargin)} (ids can differ where float noise exceeds it)`);
  }
  return out;
}

export function renderReport(report: BenchReport): string {
  const { machine: mc, settings: s, rates } = report;
  const out: string[] = [
    `# ved benchmark, ${report.date}`,
    '',
    `Machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memoryGb.toFixed(0)} GB, ${mc.platform}, Node ${mc.node}. ` +
      `Load average ${mc.loadStart.toFixed(2)} at the start, ${mc.loadEnd.toFixed(2)} at the end` +
      (Math.max(mc.loadStart, mc.loadEnd) > mc.cores * 0.5 ? ' (the machine was busy: numbers are noisy).' : '.'),
    '',
    `Settings: ${s.threads} intra-op threads (1 inter-op) in every runtime; ${s.warmup} warm-up run(s), then ${s.runs} measured runs ` +
      `(${s.encoderRuns} for the encoder); ${s.newTokens} new tokens forced (min = max new tokens). Cells: median (min–max), milliseconds. ` +
      `Ratios < 1 mean ved takes less time.`,
    '',
    `Machine floors (onnxruntime-node, ${s.threads} threads): fp32 MatMul ${rates.matmulSize}³ at **${rates.gflops.toFixed(1)} GFLOP/s**; ` +
      `fp32 matrix-vector product over a ${rates.streamMb.toFixed(0)} MB weight at **${rates.gbps.toFixed(1)} GB/s**. ` +
      'A task\'s floor: the encoder\'s FLOPs at the matmul rate, plus per decoding step the larger of its FLOPs at the matmul rate and ' +
      'the bytes it must read (decoder weights once, caches per row) at the streaming rate.',
    '',
  ];
  for (const m of report.models) {
    out.push(`## ${m.model}: ${m.description}`, '');
    out.push(`${(m.parameters / 1e6).toFixed(1)}M parameters, ${mib(m.weightBytes).toFixed(0)} MiB of fp32 weights (random, seeded).`, '');
    out.push(...speedTable(m, report), '');
    out.push('Distance from the floors:', '', ...floorTable(m, report), '');
    out.push('Same work, same answers (token agreement of the generated ids, start token excluded; rows identical):', '', ...agreementTable(m, report), '');
    const dt = dtypeTable(m, report);
    if (dt.length > 0) out.push('ved weight types:', '', ...dt, '');
    out.push(...targetTable(m, report), '');
    const n = [...lengthNotes(m, report), ...notes(m)];
    if (n.length > 0) out.push('Notes:', '', ...n, '');
  }
  out.push(`Bench duration: ${report.durationS.toFixed(0)} s.`, '');
  return out.join('\n');
}
