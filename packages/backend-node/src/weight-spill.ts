/**
 * `Runtime.createWeightSpill` for onnxruntime-node: the weights a load computes
 * in JavaScript (quantized to q8/q4, or converted to float32 from a float16
 * checkpoint) are written to one temporary file, and the graphs point at it as
 * they point at the checkpoint's own safetensors, so onnxruntime reads them
 * itself. Otherwise they travel inside the serialised graph (onnxruntime-node
 * takes in-memory external data or files on disk, not both), which onnxruntime
 * parses into one more copy while the JavaScript arrays and the serialised bytes
 * are still alive: ViT-B/16 + GPT-2 in q8 embeds 95 + 132 MiB that way. The file
 * is deleted as soon as both sessions are open (a process killed while loading
 * leaves its `ved-weights-*` folder in the temporary folder).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExternalLocation, WeightSpill } from '@ved/core';

/** Each tensor starts on a page boundary, so that onnxruntime may map the file rather than read it. */
const ALIGN = 4096;

/** A spill in a new folder under `dir` (the system's temporary folder: $TMPDIR); undefined on Windows. */
export function createWeightSpill(dir: string = tmpdir()): WeightSpill | undefined {
  // External-data paths are relative to one root; on Windows the checkpoint and the temporary folder may be on different drives.
  if (process.platform === 'win32') return undefined;
  let folder: string | undefined;
  let fd: number | undefined;
  let file = '';
  let end = 0;
  let written = 0;
  let error: string | undefined;
  return {
    get bytesWritten() {
      return written;
    },
    get error() {
      return error;
    },
    write(bytes: Uint8Array): ExternalLocation | undefined {
      if (error !== undefined) return undefined;
      const offset = Math.ceil(end / ALIGN) * ALIGN;
      try {
        if (fd === undefined) {
          folder = mkdtempSync(join(dir, 'ved-weights-'));
          file = join(folder, 'weights.bin');
          fd = openSync(file, 'w', 0o600);
        }
        for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done, offset + done);
      } catch (err) {
        // What was written stays in use; the rest stays in memory (the load warns, naming the folder).
        error = `could not write the weights computed while loading to ${file || dir} (${(err as Error).message}); point TMPDIR at a writable folder with room`;
        return undefined;
      }
      end = offset + bytes.byteLength;
      written += bytes.byteLength;
      return { file, offset, length: bytes.byteLength };
    },
    dispose(): void {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
      folder = undefined;
    },
  };
}
