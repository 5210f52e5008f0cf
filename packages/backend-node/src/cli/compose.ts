/**
 * `ved compose --encoder DIR --decoder DIR --out DIR [--seed N]`: Python's
 * `VisionEncoderDecoderModel.from_encoder_decoder_pretrained`, saved with the
 * encoder's image processor and the decoder's tokenizer.
 */
import { VisionEncoderDecoderModel } from '@ved/core';
import '../register-builtins.js';
import { DirectoryFiles, checkDirectory } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { savePretrained } from '../save.js';
import { defineCommand, runCommand } from './args.js';
import { phaseProgress } from './progress.js';

export const composeCommand = defineCommand({
  name: 'compose',
  summary: 'join a pretrained encoder and a pretrained decoder into one checkpoint (cross-attention newly initialised)',
  description:
    "Python's VisionEncoderDecoderModel.from_encoder_decoder_pretrained: weights the checkpoints lack (cross-attention, " +
    'a projection when the hidden sizes differ) are initialised as Python does and listed on stderr. ' +
    "The encoder's preprocessor_config.json and the decoder's tokenizer files are copied into --out.",
  flags: {
    encoder: { type: 'string', metavar: 'DIR', required: true, help: 'a vision encoder checkpoint (ViT, DeiT, BEiT, Swin, …)' },
    decoder: { type: 'string', metavar: 'DIR', required: true, help: 'a text decoder checkpoint (GPT-2, BERT, RoBERTa, BART, TrOCR, …)' },
    out: { type: 'string', metavar: 'DIR', required: true, help: 'where to save the composed checkpoint (only ved\'s files there are replaced)' },
    seed: { type: 'integer', min: 0, default: 0, help: 'seed of the new weights\' initialisation' },
    'pad-token-id': { type: 'integer', min: 0, help: 'pad_token_id of the composed config' },
    'decoder-start-token-id': { type: 'integer', min: 0, help: 'decoder_start_token_id of the composed config' },
  },
  examples: ['ved compose --encoder ./vit-base --decoder ./gpt2 --out ./vit-gpt2 --pad-token-id 50256 --decoder-start-token-id 50256'],
  async run({ values }) {
    const top: Record<string, number> = {};
    if (values['pad-token-id'] !== undefined) top.pad_token_id = values['pad-token-id'];
    if (values['decoder-start-token-id'] !== undefined) top.decoder_start_token_id = values['decoder-start-token-id'];
    await checkDirectory(values.encoder);
    await checkDirectory(values.decoder);
    const phases = phaseProgress({ quiet: values.quiet, phases: ['loading and composing', 'saving'] });
    phases.next('loading and composing');
    let model: VisionEncoderDecoderModel;
    try {
      model = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(new DirectoryFiles(values.encoder), new DirectoryFiles(values.decoder), nodeRuntime, {
        seed: values.seed,
        config: top,
        onNewWeights: (names) => {
          if (!values.quiet) process.stderr.write(`newly initialised (not in the checkpoints): ${names.join(', ')}\n`);
        },
      });
    } catch (err) {
      phases.stop();
      throw err;
    }
    try {
      phases.next('saving');
      await savePretrained(model, values.out, {
        targetLabel: '--out',
        copyFrom: [{ dir: values.encoder, files: ['preprocessor_config.json'] }, { dir: values.decoder }],
      });
    } finally {
      phases.stop();
      await model.dispose();
    }
    process.stdout.write(`composed ${model.config.encoderType} + ${model.config.decoderType} → ${values.out}\n`);
  },
});

/** `ved compose ...argv` (without plugin loading). */
export const runCompose = (argv: string[]): Promise<void> => runCommand(composeCommand, argv);
