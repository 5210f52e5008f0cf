/**
 * The site's live demo (demo.html): loads the default model served with the
 * site into a Web Worker (`@ved/backend-web/worker`) with a progress bar, then
 * reads the image the visitor picks, or the bundled example, showing the text
 * token by token as it is generated. The build writes where the model, the
 * example and onnxruntime-web's files are into `<script id="demo-config">`.
 * Address options: `model` (URL or hub repository id), `device`, `threads`.
 *
 * `body[data-state]` says where the page is (loading, ready, captioning, done,
 * error), for people and for the end-to-end test.
 */
import { CaptionWorker, type DownloadProgress, type WebRuntimeReport } from '@ved/backend-web/lite';

interface DemoConfig {
  model: string;
  example: string;
  ort: string;
}

type State = 'loading' | 'ready' | 'captioning' | 'done' | 'error';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`demo.html has no #${id}`);
  return element as T;
};

const config = JSON.parse($('demo-config').textContent ?? '{}') as DemoConfig;
const params = new URLSearchParams(location.search);
const model = params.get('model') ?? config.model;
const device = params.get('device') ?? 'wasm';
const threads = params.has('threads') ? Number(params.get('threads')) : undefined;

const progressBar = $<HTMLProgressElement>('progress');
const progressText = $('progress-text');
const runtimeText = $('runtime');
const imageInput = $<HTMLInputElement>('image');
const exampleButton = $<HTMLButtonElement>('try-example');
const figure = $('figure');
const preview = $<HTMLImageElement>('preview');
const caption = $('caption');
const status = $('status');

function setState(state: State): void {
  document.body.dataset.state = state;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** Overall progress of every file seen so far (files arrive one after another). */
function trackProgress(): (p: DownloadProgress) => void {
  const files = new Map<string, DownloadProgress>();
  return (p) => {
    files.set(p.file, p);
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += f.total ?? f.loaded;
    }
    progressBar.value = total === 0 ? 0 : loaded / total;
    progressText.textContent = `${p.fromCache ? 'From the browser cache: ' : ''}${p.file}, ${mb(loaded)} of ${mb(total)}`;
  };
}

function describe(report: WebRuntimeReport): string {
  const where = report.device === 'wasm' ? `WebAssembly, ${report.numThreads} thread${report.numThreads === 1 ? '' : 's'}` : `WebGPU (${report.adapter ?? 'adapter'})`;
  return `Running on ${where}${report.crossOriginIsolated ? ', cross-origin isolated' : ''}.${report.fallbackReason ? ` ${report.fallbackReason}.` : ''}`;
}

const worker = new CaptionWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));

async function load(): Promise<boolean> {
  setState('loading');
  status.textContent = 'Loading the model…';
  const started = performance.now();
  try {
    const report = await worker.load(model, {
      device: device as 'wasm' | 'webgpu' | 'auto',
      wasmPaths: new URL(config.ort, location.href).href,
      ...(threads !== undefined ? { numThreads: threads } : {}),
      onProgress: trackProgress(),
    });
    progressBar.value = 1;
    progressText.textContent = `Ready (${Math.round(performance.now() - started)} ms).`;
    runtimeText.textContent = describe(report);
    status.textContent = 'Choose an image, or try the example.';
    setState('ready');
    return true;
  } catch (error) {
    progressText.textContent = 'Failed.';
    status.textContent = `Could not load the model ${model}: ${(error as Error).message}`;
    setState('error');
    return false;
  }
}

const loaded = load();
let busy = false;

async function read(image: File | string, shown: string): Promise<void> {
  if (busy) return;
  busy = true;
  imageInput.disabled = true;
  exampleButton.disabled = true;
  preview.src = shown;
  figure.hidden = false;
  caption.textContent = '';
  try {
    if (!(await loaded)) return;
    setState('captioning');
    caption.classList.add('streaming');
    status.textContent = 'Reading…';
    const started = performance.now();
    let tokens = 0;
    // Greedy search, so that each token shows as it comes: beam search keeps several candidates to
    // the end, and generate() refuses to stream it, as Python's streamers do (the default model's own
    // generation config asks for 4 beams; on this example both read the same).
    const { texts } = await worker.caption([image], {
      numBeams: 1,
      onToken: (event) => {
        tokens = event.step + 1;
        caption.textContent = event.texts[0] ?? '';
      },
    });
    caption.textContent = texts[0] ?? '';
    status.textContent = `${tokens} tokens in ${Math.round(performance.now() - started)} ms.`;
    setState('done');
  } catch (error) {
    status.textContent = `Could not read the image: ${(error as Error).message}`;
    setState('error');
  } finally {
    caption.classList.remove('streaming');
    imageInput.disabled = false;
    // Picking the same file again reads it again.
    imageInput.value = '';
    exampleButton.disabled = false;
    busy = false;
  }
}

imageInput.addEventListener('change', () => {
  const file = imageInput.files?.[0];
  if (file !== undefined) void read(file, URL.createObjectURL(file));
});

exampleButton.addEventListener('click', () => {
  const example = new URL(config.example, location.href).href;
  void read(example, example);
});
