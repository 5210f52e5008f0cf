/**
 * The built documentation site (apps/docs/dist), read from disk: every guide
 * page, link and anchor; the generation options; the API reference of the
 * four public packages; the demo's model, example and onnxruntime-web files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { demoExample as defaultModelExample, demoModelDir as defaultModelDir } from '../src/build/demo-model.js';
import { ORT_FILES, type DemoConfig } from '../src/build/demo-assets.js';
import { PAGES } from '../src/build/pages.js';
import { MIME_TYPES } from '../src/build/static-server.js';
import { builtSite, REPO_ROOT } from './built-site.js';

let dist: string;
let config: DemoConfig;
const html = (page: string) => readFileSync(join(dist, page), 'utf8');

beforeAll(async () => {
  ({ dist, config } = await builtSite());
});

/** Every `href`/`src` of an HTML file. */
function references(text: string): string[] {
  return [...text.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
}

describe('the built documentation site', () => {
  it('has every guide page, the demo and the API reference, all in the navigation', () => {
    const index = html('index.html');
    for (const page of PAGES) {
      expect(existsSync(join(dist, `${page.slug}.html`)), page.slug).toBe(true);
      expect(index).toContain(`<a href="${page.slug}.html"`);
    }
    // Every docs/*.md is shown somewhere.
    for (const doc of readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
      const footers = readdirSync(dist).filter((f) => f.endsWith('.html')).map((f) => /<footer[^>]*>(.*?)<\/footer>/s.exec(html(f))?.[1] ?? '');
      const shownBy = footers.some((footer) => footer.includes(`docs/${doc}`));
      expect(shownBy, `docs/${doc} has a page`).toBe(true);
    }
    expect(index).toContain('<a href="demo.html"');
    expect(index).toContain('<a href="api/index.html"');
  });

  it('has no broken link or anchor between its pages', () => {
    const pages = readdirSync(dist).filter((f) => f.endsWith('.html'));
    const broken: string[] = [];
    for (const page of [...pages, 'api/index.html']) {
      for (const ref of references(html(page))) {
        if (/^(?:[a-z]+:|\/\/|#$)/i.test(ref) && !ref.startsWith('#')) continue;
        const [path = '', anchor] = ref.split('#');
        const target = path === '' ? page : posix.normalize(posix.join(posix.dirname(page), path));
        if (!existsSync(join(dist, target))) {
          broken.push(`${page}: ${ref} (no ${target})`);
        } else if (anchor !== undefined && anchor !== '' && target.endsWith('.html') && !html(target).includes(`id="${anchor}"`)) {
          broken.push(`${page}: ${ref} (no #${anchor} in ${target})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('documents every generation option that ved runs, and the subject of each guide', () => {
    // The options are GenerationOptions' fields, less those ved refuses (listed after its "does not run" comment).
    const source = readFileSync(join(REPO_ROOT, 'packages/generation/src/generation-config.ts'), 'utf8');
    const start = source.indexOf('export interface GenerationOptions');
    expect(start, 'GenerationOptions in packages/generation/src/generation-config.ts').toBeGreaterThan(-1);
    let body = source.slice(start, source.indexOf('\n}', start));
    const refused = body.search(/\/\/.*does not run/);
    if (refused !== -1) body = body.slice(0, refused);
    const options = [...body.matchAll(/^\s+(?:readonly\s+)?(\w+)\??:/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(30);
    const generation = html('generation.html');
    expect(options.filter((o) => !generation.includes(`<code>${o}</code>`))).toEqual([]);

    expect(html('architectures.html')).toMatch(/<table>[\s\S]*DonutSwin[\s\S]*<\/table>/);
    expect(html('quantization.html')).toContain('MatMulNBits');
    expect(html('onnx-exports.html')).toContain('decoder_model_merged');
    expect(html('composing.html')).toContain('fromEncoderDecoderPretrained');
    expect(html('browser.html')).toContain('wasmPaths');
    expect(html('index.html')).toContain('<code class="hljs" data-lang="TypeScript">');
  });

  it('has the API reference of @ved/core, @ved/generation, @ved/backend-web and @ved/backend-node', () => {
    const api = join(dist, 'api');
    for (const name of ['core', 'generation', 'backend-web', 'backend-node']) expect(existsSync(join(api, 'modules', `_ved_${name}.html`)), name).toBe(true);
    for (const page of ['classes/_ved_backend-web.ImageToText.html', 'classes/_ved_backend-web.CaptionWorker.html', 'classes/_ved_backend-node.ImageToText.html', 'classes/_ved_core.VisionEncoderDecoderModel.html', 'interfaces/_ved_generation.GenerationOptions.html']) {
      expect(existsSync(join(api, page)), page).toBe(true);
    }
    expect(readFileSync(join(api, 'interfaces/_ved_generation.GenerationOptions.html'), 'utf8')).toContain('numBeams');
  });

  it('serves the demo its model, example and onnxruntime-web files', () => {
    const demo = html('demo.html');
    for (const id of ['progress', 'image', 'try-example', 'caption']) expect(demo).toContain(`id="${id}"`);
    expect(demo).toContain('<script type="module" src="assets/demo.js"></script>');
    for (const file of ['assets/demo.js', 'assets/worker.js']) expect(existsSync(join(dist, file)), file).toBe(true);
    // The model is the default model's files, unchanged, in a folder named by their hash.
    const model = join(dist, config.model);
    for (const file of readdirSync(defaultModelDir).filter((f) => statSync(join(defaultModelDir, f)).isFile())) expect(readFileSync(join(model, file)).equals(readFileSync(join(defaultModelDir, file))), file).toBe(true);
    expect(readFileSync(join(dist, config.example)).equals(readFileSync(defaultModelExample))).toBe(true);
    for (const file of ORT_FILES) expect(statSync(join(dist, config.ort, file)).size, file).toBeGreaterThan(10_000);
    // Every kind of file in the site has its MIME type in the server.
    const kinds = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else if (entry.name.includes('.', 1)) kinds.add(entry.name.slice(entry.name.lastIndexOf('.')));
      }
    };
    walk(dirname(join(dist, 'index.html')));
    expect([...kinds].filter((k) => MIME_TYPES[k] === undefined)).toEqual([]);
  });
});
