import { describe, expect, it } from 'vitest';
import { flatness, percentile, renderSoakReport, slope, type MemorySample } from './soak-report.js';

const sample = (done: number, rssMB: number): MemorySample => ({ done, seconds: done / 100, rssMB, heapMB: 10, externalMB: 1 });

describe('soak statistics', () => {
  it('slope is the least-squares fit', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([5], [1])).toBe(0);
  });

  it('flatness ignores the warm-up quarter and measures growth over the rest', () => {
    const flat = flatness([sample(0, 100), sample(250, 180), sample(500, 200), sample(750, 201), sample(1000, 200)]);
    expect(flat.firstMB).toBe(180);
    expect(flat.lastMB).toBe(200);
    expect(Math.abs(flat.growthMB)).toBeLessThan(20);
    const leak = flatness(Array.from({ length: 9 }, (_, i) => sample(i * 125, 100 + i * 10)));
    expect(leak.growthMB).toBeCloseTo(60);
  });

  it('percentile is nearest rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 0.95)).toBe(5);
  });

  it('renders a table', () => {
    const md = renderSoakReport({
      date: '2026-12-05T00:00:00Z',
      machine: { cpus: 2, cpuModel: 'cpu', memoryBytes: 2 ** 34, node: 'v20' },
      options: {},
      parts: [{ name: 'generate', ok: true, summary: 'fine', figures: {}, samples: [sample(0, 1), sample(10, 2)] }],
    });
    expect(md).toContain('| generate | yes | fine |');
    expect(md).toContain('| 10 | 0 | 2 | 10.0 | 1.0 |');
  });
});
