/**
 * The shared conformance suite (@ved/conformance) in headless Chromium through
 * backend-web, once in a cross-origin isolated page (WASM threads) and once in
 * a plain page (one thread). The same checks run on Node in
 * packages/conformance/src/backend-node.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceChecks } from '@ved/conformance';
import { openSuite, type Suite } from './suite.js';

for (const isolated of [true, false]) {
  describe(`conformance in Chromium, ${isolated ? 'cross-origin isolated (threads)' : 'not isolated (1 thread)'}`, () => {
    let suite: Suite;
    beforeAll(async () => {
      suite = await openSuite({ isolated });
    });
    afterAll(() => suite?.close());

    it(`the page is ${isolated ? '' : 'not '}cross-origin isolated and the runtime reports its threads`, async () => {
      expect(await suite.call('crossOriginIsolated')).toBe(isolated);
      const report = await suite.call('setup', { numThreads: 2 });
      expect(report.device).toBe('wasm');
      expect(report.crossOriginIsolated).toBe(isolated);
      expect(report.numThreads).toBe(isolated ? 2 : 1);
      if (!isolated) expect(report.fallbackReason).toContain('not cross-origin isolated');
    });

    for (const check of conformanceChecks) {
      it(check.name, async () => {
        const result = await suite.call('runCheck', check.name);
        expect(result.error ?? '').toBe('');
        expect(result.ok).toBe(true);
      });
    }
  });
}
