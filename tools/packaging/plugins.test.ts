/**
 * Third-party plugins as an outsider builds and installs them: the example
 * packages (examples/encoder-dinov2, examples/decoder-electra, which use only
 * @ved/core's public API and take it as a peer dependency) and ved's published
 * packages (the plugin kit @ved/testing among them) are packed with
 * `pnpm pack` (ved's: what @ved/backend-node and the kit need) and installed
 * with npm in one scratch project outside the workspace (no workspace
 * links), then
 *   - TypeScript: a script importing the plugins and @ved/testing compiles
 *     against the installed packages' types and, run by node, checks each
 *     fixture (examples/fixtures, from the kit's generator and transformers
 *     5.18) with the kit's golden checks: weights, hidden states, logits, ids,
 *     loss;
 *   - CLI: on the fixture's image files, `ved --plugin <package> caption`
 *     prints Python's greedy ids and texts, `ved --plugin <package> loss`
 *     Python's loss; without the plugin the checkpoint is an
 *     UNKNOWN_MODEL_TYPE error.
 * Needs `pnpm build` first (the examples build with it). Takes 80-110 s on
 * 2 cores (pack and npm install about half of it).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, packAll, publicPackages, type WorkspacePackage } from './packages.js';

const EXAMPLES = ['encoder-dinov2', 'decoder-electra'];
const FIXTURES = ['dinov2-gpt2', 'vit-electra', 'dinov2-electra'];
/** The plugin packages each fixture needs (the ViT and GPT-2 are ved's built-ins). */
const PLUGINS: Record<string, string[]> = {
  'dinov2-gpt2': ['ved-encoder-dinov2'],
  'vit-electra': ['ved-decoder-electra'],
  'dinov2-electra': ['ved-encoder-dinov2', 'ved-decoder-electra'],
};
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
let scratch: string;

/** What transformers computed from the fixture's image files (examples/fixtures/add_image_references.py). */
interface ImageReference {
  images: string[];
  greedy: { max_new_tokens: number; sequences: number[][] };
  greedy_text: string[];
  loss: { labels: number[]; value: number };
}
const reference = (name: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'examples/fixtures', name, 'reference/images.json'), 'utf8')) as ImageReference;

function run(command: string, args: string[], timeout: number) {
  return spawnSync(command, args, { cwd: scratch, env, encoding: 'utf8', timeout });
}

function runOk(command: string, args: string[], timeout: number): string {
  const result = run(command, args, timeout);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (status ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * The published packages the scratch project needs: `roots` and what they depend on (dependencies and
 * required peers), leaving out the optional architectures and the web backend, as a user's install would.
 */
function neededPackages(roots: readonly string[]): WorkspacePackage[] {
  const byName = new Map(publicPackages().map((p) => [p.name, p]));
  const needed = new Map<string, WorkspacePackage>();
  const visit = (name: string) => {
    const pkg = byName.get(name);
    if (pkg === undefined || needed.has(name)) return;
    needed.set(name, pkg);
    const json = pkg.json as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    const peers = Object.keys(json.peerDependencies ?? {}).filter((n) => json.peerDependenciesMeta?.[n]?.optional !== true);
    for (const dep of [...Object.keys(json.dependencies ?? {}), ...peers]) visit(dep);
  };
  roots.forEach(visit);
  return [...needed.values()];
}

function examplePackages(): WorkspacePackage[] {
  return EXAMPLES.map((name) => {
    const dir = join(REPO_ROOT, 'examples', name);
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return { name: json.name as string, path: `examples/${name}`, dir, json };
  });
}

beforeAll(() => {
  // Outside the workspace: nothing resolves from the repository's node_modules.
  scratch = mkdtempSync(join(tmpdir(), 'ved-plugins-'));
  const tarballs = packAll([...neededPackages(['@ved/backend-node', '@ved/testing']), ...examplePackages()], join(scratch, 'tarballs'));
  const dependencies = Object.fromEntries([...tarballs].map(([name, path]) => [name, `file:${path}`]));
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'ved-plugins-check', private: true, type: 'module', dependencies }, null, 2));
  cpSync(join(REPO_ROOT, 'tools/packaging/plugins-app'), scratch, { recursive: true });
  mkdirSync(join(scratch, 'fixtures/images'), { recursive: true });
  for (const name of FIXTURES) {
    cpSync(join(REPO_ROOT, 'examples/fixtures', name), join(scratch, 'fixtures', name), { recursive: true });
    for (const image of reference(name).images) cpSync(join(REPO_ROOT, image), join(scratch, image));
  }
  runOk('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], 600_000);
}, 660_000);
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('example plugins installed from tarballs with npm', () => {
  it('are real packages: installed files, not links, and one copy of @ved/core (a peer dependency)', () => {
    for (const name of ['ved-encoder-dinov2', 'ved-decoder-electra']) {
      expect(existsSync(join(scratch, 'node_modules', name, 'dist/index.js')), name).toBe(true);
      expect(existsSync(join(scratch, 'node_modules', name, 'src')), `${name} ships src`).toBe(false);
      expect(existsSync(join(scratch, 'node_modules', name, 'node_modules')), `${name} has its own node_modules`).toBe(false);
      const json = JSON.parse(readFileSync(join(scratch, 'node_modules', name, 'package.json'), 'utf8'));
      expect(json.peerDependencies['@ved/core']).toMatch(/^\^\d+\.\d+\.\d+$/);
      expect(json.dependencies ?? {}).toEqual({});
    }
    const copies = spawnSync('npm', ['ls', '@ved/core', '--all', '--parseable'], { cwd: scratch, env, encoding: 'utf8' }).stdout.trim().split('\n');
    expect(new Set(copies)).toEqual(new Set([join(scratch, 'node_modules/@ved/core')]));
  });

  it("TypeScript: compiles against the installed types; the kit's golden checks pass on every fixture", () => {
    runOk(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], 120_000);
    const lines = runOk(process.execPath, ['check.js'], 300_000).trim().split('\n');
    const byFixture = new Map(lines.map((l) => JSON.parse(l) as { fixture: string; results: Array<{ name: string; ok: boolean; error?: string }> }).map((r) => [r.fixture, r.results]));
    expect([...byFixture.keys()]).toEqual(FIXTURES);
    for (const [fixture, results] of byFixture) {
      expect(results.filter((r) => !r.ok), fixture).toEqual([]);
      const names = results.map((r) => r.name).join('\n');
      for (const check of ['weights()', 'encoder last_hidden_state', 'first-step logits', 'teacher-forced logits', 'greedy ids', 'beam search', 'loss']) {
        expect(names, `${fixture}: ${check}`).toContain(check);
      }
    }
    for (const fixture of ['dinov2-gpt2', 'dinov2-electra']) expect(byFixture.get(fixture)!.map((r) => r.name).join('\n')).toContain('interpolatePosEncoding');
  }, 400_000);

  it.each(FIXTURES)('CLI %s: `ved --plugin … caption` prints the greedy ids and texts, `ved --plugin … loss` the loss', (name) => {
    const ref = reference(name);
    const ved = join(scratch, 'node_modules/.bin/ved');
    const model = join('fixtures', name);
    const plugins = PLUGINS[name]!.flatMap((p) => ['--plugin', p]);
    const caption = ['caption', ...ref.images, '--model', model, '--json', '--max-new-tokens', String(ref.greedy.max_new_tokens)];

    const without = run(ved, caption, 120_000);
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(/Unknown (encoder|decoder) model_type "(dinov2|electra)"/);

    const lines = runOk(ved, [...plugins, ...caption], 120_000).trim().split('\n').map((l) => JSON.parse(l) as { sequences: Array<{ ids: number[]; text: string }> });
    expect(lines.map((l) => l.sequences[0]!.ids)).toEqual(ref.greedy.sequences);
    expect(lines.map((l) => l.sequences[0]!.text)).toEqual(ref.greedy_text);

    const loss = JSON.parse(runOk(ved, [...plugins, 'loss', ...ref.images, '--model', model, '--labels', ref.loss.labels.join(','), '--json'], 120_000)) as { loss: number };
    expect(Math.abs(loss.loss - ref.loss.value)).toBeLessThan(1e-4);
  }, 300_000);

  it('the scratch project holds no workspace link', () => {
    const links = readdirSync(join(scratch, 'node_modules/@ved')).filter((n) => spawnSync('test', ['-L', join(scratch, 'node_modules/@ved', n)]).status === 0);
    expect(links).toEqual([]);
  });
});
