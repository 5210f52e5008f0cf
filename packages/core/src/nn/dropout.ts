/**
 * Train-mode regularisation as the Hugging Face modeling files apply it:
 * `nn.Dropout` / `nn.functional.dropout` (zero each entry with probability p,
 * scale the rest by 1/(1-p)), stochastic depth (`drop_path`: the whole
 * residual branch of a sample), and BART's LayerDrop (skip a whole layer).
 * Each is the identity in inference graphs, in eval-mode training graphs and
 * for p = 0, so calling them adds no node there.
 */
import { VedError } from '../errors.js';
import type { ConfigReader } from '../config/config-reader.js';
import type { BuildContext } from './context.js';

/** A dropout probability from a config (`hidden_dropout_prob`, `attn_pdrop`, `drop_path_rate`…): a number in [0, 1], as torch requires. */
export function dropoutRate(r: ConfigReader, key: string, fallback: number): number {
  const p = r.float(key, fallback);
  if (p < 0 || p > 1) throw new VedError('INVALID_CONFIG', `${r.where}: field "${key}" is ${p}, expected a dropout probability in [0, 1].`);
  return p;
}

/** `nn.Dropout(p)` in train mode: x · mask, mask ∈ {0, 1/(1-p)} per entry. */
export function dropout(ctx: BuildContext, x: string, p: number): string {
  const masks = ctx.training?.dropout;
  if (masks === undefined || !(p > 0)) return x;
  return ctx.g.op('Mul', [x, masks.mask(ctx.g, ctx.g.op('Shape', [x]), p, x)]);
}

/**
 * `drop_path(x, p, training)` (timm's stochastic depth, as BEiT and Swin copy
 * it): the residual branch `x` (rank `rank`, batch first) of each sample is
 * dropped with probability p, the kept ones scaled by 1/(1-p).
 */
export function dropPath(ctx: BuildContext, x: string, p: number, rank: number): string {
  const masks = ctx.training?.dropout;
  if (masks === undefined || !(p > 0)) return x;
  const { g } = ctx;
  const shape = g.op('Concat', [g.op('Shape', [x], { start: 0, end: 1 }), g.constInt(Array<number>(rank - 1).fill(1))], { axis: 0 });
  return g.op('Mul', [x, masks.mask(g, shape, p, x)]);
}

/**
 * BART's LayerDrop (`decoder_layerdrop`): in train mode the whole layer is
 * skipped with probability p (`if dropout_probability < self.layerdrop:
 * continue`). `output` is the layer's result, `input` what it received; one
 * draw per layer and step selects between them (the layer is computed either
 * way; a skipped layer gets no gradient).
 */
export function layerDrop(ctx: BuildContext, input: string, output: string, p: number): string {
  const masks = ctx.training?.dropout;
  if (masks === undefined || !(p > 0)) return output;
  const { g } = ctx;
  const keep = g.op('Cast', [masks.mask(g, g.constInt([1]), p, output)], { to: 9 }); // bool [1]
  return g.op('Where', [keep, output, input]);
}
