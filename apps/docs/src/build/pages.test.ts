import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LinkIndex } from './links.js';
import { renderPage } from './markdown.js';
import { pageSpecs, resolvePage, type PageSpec } from './pages.js';
import { Sources } from './sources.js';

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ved-docs-pages-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const README = `# tool — does things

Intro with [a guide](docs/guide.md) and [contributing](CONTRIBUTING.md).

## Set up

Run \`make\`. See [options](#options-and-more) and [the guide's part](docs/guide.md#deep-part).

## Options and more

### Options

| option | default |
|---|---|
| \`numBeams\` | 1 |

\`\`\`ts
const x: number = 1;
\`\`\`

### Options

Again, a second heading of the same name.

## Contributing

See [the script](tools/make.py), [a folder](tools/) and [the site](https://example.org/x).
`;

const SPECS: PageSpec[] = [
  { slug: 'index', nav: 'Overview', summary: 'o', parts: [{ file: 'README.md', intro: true }] },
  { slug: 'setup', nav: 'Set-up guide', summary: 's', parts: [{ file: 'README.md', section: 'Set up' }, { file: 'README.md', section: 'Contributing' }] },
  { slug: 'options', nav: 'Options', summary: 'p', parts: [[{ file: 'docs/options.md' }, { file: 'README.md', section: 'Options' }]] },
  { slug: 'guide', nav: 'Guide', summary: 'g', parts: [{ file: 'docs/guide.md' }] },
  { slug: 'contributing', nav: 'Contributing', summary: 'c', parts: [{ file: 'CONTRIBUTING.md' }] },
];

function site(files: Record<string, string>) {
  const sources = new Sources(repo(files));
  const pages = pageSpecs(sources, SPECS).map((s) => resolvePage(s, sources));
  const links = new LinkIndex(pages);
  const page = (slug: string) => pages.find((p) => p.slug === slug)!;
  const html = (slug: string) => renderPage(page(slug), links);
  return { pages, page, html };
}

const FILES = {
  'README.md': README,
  'CONTRIBUTING.md': '# Contributing\n\nBack to the [readme](README.md#set-up).\n',
  'docs/guide.md': '# The guide\n\n## Deep part\n\nText.\n\n## Other\n\nSee [setting up](../README.md#set-up).\n',
  'docs/zeta.md': '# Zeta notes\n\nExtra.\n',
};

describe('guide pages from the repository Markdown', () => {
  it('takes a README section, or the first file of a list that exists, and gives every other docs/*.md a page', () => {
    const { pages, page } = site(FILES);
    expect(pages.map((p) => p.slug)).toEqual(['index', 'setup', 'options', 'guide', 'contributing', 'zeta']);
    expect(page('zeta')).toMatchObject({ nav: 'Zeta notes', summary: 'Extra.' });
    // docs/options.md does not exist: the README's section stands in.
    expect(page('options').blocks.every((b) => b.file === 'README.md')).toBe(true);
    expect(page('setup').blocks.map((b) => b.token.type)).toContain('paragraph');
  });

  it('titles a page by its own single top heading, otherwise by its name, with headings below it', () => {
    const { page } = site(FILES);
    expect(page('index')).toMatchObject({ titledByText: true, title: 'tool — does things' });
    expect(page('guide')).toMatchObject({ titledByText: true, title: 'The guide' });
    expect([...page('guide').headings.values()].map((h) => [h.id, h.depth])).toEqual([['the-guide', 1], ['deep-part', 2], ['other', 2]]);
    // Two `##` sections: the page is titled "Set-up guide" and they stay at depth 2.
    expect(page('setup')).toMatchObject({ titledByText: false, title: 'Set-up guide' });
    expect([...page('setup').headings.values()].map((h) => h.depth)).toEqual([2, 2]);
    // One `##` section: it becomes the title; its `###` headings keep GitHub's anchors, made unique.
    expect([...page('options').headings.values()].map((h) => [h.id, h.depth])).toEqual([['options-and-more', 1], ['options', 2], ['options-1', 2]]);
  });

  it('resolves links written for GitHub to pages and anchors, and keeps links to other repository files as text', () => {
    const { html } = site(FILES);
    const index = html('index').html;
    expect(index).toContain('<a href="guide.html">a guide</a>');
    expect(index).toContain('<a href="contributing.html">contributing</a>');
    const setup = html('setup');
    expect(setup.html).toContain('<a href="options.html#options-and-more">options</a>');
    expect(setup.html).toContain('<a href="guide.html#deep-part">the guide&#39;s part</a>');
    expect(setup.html).toContain('<span class="repo-path" title="tools/make.py in the repository">the script</span>');
    expect(setup.html).toContain('<span class="repo-path" title="tools in the repository">a folder</span>');
    expect(setup.html).toContain('<a href="https://example.org/x" rel="noopener">the site</a>');
    expect(setup.warnings).toEqual([]);
    expect(html('contributing').html).toContain('<a href="setup.html#set-up">readme</a>');
    expect(html('guide').html).toContain('<a href="setup.html#set-up">setting up</a>');
  });

  it('renders headings with ids, GFM tables, and highlighted code', () => {
    const { html } = site(FILES);
    const options = html('options').html;
    expect(options).toContain('<h1 id="options-and-more">Options and more</h1>');
    expect(options).toContain('<h2 id="options-1"><a class="anchor" href="#options-1"');
    expect(options).toMatch(/<div class="table"><table>[\s\S]*<code>numBeams<\/code>/);
    expect(options).toContain('<pre><code class="hljs" data-lang="TypeScript"><span class="hljs-keyword">const</span>');
  });

  it('warns about a link to a heading that no page shows', () => {
    const { html } = site({ ...FILES, 'CONTRIBUTING.md': '# Contributing\n\n[gone](README.md#no-such-heading)\n' });
    const rendered = html('contributing');
    expect(rendered.html).toContain('<a href="index.html">gone</a>');
    expect(rendered.warnings).toEqual([expect.stringContaining('README.md#no-such-heading')]);
  });

  it('fails with the file, the missing section and the sections it has', () => {
    const sources = new Sources(repo({ ...FILES, 'README.md': '# tool\n\n## Install\n\ntext\n' }));
    expect(() => resolvePage(SPECS[1]!, sources)).toThrowError(/README\.md has no section "## Set up…".*"# tool", "## Install"/s);
    expect(() => resolvePage({ slug: 'x', nav: 'x', summary: 'x', parts: [{ file: 'docs/missing.md' }] }, sources)).toThrowError(/docs\/missing\.md, which does not exist/);
  });
});
