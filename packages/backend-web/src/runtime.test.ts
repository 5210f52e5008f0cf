/**
 * createWebRuntime's choices and reports, on Node (onnxruntime-web's Node
 * build; no WebGPU, not cross-origin isolated). The browser suite covers the
 * real pages: threads, WebGPU on Chromium's software adapter, fallbacks.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '@ved/core';
import { createWebRuntime } from './runtime.js';

describe('createWebRuntime', () => {
  it('runs WASM on one thread when the page is not cross-origin isolated, and says why when more were asked', async () => {
    const rt = await createWebRuntime({ numThreads: 4 });
    expect(rt.report).toMatchObject({ device: 'wasm', requested: 'wasm', numThreads: 1, crossOriginIsolated: false });
    expect(rt.report.fallbackReason).toMatch(/not cross-origin isolated/);
    expect(rt.name).toBe('onnxruntime-web (wasm, 1 thread)');
    const g = new GraphBuilder('t');
    g.output('y', g.op('Mul', [g.input('x', 'float32', [2]), g.constFloat(3)]), 'float32', [2]);
    const session = await rt.createSession(g.build().model);
    const out = await session.run({ x: rt.tensor('float32', Float32Array.from([1, 2]), [2]) });
    expect([...(out.y!.data as Float32Array)]).toEqual([3, 6]);
    await session.release();
  });

  it('falls back from WebGPU to WASM where there is no adapter, and reports it', async () => {
    for (const device of ['webgpu', 'auto'] as const) {
      const rt = await createWebRuntime({ device });
      expect(rt.report).toMatchObject({ device: 'wasm', requested: device });
      expect(rt.report.fallbackReason).toMatch(/WebGPU unavailable: this browser has no WebGPU/);
    }
  });

  it('rejects bad options, naming them', async () => {
    await expect(createWebRuntime({ device: 'gpu' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('"device"') });
    await expect(createWebRuntime({ numThreads: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('"numThreads"') });
  });
});
