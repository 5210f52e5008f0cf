/**
 * Streamers, as transformers' `generation/streamers.py`: `generate()` calls
 * `put(promptRows)` once, `put(nextTokenPerRow)` after every step, then
 * `end()`. Streaming works with greedy search and sampling; with beams it
 * raises, as in Python.
 */
import { VedError } from '@ved/core';
import type { TokenDecoder } from './stopping/stop-strings.js';

export interface Streamer {
  /** The prompt rows (a 2-D array) once, then the new token of every row (a 1-D array) per step. */
  put(value: readonly (readonly number[])[] | readonly number[]): void;
  end(): void;
}

export interface TextStreamerOptions {
  /** Don't emit the prompt's text. */
  skipPrompt?: boolean;
  /** Passed to `tokenizer.decode` (e.g. `{ skipSpecialTokens: true }`). */
  decodeOptions?: { skipSpecialTokens?: boolean };
  /** Receives each finalized piece of text; `streamEnd` on the last. Default: write to stdout (newline at the end) when there is one. */
  onText?: (text: string, streamEnd: boolean) => void;
}

/** Python's `_is_chinese_char`: the CJK Unified Ideographs blocks. */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * The text side of `TextStreamer` for one row: decodes the tokens so far and
 * releases text only up to the last space (whole words), at a newline, or
 * after a CJK character.
 */
export class TextAccumulator {
  private tokenCache: number[] = [];
  private printLen = 0;

  constructor(
    private readonly tokenizer: TokenDecoder,
    private readonly decodeOptions: { skipSpecialTokens?: boolean } = {},
  ) {}

  /** Adds tokens; returns the text that became final. */
  push(tokens: readonly number[]): string {
    this.tokenCache.push(...tokens);
    const text = this.tokenizer.decode(this.tokenCache, this.decodeOptions);
    let printable: string;
    if (text.endsWith('\n')) {
      printable = text.slice(this.printLen);
      this.tokenCache = [];
      this.printLen = 0;
    } else if (text.length > 0 && isCjk(lastCodePoint(text))) {
      printable = text.slice(this.printLen);
      this.printLen += printable.length;
    } else {
      printable = text.slice(this.printLen, text.lastIndexOf(' ') + 1);
      this.printLen += printable.length;
    }
    return printable;
  }

  /** The rest of the text; resets. */
  flush(): string {
    if (this.tokenCache.length === 0) return '';
    const text = this.tokenizer.decode(this.tokenCache, this.decodeOptions);
    const printable = text.slice(this.printLen);
    this.tokenCache = [];
    this.printLen = 0;
    return printable;
  }
}

function lastCodePoint(text: string): number {
  const last = text.charCodeAt(text.length - 1);
  const isLowSurrogate = last >= 0xdc00 && last <= 0xdfff;
  return isLowSurrogate && text.length >= 2 ? (text.codePointAt(text.length - 2) ?? last) : last;
}

/** Python's `TextStreamer`: prints text as soon as whole words are formed. Batch size 1 only. */
export class TextStreamer implements Streamer {
  private readonly text: TextAccumulator;
  private nextTokensArePrompt = true;
  private readonly onText: (text: string, streamEnd: boolean) => void;

  constructor(
    tokenizer: TokenDecoder,
    private readonly options: TextStreamerOptions = {},
  ) {
    this.text = new TextAccumulator(tokenizer, options.decodeOptions);
    this.onText = options.onText ?? writeToStdout;
  }

  put(value: readonly (readonly number[])[] | readonly number[]): void {
    let tokens: readonly number[];
    if (value.length > 0 && Array.isArray(value[0])) {
      if (value.length > 1) throw new VedError('INVALID_INPUT', 'TextStreamer only supports batch size 1');
      tokens = value[0] as readonly number[];
    } else {
      tokens = value as readonly number[];
    }
    if (this.options.skipPrompt && this.nextTokensArePrompt) {
      this.nextTokensArePrompt = false;
      return;
    }
    this.onText(this.text.push(tokens), false);
  }

  end(): void {
    const rest = this.text.flush();
    this.nextTokensArePrompt = true;
    this.onText(rest, true);
  }
}

function writeToStdout(text: string, streamEnd: boolean): void {
  const stdout = (globalThis as { process?: { stdout?: { write(s: string): unknown } } }).process?.stdout;
  stdout?.write(streamEnd ? `${text}\n` : text);
}
