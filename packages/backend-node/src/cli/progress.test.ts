/** Progress bars: drawn on a terminal (forced here), never on a pipe or with --quiet. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { phaseProgress, progressBar } from './progress.js';

function sink(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = isTTY;
  let text = '';
  stream.on('data', (c) => (text += String(c)));
  return { stream, text: () => text };
}

describe('progress', () => {
  it('draws counts when forced, and nothing on a pipe or with quiet', () => {
    const drawn = sink(false);
    const bar = progressBar({ quiet: false, total: 10, unit: 'images', stream: drawn.stream, force: true });
    bar.update(4);
    bar.stop();
    bar.stop(); // idempotent
    expect(drawn.text()).toContain('/10 images');

    const piped = sink(false);
    const none = progressBar({ quiet: false, total: 10, unit: 'images', stream: piped.stream });
    none.update(5);
    none.stop();
    const quiet = sink(true);
    const off = progressBar({ quiet: true, total: 10, unit: 'images', stream: quiet.stream });
    off.update(5);
    off.stop();
    expect(piped.text() + quiet.text()).toBe('');
  });

  it('names the phase in progress', () => {
    const drawn = sink(false);
    const phases = phaseProgress({ quiet: false, phases: ['reading weights', 'writing files'], stream: drawn.stream, force: true });
    phases.next('reading weights');
    phases.next('writing files');
    phases.stop();
    expect(drawn.text()).toContain('2/2 steps (writing files)');
  });
});
