/**
 * Which parameters get weight decay, as HF Trainer decides
 * (transformers/trainer.py, `Trainer.get_decay_parameter_names`): every
 * parameter except those inside an `nn.LayerNorm` and those whose lower-cased
 * name matches `bias`, `layernorm`, `rmsnorm`, `(^|.)norm($|.)` or `_norm($|.)`.
 *
 * ved knows parameters by name and shape, not by module class: the weight of
 * an `nn.LayerNorm` is the only one-dimensional tensor named `*.weight` in the
 * architectures ved builds (Linear, Embedding and Conv weights have two or more
 * dimensions; layer-scale factors such as BEiT's `lambda_1` are not named
 * `weight`, and Python decays them too).
 */

const FORBIDDEN_NAME_PATTERNS = [/bias/, /layernorm/, /rmsnorm/, /(?:^|\.)norm(?:$|\.)/, /_norm(?:$|\.)/];

/** True when HF Trainer puts `name` in the no-decay group (weight_decay 0). */
export function isNoDecayParameter(name: string, shape: readonly number[]): boolean {
  const lower = name.toLowerCase();
  if (FORBIDDEN_NAME_PATTERNS.some((re) => re.test(lower))) return true;
  return shape.length === 1 && name.endsWith('.weight');
}

/** `get_decay_parameter_names`: the names (of `shapes`) that get weight decay. */
export function decayParameterNames(shapes: ReadonlyMap<string, readonly number[]>): string[] {
  return [...shapes].filter(([name, shape]) => !isNoDecayParameter(name, shape)).map(([name]) => name);
}
