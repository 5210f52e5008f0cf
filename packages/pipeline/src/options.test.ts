/** Call options: run options apart from generation options; snake_case keys as transformers.js users pass them. */
import { describe, expect, it } from 'vitest';
import { fromPipelineKwargs, splitCaptionOptions } from './options.js';

describe('options', () => {
  it('splits run options from generation options', () => {
    const signal = new AbortController().signal;
    expect(splitCaptionOptions({ maxNewTokens: 3, numBeams: 2, signal, prompt: 'x', onWarning: undefined })).toEqual({
      generation: { maxNewTokens: 3, numBeams: 2 },
      run: { signal, prompt: 'x' },
    });
  });

  it('converts snake_case generation keys and keeps camelCase ones', () => {
    expect(fromPipelineKwargs({ max_new_tokens: 5, num_beams: 2, doSample: false, early_stopping: 'never' })).toEqual({
      maxNewTokens: 5,
      numBeams: 2,
      doSample: false,
      earlyStopping: 'never',
    });
    expect(() => fromPipelineKwargs({ max_new_tokenz: 5 })).toThrow('unknown generation option "max_new_tokenz"');
    expect(() => fromPipelineKwargs({ max_new_tokens: 5, maxNewTokens: 6 })).toThrow('"maxNewTokens" is given twice');
    expect(() => fromPipelineKwargs(null as never)).toThrow('must be an object');
  });
});
