/** The rule for streaming under a beam config (see beam-streaming.ts). */
import { describe, expect, it } from 'vitest';
import { planStreaming } from './beam-streaming.js';

const model = { decoderStartTokenId: 1, eosTokenId: 2, padTokenId: 0 };
const beamModel = { ...model, numBeams: 4 };

describe('planStreaming', () => {
  it('streams tokens unchanged without beams', () => {
    expect(planStreaming(model, { maxNewTokens: 3 }, undefined)).toEqual({ options: { maxNewTokens: 3 }, delivery: 'tokens', numBeams: 1 });
  });

  it("beams from the checkpoint: one beam, streamed (default 'greedy')", () => {
    expect(planStreaming(beamModel, {}, undefined)).toEqual({ options: { numBeams: 1 }, delivery: 'tokens', numBeams: 1 });
    expect(planStreaming({ ...beamModel, numReturnSequences: 2 }, {}, undefined).options).toEqual({ numBeams: 1, numReturnSequences: 1 });
  });

  it("beams asked in the call: the search runs, streamed whole (default 'whole')", () => {
    expect(planStreaming(model, { numBeams: 3 }, undefined)).toEqual({ options: { numBeams: 3 }, delivery: 'whole', numBeams: 3 });
    expect(planStreaming(beamModel, { numReturnSequences: 2 }, undefined).delivery).toBe('whole');
    expect(planStreaming(model, { numBeams: 3 }, 'greedy')).toEqual({ options: { numBeams: 1 }, delivery: 'tokens', numBeams: 1 });
    expect(planStreaming(beamModel, {}, 'whole').delivery).toBe('whole');
  });

  it("'error' is Python's refusal; unknown choices and impossible combinations are named", () => {
    expect(() => planStreaming(beamModel, {}, 'error')).toThrow('`streamer` cannot be used with beam search (num_beams=4)');
    expect(() => planStreaming(beamModel, {}, 'later' as never)).toThrow('option "beamStreaming" must be one of "greedy", "whole", "error", got "later"');
    expect(() => planStreaming(beamModel, { numReturnSequences: 2 }, 'greedy')).toThrow("beamStreaming: 'greedy' decodes one beam");
    expect(planStreaming(model, { numBeams: 1 }, 'error').delivery).toBe('tokens');
  });
});
