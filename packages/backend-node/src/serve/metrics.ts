/**
 * `GET /metrics` of `ved serve`, in Prometheus' text format (prom-client):
 * requests by status, queue depth, rows per decoder step, tokens and tokens/s,
 * latency histograms (request, queue wait, decoder step, encoder run), and
 * the process' own metrics (RSS, heap, event loop lag).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EncodeInfo, StepInfo } from '@ved/generation';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const STEP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'status'>;
  readonly requestSeconds: Histogram<'status'>;
  readonly queueWaitSeconds: Histogram;
  readonly stepRows: Histogram;
  readonly stepSeconds: Histogram;
  readonly encodeSeconds: Histogram;
  readonly encodeImages: Histogram;
  readonly tokens: Counter;
  /** Token counts of the last 10 s, for the tokens/s gauge. */
  private readonly recent: Array<{ at: number; tokens: number }> = [];

  constructor(state: { queueDepth: () => number; activeRows: () => number; inFlight: () => number }) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'ved_requests_total', help: 'Caption requests answered, by HTTP status.', labelNames: ['status'], registers });
    this.requestSeconds = new Histogram({
      name: 'ved_request_duration_seconds',
      help: 'Time from a caption request\'s arrival to its answer, by HTTP status.',
      labelNames: ['status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queueWaitSeconds = new Histogram({ name: 'ved_queue_wait_seconds', help: 'Time a request waited before its image was encoded.', buckets: LATENCY_BUCKETS, registers });
    this.stepRows = new Histogram({ name: 'ved_batch_rows', help: 'Rows in each decoder step (a beam request takes num_beams rows).', buckets: ROW_BUCKETS, registers });
    this.stepSeconds = new Histogram({ name: 'ved_step_duration_seconds', help: 'Wall time of each decoder step.', buckets: STEP_BUCKETS, registers });
    this.encodeSeconds = new Histogram({ name: 'ved_encode_duration_seconds', help: 'Wall time of each encoder run.', buckets: LATENCY_BUCKETS, registers });
    this.encodeImages = new Histogram({ name: 'ved_encode_batch_images', help: 'Images in each encoder run.', buckets: ROW_BUCKETS, registers });
    this.tokens = new Counter({ name: 'ved_generated_tokens_total', help: 'Tokens generated (summed over rows).', registers });
    new Gauge({ name: 'ved_queue_depth', help: 'Requests accepted and waiting for the encoder.', registers, collect() { this.set(state.queueDepth()); } });
    new Gauge({ name: 'ved_active_rows', help: 'Decoder rows in the running batch.', registers, collect() { this.set(state.activeRows()); } });
    new Gauge({ name: 'ved_requests_in_flight', help: 'Requests accepted and not answered yet.', registers, collect() { this.set(state.inFlight()); } });
    const recent = this.recent;
    new Gauge({
      name: 'ved_tokens_per_second',
      help: 'Generated tokens per second over the last 10 seconds.',
      registers,
      collect() {
        const now = performance.now();
        while (recent.length > 0 && recent[0]!.at < now - 10_000) recent.shift();
        this.set(recent.reduce((n, r) => n + r.tokens, 0) / 10);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'ved_' });
  }

  onStep(info: StepInfo): void {
    this.stepRows.observe(info.rows);
    this.stepSeconds.observe(info.ms / 1000);
    this.tokens.inc(info.tokens);
    const now = performance.now();
    this.recent.push({ at: now, tokens: info.tokens });
    while (this.recent.length > 0 && this.recent[0]!.at < now - 10_000) this.recent.shift();
  }

  onEncode(info: EncodeInfo): void {
    this.encodeSeconds.observe(info.ms / 1000);
    this.encodeImages.observe(info.images);
    for (const ms of info.waitedMs) this.queueWaitSeconds.observe(ms / 1000);
  }

  private answered = { seconds: 0, count: 0 };

  /** Mean time to a 200 answer so far (1 s before the first). */
  get meanAnswerSeconds(): number {
    return this.answered.count === 0 ? 1 : this.answered.seconds / this.answered.count;
  }

  onAnswer(status: number, seconds: number): void {
    if (status === 200) {
      this.answered.seconds += seconds;
      this.answered.count += 1;
    }
    this.requests.inc({ status: String(status) });
    this.requestSeconds.observe({ status: String(status) }, seconds);
  }
}
