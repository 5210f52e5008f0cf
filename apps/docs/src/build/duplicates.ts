/**
 * One source per topic: the site's build fails when the same paragraph is on
 * two pages (or comes from two files of one page), so a text moved from the
 * README into docs/ cannot silently stay in both.
 *
 * What counts as a paragraph, compared after markup is dropped (link targets
 * do not matter, the link text does), whitespace collapsed and case folded:
 * - a paragraph, a list item (each item of a nested list on its own), the
 *   paragraphs of a block quote;
 * - a table body row, its cells joined (header rows repeat legitimately:
 *   `| option | default |`);
 * - a code block of at least `MIN_CODE_LINES` non-empty lines (a one-line
 *   command such as `pnpm bench` may be shown wherever it is needed).
 * Texts shorter than `MIN_TEXT_CHARS` ("On the command line:") are ignored.
 * The same text twice within one file is not reported (a page may repeat
 * itself, as docs/cli.md's per-command flag tables do).
 */
import type { Token, Tokens } from 'marked';
import { VedError } from '@ved/core';
import { plainText } from './sources.js';

export const MIN_TEXT_CHARS = 40;
export const MIN_CODE_LINES = 4;

export type UnitKind = 'paragraph' | 'list item' | 'table row' | 'code block';

export interface Unit {
  kind: UnitKind;
  /** The normalised text that is compared. */
  key: string;
}

export interface Place {
  /** The page (`generation.html`). */
  page: string;
  /** The repository file the text is in. */
  file: string;
}

export interface Duplicate {
  kind: UnitKind;
  key: string;
  places: Place[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** marked's text tokens hold HTML-escaped text: unescaped here, so messages quote the Markdown. */
function normalise(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!).replace(/\s+/g, ' ').trim().toLowerCase();
}

function textUnit(kind: UnitKind, text: string): Unit[] {
  const key = normalise(text);
  return key.length >= MIN_TEXT_CHARS ? [{ kind, key }] : [];
}

/** The comparable units of one block token, in order. */
export function unitsOf(token: Token): Unit[] {
  switch (token.type) {
    case 'paragraph':
      return textUnit('paragraph', plainText((token as Tokens.Paragraph).tokens));
    case 'blockquote':
      return (token as Tokens.Blockquote).tokens.flatMap(unitsOf);
    case 'list':
      return (token as Tokens.List).items.flatMap((item) => {
        // The item's own text (a tight item holds `text` tokens, a loose one paragraphs), then its nested blocks.
        const own = item.tokens.filter((t) => t.type === 'text' || t.type === 'paragraph');
        const rest = item.tokens.filter((t) => t.type !== 'text' && t.type !== 'paragraph');
        const text = own.map((t) => ('tokens' in t && t.tokens ? plainText(t.tokens) : (t as Tokens.Text).text)).join(' ');
        return [...textUnit('list item', text), ...rest.flatMap(unitsOf)];
      });
    case 'table':
      return (token as Tokens.Table).rows.flatMap((row) => textUnit('table row', row.map((cell) => plainText(cell.tokens)).join(' | ')));
    case 'code': {
      const code = (token as Tokens.Code).text;
      if (code.split('\n').filter((line) => line.trim() !== '').length < MIN_CODE_LINES) return [];
      return [{ kind: 'code block', key: normalise(code) }];
    }
    default:
      return [];
  }
}

/** Every text that is in two places, each with the places it is in (page order, then file order). */
export function findDuplicates(pages: ReadonlyArray<{ slug: string; blocks: ReadonlyArray<{ file: string; token: Token }> }>): Duplicate[] {
  const seen = new Map<string, { kind: UnitKind; places: Place[] }>();
  for (const page of pages) {
    for (const { file, token } of page.blocks) {
      for (const unit of unitsOf(token)) {
        const entry = seen.get(unit.key) ?? { kind: unit.kind, places: [] };
        const place = { page: `${page.slug}.html`, file };
        if (!entry.places.some((p) => p.file === place.file && p.page === place.page)) entry.places.push(place);
        seen.set(unit.key, entry);
      }
    }
  }
  return [...seen].filter(([, e]) => e.places.length > 1).map(([key, e]) => ({ kind: e.kind, key, places: e.places }));
}

/** A message naming every duplicate, its start and where it is. */
export function describeDuplicates(duplicates: readonly Duplicate[]): string {
  const lines = duplicates.map((d) => {
    const excerpt = d.key.length > 90 ? `${d.key.slice(0, 90)}…` : d.key;
    return `- a ${d.kind} "${excerpt}" is in ${d.places.map((p) => `${p.file} (${p.page})`).join(' and ')}`;
  });
  return (
    `${duplicates.length} text${duplicates.length === 1 ? ' is' : 's are'} in two places of the documentation site; each topic has one source. ` +
    `Keep each in one file and link to it from the other (apps/docs/src/build/duplicates.ts says what is compared):\n${lines.join('\n')}`
  );
}

/** Stops the build (a `VedError` with code `INVALID_INPUT`) when a text is in two places. */
export function assertOneSource(pages: Parameters<typeof findDuplicates>[0]): void {
  const duplicates = findDuplicates(pages);
  if (duplicates.length > 0) throw new VedError('INVALID_INPUT', describeDuplicates(duplicates));
}
