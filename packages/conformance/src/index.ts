/**
 * @ved/conformance: the checks every backend must pass, as one list. A backend
 * supplies a `ConformanceEnv` (runtime, fixture access, image decoder) and
 * runs `conformanceChecks`; see backend-node.test.ts (Node) and
 * packages/backend-web/test/browser (Chromium).
 */
import { fixtureModelChecks } from './checks/model.js';
import { imageDecodeChecks } from './checks/image-decode.js';
import { runtimeChecks } from './checks/runtime.js';
import { shardedChecks } from './checks/sharded.js';
import { legacyCheckpointChecks } from './checks/legacy-checkpoints.js';
import { weightsFormatChecks } from './checks/weights-formats.js';
import { pipelineChecks } from './checks/pipeline.js';
import type { Check, CheckResult, ConformanceEnv } from './types.js';

export type { Check, CheckResult, ConformanceEnv, PipelineEnv } from './types.js';
export { CheckFailure, assert, assertClose, assertEqualJson, fail, maxAbsDiff, rejection } from './assert.js';
export { FIXTURE_MODELS, beamCases, disposeModels, loadModel, loadReference, type FixtureModel, type ModelReference, type BeamCase } from './fixtures.js';
export { MemoryFiles, shardSafetensors, shardedCopy } from './memory-files.js';

export const conformanceChecks: readonly Check[] = [...runtimeChecks, ...imageDecodeChecks, ...fixtureModelChecks, ...shardedChecks, ...legacyCheckpointChecks, ...weightsFormatChecks, ...pipelineChecks];

/** Runs one check by name, timing it and catching its failure. */
export async function runCheck(env: ConformanceEnv, name: string): Promise<CheckResult> {
  const check = conformanceChecks.find((c) => c.name === name);
  const start = Date.now();
  if (check === undefined) return { name, ok: false, error: `no check named ${JSON.stringify(name)}`, ms: 0 };
  try {
    const detail = await check.run(env);
    return { name, ok: true, ...(detail ? { detail } : {}), ms: Date.now() - start };
  } catch (error) {
    const e = error as Error;
    return { name, ok: false, error: `${e.name}: ${e.message}`, ms: Date.now() - start };
  }
}
