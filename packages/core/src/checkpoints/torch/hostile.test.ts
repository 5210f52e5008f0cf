/**
 * Hostile `.bin` files (fixtures/formats/hostile, made with Python's own pickle and zipfile by
 * tools/reference/make_checkpoint_format_fixtures.py, which also checks that each exploit pickle
 * really runs its payload under a plain `pickle.loads`): every one is refused with a typed error
 * that names what was refused, nothing runs (the marker file the payloads would create stays
 * absent), and memory stays bounded.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { VedError, type VedErrorCode } from '../../errors.js';
import { bytesFile } from '../random-access.js';
import { TorchCheckpoint } from './torch-checkpoint.js';

const DIR = fileURLToPath(new URL('../../../../../fixtures/formats/hostile/', import.meta.url));
const verdicts = JSON.parse(readFileSync(`${DIR}torch_verdicts.json`, 'utf8')) as {
  marker: string;
  exploits: string[];
  torch_load_weights_only: Record<string, string>;
};

/** What ved answers for each file, and a word its message must contain. */
const EXPECTED: Record<string, [VedErrorCode, string] | 'loads'> = {
  'posix-system-reduce.bin': ['UNSAFE_PICKLE', 'posix.system'],
  'os-system-global.bin': ['UNSAFE_PICKLE', 'os.system'],
  'builtins-eval.bin': ['UNSAFE_PICKLE', 'builtins.eval'],
  'builtins-exec.bin': ['UNSAFE_PICKLE', 'builtins.exec'],
  // Python 2 names for protocol 2: subprocess.Popen is pickled as commands.Popen (fix_imports).
  'subprocess-popen.bin': ['UNSAFE_PICKLE', 'commands.Popen'],
  'stack-global.bin': ['UNSAFE_PICKLE', 'STACK_GLOBAL'],
  'protocol4.bin': ['UNSAFE_PICKLE', 'FRAME'],
  'inst.bin': ['UNSAFE_PICKLE', 'INST'],
  'obj.bin': ['UNSAFE_PICKLE', 'OBJ'],
  'ext1.bin': ['UNSAFE_PICKLE', 'EXT1'],
  'ext2.bin': ['UNSAFE_PICKLE', 'EXT2'],
  'build-on-list.bin': ['UNSAFE_PICKLE', 'BUILD on a list'],
  'build-on-tuple.bin': ['UNSAFE_PICKLE', 'BUILD on a tuple'],
  'append-to-dict.bin': ['UNSAFE_PICKLE', 'APPEND to lists'],
  'persid-not-storage.bin': ['UNSAFE_PICKLE', 'persistent_load of storage'],
  'memo-reduce-string.bin': ['UNSAFE_PICKLE', 'REDUCE calls a str'],
  'memo-unset.bin': ['INVALID_CHECKPOINT', 'memo slot 5'],
  'memo-cycle.bin': ['INVALID_CHECKPOINT', 'not a state dict'],
  'memo-huge-index.bin': 'loads',
  'storage-terabytes.bin': ['INVALID_CHECKPOINT', '4398046511104'],
  'view-past-storage.bin': ['INVALID_CHECKPOINT', 'reaches element'],
  'zip-dotdot.bin': ['INVALID_CHECKPOINT', '".."'],
  'zip-absolute.bin': ['INVALID_CHECKPOINT', 'absolute path'],
  'zip-bomb.bin': ['INVALID_CHECKPOINT', 'zip bomb'],
  'deflate-overlong.bin': ['INVALID_CHECKPOINT', 'CRC-32'],
  'truncated.bin': ['INVALID_CHECKPOINT', 'truncated'],
  'not-a-zip.bin': ['INVALID_CHECKPOINT', 'neither a ZIP archive'],
};

function open(name: string): TorchCheckpoint {
  const path = DIR + name;
  const bytes = new Uint8Array(readFileSync(path));
  return TorchCheckpoint.open({ ...bytesFile(bytes, path), localPath: path });
}

describe('hostile pytorch_model.bin files', () => {
  beforeAll(() => rmSync(verdicts.marker, { force: true }));

  it('the fixture set is the one Python wrote', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(verdicts.torch_load_weights_only).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const before = process.memoryUsage().arrayBuffers;
    if (expected === 'loads') {
      expect(open(name).names()).toEqual([]);
    } else {
      let error: unknown;
      try {
        const checkpoint = open(name);
        for (const tensor of checkpoint.names()) checkpoint.getFloat32(tensor);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VedError);
      expect((error as VedError).code).toBe(expected[0]);
      expect((error as VedError).message).toContain(expected[1]);
      expect((error as VedError).message).toContain(name);
    }
    // Nothing claimed (terabyte storages, a 4 GiB entry) was allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('everything torch.load(weights_only=True) refuses, ved refuses too', () => {
    for (const [name, verdict] of Object.entries(verdicts.torch_load_weights_only)) {
      if (verdict.startsWith('refused')) expect(EXPECTED[name], name).not.toBe('loads');
    }
  });

  it('no payload ran: the marker file the exploits would create is absent', () => {
    expect(verdicts.exploits.length).toBeGreaterThanOrEqual(7);
    expect(existsSync(verdicts.marker)).toBe(false);
  });
});
