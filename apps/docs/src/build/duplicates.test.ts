import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Lexer } from 'marked';
import { assertOneSource, describeDuplicates, findDuplicates, MIN_CODE_LINES, MIN_TEXT_CHARS, unitsOf } from './duplicates.js';
import { pageSpecs, resolvePage } from './pages.js';
import { Sources } from './sources.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const LONG = 'ved runs image-to-text models in JavaScript, on Node and in the browser, on ONNX Runtime.';

/** Pages made of one file each, lexed as the site lexes them. */
function pages(files: Record<string, string>, slugs: Record<string, string> = {}) {
  return Object.entries(files).map(([file, text]) => ({
    slug: slugs[file] ?? file.replace(/^.*\//, '').replace(/\.md$/, '').toLowerCase(),
    blocks: new Lexer({ gfm: true }).lex(text).map((token) => ({ file, token })),
  }));
}

describe('paragraphs on two pages', () => {
  it('finds a paragraph moved to docs/ but left in the README, whatever its wrapping, links and case', () => {
    const found = findDuplicates(
      pages({
        'README.md': `# ved\n\n${LONG}\n`,
        'docs/intro.md': `# Intro\n\nved runs image-to-text models in JavaScript,\non Node and in the browser, on [ONNX Runtime](https://onnxruntime.ai).\n`,
      }),
    );
    expect(found).toEqual([
      {
        kind: 'paragraph',
        key: LONG.toLowerCase(),
        places: [
          { page: 'readme.html', file: 'README.md' },
          { page: 'intro.html', file: 'docs/intro.md' },
        ],
      },
    ]);
  });

  it('compares list items (nested ones on their own), block quotes, table body rows and long code blocks', () => {
    const item = 'a list item that is long enough to count as a paragraph of its own';
    const nested = 'a nested item, also long enough to count as a paragraph of its own';
    const row = '| `numBeams` | `num_beams` | 1 | `{ numBeams: 4 }`: beam search |';
    const code = '```ts\nconst a = 1;\nconst b = 2;\nconst c = 3;\nconst d = 4;\n```';
    const a = `# A\n\n- ${item}\n  - ${nested}\n\n> ${LONG}\n\n| option | JSON | default | example |\n|---|---|---|---|\n${row}\n\n${code}\n`;
    const b = `# B\n\n1. ${item}\n2. other\n\n* ${nested}\n\n${LONG}\n\n| option | JSON | default | example |\n|---|---|---|---|\n${row}\n\n${code}\n`;
    const found = findDuplicates(pages({ 'docs/a.md': a, 'docs/b.md': b }));
    expect(found.map((d) => d.kind)).toEqual(['list item', 'list item', 'paragraph', 'table row', 'code block']);
    expect(found.every((d) => d.places.map((p) => p.file).join() === 'docs/a.md,docs/b.md')).toBe(true);
  });

  it('ignores headings, table header rows, short texts and short code blocks', () => {
    const short = 'On the command line:';
    expect(short.length).toBeLessThan(MIN_TEXT_CHARS);
    const text = `# Same heading\n\n${short}\n\n\`\`\`sh\npnpm bench\n\`\`\`\n\n| a long header cell | another long header cell | third |\n|---|---|---|\n| 1 | 2 | 3 |\n`;
    expect(findDuplicates(pages({ 'docs/a.md': text, 'docs/b.md': text }))).toEqual([]);
    const code = new Lexer().lex(`\`\`\`\n${'x\n'.repeat(MIN_CODE_LINES - 1)}\`\`\`\n`);
    expect(code.flatMap(unitsOf)).toEqual([]);
  });

  it('allows a file to repeat itself, and reports two files of one page', () => {
    const twice = `# Flags\n\n${LONG}\n\n## Again\n\n${LONG}\n`;
    expect(findDuplicates(pages({ 'docs/cli.md': twice }))).toEqual([]);
    const onePage = [
      {
        slug: 'default-model',
        blocks: [
          ...new Lexer().lex(`# Default\n\n${LONG}\n`).map((token) => ({ file: 'docs/default-model.md', token })),
          ...new Lexer().lex(`# Tools\n\n${LONG}\n`).map((token) => ({ file: 'tools/demo-model/README.md', token })),
        ],
      },
    ];
    expect(findDuplicates(onePage)[0]?.places.map((p) => p.file)).toEqual(['docs/default-model.md', 'tools/demo-model/README.md']);
  });

  it('says which text is where, and what to do', () => {
    const message = describeDuplicates(findDuplicates(pages({ 'README.md': `${LONG}\n`, 'docs/intro.md': `${LONG}\n` }, { 'README.md': 'index' })));
    expect(message).toMatch(/^1 text is in two places of the documentation site; each topic has one source\. Keep each in one file and link to it from the other/);
    expect(message).toContain('- a paragraph "ved runs image-to-text models in javascript, on node and in the browser, on onnx runtime." is in README.md (index.html) and docs/intro.md (intro.html)');
    const quoted = describeDuplicates(findDuplicates(pages({ 'a.md': `Python's "generate" keeps <pad> & eos after the end of each row.\n`, 'b.md': `Python's "generate" keeps <pad> & eos after the end of each row.\n` })));
    expect(quoted).toContain(`"python's "generate" keeps <pad> & eos after the end of each row."`);
  });

  it('stops the build with a VedError (INVALID_INPUT)', () => {
    expect(() => assertOneSource(pages({ 'README.md': `${LONG}\n`, 'docs/intro.md': `${LONG}\n` }))).toThrowError(
      expect.objectContaining({ name: 'VedError', code: 'INVALID_INPUT', message: expect.stringContaining('README.md (readme.html) and docs/intro.md (intro.html)') }),
    );
    expect(() => assertOneSource(pages({ 'README.md': `${LONG}\n`, 'docs/other.md': '# Other\n\nSomething else entirely, said only here.\n' }))).not.toThrow();
  });

  it('finds none in this repository: every page of the site has its own text', () => {
    const sources = new Sources(REPO_ROOT);
    const site = pageSpecs(sources).map((spec) => resolvePage(spec, sources));
    expect(site.map((p) => p.slug)).toContain('index');
    expect(describeDuplicates(findDuplicates(site))).toMatch(/^0 texts are/);
  });
});
