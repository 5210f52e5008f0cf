/**
 * Builds the whole site into one folder: the guide pages (pages.ts, from the
 * repository's Markdown; the build stops when a paragraph is on two pages,
 * duplicates.ts), the live demo (demo.html and its assets), and the API
 * reference (api/, TypeDoc). Nothing is fetched: every input is in the
 * repository or in node_modules.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildApiReference } from './api.js';
import { buildDemoAssets, type DemoConfig } from './demo-assets.js';
import { assertOneSource } from './duplicates.js';
import { layout, type NavItem } from './layout.js';
import { LinkIndex } from './links.js';
import { escapeHtml, renderPage } from './markdown.js';
import { pageSpecs, resolvePage, type Page } from './pages.js';
import { Sources } from './sources.js';

export interface BuildOptions {
  /** The repository root (README.md, docs/). */
  repoRoot: string;
  /** apps/docs. */
  appDir: string;
  /** The output folder; emptied first. */
  out: string;
  /** Generate the API reference (default true). */
  api?: boolean;
}

export interface BuildReport {
  /** Every HTML page written outside api/, relative to `out`. */
  pages: string[];
  /** Links that could not be resolved exactly. */
  warnings: string[];
  demo: DemoConfig;
  bundle: Record<string, number>;
  /** Milliseconds per step. */
  timings: Record<string, number>;
}

export async function buildSite(options: BuildOptions): Promise<BuildReport> {
  const { repoRoot, appDir, out } = options;
  const timings: Record<string, number> = {};
  const time = async <T>(step: string, task: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    try {
      return await task();
    } finally {
      timings[step] = Math.round(performance.now() - started);
    }
  };

  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  copyStyles(appDir, out);
  writeFileSync(join(out, '.nojekyll'), '');

  const api = options.api === false ? Promise.resolve() : time('api', () => buildApiReference({ appDir, out: join(out, 'api') }));
  const demo = time('demo', () => buildDemoAssets(appDir, out));

  const { pages, warnings, guides } = await time('guides', () => {
    const sources = new Sources(repoRoot);
    const resolved = pageSpecs(sources).map((spec) => resolvePage(spec, sources));
    // One source per topic: a paragraph on two pages stops the build.
    assertOneSource(resolved);
    const links = new LinkIndex(resolved);
    const guides: NavItem[] = resolved.map((p) => ({ href: `${p.slug}.html`, label: p.nav }));
    const warnings: string[] = [];
    for (const page of resolved) {
      const rendered = renderPage(page, links);
      warnings.push(...rendered.warnings);
      writeFileSync(join(out, `${page.slug}.html`), guidePage(page, rendered.html, guides, resolved));
    }
    return { pages: resolved.map((p) => `${p.slug}.html`), warnings, guides };
  });

  const { config, bundle } = await demo;
  writeFileSync(join(out, 'demo.html'), demoPage(appDir, config, guides));
  writeFileSync(join(out, 'train.html'), trainPage(appDir, config, guides));
  await api;
  return { pages: [...pages, 'demo.html', 'train.html'], warnings, demo: config, bundle, timings };
}

function guidePage(page: Page, html: string, guides: NavItem[], all: Page[]): string {
  const title = page.titledByText ? '' : `<h1>${escapeHtml(page.title)}</h1>\n`;
  let body = `${title}${html}`;
  if (page.slug === 'index') {
    // The overview leads to every guide, the demo and the reference, after its introduction.
    const cards = [
      ...all.filter((p) => p.slug !== 'index').map((p) => ({ href: `${p.slug}.html`, label: p.nav, summary: p.summary })),
      { href: 'demo.html', label: 'Live demo', summary: 'Read a line of text from an image, in this browser tab.' },
      { href: 'train.html', label: 'Fine-tune in the browser', summary: 'Teach the model lines it reads badly, and watch the loss fall, in this browser tab.' },
      { href: 'api/index.html', label: 'API reference', summary: 'Every exported class, function and type, from the TypeScript sources.' },
    ]
      .map((c) => `<li><a href="${c.href}"><strong>${escapeHtml(c.label)}</strong><span>${escapeHtml(c.summary)}</span></a></li>`)
      .join('\n');
    const section = `<section class="cards" aria-label="Guides"><ul>\n${cards}\n</ul></section>\n`;
    const at = body.indexOf('<h2');
    body = at === -1 ? body + section : body.slice(0, at) + section + body.slice(at);
  }
  const toc = [...page.headings.values()].filter((h) => h.depth === 2);
  const sources = [...new Set(page.blocks.map((b) => b.file))].join(', ');
  return layout({ title: page.title, description: page.summary, href: `${page.slug}.html`, guides, body, toc, source: sources });
}

function demoPage(appDir: string, config: DemoConfig, guides: NavItem[]): string {
  const body = readFileSync(join(appDir, 'site', 'demo.html'), 'utf8');
  // `<` cannot close the script element from inside JSON once escaped.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return layout({
    title: 'Live demo',
    description: 'Read a line of printed text from an image with ved, in the browser, in a Web Worker.',
    href: 'demo.html',
    guides,
    body,
    head: '<link rel="stylesheet" href="assets/demo.css">\n',
    end: `<script type="application/json" id="demo-config">${json}</script>\n<script type="module" src="assets/demo.js"></script>\n`,
  });
}

/** The training page: the default model fine-tuned in a Web Worker on lines the visitor types. */
function trainPage(appDir: string, config: DemoConfig, guides: NavItem[]): string {
  const body = readFileSync(join(appDir, 'site', 'train.html'), 'utf8');
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return layout({
    title: 'Fine-tune in the browser',
    description: 'Fine-tune ved\'s default model on lines you type, in a Web Worker, and watch the loss fall.',
    href: 'train.html',
    guides,
    body,
    head: '<link rel="stylesheet" href="assets/demo.css">\n',
    end: `<script type="application/json" id="demo-config">${json}</script>\n<script type="module" src="assets/train.js"></script>\n`,
  });
}

function copyStyles(appDir: string, out: string): void {
  const require = createRequire(join(appDir, 'package.json'));
  copyFileSync(join(appDir, 'site', 'style.css'), join(out, 'assets', 'style.css'));
  copyFileSync(join(appDir, 'site', 'demo.css'), join(out, 'assets', 'demo.css'));
  copyFileSync(require.resolve('highlight.js/styles/github.css'), join(out, 'assets', 'hljs-light.css'));
  copyFileSync(require.resolve('highlight.js/styles/github-dark.css'), join(out, 'assets', 'hljs-dark.css'));
}
