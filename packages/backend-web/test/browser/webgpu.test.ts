/**
 * WebGPU in Chromium: launched without --disable-gpu and with
 * --enable-unsafe-webgpu, Chromium offers its software (SwiftShader) adapter,
 * on which onnxruntime-web's WebGPU provider runs the fixture models and must
 * agree with Python. Where no adapter appears, the runtime must report the
 * fallback to WASM and still be right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceChecks } from '@ved/conformance';
import { openSuite, type Suite } from './suite.js';

// Software WebGPU is slow: model a in full, model b's greedy ids.
const MODEL_CHECKS = conformanceChecks.filter((c) => /^runtime: |^vit-gpt2-a: (?!pixel|decoded)|^vit-gpt2-b: greedy/.test(c.name));

describe('WebGPU (Chromium software adapter) with fallback to WASM', () => {
  let suite: Suite;
  let report: Awaited<ReturnType<Suite['call']>> & { device: string; fallbackReason?: string; adapter?: string };
  beforeAll(async () => {
    suite = await openSuite({ isolated: true, webgpu: true });
    report = (await suite.call('setup', { device: 'webgpu' })) as typeof report;
  });
  afterAll(() => suite?.close());

  it('reports the device it chose: webgpu on an adapter, else wasm with the reason', () => {
    expect(['webgpu', 'wasm']).toContain(report.device);
    if (report.device === 'webgpu') expect(report.adapter).toBeTruthy();
    else expect(report.fallbackReason).toMatch(/WebGPU/);
  });

  for (const check of MODEL_CHECKS) {
    it(`on the chosen device: ${check.name}`, async () => {
      const result = await suite.call('runCheck', check.name);
      expect(result.error ?? '').toBe('');
      // A WebGPU session that failed to start is a reported fallback, never a silent one.
      const now = result.report as { device: string; fallbackReason?: string };
      if (now.device === 'wasm') expect(now.fallbackReason).toMatch(/WebGPU/);
    });
  }
});

describe('WebGPU asked for where there is no adapter (Chromium with --disable-gpu)', () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await openSuite({ isolated: false });
  });
  afterAll(() => suite?.close());

  it('falls back to WASM and says why, and the model still matches Python', async () => {
    const report = await suite.call('setup', { device: 'webgpu' });
    expect(report).toMatchObject({ requested: 'webgpu', device: 'wasm' });
    expect(report.fallbackReason).toMatch(/WebGPU unavailable/);
    const result = await suite.call('runCheck', conformanceChecks.find((c) => c.name.startsWith('vit-gpt2-a: greedy'))!.name);
    expect(result.error ?? '').toBe('');
  });
});
