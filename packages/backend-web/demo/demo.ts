/**
 * The ved browser demo: load a model from a URL (or hub repository id), pick
 * an image, watch the caption appear token by token. The model runs in a Web
 * Worker, so the page stays responsive. Query parameters: `model`, `endpoint`,
 * `device` (wasm | webgpu | auto), `maxNewTokens`.
 */
import { CaptionWorker, type DownloadProgress } from '../src/lite.js';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelInput = $<HTMLInputElement>('model');
const imageInput = $<HTMLInputElement>('image');
const pick = $<HTMLLabelElement>('pick');
const progressBar = $<HTMLProgressElement>('progress');
const progressText = $<HTMLSpanElement>('progress-text');
const caption = $<HTMLElement>('caption');
const status = $<HTMLElement>('status');

modelInput.value = params.get('model') ?? './model';
const maxNewTokens = Number(params.get('maxNewTokens') ?? 20);
const device = (params.get('device') ?? 'wasm') as 'wasm' | 'webgpu' | 'auto';
const endpoint = params.get('endpoint') ?? undefined;
// onnxruntime-web's .wasm/.mjs, served beside the page (see docs/browser.md).
const wasmPaths = new URL(params.get('ort') ?? './ort/', location.href).href;

const worker = new CaptionWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
let loaded = false;
let busy = false;

/** Overall progress over every file seen so far. */
function progressTracker() {
  const files = new Map<string, DownloadProgress>();
  const summary = () => {
    const all = [...files.values()];
    const bytes = all.reduce((n, f) => n + f.loaded, 0);
    const cached = all.filter((f) => f.fromCache).length;
    return `Loaded ${all.length} files, ${(bytes / 1e6).toFixed(2)} MB${cached > 0 ? ` (${cached} from the browser cache)` : ''}.`;
  };
  return Object.assign((p: DownloadProgress) => {
    files.set(p.file, p);
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += f.total ?? f.loaded;
    }
    progressBar.value = total === 0 ? 0 : loaded / total;
    progressText.textContent = `${p.fromCache ? 'from cache: ' : ''}${p.file} — ${(loaded / 1e6).toFixed(2)} / ${(total / 1e6).toFixed(2)} MB`;
  }, { summary });
}

async function load(): Promise<void> {
  loaded = false;
  imageInput.disabled = true;
  pick.setAttribute('aria-disabled', 'true');
  $('loading').hidden = false;
  status.textContent = 'Loading the model…';
  try {
    const onProgress = progressTracker();
    const report = await worker.load(modelInput.value.trim(), {
      device,
      wasmPaths,
      ...(endpoint ? { endpoint } : {}),
      onProgress,
    });
    progressBar.value = 1;
    progressText.textContent = onProgress.summary();
    $('runtime').textContent = `Running on ${report.device}${report.device === 'wasm' ? ` (${report.numThreads} thread${report.numThreads === 1 ? '' : 's'})` : ''}${report.fallbackReason ? ` — ${report.fallbackReason}` : ''}.`;
    status.textContent = 'Model ready. Choose an image.';
    loaded = true;
    imageInput.disabled = false;
    pick.setAttribute('aria-disabled', 'false');
    document.body.dataset.state = 'ready';
  } catch (error) {
    status.textContent = `Could not load the model: ${(error as Error).message}`;
    document.body.dataset.state = 'error';
  }
}

async function captionFile(file: File): Promise<void> {
  if (!loaded || busy) return;
  busy = true;
  const preview = $<HTMLImageElement>('preview');
  preview.src = URL.createObjectURL(file);
  $('figure').hidden = false;
  caption.textContent = '';
  caption.classList.add('streaming');
  status.textContent = 'Captioning…';
  document.body.dataset.state = 'captioning';
  const started = performance.now();
  try {
    const { texts } = await worker.caption([file], {
      maxNewTokens,
      onToken: (event) => {
        caption.textContent = event.texts[0] ?? '';
      },
    });
    caption.textContent = texts[0] ?? '';
    status.textContent = `Done in ${Math.round(performance.now() - started)} ms.`;
    document.body.dataset.state = 'done';
  } catch (error) {
    status.textContent = `Could not caption the image: ${(error as Error).message}`;
    document.body.dataset.state = 'error';
  } finally {
    caption.classList.remove('streaming');
    busy = false;
  }
}

$<HTMLFormElement>('model-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
imageInput.addEventListener('change', () => {
  const file = imageInput.files?.[0];
  if (file) void captionFile(file);
});
if (params.has('model')) void load();
