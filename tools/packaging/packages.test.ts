/**
 * Every published package, as `pnpm pack` packs it: the metadata npm shows
 * (description, repository, keywords, engines, license), a LICENSE and a
 * README with an install line, an example and a docs link, no tests,
 * fixtures, test helpers or build info in the tarball, and clean reports
 * from publint and arethetypeswrong (its core, which @arethetypeswrong/cli
 * runs). Needs `pnpm build` first.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { REPO_ROOT, packAll, publicPackages, readTarball, type TarFile } from './packages.js';

const packages = publicPackages();
const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { repository: { url: string } };
const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
let dir: string;
let tarballs: Map<string, string>;
const contents = new Map<string, TarFile[]>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ved-pack-'));
  tarballs = packAll(packages, dir);
  for (const [name, path] of tarballs) contents.set(name, readTarball(path));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the repository is Apache-2.0 (root LICENSE), as transformers', () => {
  expect(license).toContain('Apache License');
  expect(license).toContain('Version 2.0, January 2004');
  expect(packages.length).toBeGreaterThanOrEqual(16);
});

describe.each(packages.map((p) => [p.name, p] as const))('%s', (name, pkg) => {
  it('has the metadata npm shows', () => {
    const json = pkg.json as Record<string, unknown> & { repository?: { url?: string; directory?: string }; engines?: { node?: string } };
    expect(typeof json.description === 'string' && json.description.length > 20, 'description').toBe(true);
    expect(json.license).toBe('Apache-2.0');
    expect(json.repository?.url).toBe(root.repository.url);
    expect(json.repository?.directory).toBe(pkg.path);
    expect(Array.isArray(json.keywords) && json.keywords.length >= 3, 'keywords').toBe(true);
    expect(json.engines?.node).toBe('>=20');
    expect(json.publishConfig).toEqual({ access: 'public' });
  });

  it('ships LICENSE and a README with an install line, an example and a docs link', () => {
    const files = contents.get(name)!;
    const text = (path: string) => new TextDecoder().decode(files.find((f) => f.path === path)?.bytes);
    expect(text('LICENSE')).toBe(license);
    const readme = text('README.md');
    expect(readme).toMatch(new RegExp(`^# ${name.replace('/', '\\/')}`));
    expect(readme).toMatch(/npm install @ved\//);
    expect(readme).toMatch(/```(ts|js)\n[\s\S]*?(import|from)[\s\S]*?```/);
    expect(readme).toMatch(/\]\(https:\/\/github\.com\/[^)]+\/docs\/[a-z-]+\.md\)/);
  });

  it('ships no tests, fixtures, test helpers or build info', () => {
    const files = contents.get(name)!;
    const paths = files.map((f) => f.path);
    expect(paths.filter((p) => /\.test\.|(^|\/)(test-utils|fixtures|golden|hostile)\/|\.tsbuildinfo$|onnx-fixtures/.test(p))).toEqual([]);
    const importsVitest = files.filter((f) => /\.(js|ts)$/.test(f.path) && /from ['"]vitest['"]|import\(['"]vitest['"]\)/.test(new TextDecoder().decode(f.bytes)));
    // Only a test kit's `vitest` entry (@ved/testing/vitest) may import vitest, which it declares as a peer dependency.
    const kitEntry = (path: string) => 'vitest' in ((pkg.json.peerDependencies ?? {}) as Record<string, string>) && /^(src|dist)\/vitest\.(ts|js|d\.ts)$/.test(path);
    expect(importsVitest.map((f) => f.path).filter((path) => !kitEntry(path))).toEqual([]);
    const manifest = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'package.json')!.bytes)) as Record<string, Record<string, string> | undefined>;
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) expect(range, `${field}.${dep}`).not.toMatch(/^workspace:/);
    }
  });

  it('passes publint (suggestions included)', async () => {
    const bytes = readFileSync(tarballs.get(name)!);
    const { messages, pkg: json } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, level: 'suggestion', strict: true });
    expect(messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, json)}`)).toEqual([]);
  });

  // `attw --profile esm-only`: ved's packages are ESM-only (Node >= 20, "type": "module"), so the
  // resolutions that cannot load ESM (node10, node16 from CommonJS) are not checked.
  it('passes arethetypeswrong (profile esm-only)', async () => {
    const result = await checkPackage(createPackageFromTarballData(new Uint8Array(readFileSync(tarballs.get(name)!))));
    expect(result.types).toEqual({ kind: 'included' });
    if (!('problems' in result)) throw new Error(`${name}: arethetypeswrong could not analyse the package`);
    const ignored = new Set(['node10', 'node16-cjs']);
    const relevant = result.problems.filter((p) => !('resolutionKind' in p && ignored.has(p.resolutionKind as string)) && p.kind !== 'CJSResolvesToESM');
    expect(relevant.map((p) => JSON.stringify(p))).toEqual([]);
  });
});
