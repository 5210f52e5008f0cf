/**
 * The Node pipeline out of the box: `pipeline('image-to-text')` on the
 * embedded default model (whose generation config asks for 4 beams), its
 * transformers.js output shape, and `stream()` on it. The behaviour shared
 * with the browser is checked by the conformance suite (checks/pipeline.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelExample, defaultModelExampleText } from '@ved/default-model';
import type { StreamChunk } from '@ved/generation';
import { pipeline, ImageToText } from './pipeline.js';

let captioner: Awaited<ReturnType<typeof pipeline>>;
beforeAll(async () => {
  captioner = await pipeline('image-to-text');
});
afterAll(async () => {
  await captioner.dispose();
  await captioner.dispose(); // idempotent
});

describe("pipeline('image-to-text') on the default model", () => {
  it('reads the example as transformers.js returns it: [{ generated_text }]', async () => {
    expect(captioner.pipe.generationConfig.numBeams).toBe(4);
    expect(await captioner(defaultModelExample)).toEqual([{ generated_text: defaultModelExampleText }]);
    expect(await captioner([defaultModelExample, defaultModelExample])).toEqual([[{ generated_text: defaultModelExampleText }], [{ generated_text: defaultModelExampleText }]]);
    expect(await captioner(new URL(`file://${defaultModelExample}`), { max_new_tokens: 32 })).toEqual([{ generated_text: defaultModelExampleText }]);
  });

  it('stream() works although the generation config asks for beams: one beam, token by token', async () => {
    const stream = captioner.stream(defaultModelExample);
    expect([stream.delivery, stream.numBeams]).toEqual(['tokens', 1]);
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const result = await stream.result;
    expect(chunks.map((c) => c.text?.[0] ?? '').join('')).toBe(result.texts[0]);
    expect(chunks.length).toBeGreaterThan(3);
    expect(result.texts[0]).toBe(defaultModelExampleText);
    const greedy = await captioner.pipe.generate(defaultModelExample, { numBeams: 1 });
    expect(result.sequences).toEqual(greedy.sequences);
  });

  it("beamStreaming 'whole' streams the 4-beam result after the search; 'error' refuses as Python does", async () => {
    const beams = await captioner.pipe.generate(defaultModelExample);
    const stream = captioner.stream(defaultModelExample, { beamStreaming: 'whole' });
    expect([stream.delivery, stream.numBeams]).toEqual(['whole', 4]);
    const texts: string[] = [];
    for await (const chunk of stream) texts.push(chunk.text?.[0] ?? '');
    expect((await stream.result).sequences).toEqual(beams.sequences);
    expect(texts.join('')).toBe(beams.texts[0]);
    expect(() => captioner.stream(defaultModelExample, { beamStreaming: 'error' })).toThrow('`streamer` cannot be used with beam search');
  });

  it('leaving the stream early cancels generation; a caller\'s abort reaches it too', async () => {
    const stream = captioner.stream(defaultModelExample);
    let seen = 0;
    for await (const _ of stream) if (++seen === 2) break;
    expect(seen).toBe(2);
    await expect(stream.result).rejects.toThrow('closed before generation finished');
    const controller = new AbortController();
    controller.abort(new Error('stopped by the caller'));
    const aborted = captioner.stream(defaultModelExample, { signal: controller.signal });
    await expect(aborted.result).rejects.toThrow('stopped by the caller');
    expect(await captioner(defaultModelExample)).toEqual([{ generated_text: defaultModelExampleText }]); // still usable
  });

  it('unknown tasks are refused, naming the supported one', async () => {
    await expect(pipeline('text-generation' as 'image-to-text')).rejects.toThrow('unknown task "text-generation"; ved supports "image-to-text"');
    await expect(ImageToText.fromPretrained(42 as never)).rejects.toThrow('expected a directory');
  });
});
