/**
 * Links written for GitHub, made to work on the site: `CONTRIBUTING.md` and
 * `docs/browser.md` become their pages, `README.md#supported-architectures` and
 * `#lengths` land on the page that shows that heading. A link to a repository
 * file that the site does not show is kept as text, naming the path.
 */
import { posix } from 'node:path';
import type { Page } from './pages.js';

export type Resolved =
  | { kind: 'external'; href: string }
  | { kind: 'page'; href: string }
  /** A repository file or folder the site does not show. */
  | { kind: 'repository'; path: string }
  /** A heading that no page shows: the link goes to the page of the file. */
  | { kind: 'missing-anchor'; href: string; anchor: string };

export class LinkIndex {
  private readonly fileToPage = new Map<string, string>();
  private readonly anchors = new Map<string, string>();
  private readonly ids = new Map<string, string>();

  constructor(pages: readonly Page[]) {
    for (const page of pages) {
      for (const file of page.files) this.fileToPage.set(file, page.slug);
      for (const { file, token } of page.blocks) {
        const heading = page.headings.get(token as never);
        if (heading === undefined) continue;
        const target = `${page.slug}.html#${heading.id}`;
        this.anchors.set(`${file}#${heading.anchor}`, target);
        if (!this.ids.has(heading.anchor)) this.ids.set(heading.anchor, target);
      }
    }
    // The README's other parts are the overview's.
    if (!this.fileToPage.has('README.md')) this.fileToPage.set('README.md', 'index');
  }

  /** Where `href`, written in repository file `from`, points on the site. */
  resolve(href: string, from: string): Resolved {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return { kind: 'external', href };
    const hash = href.indexOf('#');
    const path = hash === -1 ? href : href.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(href.slice(hash + 1));
    const file = path === '' ? from : posix.normalize(posix.join(posix.dirname(from), path)).replace(/\/$/, '');
    const page = this.fileToPage.get(file);
    if (anchor === undefined || anchor === '') {
      return page === undefined ? { kind: 'repository', path: file } : { kind: 'page', href: `${page}.html` };
    }
    const target = this.anchors.get(`${file}#${anchor}`) ?? this.ids.get(anchor);
    if (target !== undefined) return { kind: 'page', href: target };
    if (page === undefined) return { kind: 'repository', path: file };
    return { kind: 'missing-anchor', href: `${page}.html`, anchor };
  }
}
