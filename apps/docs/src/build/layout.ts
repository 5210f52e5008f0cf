/** The HTML shell every page of the site shares: header, navigation, contents, footer. */
import { escapeHtml } from './markdown.js';

export interface NavItem {
  href: string;
  label: string;
}

export interface LayoutOptions {
  /** The `<title>` (the site name is added). */
  title: string;
  description: string;
  /** The page's own `href`, to mark it in the navigation. */
  href: string;
  /** The guide pages, in order. */
  guides: readonly NavItem[];
  /** The main column's HTML. */
  body: string;
  /** "On this page": the page's sections. */
  toc?: ReadonlyArray<{ id: string; text: string }>;
  /** Extra HTML in `<head>` and at the end of `<body>`. */
  head?: string;
  end?: string;
  /** Where the page was generated from, for the footer. */
  source?: string;
}

export const SITE_NAME = 'ved';

const TOP: readonly NavItem[] = [
  { href: 'index.html', label: 'Guides' },
  { href: 'api/index.html', label: 'API reference' },
  { href: 'demo.html', label: 'Live demo' },
];

function navList(items: readonly NavItem[], current: string): string {
  return items
    .map((item) => `<li><a href="${item.href}"${item.href === current ? ' aria-current="page"' : ''}>${escapeHtml(item.label)}</a></li>`)
    .join('\n      ');
}

export function layout(options: LayoutOptions): string {
  const { title, description, href, guides, body, toc = [], head = '', end = '', source } = options;
  const fullTitle = title === SITE_NAME ? SITE_NAME : `${title} · ${SITE_NAME}`;
  const current = TOP.some((t) => t.href === href) ? href : 'index.html';
  const contents =
    toc.length < 2
      ? ''
      : `<nav class="toc" aria-label="On this page"><h2>On this page</h2><ul>${toc.map((h) => `<li><a href="#${h.id}">${escapeHtml(h.text)}</a></li>`).join('')}</ul></nav>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(fullTitle)}</title>
<meta name="description" content="${escapeHtml(description)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/style.css">
<link rel="stylesheet" href="assets/hljs-light.css" media="(prefers-color-scheme: light), (prefers-color-scheme: no-preference)">
<link rel="stylesheet" href="assets/hljs-dark.css" media="(prefers-color-scheme: dark)">
${head}</head>
<body>
<header class="site-header">
  <a class="brand" href="index.html">${SITE_NAME}</a>
  <span class="tagline">Vision Encoder-Decoder models in TypeScript</span>
  <nav aria-label="Site"><ul>
      ${navList(TOP, current)}
  </ul></nav>
</header>
<div class="frame">
  <nav class="sidebar" aria-label="Guides"><ul>
      ${navList(guides, href)}
  </ul></nav>
  <main id="content">
${body}
  </main>
  ${contents}
</div>
<footer class="site-footer">${source === undefined ? '' : `Generated from <code>${escapeHtml(source)}</code> in the repository. `}Built with <code>pnpm --filter @ved/docs build</code>.</footer>
${end}</body>
</html>
`;
}
