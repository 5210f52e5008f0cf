import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './args.js';

describe('parseBenchArgs', () => {
  it('defaults: both models, every runtime, fp32 then q8 and q4, 20 forced tokens, 4 beams, batch 8', () => {
    const o = parseBenchArgs([]);
    expect(o.models).toEqual(['vit-gpt2', 'deit-trocr']);
    expect(o.runtimes).toEqual(['ved', 'transformers.js', 'pytorch']);
    expect(o.dtypes).toEqual(['fp32', 'q8', 'q4']);
    expect(o.tasks).toEqual(['encoder', 'greedy', 'beam', 'batch']);
    expect([o.warmup, o.runs, o.encoderRuns, o.newTokens, o.numBeams, o.batchSize]).toEqual([1, 3, 5, 20, 4, 8]);
    expect(o.threads).toBeGreaterThanOrEqual(1);
    expect(o.write).toBe(true);
    expect(o.trainAllocator).toBe('auto');
  });

  it('always runs fp32 first, the reference of the other dtypes', () => {
    expect(parseBenchArgs(['--dtype', 'q4,q8']).dtypes).toEqual(['fp32', 'q4', 'q8']);
    expect(parseBenchArgs(['--dtype', 'fp32']).dtypes).toEqual(['fp32']);
  });

  it('reads lists and numbers', () => {
    const o = parseBenchArgs(['--models', 'vit-gpt2', '--runtimes', 'ved,pytorch', '--threads', '2', '--runs', '5', '--no-write']);
    expect(o.models).toEqual(['vit-gpt2']);
    expect(o.runtimes).toEqual(['ved', 'pytorch']);
    expect([o.threads, o.runs, o.write]).toEqual([2, 5, false]);
  });

  it('rejects unknown names and bad numbers, naming the option and the choices', () => {
    expect(() => parseBenchArgs(['--models', 'vit-bert'])).toThrow(/--models "vit-bert".*vit-gpt2, deit-trocr/);
    expect(() => parseBenchArgs(['--dtype', 'int3'])).toThrow(/--dtype "int3".*fp32, fp16, q8, q4/);
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs "0": expected an integer ≥ 1/);
    expect(() => parseBenchArgs(['--beams', '1'])).toThrow(/--beams/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow();
    expect(parseBenchArgs(['--train-allocator', 'system']).trainAllocator).toBe('system');
    expect(() => parseBenchArgs(['--train-allocator', 'jemalloc'])).toThrow(/--train-allocator "jemalloc": expected auto or system/);
  });
});
