/**
 * A page's Markdown to HTML with `marked` (GFM): headings with their GitHub
 * anchors at the page's depth, links resolved for the site (links.ts), code
 * highlighted by highlight.js at build time (no script on the page).
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import { Marked, Renderer, type Token, type Tokens } from 'marked';
import type { LinkIndex, Resolved } from './links.js';
import type { Page } from './pages.js';

hljs.registerLanguage('bash', bash);
hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('json', json);
hljs.registerLanguage('python', python);
hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('xml', xml);

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Rendered {
  html: string;
  /** Links whose heading no page shows (they go to the file's page). */
  warnings: string[];
}

export function renderPage(page: Page, links: LinkIndex): Rendered {
  const resolved = new Map<Tokens.Link, Resolved>();
  const warnings: string[] = [];
  const walker = new Marked();
  for (const { file, token } of page.blocks) {
    walker.walkTokens([token], (t) => {
      if (t.type !== 'link') return;
      const link = t as Tokens.Link;
      const target = links.resolve(link.href, file);
      if (target.kind === 'missing-anchor') warnings.push(`${page.slug}.html: the link "${link.href}" in ${file} names a heading (#${target.anchor}) that no page shows; it goes to ${target.href}.`);
      resolved.set(link, target);
    });
  }

  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      heading(token) {
        const inner = this.parser.parseInline(token.tokens);
        const heading = page.headings.get(token);
        if (heading === undefined) return `<h${token.depth}>${inner}</h${token.depth}>\n`;
        const anchor = heading.depth === 1 ? '' : `<a class="anchor" href="#${heading.id}" aria-hidden="true" tabindex="-1">#</a>`;
        return `<h${heading.depth} id="${heading.id}">${anchor}${inner}</h${heading.depth}>\n`;
      },
      link(token) {
        const inner = this.parser.parseInline(token.tokens);
        const target = resolved.get(token);
        if (target?.kind === 'repository') return `<span class="repo-path" title="${escapeHtml(target.path)} in the repository">${inner}</span>`;
        const href = target === undefined ? token.href : target.href;
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
        const rel = target?.kind === 'external' ? ' rel="noopener"' : '';
        return `<a href="${escapeHtml(href)}"${title}${rel}>${inner}</a>`;
      },
      code({ text, lang }) {
        const language = lang?.trim().split(/\s+/)[0] ?? '';
        if (language !== '' && hljs.getLanguage(language) !== undefined) {
          const name = hljs.getLanguage(language)!.name ?? language;
          return `<pre><code class="hljs" data-lang="${escapeHtml(name)}">${hljs.highlight(text, { language, ignoreIllegals: true }).value}</code></pre>\n`;
        }
        return `<pre><code>${escapeHtml(text)}</code></pre>\n`;
      },
      table(token) {
        // Wide tables scroll instead of widening the page.
        return `<div class="table">${Renderer.prototype.table.call(this, token)}</div>\n`;
      },
    },
  });
  const tokens = Object.assign(page.blocks.map((b) => b.token) as Token[], { links: {} });
  return { html: marked.parser(tokens), warnings };
}
