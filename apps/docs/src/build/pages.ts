/**
 * The guide pages of the site and where each one's text comes from. The
 * Markdown stays where it is (README.md, docs/, package READMEs), so GitHub
 * and the site show the same words; this list only arranges it. Every
 * docs/*.md not named here still gets a page, after these.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Token, Tokens } from 'marked';
import { isHeading, plainText, type Part, type Sources } from './sources.js';
import { demoUsesDefaultModel } from './demo-model.js';

export interface PageSpec {
  /** File name without `.html`. */
  slug: string;
  /** Title in the navigation (and of the page, unless its text starts with its own title). */
  nav: string;
  /** One-line summary (overview cards, `<meta name=description>`). */
  summary: string;
  /** What the page shows, in order; an array of parts means the first one that exists. */
  parts: Array<Part | Part[]>;
}

const README = 'README.md';

export const PAGES: readonly PageSpec[] = [
  {
    slug: 'index',
    nav: 'Overview',
    summary: 'What ved is, how to install it, and where to read on.',
    parts: [{ file: README, intro: true }],
  },
  {
    slug: 'node',
    nav: 'Node guide',
    summary: 'Set up, the command line, and captioning from TypeScript on Node.',
    parts: [{ file: README, section: 'Set up' }, { file: README, section: 'Quickstart' }],
  },
  {
    slug: 'browser',
    nav: 'Browser guide',
    summary: 'onnxruntime-web, Vite and esbuild set-up, Web Workers, loading over HTTP.',
    parts: [{ file: 'docs/browser.md' }],
  },
  {
    slug: 'generation',
    nav: 'Generation options',
    summary: 'Greedy, beam search and sampling; every logits processor, stopping rule and output.',
    parts: [{ file: 'docs/generation.md' }],
  },
  {
    slug: 'composing',
    nav: 'The model: compose and save',
    summary: 'The model-level API: load and run, build from two configs or two checkpoints, compute the loss, save for Python.',
    parts: [{ file: 'docs/composing.md' }],
  },
  {
    slug: 'onnx-exports',
    nav: 'ONNX exports',
    summary: 'Run Optimum / transformers.js exports, and export ved models in their layout.',
    parts: [{ file: 'docs/onnx-exports.md' }],
  },
  {
    slug: 'quantization',
    nav: 'Quantization',
    summary: 'fp16, int8 and int4 weights, quantized on load; the variants of ONNX exports.',
    parts: [{ file: 'docs/quantization.md' }],
  },
  {
    slug: 'architectures',
    nav: 'Supported architectures',
    summary: 'Every encoder with every decoder, image processors and tokenizers.',
    parts: [{ file: 'docs/architectures.md' }],
  },
  ...(demoUsesDefaultModel
    ? [
        {
          slug: 'default-model',
          nav: 'The default model',
          summary: 'The small OCR model that ved runs when no model is named, and the demo runs.',
          parts: [{ file: 'docs/default-model.md' }, { file: 'tools/demo-model/README.md' }],
        },
      ]
    : []),
  {
    slug: 'contributing',
    nav: 'Contributing',
    summary: 'Adding an encoder or a decoder, and its fidelity fixtures.',
    parts: [{ file: 'CONTRIBUTING.md' }],
  },
];

export interface Heading {
  /** The id of the element (the GitHub anchor in its file, made unique in the page). */
  id: string;
  /** Its anchor on GitHub, in its own file. */
  anchor: string;
  /** The depth it is shown at (1 is the page title). */
  depth: number;
  text: string;
}

export interface Page {
  slug: string;
  nav: string;
  summary: string;
  title: string;
  /** Whether the first token is the page's own title heading (else the layout adds one). */
  titledByText: boolean;
  /** The page's tokens with the file each came from. */
  blocks: Array<{ file: string; token: Token }>;
  headings: Map<Tokens.Heading, Heading>;
  /** Whole files shown by this page (links to them land here). */
  files: string[];
}

/** The page specs, the default list followed by a page for every other docs/*.md. */
export function pageSpecs(sources: Sources, specs: readonly PageSpec[] = PAGES): PageSpec[] {
  const used = new Set(specs.flatMap((s) => s.parts.flat().filter((p) => !('section' in p) && !('intro' in p)).map((p) => p.file)));
  let extra: string[] = [];
  try {
    extra = readdirSync(join(sources.repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  } catch {
    // No docs/ folder: only the listed pages.
  }
  const taken = new Set(specs.map((s) => s.slug));
  const more = extra
    .filter((f) => !used.has(f))
    .map((file): PageSpec => {
      const first = sources.load(file).tokens.find(isHeading);
      let slug = file.slice('docs/'.length, -'.md'.length).toLowerCase().replace(/[^a-z0-9-]+/g, '-');
      while (taken.has(slug)) slug = `${slug}-page`;
      taken.add(slug);
      const nav = first === undefined ? slug : plainText(first.tokens);
      return { slug, nav, summary: nav, parts: [{ file }] };
    });
  return [...specs, ...more];
}

/** Resolves a spec into its tokens, title and heading ids. */
export function resolvePage(spec: PageSpec, sources: Sources): Page {
  const blocks: Page['blocks'] = [];
  const files: string[] = [];
  for (const choice of spec.parts) {
    const alternatives = Array.isArray(choice) ? choice : [choice];
    const part = alternatives.find((p) => sources.has(p)) ?? alternatives[0]!;
    for (const token of sources.take(part)) blocks.push({ file: part.file, token });
    if (!('section' in part) && !('intro' in part)) files.push(part.file);
  }
  const headingTokens = blocks.filter((b): b is { file: string; token: Tokens.Heading } => isHeading(b.token));
  const top = Math.min(...headingTokens.map((h) => h.token.depth));
  const atTop = headingTokens.filter((h) => h.token.depth === top);
  // A page whose text opens with its only top-level heading is titled by it (docs/browser.md's
  // `# ved in the browser`); otherwise the layout adds the nav title and the text sits below it.
  const titledByText = blocks[0] !== undefined && isHeading(blocks[0].token) && atTop.length === 1;
  const shift = titledByText ? 1 - top : 2 - top;
  const headings = new Map<Tokens.Heading, Heading>();
  const ids = new Set<string>();
  for (const { file, token } of headingTokens) {
    const anchor = sources.load(file).anchors.get(token) ?? 'section';
    let id = anchor;
    for (let n = 1; ids.has(id); n++) id = `${anchor}-${n}`;
    ids.add(id);
    headings.set(token, { id, anchor, depth: Math.min(6, token.depth + shift), text: plainText(token.tokens) });
  }
  const first = blocks[0]?.token;
  const title = titledByText && first !== undefined && isHeading(first) ? plainText(first.tokens) : spec.nav;
  return { slug: spec.slug, nav: spec.nav, summary: spec.summary, title, titledByText, blocks, headings, files };
}
