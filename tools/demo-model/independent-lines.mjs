#!/usr/bin/env node
// Draws the default model's independent evaluation set: one-line printed text images made by a renderer that
// shares no code with training (tools/demo-model/synth.py draws with PIL/FreeType in Python; this draws with
// Skia through @napi-rs/canvas, in JavaScript, with its own text generator, vocabulary, cropping, colours,
// blur, noise and JPEG encoder). Only the domain is shared: the characters, 1-24 of them, the Debian fonts,
// 12-48 px, dark ink on a light background, rotation within 3 degrees.
//
//   node tools/demo-model/independent-lines.mjs [--out DIR] [--n N] [--seed S]
//
// Writes DIR/NNNN.png (or .jpg) and DIR/manifest.jsonl ({"image", "text"} per line, for `ved eval`).
// Defaults: --out tools/demo-model/out/independent, --n 1000, --seed 4242. The first 200 images of the
// default set are committed in packages/default-model/examples/independent/.
// Deterministic: every image is a function of (seed, index) through the PRNG below.

import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
// @napi-rs/canvas is a devDependency of @ved/default-model (tools/ is not a workspace package).
const require = createRequire(join(root, 'packages', 'default-model', 'package.json'));
const { createCanvas, GlobalFonts } = require('@napi-rs/canvas');

const FONT_FILES = [
  ['dejavu', 'DejaVuSans.ttf', false],
  ['dejavu', 'DejaVuSerif.ttf', false],
  ['dejavu', 'DejaVuSansMono.ttf', false],
  ['dejavu', 'DejaVuSans-Bold.ttf', true],
  ['dejavu', 'DejaVuSerif-Bold.ttf', true],
  ['liberation', 'LiberationSans-Regular.ttf', false],
  ['liberation', 'LiberationSerif-Regular.ttf', false],
  ['liberation', 'LiberationMono-Regular.ttf', false],
  ['liberation', 'LiberationSans-Bold.ttf', true],
  ['liberation', 'LiberationMono-Bold.ttf', true],
  ['noto', 'NotoSans-Regular.ttf', false],
  ['noto', 'NotoSerif-Regular.ttf', false],
  ['noto', 'NotoSans-Bold.ttf', true],
  ['freefont', 'FreeSans.ttf', false],
  ['freefont', 'FreeSerif.ttf', false],
  ['freefont', 'FreeMono.ttf', false],
  ['freefont', 'FreeSansBold.ttf', true],
  ['freefont', 'FreeSerifBold.ttf', true],
];

// ---------------------------------------------------------------- random numbers

/** mulberry32 over a 32-bit state seeded from (seed, index) by a splitmix-style hash. */
function prng(seed, index) {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  let a = (h ^ (h >>> 16)) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    gauss: () => {
      const u = Math.max(next(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
  return r;
}

// ---------------------------------------------------------------- text

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCT = '.,:-/$#%';
// A vocabulary of its own (shop, travel and warehouse labels), not synth.py's.
const VOCAB = (
  'gate platform seat coach terminal arrival departure boarding flight train bus stop exit entrance ' +
  'aisle shelf bin rack zone dock store shop market bakery coffee tea milk bread apple orange ' +
  'receipt cashier change card visa cash total subtotal tax tip service fee charge refund ' +
  'kg lb ml pcs box crate pallet parcel label tracking delivery courier sender receiver ' +
  'room suite floor wing block unit building hall stage row door key lock guest visitor ' +
  'morning evening today tomorrow open closed hours daily weekly monthly price special offer sale'
).split(' ');
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function casing(r, w) {
  const k = r.next();
  if (k < 0.3) return w.toUpperCase();
  if (k < 0.65) return w[0].toUpperCase() + w.slice(1);
  return w;
}

const pad2 = (n) => String(n).padStart(2, '0');

function token(r) {
  switch (r.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      return casing(r, r.pick(VOCAB));
    case 3:
      return String(r.int(0, 99999));
    case 4: {
      const v = r.int(0, 99999);
      const s = r.chance(0.5) ? v.toLocaleString('en-US') : String(v);
      return `${r.chance(0.5) ? '$' : ''}${s}.${pad2(r.int(0, 99))}`;
    }
    case 5: {
      const d = r.int(1, 28);
      const m = r.int(1, 12);
      const y = r.int(1990, 2035);
      const f = r.int(0, 3);
      if (f === 0) return `${pad2(d)}.${pad2(m)}.${y}`;
      if (f === 1) return `${pad2(m)}/${pad2(d)}/${y}`;
      if (f === 2) return `${d}-${MONTHS[m - 1]}-${y}`;
      return `${y}/${pad2(m)}/${pad2(d)}`;
    }
    case 6:
      return `${r.int(0, 23)}:${pad2(r.int(0, 59))}${r.chance(0.3) ? `:${pad2(r.int(0, 59))}` : ''}`;
    case 7:
      return `${r.int(-20, 120)}%`.replace('-', r.chance(0.5) ? '-' : '');
    case 8: {
      let s = '';
      const n = r.int(3, 9);
      for (let i = 0; i < n; i++) s += r.chance(0.5) ? r.pick(DIGITS) : r.pick(LETTERS.slice(0, 26));
      return r.chance(0.4) ? `${s.slice(0, 2)}-${s.slice(2)}` : s;
    }
    default:
      return `${r.pick(['No', 'Ref', 'ID', 'Lot', 'Seat', 'Gate', 'Rm'])}${r.pick([' ', ': ', '. ', '#'])}${r.int(1, 9999)}`;
  }
}

function randomChars(r, n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r.next();
    s += k < 0.55 ? r.pick(LETTERS) : k < 0.8 ? r.pick(DIGITS) : k < 0.92 ? r.pick(PUNCT) : ' ';
  }
  return s;
}

function makeText(r) {
  for (;;) {
    const limit = r.int(1, 24);
    let s;
    if (r.chance(0.2)) s = randomChars(r, limit);
    else {
      const parts = [];
      while (parts.join(' ').length < limit) parts.push(token(r) + (r.chance(0.1) ? r.pick([':', ',', '.']) : ''));
      s = parts.join(' ');
      if (s.length > 24) s = parts.length > 1 && parts[0].length <= 24 && r.chance(0.5) ? parts[0] : s.slice(0, 24);
    }
    s = s.split(' ').filter(Boolean).join(' ');
    if (s.length >= 1 && s.length <= 24) return s;
  }
}

// ---------------------------------------------------------------- image

function luminance([r, g, b]) {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function colours(r) {
  let bg;
  const k = r.next();
  if (k < 0.4) {
    const v = r.int(205, 255);
    bg = [v, v, v];
  } else if (k < 0.6) {
    const v = r.int(150, 210);
    bg = [v, v, v];
  } else {
    // a pastel or muted colour: each channel pulled from white towards a random hue
    const base = [r.int(0, 255), r.int(0, 255), r.int(0, 255)];
    const mix = r.uniform(0.15, 0.5);
    bg = base.map((c) => Math.round(255 - (255 - c) * mix));
  }
  let ink = r.chance(0.6) ? Array(3).fill(r.int(0, 60)) : [r.int(0, 90), r.int(0, 90), r.int(0, 90)];
  const gap = luminance(bg) - luminance(ink);
  if (gap < 100) ink = ink.map((c) => Math.max(0, Math.round(c - (100 - gap))));
  return { bg, ink };
}

function draw(r, text) {
  const [family, file] = r.pick(FONT_FILES);
  const alias = `ved-ind-${file.replace(/\W/g, '')}`;
  const size = r.int(12, 48);
  const font = `${size}px "${alias}"`;
  const probe = createCanvas(8, 8).getContext('2d');
  probe.font = font;
  const m = probe.measureText(text);
  // The crop: the ink box (actualBoundingBox), or the font box (fontBoundingBox) for a quarter of the images.
  const useFontBox = r.chance(0.25);
  const ascent = useFontBox ? m.fontBoundingBoxAscent : m.actualBoundingBoxAscent;
  const descent = useFontBox ? m.fontBoundingBoxDescent : m.actualBoundingBoxDescent;
  const inkLeft = -m.actualBoundingBoxLeft;
  const inkRight = m.actualBoundingBoxRight;
  const w = Math.max(1, inkRight - inkLeft);
  const h = Math.max(1, ascent + descent);
  // padding in pixels, each side on its own: none at all, a few pixels, or a margin
  const style = r.next();
  const side = (vertical) => {
    if (style < 0.3) return vertical ? r.uniform(-0.05, 0.06) * size : r.uniform(0, 0.06) * size;
    if (style < 0.8) return r.uniform(0.06, 0.45) * size;
    return r.uniform(0.45, 1.1) * size;
  };
  const [pl, pt, pr, pb] = [side(false), side(true), side(false), side(true)];
  const angle = (r.chance(0.6) ? r.uniform(-3, 3) : 0) * (Math.PI / 180);
  // the rotated box of the text, then the padding around it
  const cos = Math.cos(angle);
  const sin = Math.abs(Math.sin(angle));
  const rw = w * cos + h * sin;
  const rh = h * cos + w * sin;
  const width = Math.max(2, Math.round(rw + pl + pr));
  const height = Math.max(4, Math.round(rh + pt + pb));
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const { bg, ink } = colours(r);
  ctx.fillStyle = `rgb(${bg.join(',')})`;
  ctx.fillRect(0, 0, width, height);
  const blur = r.chance(0.5) ? r.uniform(0.2, 0.4 + size / 60) : 0;
  if (blur > 0) ctx.filter = `blur(${blur.toFixed(2)}px)`;
  ctx.fillStyle = `rgb(${ink.join(',')})`;
  ctx.font = font;
  ctx.textBaseline = 'alphabetic';
  // centre of the text box on the canvas, then rotate about it
  const cx = pl + rw / 2;
  const cy = pt + rh / 2;
  ctx.translate(cx, cy);
  ctx.rotate(angle);
  ctx.fillText(text, -w / 2 - inkLeft, -h / 2 + ascent);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.filter = 'none';
  // sensor noise and a light shading across the line
  const img = ctx.getImageData(0, 0, width, height);
  // Half the images are "photos", saved as JPEG (quality 45-92) with luminance noise (the same on the
  // three channels, as a phone camera's after its denoiser); the other half "screenshots", PNG, mostly clean.
  const jpeg = r.chance(0.5) ? r.int(45, 92) : 0;
  const sigma = jpeg ? r.uniform(0, 5) : r.chance(0.3) ? r.uniform(0, 3) : 0;
  const shade = r.chance(0.25) ? r.uniform(-30, 15) : 0;
  const d = img.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const s = (shade * x) / width + sigma * r.gauss();
      for (let c = 0; c < 3; c++) d[o + c] = Math.max(0, Math.min(255, Math.round(d[o + c] + s)));
      d[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return { data: jpeg ? canvas.encodeSync('jpeg', jpeg) : canvas.encodeSync('png'), ext: jpeg ? 'jpg' : 'png', family };
}

// ---------------------------------------------------------------- main

function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(here, 'out', 'independent') },
      n: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '4242' },
    },
  });
  const n = Number(values.n);
  const seed = Number(values.seed);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) {
    console.error(`--n must be a positive integer and --seed an integer (got --n ${values.n} --seed ${values.seed})`);
    process.exit(2);
  }
  for (const [family, file] of FONT_FILES) {
    const path = `/usr/share/fonts/truetype/${family}/${file}`;
    if (!existsSync(path)) {
      console.error(`missing font ${path} (apt-get install fonts-dejavu-core fonts-liberation fonts-noto-core fonts-freefont-ttf)`);
      process.exit(1);
    }
    GlobalFonts.registerFromPath(path, `ved-ind-${file.replace(/\W/g, '')}`);
  }
  const out = resolve(values.out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const lines = [];
  for (let i = 0; i < n; i++) {
    const r = prng(seed, i);
    const text = makeText(r);
    const { data, ext } = draw(r, text);
    const name = `${String(i).padStart(4, '0')}.${ext}`;
    writeFileSync(join(out, name), data);
    lines.push(JSON.stringify({ image: name, text }));
  }
  writeFileSync(join(out, 'manifest.jsonl'), `${lines.join('\n')}\n`);
  console.log(`wrote ${n} images and manifest.jsonl to ${out}`);
}

main();
