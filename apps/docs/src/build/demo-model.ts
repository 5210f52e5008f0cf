/**
 * The model the live demo serves: ved's embedded default model
 * (packages/default-model) once the repository has its trained checkpoint;
 * until then the tiny random test model of the fixtures (its text is noise,
 * but loading, progress, the Web Worker and streaming are the real thing).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from src/build or lib/build alike. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const DEFAULT_MODEL_DIR = join(REPO_ROOT, 'packages/default-model/model');

/** Whether the embedded default model is in the repository. */
export const demoUsesDefaultModel = existsSync(join(DEFAULT_MODEL_DIR, 'config.json'));

export const demoModelDir = demoUsesDefaultModel ? DEFAULT_MODEL_DIR : join(REPO_ROOT, 'fixtures/models/vit-gpt2-a');

export const demoExample = demoUsesDefaultModel
  ? join(REPO_ROOT, 'packages/default-model/examples/example.png')
  : join(REPO_ROOT, 'fixtures/images/rgb_40x30.png');
