/**
 * Saving never deletes what is not ved's (issue 19): only the files a save
 * writes are replaced, stale weight shards are removed, everything else in the
 * folder stays; a save over the checkpoint it reads from is refused; a failed
 * save says what it changed; a save killed at any step leaves the old or the
 * new checkpoint, loadable; the staging folder of a killed save is swept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VedError, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { savePretrained, writeCheckpoint } from './save.js';
import { fixturePath, maxAbsDiff, REPO_ROOT } from './test-utils/fixtures.js';

const CONFIG = fixturePath('models', 'vit-gpt2-a', 'config.json');
const DIST = join(REPO_ROOT, 'packages/backend-node/dist');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ved-save-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function randomModel(seed: number): Promise<VisionEncoderDecoderModel> {
  const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
  return VisionEncoderDecoderModel.fromConfig(new VisionEncoderDecoderConfig(raw, CONFIG), nodeRuntime, { seed });
}

function pixels(model: VisionEncoderDecoderModel): PixelBatch {
  const [h, w] = model.imageSize;
  const data = new Float32Array(3 * h * w).map((_, i) => Math.sin(i));
  return { data, dims: [1, 3, h, w] };
}

async function logitsOf(dir: string, probe: PixelBatch): Promise<Float32Array> {
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
  try {
    return (await model.logits(probe, [[0, 5, 7]])).data;
  } finally {
    await model.dispose();
  }
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

describe('savePretrained into a folder that holds other files', () => {
  it('leaves every file it does not write alone (the reported data loss)', async () => {
    const dir = join(work, 'mydir');
    mkdirSync(join(dir, 'data', 'images'), { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'keep');
    writeFileSync(join(dir, 'data', 'images', 'a.png'), 'png');
    writeFileSync(join(dir, 'pytorch_model.bin'), 'not ours to judge');
    writeFileSync(join(dir, 'model-notes.safetensors.txt'), 'not a shard');
    const model = await randomModel(1);
    try {
      const written = await savePretrained(model, dir);
      expect(written).toEqual(['generation_config.json', 'config.json', 'model.safetensors']);
    } finally {
      await model.dispose();
    }
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep');
    expect(readFileSync(join(dir, 'data', 'images', 'a.png'), 'utf8')).toBe('png');
    expect(readFileSync(join(dir, 'pytorch_model.bin'), 'utf8')).toBe('not ours to judge');
    expect(existsSync(join(dir, 'model-notes.safetensors.txt'))).toBe(true);
    expect(listing(dir).filter((f) => f.startsWith('.ved-saving-'))).toEqual([]);
  });

  it('removes the stale weights of an earlier save, in either direction, and nothing else', async () => {
    const dir = join(work, 'reshard');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), '# my model');
    const model = await randomModel(2);
    const probe = pixels(model);
    try {
      await savePretrained(model, dir, { maxShardSize: 40_000 });
      const sharded = listing(dir).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
      expect(sharded.length).toBeGreaterThan(1);
      expect(existsSync(join(dir, 'model.safetensors.index.json'))).toBe(true);
      const expected = (await model.logits(probe, [[0, 5, 7]])).data;
      expect(maxAbsDiff(await logitsOf(dir, probe), expected)).toBe(0);

      await savePretrained(model, dir);
      expect(listing(dir)).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors']);
      expect(maxAbsDiff(await logitsOf(dir, probe), expected)).toBe(0);

      await savePretrained(model, dir, { maxShardSize: 40_000 });
      expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
      expect(listing(dir)).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors.index.json', ...sharded].sort());
      expect(maxAbsDiff(await logitsOf(dir, probe), expected)).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it('an ONNX export saved again without external data removes the stale .onnx_data files', async () => {
    const dir = join(work, 'onnx-redo');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep');
    const model = await randomModel(4);
    try {
      await savePretrained(model, dir, { format: 'onnx', externalData: true });
      const withData = listing(dir).filter((f) => f.endsWith('.onnx_data'));
      expect(withData.length).toBeGreaterThan(0);
      await savePretrained(model, dir, { format: 'onnx', externalData: false });
      expect(listing(dir).filter((f) => f.endsWith('.onnx_data'))).toEqual([]);
      expect(listing(dir)).toContain('notes.txt');
      for (const f of withData) expect(listing(dir)).toContain(f.replace(/_data$/, ''));
    } finally {
      await model.dispose();
    }
  });

  it('refuses to save over, or inside, the checkpoint the model is read from', async () => {
    const dir = join(work, 'source');
    const model = await randomModel(3);
    await savePretrained(model, dir);
    await model.dispose();
    const before = readFileSync(join(dir, 'model.safetensors'));
    const loaded = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    try {
      for (const out of [dir, join(dir, 'finetuned'), `${dir}/./`]) {
        const err = await savePretrained(loaded, out).catch((e) => e);
        expect(err).toBeInstanceOf(VedError);
        expect(err.code).toBe('INVALID_OPTION');
        expect(err.message).toContain(dir);
      }
    } finally {
      await loaded.dispose();
    }
    expect(readFileSync(join(dir, 'model.safetensors')).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'finetuned'))).toBe(false);
  });

  it('a failed save says truthfully what it changed', async () => {
    const dir = join(work, 'blocked');
    const model = await randomModel(4);
    try {
      await savePretrained(model, dir);
      const weights = readFileSync(join(dir, 'model.safetensors'));
      // A folder where config.json must go: generation_config.json is replaced first, then the rename fails.
      rmSync(join(dir, 'config.json'));
      mkdirSync(join(dir, 'config.json'));
      const err = await savePretrained(model, dir).catch((e) => e);
      expect(err).toBeInstanceOf(VedError);
      expect(err.code).toBe('WRITE_FAILED');
      expect(err.message).toContain('while moving config.json into place');
      expect(err.message).toContain('replaced generation_config.json');
      expect(err.message).toContain('not written: config.json, model.safetensors');
      expect(err.message).not.toContain('Nothing was changed');
      expect(readFileSync(join(dir, 'model.safetensors')).equals(weights)).toBe(true);
      expect(listing(dir).filter((f) => f.startsWith('.ved-saving-'))).toEqual([]);

      const first = join(work, 'a-file');
      writeFileSync(first, 'not a directory');
      const refused = await savePretrained(model, join(first, 'model')).catch((e) => e);
      expect(refused.code).toBe('WRITE_FAILED');
      expect(refused.message).toContain('Nothing was changed there.');
    } finally {
      await model.dispose();
    }
  });

  it('stopped after any step, the folder loads as the old or the new model', async () => {
    const dir = join(work, 'steps');
    const oldModel = await randomModel(5);
    const newModel = await randomModel(6);
    const probe = pixels(oldModel);
    try {
      await savePretrained(oldModel, dir, { maxShardSize: 40_000 });
      writeFileSync(join(dir, 'notes.txt'), 'keep');
      const oldLogits = (await oldModel.logits(probe, [[0, 5, 7]])).data;
      const newLogits = (await newModel.logits(probe, [[0, 5, 7]])).data;
      const pristine = join(work, 'steps-pristine');
      cpSync(dir, pristine, { recursive: true });
      // Both layouts: sharded over sharded (same shard names) and single over sharded.
      for (const maxShardSize of [40_000, undefined]) {
        let total = 0;
        await savePretrained(newModel, join(work, 'count'), { ...(maxShardSize ? { maxShardSize } : {}), onProgress: (e) => void (total = e.total) });
        for (let stop = 1; stop <= total; stop++) {
          rmSync(dir, { recursive: true });
          cpSync(pristine, dir, { recursive: true });
          const err = await savePretrained(newModel, dir, {
            ...(maxShardSize ? { maxShardSize } : {}),
            onProgress: (e) => {
              if (e.done === stop) throw new Error(`stopped after ${e.phase} ${e.name}`);
            },
          }).catch((e) => e);
          expect(err).toBeInstanceOf(VedError);
          const got = await logitsOf(dir, probe);
          const isOld = maxAbsDiff(got, oldLogits) === 0;
          const isNew = maxAbsDiff(got, newLogits) === 0;
          expect(isOld || isNew, `stopped at step ${stop} (${err.message})`).toBe(true);
          expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep');
        }
      }
    } finally {
      await oldModel.dispose();
      await newModel.dispose();
    }
  });
});

describe('a save killed mid-way (a real SIGKILL)', () => {
  it('leaves a loadable checkpoint, and the next save sweeps its staging folder', async () => {
    if (!existsSync(join(DIST, 'index.js'))) throw new Error(`${DIST} is missing: run \`pnpm build\` before the tests.`);
    const dir = join(work, 'killed');
    const oldModel = await randomModel(7);
    const probe = pixels(oldModel);
    const oldLogits = (await oldModel.logits(probe, [[0, 5, 7]])).data;
    try {
      await savePretrained(oldModel, dir);
    } finally {
      await oldModel.dispose();
    }
    writeFileSync(join(dir, 'notes.txt'), 'keep');
    // The child saves another model over it and kills itself the moment the first file is staged.
    const script = `
      import { readFileSync } from 'node:fs';
      import { VisionEncoderDecoderConfig, VisionEncoderDecoderModel, nodeRuntime, savePretrained } from ${JSON.stringify(join(DIST, 'index.js'))};
      const raw = JSON.parse(readFileSync(${JSON.stringify(CONFIG)}, 'utf8'));
      const model = await VisionEncoderDecoderModel.fromConfig(new VisionEncoderDecoderConfig(raw, 'config.json'), nodeRuntime, { seed: 8 });
      await savePretrained(model, ${JSON.stringify(dir)}, { onProgress: (e) => { if (e.phase === 'move') process.kill(process.pid, 'SIGKILL'); } });
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const leftover = listing(dir).filter((f) => /^\.ved-saving-\d+-[0-9a-f]+$/.test(f));
    expect(leftover).toHaveLength(1);
    expect(maxAbsDiff(await logitsOf(dir, probe), oldLogits)).toBe(0);

    const again = await randomModel(9);
    try {
      await savePretrained(again, dir);
    } finally {
      await again.dispose();
    }
    expect(listing(dir).filter((f) => f.startsWith('.ved-saving-'))).toEqual([]);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep');
  });
});

describe('writeCheckpoint', () => {
  it('refuses file names that leave the folder', async () => {
    for (const name of ['../escape.json', '/abs.json', 'a//b', 'onnx/../../x']) {
      const err = await writeCheckpoint(join(work, 'names'), [{ name, bytes: new Uint8Array([1]) }]).catch((e) => e);
      expect(err).toBeInstanceOf(VedError);
      expect(err.message).toContain(JSON.stringify(name));
    }
    expect(existsSync(join(work, 'escape.json'))).toBe(false);
  });

  it('writes a file of parts piece by piece, never reading its joined bytes', async () => {
    const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.from({ length: 70000 }, (_, i) => i % 251)];
    const file = {
      name: 'model.safetensors',
      parts,
      get bytes(): Uint8Array {
        throw new Error('the joined bytes were read');
      },
    };
    await writeCheckpoint(join(work, 'parts'), [file]);
    const written = readFileSync(join(work, 'parts', 'model.safetensors'));
    expect(written.length).toBe(70003);
    expect([...written.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(Buffer.compare(written.subarray(3), Buffer.from(parts[2]!))).toBe(0);
  });

  it("savePretrained's weights are written from the model's tensors in parts, byte for byte what serializeSafetensors makes", async () => {
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(fixturePath('models', 'vit-gpt2-a')), nodeRuntime);
    try {
      const weights = model.serialize().find((f) => f.name === 'model.safetensors')!;
      expect(weights.parts!.length).toBeGreaterThan(1);
      await savePretrained(model, join(work, 'parts-model'));
      expect(Buffer.compare(readFileSync(join(work, 'parts-model', 'model.safetensors')), Buffer.from(weights.bytes))).toBe(0);
      expect(Buffer.compare(readFileSync(join(work, 'parts-model', 'model.safetensors')), readFileSync(fixturePath('models', 'vit-gpt2-a', 'model.safetensors')))).toBe(0);
    } finally {
      await model.dispose();
    }
  });
});

describe('the commands that save (the built CLI)', () => {
  const CLI = join(DIST, 'cli.js');
  const ved = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it('ved init into a folder with notes keeps the notes', () => {
    const dir = join(work, 'cli-init');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep');
    const run = ved(['init', '--config', CONFIG, '--out', dir]);
    // init notes on stderr that a config alone has no processor or tokenizer; nothing else.
    expect(run.stderr).not.toMatch(/error|at .*\.js:\d+/i);
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep');
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
  });

  it('ved export --out the model itself, or inside it, is refused and deletes nothing', () => {
    const dir = join(work, 'cli-init');
    const before = listing(dir);
    for (const out of [dir, join(dir, 'onnx-export')]) {
      const run = ved(['export', '--model', dir, '--out', out]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('--out');
      expect(run.stderr).toContain('INVALID_OPTION');
    }
    expect(listing(dir)).toEqual(before);
  });

  it('ved init --out the folder that holds its --config is refused', () => {
    const dir = join(work, 'cli-config');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), readFileSync(CONFIG));
    const run = ved(['init', '--config', join(dir, 'config.json'), '--out', dir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--out');
    expect(readFileSync(join(dir, 'config.json')).equals(readFileSync(CONFIG))).toBe(true);
  });

  it('ved export into a folder with other files writes the export beside them', () => {
    const out = join(work, 'cli-export');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep');
    const run = ved(['export', '--model', join(work, 'cli-init'), '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep');
    expect(existsSync(join(out, 'onnx', 'encoder_model.onnx'))).toBe(true);
  });
});
