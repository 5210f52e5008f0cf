/**
 * `ved init --config FILE --out DIR [--seed N] [--like DIR | --processor DIR --tokenizer DIR]`:
 * a model with freshly initialised weights from a config — a composed
 * `config.json` (`model_type: "vision-encoder-decoder"`) or
 * `{"encoder": {...}, "decoder": {...}}` — saved with the image processor and
 * tokenizer of existing checkpoints, so that `ved caption` can run it.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VedError, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, isRecord } from '@ved/core';
import '../register-builtins.js';
import { checkDirectory } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { ASSET_FILES, savePretrained, type CopySource } from '../save.js';
import { defineCommand, runCommand } from './args.js';

const PROCESSOR_FILES = ['preprocessor_config.json', 'processor_config.json'];
const TOKENIZER_FILES = ASSET_FILES.filter((f) => !PROCESSOR_FILES.includes(f));

/** The directory, once it is known to exist. */
async function checked(dir: string): Promise<string> {
  await checkDirectory(dir);
  return dir;
}

export const initCommand = defineCommand({
  name: 'init',
  summary: 'a model with freshly initialised weights from a config, optionally with the processor and tokenizer of a checkpoint',
  description:
    'The config is a composed config.json (model_type "vision-encoder-decoder") or {"encoder": {...}, "decoder": {...}}; other top-level keys ' +
    "(pad_token_id, decoder_start_token_id, …) go into the composed config. Weights are initialised as Python's _init_weights does. " +
    'Without --like, --processor or --tokenizer the output has no preprocessor_config.json or tokenizer, so it cannot caption images.',
  flags: {
    config: { type: 'string', metavar: 'FILE', required: true, help: 'the model config (JSON)' },
    out: { type: 'string', metavar: 'DIR', required: true, help: 'where to save the checkpoint (only ved\'s files there are replaced)' },
    seed: { type: 'integer', min: 0, default: 0, help: 'seed of the weight initialisation' },
    like: { type: 'string', metavar: 'DIR', help: 'copy the image processor and tokenizer files of this checkpoint' },
    processor: { type: 'string', metavar: 'DIR', help: 'copy preprocessor_config.json from this checkpoint (wins over --like)' },
    tokenizer: { type: 'string', metavar: 'DIR', help: 'copy the tokenizer files (tokenizer.json, vocab, merges, …) from this checkpoint (wins over --like)' },
  },
  examples: [
    'ved init --config vit-gpt2-config.json --out ./scratch --like ./vit-gpt2',
    'ved init --config config.json --out ./scratch --processor ./vit-base --tokenizer ./gpt2 --seed 1',
  ],
  async run({ values }) {
    const copies: CopySource[] = [];
    // Earlier entries win: --processor / --tokenizer before --like.
    if (values.processor !== undefined) copies.push({ dir: await checked(values.processor), files: PROCESSOR_FILES });
    if (values.tokenizer !== undefined) copies.push({ dir: await checked(values.tokenizer), files: TOKENIZER_FILES });
    if (values.like !== undefined) copies.push({ dir: await checked(values.like) });
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
    const model = await VisionEncoderDecoderModel.fromConfig(config, nodeRuntime, { seed: values.seed });
    let written: string[];
    try {
      // `--out` holding the config itself would overwrite it.
      written = await savePretrained(model, values.out, { targetLabel: '--out', sources: [dirname(values.config)], copyFrom: copies });
    } finally {
      await model.dispose();
    }
    process.stdout.write(`initialised ${model.newlyInitialized.length} tensors (seed ${values.seed}) → ${values.out}\n`);
    if (!values.quiet) {
      const missing = [
        ...(written.includes('preprocessor_config.json') ? [] : ['no preprocessor_config.json (give --like or --processor)']),
        ...(written.includes('tokenizer.json') ? [] : ['no tokenizer.json (give --like or --tokenizer)']),
      ];
      if (missing.length > 0) process.stderr.write(`note: ${values.out} has ${missing.join(' and ')}, so \`ved caption\` cannot run it yet\n`);
    }
  },
});

/** `ved init ...argv` (without plugin loading). */
export const runInit = (argv: string[]): Promise<void> => runCommand(initCommand, argv);
