/**
 * `ved export --model DIR --out DIR [--external-data true|false|auto] [--cache-naming decoder-only|seq2seq]`
 *
 * Writes the model as an ONNX export in the Optimum / transformers.js layout:
 * `onnx/encoder_model.onnx`, `onnx/decoder_model_merged.onnx` (with
 * `.onnx_data` files when weights go external), `config.json`,
 * `generation_config.json`, and the checkpoint's processor and tokenizer
 * files. transformers.js (`AutoModelForVision2Seq.from_pretrained(OUT)`),
 * Optimum / onnxruntime in Python, and `ved caption --format onnx` load it.
 */
import { VedError, VisionEncoderDecoderConfig, compose, isRecord, loadWeights, readJson, readOptionalJson, writeOnnxExport, type CacheNaming } from '@ved/core';
import '../register-builtins.js';
import { openModelFiles } from '../hub-files.js';
import { writeExportDirectory } from '../exports/save-export.js';
import { defineCommand, runCommand } from './args.js';
import { phaseProgress } from './progress.js';

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write a checkpoint as an ONNX export (onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx) for transformers.js / Optimum',
  description:
    'The graphs are built from the checkpoint\'s config and weights; the config, generation config, processor and tokenizer files are written beside them. ' +
    'Prints each file written with its size.',
  flags: {
    model: { type: 'string', metavar: 'DIR', required: true, help: 'checkpoint directory (safetensors), URL or hub repository id' },
    out: { type: 'string', metavar: 'DIR', required: true, help: 'the export directory (only ved\'s files there are replaced)' },
    'external-data': {
      type: 'choice',
      choices: ['true', 'false', 'auto'],
      default: 'auto',
      help: 'weights in .onnx_data files beside the graphs; auto: only when a graph would pass protobuf\'s 2 GB limit',
    },
    'cache-naming': {
      type: 'choice',
      choices: ['decoder-only', 'seq2seq'],
      defaultText: 'seq2seq for BART, mBART and TrOCR decoders (as transformers.js names them), else decoder-only',
      help: 'names of the cache inputs: past_key_values.N.key (transformers.js vision2seq) or past_key_values.N.decoder.key (Optimum seq2seq)',
    },
  },
  examples: ['ved export --model ./vit-gpt2 --out ./vit-gpt2-onnx', 'ved caption photo.jpg --model ./vit-gpt2-onnx --format onnx'],
  async run({ values }) {
    const externalRaw = values['external-data'];
    const externalData = externalRaw === 'auto' ? 'auto' : externalRaw === 'true';
    const naming = values['cache-naming'] as CacheNaming | undefined;
    const phases = phaseProgress({ quiet: values.quiet, phases: ['reading weights', 'building graphs', 'writing files'] });
    try {
      // The graphs are built from the checkpoint's config and weights; no session is opened.
      phases.next('reading weights');
      const files = await openModelFiles(values.model);
      const raw = await readJson(files, 'config.json');
      if (!isRecord(raw)) throw new VedError('INVALID_CONFIG', `${files.location}/config.json must hold a JSON object.`);
      const config = new VisionEncoderDecoderConfig(raw, `${files.location}/config.json`);
      const generation = await readOptionalJson(files, 'generation_config.json');
      const source = { parts: await compose(config), weights: await loadWeights(files), generationConfigJson: isRecord(generation) ? generation : undefined };
      phases.next('building graphs');
      const out = writeOnnxExport(source, { externalData, ...(naming !== undefined ? { cacheNaming: naming } : {}) });
      phases.next('writing files');
      const written = await writeExportDirectory(values.out, out, files, { targetLabel: '--out' });
      phases.stop();
      const sizes = new Map(out.map((f) => [f.name, f.bytes.byteLength]));
      for (const name of written) {
        const size = sizes.get(name);
        process.stdout.write(`${values.out}/${name}${size === undefined ? '' : `\t${size} bytes`}\n`);
      }
    } finally {
      phases.stop();
    }
  },
});

/** `ved export ...argv` (without plugin loading). */
export const runExport = (argv: string[]): Promise<void> => runCommand(exportCommand, argv);
