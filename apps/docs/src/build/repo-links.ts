/**
 * Relative links in the repository's own Markdown, checked as GitHub resolves
 * them: the file or folder must exist, and a `#heading` in a Markdown file must
 * be one of its headings' GitHub anchors (github-slugger over every heading of
 * the file, in order). External links (`https:`, `mailto:`, `//host`) are not
 * fetched. The site's build resolves the same links for its pages (links.ts);
 * this check also covers what the site does not show.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import GithubSlugger from 'github-slugger';
import { Lexer, Marked, type Token, type Tokens } from 'marked';
import { plainText } from './sources.js';

export interface BrokenLink {
  /** The Markdown file the link is in, relative to the repository root. */
  file: string;
  href: string;
  /** What is missing. */
  reason: string;
}

/** README.md, CONTRIBUTING.md and every docs/*.md that exist. */
export function documentationFiles(repoRoot: string): string[] {
  const docs = existsSync(join(repoRoot, 'docs')) ? readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : [];
  return ['README.md', 'CONTRIBUTING.md', ...docs].filter((f) => existsSync(join(repoRoot, f)));
}

function walk(tokens: Token[], visit: (token: Token) => void): void {
  new Marked().walkTokens(tokens, visit);
}

/** Every link and image target of a Markdown text, in order. */
export function linkTargets(markdown: string): string[] {
  const hrefs: string[] = [];
  walk(new Lexer({ gfm: true }).lex(markdown), (t) => {
    if (t.type === 'link' || t.type === 'image') hrefs.push((t as Tokens.Link | Tokens.Image).href);
  });
  return hrefs;
}

/** GitHub's anchors of every heading of a Markdown text. */
export function headingAnchors(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  walk(new Lexer({ gfm: true }).lex(markdown), (t) => {
    if (t.type === 'heading') anchors.add(slugger.slug(plainText((t as Tokens.Heading).tokens)));
  });
  return anchors;
}

/** The relative links of `files` whose target or heading does not exist. */
export function brokenLinks(repoRoot: string, files: readonly string[]): BrokenLink[] {
  const texts = new Map<string, string>();
  const read = (file: string) => {
    if (!texts.has(file)) texts.set(file, readFileSync(join(repoRoot, file), 'utf8'));
    return texts.get(file)!;
  };
  const anchors = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    if (!anchors.has(file)) anchors.set(file, headingAnchors(read(file)));
    return anchors.get(file)!;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    for (const href of linkTargets(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue;
      const hash = href.indexOf('#');
      const path = decodeURI(hash === -1 ? href : href.slice(0, hash));
      const anchor = hash === -1 ? '' : decodeURIComponent(href.slice(hash + 1));
      const target = path === '' ? file : path.startsWith('/') ? path.slice(1) : posix.normalize(posix.join(posix.dirname(file), path));
      if (target.startsWith('../') || !existsSync(join(repoRoot, target))) {
        broken.push({ file, href, reason: `${target} does not exist` });
      } else if (anchor !== '' && target.endsWith('.md') && statSync(join(repoRoot, target)).isFile() && !anchorsOf(target).has(anchor)) {
        broken.push({ file, href, reason: `${target} has no heading with the anchor #${anchor}` });
      }
    }
  }
  return broken;
}
