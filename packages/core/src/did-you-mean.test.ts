import { describe, expect, it } from 'vitest';
import { closestName, didYouMean } from './did-you-mean.js';

const COMMANDS = ['caption', 'eval', 'init', 'compose', 'loss', 'export', 'train', 'serve', 'worker', 'enqueue', 'results'];
const FLAGS = ['model', 'num-beams', 'max-new-tokens', 'min-new-tokens', 'manifest', 'schedule', 'json', 'lr', 'seed'];

describe('closestName', () => {
  it('finds typos, a begun name and a name inside the typed one', () => {
    expect(closestName('captoin', COMMANDS)).toBe('caption');
    expect(closestName('evl', COMMANDS)).toBe('eval');
    expect(closestName('num-beam', FLAGS)).toBe('num-beams');
    expect(closestName('manfest', FLAGS)).toBe('manifest');
    expect(closestName('max-new', FLAGS)).toBe('max-new-tokens');
    expect(closestName('lr-schedule', FLAGS)).toBe('schedule');
    expect(closestName('model-dir', FLAGS)).toBe('model');
  });

  it('suggests nothing for what is far from every name, or ambiguous', () => {
    expect(closestName('zzzzzz', COMMANDS)).toBeUndefined();
    expect(closestName('tokens', FLAGS)).toBeUndefined(); // in max-new-tokens and min-new-tokens
    expect(closestName('', FLAGS)).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
    expect(closestName('ab', FLAGS)).toBeUndefined(); // 2 edits from "lr": too many for 2 letters
    expect(closestName('NougatImageProcessor', ['DonutImageProcessor', 'ViTImageProcessor'])).toBeUndefined();
    expect(closestName('VitImageProcessor', ['DonutImageProcessor', 'ViTImageProcessor'])).toBe('ViTImageProcessor');
  });

  it('words the hint', () => {
    expect(didYouMean('num-beam', FLAGS, (n) => `--${n}`)).toBe(' (did you mean --num-beams?)');
    expect(didYouMean('zzzzzz', FLAGS)).toBe('');
  });
});
