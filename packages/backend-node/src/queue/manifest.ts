/**
 * Manifests of `ved enqueue` / `ved results`: JSON lines `{"image": "path", ...}`
 * (`ved eval`'s manifests; other members such as "text" are ignored), paths
 * absolute or relative to the manifest. Each line's job id is derived from
 * the image's absolute path, so enqueueing a manifest twice adds nothing and
 * `ved results` finds every line's job from the manifest alone.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { VedError } from '@ved/core';

export interface JobLine {
  /** 1-based line number. */
  line: number;
  /** The image as the manifest writes it (what `ved results` prints, as `ved caption --json` prints its arguments). */
  image: string;
  /** Absolute path of the image. */
  path: string;
  /** BullMQ job id of the line. */
  id: string;
}

/** The job id of an image: `img-` and the SHA-256 of its absolute path (BullMQ ids must not contain ':'). */
export function jobId(absolutePath: string): string {
  return `img-${createHash('sha256').update(absolutePath).digest('hex').slice(0, 40)}`;
}

/** Reads a manifest (streamed line by line); blank lines are skipped, a bad line fails naming its number. */
export async function readJobManifest(manifest: string): Promise<JobLine[]> {
  try {
    await access(manifest);
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Manifest not found: ${resolve(manifest)}.`, { cause });
  }
  const base = dirname(resolve(manifest));
  const lines: JobLine[] = [];
  let n = 0;
  for await (const raw of createInterface({ input: createReadStream(manifest), crlfDelay: Infinity })) {
    n += 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new VedError('INVALID_INPUT', `${manifest}, line ${n}: not valid JSON (${(cause as Error).message}); expected {"image": "path"}.`, { cause });
    }
    const image = (value as { image?: unknown } | null)?.image;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof image !== 'string' || image === '') {
      throw new VedError('INVALID_INPUT', `${manifest}, line ${n}: expected a JSON object with a non-empty "image" path, found ${raw.slice(0, 120)}.`);
    }
    const path = isAbsolute(image) ? image : resolve(base, image);
    lines.push({ line: n, image, path, id: jobId(path) });
  }
  if (lines.length === 0) throw new VedError('INVALID_INPUT', `${manifest}: the manifest lists no images.`);
  return lines;
}
