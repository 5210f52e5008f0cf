/**
 * `ved init --config FILE --out DIR [--seed N]`: a model with freshly
 * initialised weights from a config — a composed `config.json`
 * (`model_type: "vision-encoder-decoder"`) or `{"encoder": {...}, "decoder": {...}}`.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { VedError, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, isRecord } from '@ved/core';
import '../register-builtins.js';
import { nodeRuntime } from '../runtime.js';
import { savePretrained } from '../save.js';
import { nonNegativeInt, usage, UsageError } from './args.js';

export async function runInit(argv: string[]): Promise<void> {
  const { values } = usage(() =>
    parseArgs({ args: argv, options: { config: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } } }),
  );
  if (values.config === undefined || values.out === undefined) throw new UsageError('--config FILE and --out DIR are required');
  const seed = nonNegativeInt('seed', values.seed, 0)!;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(values.config, 'utf8'));
  } catch (cause) {
    throw new VedError('INVALID_JSON', `Cannot read the config ${values.config}: ${(cause as Error).message}`, { cause });
  }
  if (!isRecord(raw)) throw new VedError('INVALID_CONFIG', `${values.config} must hold a JSON object.`);
  const config =
    raw.model_type === 'vision-encoder-decoder'
      ? new VisionEncoderDecoderConfig(raw, values.config)
      : isRecord(raw.encoder) && isRecord(raw.decoder)
        ? VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(raw.encoder, raw.decoder, Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'encoder' && k !== 'decoder')))
        : (() => {
            throw new VedError('INVALID_CONFIG', `${values.config}: expected a "vision-encoder-decoder" config or an object with "encoder" and "decoder" configs.`);
          })();
  const model = await VisionEncoderDecoderModel.fromConfig(config, nodeRuntime, { seed });
  try {
    // `--out` holding the config itself would overwrite it.
    await savePretrained(model, values.out, { targetLabel: '--out', sources: [dirname(values.config)] });
  } finally {
    await model.dispose();
  }
  process.stdout.write(`initialised ${model.newlyInitialized.length} tensors (seed ${seed}) → ${values.out}\n`);
}
