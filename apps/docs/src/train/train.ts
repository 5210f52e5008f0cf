/**
 * The site's training page (train.html): loads the default model into a
 * training Web Worker (`@ved/backend-web/training-worker`), draws the lines the
 * visitor types as light text on a dark background (a domain the model reads
 * badly), reads them, fine-tunes on them with a live loss chart, and reads
 * them again with the fine-tuned weights.
 *
 * `body[data-state]` says where the page is (loading, ready, reading,
 * training, done, error), for people and for the end-to-end test.
 */
import { TrainingWorker, type DownloadProgress, type WebRuntimeReport, type WorkerTrainOptions } from '@ved/backend-web/lite';

type StepMetrics = Parameters<NonNullable<WorkerTrainOptions['onStep']>>[0];

interface DemoConfig {
  model: string;
  example: string;
  ort: string;
}

type State = 'loading' | 'ready' | 'reading' | 'training' | 'done' | 'error';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`train.html has no #${id}`);
  return element as T;
};

const config = JSON.parse($('demo-config').textContent ?? '{}') as DemoConfig;
const params = new URLSearchParams(location.search);
const threads = params.has('threads') ? Number(params.get('threads')) : undefined;
const learningRate = params.has('lr') ? Number(params.get('lr')) : 1e-3;

const progressBar = $<HTMLProgressElement>('progress');
const progressText = $('progress-text');
const runtimeText = $('runtime');
const linesInput = $<HTMLTextAreaElement>('lines');
const stepsInput = $<HTMLInputElement>('steps');
const readButton = $<HTMLButtonElement>('read');
const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
const readings = $<HTMLTableElement>('readings').tBodies[0]!;
const lossLine = document.getElementById('loss-line') as unknown as SVGPolylineElement;
const lossText = $('loss-text');
const status = $('status');
if (params.has('steps')) stepsInput.value = params.get('steps')!;

function setState(state: State): void {
  document.body.dataset.state = state;
}

const worker = new TrainingWorker(new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' }));

function describe(report: WebRuntimeReport): string {
  return `Running on WebAssembly, ${report.numThreads} thread${report.numThreads === 1 ? '' : 's'}${report.crossOriginIsolated ? ', cross-origin isolated' : ''}.`;
}

async function load(): Promise<boolean> {
  setState('loading');
  const files = new Map<string, DownloadProgress>();
  try {
    const report = await worker.load(config.model, {
      device: 'wasm',
      wasmPaths: new URL(config.ort, location.href).href,
      ...(threads !== undefined ? { numThreads: threads } : {}),
      onProgress: (p) => {
        files.set(p.file, p);
        let loaded = 0;
        let total = 0;
        for (const f of files.values()) {
          loaded += f.loaded;
          total += f.total ?? f.loaded;
        }
        progressBar.value = total === 0 ? 0 : loaded / total;
        progressText.textContent = `${p.file}, ${(loaded / 1e6).toFixed(2)} of ${(total / 1e6).toFixed(2)} MB`;
      },
    });
    progressBar.value = 1;
    progressText.textContent = 'Ready.';
    runtimeText.textContent = describe(report);
    status.textContent = 'Read the lines, or fine-tune on them.';
    setState('ready');
    return true;
  } catch (error) {
    status.textContent = `Could not load the model: ${(error as Error).message}`;
    setState('error');
    return false;
  }
}

/** The visitor's lines (trimmed, non-empty, at most 24 characters, at most 8 lines). */
function lines(): string[] {
  return linesInput.value
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' ').slice(0, 24))
    .filter((l) => l !== '')
    .slice(0, 8);
}

/** One line drawn as light text on a dark background, tightly cropped with some padding. */
function render(text: string): HTMLCanvasElement {
  const size = 24;
  const font = `${size}px "DejaVu Sans", Verdana, sans-serif`;
  const measure = document.createElement('canvas').getContext('2d')!;
  measure.font = font;
  const pad = Math.round(size / 3);
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(measure.measureText(text).width) + 2 * pad;
  canvas.height = Math.round(size * 1.3) + 2 * pad;
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#1c2333';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.font = font;
  g.fillStyle = '#f2f2e8';
  g.textBaseline = 'middle';
  g.fillText(text, pad, canvas.height / 2);
  return canvas;
}

let current: { texts: string[]; canvases: HTMLCanvasElement[] } = { texts: [], canvases: [] };

function showLines(): void {
  const texts = lines();
  const canvases = texts.map(render);
  current = { texts, canvases };
  readings.replaceChildren(
    ...texts.map((text, i) => {
      const row = document.createElement('tr');
      const image = document.createElement('td');
      image.append(canvases[i]!);
      const target = document.createElement('td');
      target.textContent = text;
      row.append(image, target, document.createElement('td'), document.createElement('td'));
      return row;
    }),
  );
}

async function read(column: 2 | 3): Promise<void> {
  setState('reading');
  status.textContent = 'Reading…';
  const { texts } = await worker.caption(current.canvases, { numBeams: 1 });
  texts.forEach((text, i) => {
    const cell = readings.rows[i]?.cells[column];
    if (cell) {
      cell.textContent = text;
      cell.className = text === current.texts[i] ? 'right' : 'wrong';
    }
  });
  const right = texts.filter((t, i) => t === current.texts[i]).length;
  status.textContent = `${right} of ${texts.length} read right.`;
}

function plot(steps: StepMetrics[]): void {
  const max = Math.max(...steps.map((s) => s.loss), 1e-6);
  const total = Math.max(steps[0]?.totalSteps ?? 1, 2);
  lossLine.setAttribute('points', steps.map((s) => `${((s.step - 1) / (total - 1)) * 396 + 2},${158 - (s.loss / max) * 150}`).join(' '));
  const last = steps[steps.length - 1];
  if (last) lossText.textContent = `step ${last.step}/${last.totalSteps}: loss ${last.loss.toFixed(4)} (first ${steps[0]!.loss.toFixed(4)})`;
}

const loaded = load();
let busy = false;
let controller: AbortController | undefined;

async function run(task: () => Promise<void>): Promise<void> {
  if (busy || !(await loaded)) return;
  busy = true;
  readButton.disabled = trainButton.disabled = linesInput.disabled = true;
  try {
    await task();
    setState('done');
  } catch (error) {
    status.textContent = `Failed: ${(error as Error).message}`;
    setState('error');
  } finally {
    busy = false;
    readButton.disabled = trainButton.disabled = linesInput.disabled = false;
    stopButton.disabled = true;
  }
}

readButton.addEventListener('click', () =>
  void run(async () => {
    showLines();
    await read(2);
  }),
);

trainButton.addEventListener('click', () =>
  void run(async () => {
    if (current.texts.join('\n') !== lines().join('\n') || readings.rows.length === 0) {
      showLines();
      await read(2);
    }
    setState('training');
    controller = new AbortController();
    stopButton.disabled = false;
    const steps: StepMetrics[] = [];
    const started = performance.now();
    status.textContent = 'Fine-tuning…';
    const result = await worker.train(
      current.canvases.map((image, i) => ({ image, text: current.texts[i]! })),
      { maxSteps: Math.max(1, Math.min(200, Number(stepsInput.value) || 20)), learningRate, batchSize: 4, lrSchedulerType: 'constant', maxGradNorm: 1, dropout: false, seed: 0, appendEosToken: true },
      {
        signal: controller.signal,
        onStep: (m) => {
          steps.push(m);
          plot(steps);
          status.textContent = `Fine-tuning: step ${m.step} of ${m.totalSteps}, ${((performance.now() - started) / 1000).toFixed(1)} s`;
        },
      },
    );
    const trainedIn = `${result.aborted ? 'Stopped after' : 'Trained'} ${result.globalStep} steps in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
    await read(3);
    status.textContent = `${trainedIn} ${status.textContent}`;
  }),
);

stopButton.addEventListener('click', () => controller?.abort());
showLines();
