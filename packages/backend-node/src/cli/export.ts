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
import { parseArgs } from 'node:util';
import { VedError, VisionEncoderDecoderConfig, compose, isRecord, loadWeights, readJson, readOptionalJson, writeOnnxExport, type CacheNaming } from '@ved/core';
import '../register-builtins.js';
import { openModelFiles } from '../hub-files.js';
import { writeExportDirectory } from '../exports/save-export.js';
import { usage, UsageError } from './args.js';

export async function runExport(argv: string[]): Promise<void> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        out: { type: 'string' },
        'external-data': { type: 'string' },
        'cache-naming': { type: 'string' },
      },
    }),
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.model === undefined) throw new UsageError('--model DIR is required');
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  const externalRaw = values['external-data'] ?? 'auto';
  if (!['true', 'false', 'auto'].includes(externalRaw)) throw new UsageError(`--external-data must be true, false or auto, got ${JSON.stringify(externalRaw)}`);
  const externalData = externalRaw === 'auto' ? 'auto' : externalRaw === 'true';
  const naming = values['cache-naming'];
  if (naming !== undefined && naming !== 'decoder-only' && naming !== 'seq2seq') {
    throw new UsageError(`--cache-naming must be decoder-only or seq2seq, got ${JSON.stringify(naming)}`);
  }

  // The graphs are built from the checkpoint's config and weights; no session is opened.
  const files = await openModelFiles(values.model);
  const raw = await readJson(files, 'config.json');
  if (!isRecord(raw)) throw new VedError('INVALID_CONFIG', `${files.location}/config.json must hold a JSON object.`);
  const config = new VisionEncoderDecoderConfig(raw, `${files.location}/config.json`);
  const generation = await readOptionalJson(files, 'generation_config.json');
  const source = { parts: await compose(config), weights: await loadWeights(files), generationConfigJson: isRecord(generation) ? generation : undefined };
  const out = writeOnnxExport(source, { externalData, ...(naming !== undefined ? { cacheNaming: naming as CacheNaming } : {}) });
  const written = await writeExportDirectory(values.out, out, files, { targetLabel: '--out' });
  const sizes = new Map(out.map((f) => [f.name, f.bytes.byteLength]));
  for (const name of written) {
    const size = sizes.get(name);
    process.stdout.write(`${values.out}/${name}${size === undefined ? '' : `\t${size} bytes`}\n`);
  }
}
