/** What the browser bench's Node side (browser.ts) asks its page (bench/browser/page.ts) for, and the answer. */
export interface BrowserRequest {
  runtime: 'ved' | 'transformers.js';
  model: string;
  threads: number;
  warmup: number;
  /** Warm-up runs go on until this much time has passed since the first (WebAssembly tier-up; see browser.ts). */
  warmupMs: number;
  runs: number;
  newTokens: number;
  numBeams: number;
  batchSize: number;
  tasks: Array<'encoder' | 'greedy' | 'beam' | 'batch'>;
}

export interface BrowserResult {
  runtime: string;
  threads: number;
  crossOriginIsolated: boolean;
  loadMs: number;
  tasks: Record<string, { timesMs: number[]; sequences?: number[][]; skipped?: string }>;
  error?: string;
}
