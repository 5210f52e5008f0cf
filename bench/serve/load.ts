/**
 * One load level of `pnpm bench:serve`: autocannon keeps `clients` requests
 * in flight (each client sends its next request when the last is answered)
 * until `amount` have been answered. Throughput is 2xx answers per second of
 * wall time, from the start to the last answer (autocannon itself ends on its
 * one-second tick, which would round short runs up); latencies are taken from every answered request (autocannon
 * reports no p95, so the percentiles are computed here from the samples).
 */
import autocannon from 'autocannon';

export interface LevelResult {
  clients: number;
  requests: number;
  ok: number;
  /** 503 answers (the queue was full). */
  shed: number;
  /** Other non-2xx answers, errors and timeouts. */
  failed: number;
  seconds: number;
  /** 2xx answers per second. */
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function runLevel(base: string, path: string, body: Buffer, clients: number, amount: number): Promise<LevelResult> {
  const okLatencies: number[] = [];
  let shed = 0;
  let failed = 0;
  let ok = 0;
  const started = performance.now();
  let last = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: new URL(path, base).href, connections: clients, amount, method: 'POST', headers: { 'content-type': 'image/png' }, body, timeout: 900 },
      (err, result) => {
        if (err) return reject(err);
        const seconds = (last - started) / 1000;
        failed += result.errors + result.timeouts;
        okLatencies.sort((a, b) => a - b);
        resolve({
          clients,
          requests: ok + shed + failed,
          ok,
          shed,
          failed,
          seconds,
          throughput: ok / seconds,
          p50: percentile(okLatencies, 50),
          p95: percentile(okLatencies, 95),
          p99: percentile(okLatencies, 99),
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      last = performance.now();
      if (status >= 200 && status < 300) {
        ok += 1;
        okLatencies.push(ms);
      } else if (status === 503) shed += 1;
      else failed += 1;
    });
  });
}
