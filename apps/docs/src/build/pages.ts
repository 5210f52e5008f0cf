/**
 * The guide pages of the site and where each one's text comes from. The
 * Markdown stays where it is (README.md, docs/, a few READMEs beside the code),
 * so GitHub and the site show the same words; this list only orders the pages
 * and names them. Every docs/*.md gets a page: those listed here in this
 * order, then any other one (titled by its first heading, summarised by its
 * first sentence), so a new page needs no change here.
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

/** A page showing `docs/<slug>.md`, then `more` files. */
function guide(slug: string, nav: string, summary: string, ...more: string[]): PageSpec {
  return { slug, nav, summary, parts: [{ file: `docs/${slug}.md` }, ...more.map((file) => ({ file }))] };
}

export const PAGES: readonly PageSpec[] = [
  { slug: 'index', nav: 'Overview', summary: 'What ved is, how to install it, a quickstart, and where to read on.', parts: [{ file: 'README.md' }] },
  guide('install', 'Installing', 'Node, the browser, installing where NuGet is unreachable, running the tests.'),
  guide('api', 'The API', 'ImageToText and pipeline() on Node and in the browser: loading, image inputs, streaming, call options.'),
  guide('cli', 'Command line', 'Every ved command and flag.'),
  guide('hardening', 'Hostile input', 'What ved refuses and how: limits, options, error codes, fuzzing.'),
  guide('browser', 'Browser guide', 'onnxruntime-web, Vite and esbuild set-up, Web Workers, WebGPU, loading over HTTP.'),
  guide('generation', 'Generation options', 'Greedy, beam search and sampling; every logits processor, stopping rule and output.'),
  ...(demoUsesDefaultModel
    ? [guide('default-model', 'The default model', 'The small OCR model that ved runs when no model is named, and the demo runs.', 'tools/demo-model/README.md')]
    : []),
  guide('architectures', 'Supported architectures', 'Every encoder with every decoder, their packages, image processors and tokenizers.'),
  guide('composing', 'The model: compose and save', 'The model-level API: load and run, build from two configs or two checkpoints, compute the loss, save for Python.'),
  guide('onnx-exports', 'ONNX exports', 'Run Optimum / transformers.js exports, and export ved models in their layout.'),
  guide('quantization', 'Quantization', 'fp16, int8 and int4 weights, quantized on load; the variants of ONNX exports.'),
  guide('checkpoints', 'Checkpoint formats', 'pytorch_model.bin, tf_model.h5 and flax_model.msgpack, read safely.'),
  guide('tokenizers', 'Tokenizers', 'Slow tokenizer files and legacy processor configs, read as transformers 5.18 reads them.'),
  guide('training', 'Fine-tuning', 'ved train, the Trainer, training in the browser, and the gradients.'),
  guide('serving', 'Serving', 'ved serve with continuous batching, and workers on a Redis queue.'),
  guide('bench', 'Benchmark', 'ved, transformers.js and PyTorch side by side on models of real size.'),
  guide('fidelity', 'How fidelity is checked', 'The tolerances, the fixtures Python writes, and where each part is compared.', 'tools/reference/README.md'),
  guide('packages', 'Packages', 'What each package and folder of the repository holds.'),
  guide('site', 'This site', 'How the documentation site is built, served and tested.'),
  { slug: 'contributing', nav: 'Contributing', summary: 'Adding an encoder or a decoder, and its fidelity fixtures.', parts: [{ file: 'CONTRIBUTING.md' }] },
];

/** The first sentence of a file's first paragraph, as a summary. */
function firstSentence(tokens: readonly Token[], fallback: string): string {
  const paragraph = tokens.find((t): t is Tokens.Paragraph => t.type === 'paragraph');
  if (paragraph === undefined) return fallback;
  const text = plainText(paragraph.tokens).replace(/\s+/g, ' ').trim();
  const end = text.search(/[.:;](\s|$)/);
  const sentence = end === -1 ? text : text.slice(0, end + 1);
  return sentence.length > 200 ? `${sentence.slice(0, 199)}…` : sentence;
}

/** The page specs: the listed pages (a missing file is an error), then a page for every other docs/*.md. */
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
      const tokens = sources.load(file).tokens;
      const first = tokens.find(isHeading);
      let slug = file.slice('docs/'.length, -'.md'.length).toLowerCase().replace(/[^a-z0-9-]+/g, '-');
      while (taken.has(slug)) slug = `${slug}-page`;
      taken.add(slug);
      const nav = first === undefined ? slug : plainText(first.tokens);
      return { slug, nav, summary: firstSentence(tokens, nav), parts: [{ file }] };
    });
  return [...specs, ...more];
}

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
