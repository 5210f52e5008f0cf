/**
 * The published packages of the workspace and their tarballs, for the
 * packaging tests: which packages are public, `pnpm pack` of them all (as
 * publishing would pack them: `workspace:*` replaced by versions), and the
 * files of a tarball.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkspacePackage {
  name: string;
  /** Relative to the repository root, e.g. `packages/encoders/vit`. */
  path: string;
  dir: string;
  json: Record<string, unknown>;
}

/** Every non-private package under packages/ (the ones `changeset publish` would publish). */
export function publicPackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  const visit = (dir: string, depth: number) => {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, unknown>;
      if (json.private !== true) out.push({ name: json.name as string, path: relative(REPO_ROOT, dir), dir, json });
      return;
    }
    if (depth === 0) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'node_modules') visit(join(dir, entry.name), depth - 1);
    }
  };
  visit(join(REPO_ROOT, 'packages'), 2);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The tarball file name `pnpm pack` writes for a package. */
export function tarballName(pkg: WorkspacePackage): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.json.version as string}.tgz`;
}

/** `pnpm pack`s every public package into `dest` (from their built dist/: run `pnpm build` first). */
export function packAll(packages: readonly WorkspacePackage[], dest: string): Map<string, string> {
  const missing = packages.filter((p) => !existsSync(join(p.dir, 'dist')));
  if (missing.length > 0) throw new Error(`${missing.map((p) => p.name).join(', ')}: no dist/; run \`pnpm build\` before the packaging tests.`);
  const filters = packages.flatMap((p) => ['--filter', p.name]);
  execFileSync('pnpm', ['-r', ...filters, 'pack', '--pack-destination', dest], { cwd: REPO_ROOT, stdio: 'pipe' });
  return new Map(packages.map((p) => [p.name, join(dest, tarballName(p))]));
}

export interface TarFile {
  path: string;
  bytes: Uint8Array;
}

/** The files of a .tgz (ustar, as npm and pnpm write them), without the `package/` prefix. */
export function readTarball(path: string): TarFile[] {
  const tar = gunzipSync(readFileSync(path));
  const files: TarFile[] = [];
  const text = (at: number, length: number) => {
    const raw = tar.subarray(at, at + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = text(at, 100);
    if (name === '') break;
    const prefix = text(at + 345, 155);
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    const type = text(at + 156, 1);
    const full = prefix ? `${prefix}/${name}` : name;
    if (type === '0' || type === '') files.push({ path: full.replace(/^package\//, ''), bytes: tar.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
