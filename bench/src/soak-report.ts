/** The soak's results: memory samples, their flatness, and the markdown report. */

export interface MemorySample {
  /** Generations done when sampled. */
  done: number;
  seconds: number;
  rssMB: number;
  heapMB: number;
  /** `external + arrayBuffers`: typed arrays and onnxruntime tensors held from JavaScript. */
  externalMB: number;
}

export interface SoakPart {
  name: string;
  /** Whether the part held (outputs right, memory flat). */
  ok: boolean;
  summary: string;
  figures: Record<string, number>;
  samples?: MemorySample[];
}

export interface SoakReport {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string };
  options: object;
  parts: SoakPart[];
}

export interface Flatness {
  /** RSS at the first sample after warm-up (the first quarter of the run), and at the end. */
  firstMB: number;
  lastMB: number;
  firstHeapMB: number;
  lastHeapMB: number;
  /** Least-squares growth of RSS across the last three quarters of the run (slope × span), in MB. */
  growthMB: number;
  /** Highest RSS sampled. */
  maxMB: number;
}

/** Ordinary least-squares slope of `y` over `x`. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i]! - mx) * (y[i]! - my);
    den += (x[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** How flat RSS stays once warm: samples of the first quarter are warm-up. */
export function flatness(samples: readonly MemorySample[]): Flatness {
  if (samples.length === 0) throw new Error('flatness: no samples');
  const end = samples[samples.length - 1]!.done;
  const warm = samples.filter((s) => s.done >= end / 4);
  const used = warm.length >= 2 ? warm : samples;
  const x = used.map((s) => s.done);
  const growth = slope(
    x,
    used.map((s) => s.rssMB),
  );
  return {
    firstMB: used[0]!.rssMB,
    lastMB: used[used.length - 1]!.rssMB,
    firstHeapMB: used[0]!.heapMB,
    lastHeapMB: used[used.length - 1]!.heapMB,
    growthMB: growth * (x[x.length - 1]! - x[0]!),
    maxMB: Math.max(...samples.map((s) => s.rssMB)),
  };
}

/** The `q` quantile (0–1) of `values`, nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function renderSoakReport(report: SoakReport): string {
  const m = report.machine;
  const lines = [
    `# ved soak run, ${report.date.slice(0, 10)}`,
    '',
    `${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node}.`,
    '',
    '| part | held | result |',
    '|---|---|---|',
    ...report.parts.map((p) => `| ${p.name} | ${p.ok ? 'yes' : '**no**'} | ${p.summary} |`),
    '',
  ];
  const generate = report.parts.find((p) => p.samples !== undefined);
  if (generate?.samples) {
    lines.push(`RSS during \`${generate.name}\` (MB, after a garbage collection):`, '', '| generations | seconds | RSS | heap | external |', '|---|---|---|---|---|');
    const step = Math.max(1, Math.floor(generate.samples.length / 10));
    generate.samples
      .filter((_, i) => i % step === 0 || i === generate.samples!.length - 1)
      .forEach((s) => lines.push(`| ${s.done} | ${s.seconds.toFixed(0)} | ${s.rssMB.toFixed(0)} | ${s.heapMB.toFixed(1)} | ${s.externalMB.toFixed(1)} |`));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
