/**
 * @ved/testing: check an encoder or decoder plugin against Python
 * transformers. Fixtures (a checkpoint plus what Python computed on it) come
 * from python/make_fixtures.py, shipped in this package; the checks compare
 * the plugin's graph, weight list and generation with them. This entry is
 * framework-free; `@ved/testing/vitest` has the describers.
 */
export { loadGoldenFixture, fixturePixels, maxAbsDiff, type GoldenFixture, type ReferenceJson, type InterpolateCase, type PythonInitEntry } from './fixture.js';
export { compareWeightSpecs, compareDecoderWeights } from './weight-specs.js';
export {
  goldenChecks,
  openGoldenContext,
  registerPlugins,
  runGoldenChecks,
  type GoldenCheck,
  type GoldenContext,
  type GoldenOptions,
  type GoldenPlugins,
  type GoldenResult,
  type PipelineHook,
} from './golden-checks.js';
export { CheckFailure, assert, assertClose, assertEqualJson, errorOf, fail } from './assert.js';
export { nodeTestRuntime, directoryFiles } from './node.js';
