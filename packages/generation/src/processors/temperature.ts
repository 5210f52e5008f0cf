/** `TemperatureLogitsWarper`: scores / T. T < 1 sharpens the distribution, T > 1 flattens it. */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid, pyFloat } from './validate.js';

export class TemperatureLogitsWarper implements LogitsProcessor {
  readonly temperature: number;

  constructor(temperature: number) {
    if (!(typeof temperature === 'number' && temperature > 0)) {
      let msg = `\`temperature\` (=${pyFloat(temperature)}) has to be a strictly positive float, otherwise your next token scores will be invalid.`;
      if (temperature === 0) msg += " If you're looking for greedy decoding strategies, set `do_sample=False`.";
      invalid(msg);
    }
    this.temperature = Math.fround(temperature);
  }

  readonly canProcessInPlace = true;

  process(_inputIds: InputIds, scores: Scores, inPlace = false): Scores {
    return mapRows(scores, (src, dst) => {
      for (let i = 0; i < src.length; i++) dst[i] = src[i]! / this.temperature;
    }, inPlace);
  }
}
