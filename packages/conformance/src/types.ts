/**
 * The shared conformance suite (as tfjs runs core's tests on every backend):
 * a plain list of named async checks over a `ConformanceEnv` that each backend
 * supplies. Node runs them in vitest through backend-node; the browser test
 * page runs the same list through backend-web. A check throws on failure and
 * may return a short detail (a measured difference) for the report.
 */
import type { ModelFiles, RawImage, Runtime } from '@ved/core';
import type { ImageToText, ImageToTextPipeline } from '@ved/pipeline';

export interface ConformanceEnv {
  /** Names the backend in messages, e.g. `backend-node` or `backend-web (wasm, 4 threads)`. */
  readonly name: string;
  readonly runtime: Runtime;
  /** The files of a fixture model under `fixtures/models/` (e.g. `vit-gpt2-a`). */
  modelFiles(name: string): Promise<ModelFiles>;
  /** A file under `fixtures/`, e.g. `images/rgb_40x30.png`. */
  fixture(path: string): Promise<Uint8Array>;
  /** The backend's image decoder: file bytes → what PIL's `Image.open` gives. */
  decodeImage(bytes: Uint8Array, name: string): Promise<RawImage>;
  /** A browser: non-PNG files are decoded through a canvas (premultiplied colour) and TIFF not at all. */
  readonly browser?: boolean;
  /** The backend's `ImageToText` and `pipeline()`, for the pipeline checks. */
  readonly pipelines?: PipelineEnv;
}

/** What the pipeline checks need of a backend (both export the same API from @ved/pipeline). */
export interface PipelineEnv {
  /** The backend's `ImageToText.fromPretrained(files)`. */
  fromPretrained(files: ModelFiles): Promise<ImageToText<unknown>>;
  /** The backend's `pipeline('image-to-text', files)`. */
  pipeline(files: ModelFiles): Promise<ImageToTextPipeline<unknown>>;
  /** A fixture file (`images/rgb_40x30.png`) as the backend's plainest image input: a path on Node, a URL in the browser. */
  image(path: string): unknown;
  /** The same file as every other kind of input the backend takes (bytes, Blob, URL objects, canvas, …), by kind. */
  imageKinds(path: string): Promise<Record<string, unknown>>;
}

export interface Check {
  readonly name: string;
  /** Throws on failure; may return a detail such as `max |diff| 3.2e-7`. */
  run(env: ConformanceEnv): Promise<string | void>;
}

/** Result of running one check, as the browser page reports it. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
  error?: string;
  ms: number;
}
