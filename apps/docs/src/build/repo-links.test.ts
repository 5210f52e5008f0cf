import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokenLinks, documentationFiles, headingAnchors, linkTargets } from './repo-links.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ved-docs-links-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('relative links in the repository Markdown', () => {
  it('reads links and images, and headings with GitHub anchors (made unique)', () => {
    expect(linkTargets('See [a](docs/a.md#x), ![img](pic.png) and [ref][r].\n\n- [in a list](b.md)\n\n[r]: c.md\n')).toEqual(['docs/a.md#x', 'pic.png', 'c.md', 'b.md']);
    expect([...headingAnchors("# Title\n\n## The `ved` CLI: flags\n\n## Running the repository's tests\n\n## Title\n")]).toEqual([
      'title',
      'the-ved-cli-flags',
      'running-the-repositorys-tests',
      'title-1',
    ]);
  });

  it('reports missing files, folders and headings, and resolves as GitHub does', () => {
    const root = repo({
      'README.md': '# R\n\n## Set up\n\n[ok](docs/a.md#deep-part) [dir](tools/) [self](#set-up) [web](https://example.org/x) [mail](mailto:a@b.c)\n\n[gone](docs/gone.md) [no anchor](docs/a.md#nope) [no self](#nope) [outside](../x.md)\n',
      'docs/a.md': '# A\n\n## Deep part\n\n[up](../README.md#set-up) [root](/tools/make.py) [space](my%20file.md)\n',
      'docs/my file.md': '# Spaced\n',
      'tools/make.py': '',
    });
    expect(brokenLinks(root, ['README.md', 'docs/a.md'])).toEqual([
      { file: 'README.md', href: 'docs/gone.md', reason: 'docs/gone.md does not exist' },
      { file: 'README.md', href: 'docs/a.md#nope', reason: 'docs/a.md has no heading with the anchor #nope' },
      { file: 'README.md', href: '#nope', reason: 'README.md has no heading with the anchor #nope' },
      { file: 'README.md', href: '../x.md', reason: '../x.md does not exist' },
    ]);
  });

  it('finds none in README.md, CONTRIBUTING.md and docs/', () => {
    const files = documentationFiles(REPO_ROOT);
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.startsWith('docs/')).length).toBeGreaterThan(10);
    expect(brokenLinks(REPO_ROOT, files)).toEqual([]);
  });

  it('the README links every page in docs/ (its Guides list)', () => {
    const linked = new Set(linkTargets(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).map((href) => href.split('#')[0]));
    const pages = documentationFiles(REPO_ROOT).filter((f) => f.startsWith('docs/'));
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});
