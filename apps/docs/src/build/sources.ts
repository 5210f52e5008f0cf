/**
 * The Markdown the site is made from: the repository's README.md, docs/*.md
 * and a few READMEs beside the code, lexed once with `marked`, every heading given the
 * anchor GitHub gives it (github-slugger over the whole file), so that links
 * written for GitHub (`docs/generation.md#lengths`) find their target here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';
import { VedError } from '@ved/core';

export interface SourceFile {
  /** Path relative to the repository root, with `/`. */
  readonly path: string;
  /** Top-level block tokens, in order. */
  readonly tokens: readonly Token[];
  /** GitHub's anchor of every top-level heading (unique within the file). */
  readonly anchors: ReadonlyMap<Tokens.Heading, string>;
}

/** What a page takes from a file: all of it, one `##` section, or what precedes the first `##`. */
export type Part = { file: string } | { file: string; section: string } | { file: string; intro: true };

/** The plain text of inline tokens, as GitHub slugs it (no markup, code spans kept). */
export function plainText(tokens: readonly Token[] | undefined): string {
  if (tokens === undefined) return '';
  return tokens
    .map((t) => {
      if ('tokens' in t && Array.isArray(t.tokens) && t.type !== 'codespan') return plainText(t.tokens as Token[]);
      if (t.type === 'codespan' || t.type === 'text' || t.type === 'escape') return (t as Tokens.Text).text;
      return 'text' in t && typeof t.text === 'string' ? t.text : '';
    })
    .join('');
}

export function isHeading(token: Token): token is Tokens.Heading {
  return token.type === 'heading';
}

export class Sources {
  private readonly files = new Map<string, SourceFile | null>();

  constructor(readonly repoRoot: string) {}

  /** The file, lexed; undefined when it does not exist. */
  tryLoad(path: string): SourceFile | undefined {
    if (!this.files.has(path)) {
      let text: string | undefined;
      try {
        text = readFileSync(join(this.repoRoot, path), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      this.files.set(path, text === undefined ? null : lex(path, text));
    }
    return this.files.get(path) ?? undefined;
  }

  load(path: string): SourceFile {
    const file = this.tryLoad(path);
    if (file === undefined) throw new VedError('FILE_NOT_FOUND', `The documentation site is built from ${path}, which does not exist in ${this.repoRoot}.`);
    return file;
  }

  /** Whether a part can be taken (its file exists and, for a section, has that heading). */
  has(part: Part): boolean {
    const file = this.tryLoad(part.file);
    return file !== undefined && (!('section' in part) || findSection(file, part.section) !== undefined);
  }

  /** The tokens of a part. */
  take(part: Part): Token[] {
    const file = this.load(part.file);
    if ('intro' in part) {
      const end = file.tokens.findIndex((t) => isHeading(t) && t.depth === 2);
      return file.tokens.slice(0, end === -1 ? undefined : end);
    }
    if (!('section' in part)) return [...file.tokens];
    const range = findSection(file, part.section);
    if (range === undefined) {
      const found = file.tokens.filter(isHeading).filter((h) => h.depth <= 2).map((h) => JSON.stringify(`${'#'.repeat(h.depth)} ${plainText(h.tokens)}`));
      throw new VedError(
        'INVALID_INPUT',
        `${part.file} has no section "## ${part.section}…", which the documentation site takes a page from; its sections are ${found.join(', ')}. Rename the section back or update the page list in apps/docs/src/build/pages.ts.`,
      );
    }
    return file.tokens.slice(range[0], range[1]);
  }
}

function lex(path: string, text: string): SourceFile {
  const tokens = new Lexer({ gfm: true }).lex(text);
  const slugger = new GithubSlugger();
  const anchors = new Map<Tokens.Heading, string>();
  for (const token of tokens) if (isHeading(token)) anchors.set(token, slugger.slug(plainText(token.tokens)));
  return { path, tokens, anchors };
}

/** The token range of the `##` section whose heading starts with `title` (case-insensitive). */
function findSection(file: SourceFile, title: string): [number, number] | undefined {
  const wanted = title.toLowerCase();
  const start = file.tokens.findIndex((t) => isHeading(t) && t.depth === 2 && plainText(t.tokens).toLowerCase().startsWith(wanted));
  if (start === -1) return undefined;
  const next = file.tokens.findIndex((t, i) => i > start && isHeading(t) && t.depth <= 2);
  return [start, next === -1 ? file.tokens.length : next];
}
