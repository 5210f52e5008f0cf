/**
 * Python 3's `str` and `re` semantics in JavaScript, for ports of Python text code that must give the
 * same string (Nougat's post-processing, `nougat-post-process.ts`). Regular expressions built from these
 * pieces use the `u` flag, so that a class or `.` matches one code point as Python's does, and never the
 * `m` or `s` flags, whose line terminators (`\r`, U+2028, U+2029) are not Python's (`\n` only).
 *
 * The classes follow the JavaScript runtime's Unicode tables; Python 3.11's are Unicode 14.0. The two
 * agree on every character assigned in Unicode 14.0 (checked code point by code point against Node 20's
 * Unicode 17.0); characters assigned later are letters or digits here and not in Python 3.11.
 */

/**
 * Python's `\s` and the whitespace `str.strip()` / `str.split()` remove (`Py_UNICODE_ISSPACE`), as the
 * body of a character class: it has U+001C–U+001F and U+0085, which JavaScript's `\s` lacks, and not
 * U+FEFF, which JavaScript's `\s` has.
 */
export const PY_SPACE = String.raw`\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;

/** Python's `\w` on `str` (`str.isalnum()` or `_`: Unicode letters and numbers), as a class body. */
export const PY_WORD = String.raw`\p{L}\p{N}_`;

/** Python's `\d` on `str` (`str.isdecimal()`: Unicode decimal digits), as a class body. */
export const PY_DIGIT = String.raw`\p{Nd}`;

/** Python's `^` under `re.MULTILINE`: the start, or just after a `\n`. */
export const PY_LINE_START = String.raw`(?<![^\n])`;

/** Python's `$` under `re.MULTILINE`: the end, or just before a `\n`. */
export const PY_LINE_END = String.raw`(?![^\n])`;

/** Python's `$` without `re.MULTILINE`: the end, or just before a `\n` that ends the string. */
export const PY_END = String.raw`(?=\n?$)`;

/**
 * Characters outside Unicode category N for which Python's `str.isnumeric()` is true (a Numeric_Type:
 * CJK ideographs used as numerals, Unicode 14.0); `str.isnumeric()` is true on all of category N.
 */
const NUMERIC_IDEOGRAPHS =
  String.raw`\u3405\u3483\u382a\u3b4d\u4e00\u4e03\u4e07\u4e09\u4e5d\u4e8c\u4e94\u4e96\u4ebf\u4ec0\u4edf\u4ee8\u4f0d\u4f70` +
  String.raw`\u5104\u5146\u5169\u516b\u516d\u5341\u5343-\u5345\u534c\u53c1-\u53c4\u56db\u58f1\u58f9\u5e7a\u5efe\u5eff` +
  String.raw`\u5f0c-\u5f0e\u5f10\u62fe\u634c\u67d2\u6f06\u7396\u767e\u8086\u842c\u8cae\u8cb3\u8d30\u9621\u9646\u964c\u9678` +
  String.raw`\u96f6\uf96b\uf973\uf978\uf9b2\uf9d1\uf9d3\uf9fd\u{20001}\u{20064}\u{200e2}\u{20121}\u{2092a}\u{20983}` +
  String.raw`\u{2098c}\u{2099c}\u{20aea}\u{20afd}\u{20b19}\u{22390}\u{22998}\u{23b1b}\u{2626d}\u{2f890}`;
const NUMERIC_CHAR = new RegExp(String.raw`^[\p{N}${NUMERIC_IDEOGRAPHS}]$`, 'u');

/** `c.isnumeric()` for one character `c` (a code point). */
export function isNumericChar(c: string): boolean {
  return NUMERIC_CHAR.test(c);
}

/** A regular expression from the pieces above, with the `u` flag (and `g` unless told otherwise). */
export function pyRegExp(source: string, flags = 'gu'): RegExp {
  return new RegExp(source, flags);
}

function isPySpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** `s.strip()` (every Python whitespace character is in the BMP, so UTF-16 units suffice). */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** `s.partition(sep)`: the text before the first `sep`, `sep` itself ('' when absent), the text after. */
export function pyPartition(s: string, sep: string): [string, string, string] {
  const at = s.indexOf(sep);
  return at < 0 ? [s, '', ''] : [s.slice(0, at), sep, s.slice(at + sep.length)];
}

/** `s.count(sub)` for a non-empty `sub`: non-overlapping occurrences. */
export function pyCount(s: string, sub: string): number {
  return s.split(sub).length - 1;
}

/**
 * `s.replace(old, new)`: every non-overlapping `old`, left to right, with no `$` patterns in `new`. An
 * empty `old` puts `new` around every code point, as Python does (JavaScript's would split surrogate pairs).
 */
export function pyReplace(s: string, old: string, replacement: string): string {
  if (old !== '') return s.split(old).join(replacement);
  if (s === '') return replacement;
  return replacement + Array.from(s).join(replacement) + replacement;
}

/** `len(s)`: code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
