/** `torch.distributions.Categorical(logits=x).entropy()`: logits clamped to float32 min, so 0 · log 0 counts as 0. */
import { logSoftmaxRow } from '../scores.js';

const FLOAT32_MIN = -3.4028234663852886e38;

export function categoricalEntropy(logits: ArrayLike<number>): number {
  const logp = new Float32Array(logits.length);
  logSoftmaxRow(logits, logp);
  let h = 0;
  for (let i = 0; i < logp.length; i++) {
    const l = Math.max(logp[i]!, FLOAT32_MIN);
    h += l * Math.exp(logp[i]!);
  }
  return Math.fround(-h);
}
