// A page as a user writes it after `npm install @ved/backend-web vite` (docs/install.md):
// onnxruntime-web's files from `?url` imports, pipeline('image-to-text') on a model served
// beside the page, a caption of an image URL.
import { pipeline } from '@ved/backend-web';
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';

const out = document.getElementById('out');
const params = new URLSearchParams(location.search);
try {
  const wasmPaths = { wasm: new URL(wasm, location.href).href, mjs: new URL(mjs, location.href).href };
  const captioner = await pipeline('image-to-text', new URL(params.get('model'), location.href).href, { wasmPaths, cache: false });
  const result = await captioner(new URL(params.get('image'), location.href).href);
  window.result = { result, report: captioner.pipe.runtime.report };
  out.textContent = result[0].generated_text;
  await captioner.dispose();
} catch (error) {
  window.result = { error: String(error) };
  out.textContent = String(error);
}
