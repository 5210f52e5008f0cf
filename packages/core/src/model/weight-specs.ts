/**
 * The full list of a composed model's weights, under their checkpoint names
 * (`encoder.…`, `decoder.…`, `enc_to_dec_proj.…`), with their init rules.
 */
import type { WeightSpec } from '../weights/weight-binder.js';
import type { Composition } from './composition.js';

export const PROJECTION = 'enc_to_dec_proj';

/** The decoder's `initializer_range` (BART and TrOCR call it `init_std`). */
export function decoderInitializerRange(parts: Composition): number {
  const raw = parts.config.decoder;
  const v = raw.initializer_range ?? raw.init_std;
  return typeof v === 'number' ? v : 0.02;
}

/** Per composition: the architectures derive their lists from a graph build, which a load would otherwise repeat. */
const computed = new WeakMap<Composition, WeightSpec[]>();

export function modelWeightSpecs(parts: Composition): WeightSpec[] {
  let specs = computed.get(parts);
  if (specs === undefined) computed.set(parts, (specs = composedWeightSpecs(parts)));
  return specs.map((s) => ({ ...s, shape: [...s.shape] }));
}

function composedWeightSpecs(parts: Composition): WeightSpec[] {
  const specs: WeightSpec[] = [
    ...parts.encoder.weights(parts.encoderConfig).map((s) => ({ ...s, name: `encoder.${s.name}` })),
    ...parts.decoder.weights(parts.decoderConfig).map((s) => ({ ...s, name: `decoder.${s.name}` })),
  ];
  if (parts.hasProjection) {
    specs.push(
      { name: `${PROJECTION}.weight`, shape: [parts.decoderHidden, parts.encoderHidden], init: { kind: 'normal', std: decoderInitializerRange(parts) } },
      { name: `${PROJECTION}.bias`, shape: [parts.decoderHidden], init: { kind: 'zeros' } },
    );
  }
  return specs;
}
