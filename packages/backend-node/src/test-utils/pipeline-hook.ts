/** backend-node's `ImageToText` as @ved/testing's pipeline hook (image paths in fixtures are relative to the repository root). */
import type { PipelineHook } from '@ved/testing';
import { ImageToText } from '../pipeline.js';
import { REPO_ROOT } from './fixtures.js';

export const backendPipeline: PipelineHook = {
  fromPretrained: (dir) => ImageToText.fromPretrained(dir) as unknown as ReturnType<PipelineHook['fromPretrained']>,
  imageRoot: REPO_ROOT,
};
