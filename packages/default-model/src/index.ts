/**
 * @ved/default-model: the checkpoint ved uses when no model is named, a small
 * ViT + GPT-2 VisionEncoderDecoder trained on synthetic printed text lines by
 * tools/demo-model (see this package's README for its domain and accuracy).
 *
 * The checkpoint is plain Hugging Face files under `model/`, loaded through the
 * same code path as any other checkpoint. Paths resolve from this module's own
 * location, so they hold from `src/` (tests) and from `dist/` (built) alike.
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of the default checkpoint directory (config.json, model.safetensors, ...). */
export const defaultModelDir: string = fileURLToPath(new URL('../model', import.meta.url));

/** Absolute path of a bundled example image of the model's domain. */
export const defaultModelExample: string = fileURLToPath(new URL('../examples/example.png', import.meta.url));

/** The text printed in the example image. */
export const defaultModelExampleText = 'Invoice #2024-001';
