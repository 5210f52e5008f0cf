/**
 * `ved compose --encoder DIR --decoder DIR --out DIR [--seed N]`: Python's
 * `VisionEncoderDecoderModel.from_encoder_decoder_pretrained`, saved with the
 * encoder's image processor and the decoder's tokenizer.
 */
import { parseArgs } from 'node:util';
import { VisionEncoderDecoderModel } from '@ved/core';
import '../register-builtins.js';
import { DirectoryFiles, checkDirectory } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { savePretrained } from '../save.js';
import { nonNegativeInt, usage, UsageError } from './args.js';

export async function runCompose(argv: string[]): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      args: argv,
      options: {
        encoder: { type: 'string' },
        decoder: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        'pad-token-id': { type: 'string' },
        'decoder-start-token-id': { type: 'string' },
      },
    }),
  );
  if (values.encoder === undefined || values.decoder === undefined || values.out === undefined) {
    throw new UsageError('--encoder DIR, --decoder DIR and --out DIR are required');
  }
  const seed = nonNegativeInt('seed', values.seed, 0)!;
  const top: Record<string, number> = {};
  const pad = nonNegativeInt('pad-token-id', values['pad-token-id']);
  const start = nonNegativeInt('decoder-start-token-id', values['decoder-start-token-id']);
  if (pad !== undefined) top.pad_token_id = pad;
  if (start !== undefined) top.decoder_start_token_id = start;
  await checkDirectory(values.encoder);
  await checkDirectory(values.decoder);
  const model = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(
    new DirectoryFiles(values.encoder),
    new DirectoryFiles(values.decoder),
    nodeRuntime,
    { seed, config: top, onNewWeights: (names) => process.stderr.write(`newly initialised (not in the checkpoints): ${names.join(', ')}\n`) },
  );
  try {
    await savePretrained(model, values.out, {
      targetLabel: '--out',
      copyFrom: [
        { dir: values.encoder, files: ['preprocessor_config.json'] },
        { dir: values.decoder },
      ],
    });
  } finally {
    await model.dispose();
  }
  process.stdout.write(`composed ${model.config.encoderType} + ${model.config.decoderType} → ${values.out}\n`);
}
