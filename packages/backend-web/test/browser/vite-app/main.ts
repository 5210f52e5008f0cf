/**
 * A minimal Vite app, as docs/browser.md tells users to write it: the
 * onnxruntime-web files come from `?url` imports (Vite copies them into the
 * build), so WASM threads start in a cross-origin isolated page; a caption on
 * the main thread, then one in a Web Worker.
 */
import { CaptionWorker, ImageToText } from '@ved/backend-web';
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';

const params = new URLSearchParams(location.search);
const out = document.getElementById('out')!;
const wasmPaths = { wasm: new URL(wasm, location.href).href, mjs: new URL(mjs, location.href).href };
const model = params.get('model')!;
const endpoint = params.get('endpoint') ?? undefined;
const images = params.getAll('image');
const maxNewTokens = Number(params.get('maxNewTokens') ?? 20);
try {
  const captioner = await ImageToText.fromPretrained(model, { endpoint, wasmPaths, numThreads: 2 });
  const { sequences, texts } = await captioner.generate(images, { maxNewTokens });
  const worker = new CaptionWorker(new Worker(new URL('./caption.worker.ts', import.meta.url), { type: 'module' }));
  const workerReport = await worker.load(model, { endpoint, wasmPaths, numThreads: 2 });
  const inWorker = await worker.caption(images, { maxNewTokens });
  worker.terminate();
  (window as unknown as { result: unknown }).result = { sequences, texts, report: captioner.runtime.report, worker: { ...inWorker, report: workerReport } };
  out.textContent = texts.join('\n');
} catch (error) {
  (window as unknown as { result: unknown }).result = { error: String(error) };
  out.textContent = String(error);
}
