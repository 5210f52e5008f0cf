/** The table-driven parser: types, defaults, required flags, choices, negative numbers, positionals. */
import { describe, expect, it } from 'vitest';
import { defineCommand, parseCommandArgs, UsageError } from './args.js';

const command = defineCommand({
  name: 'demo',
  summary: 'a test command',
  positionals: { name: 'IMAGE', min: 1, help: 'images' },
  flags: {
    out: { type: 'string', metavar: 'DIR', required: true, help: 'where' },
    count: { type: 'integer', min: 1, default: 8, help: 'how many' },
    ratio: { type: 'number', min: 0, max: 1, help: 'a share' },
    offset: { type: 'number', help: 'any number' },
    mode: { type: 'choice', choices: ['a', 'b'], help: 'a mode' },
    json: { type: 'boolean', help: 'json' },
    tag: { type: 'string', multiple: true, help: 'tags' },
  },
  async run() {},
});

const parse = (argv: string[]) => parseCommandArgs(command, argv);

describe('parseCommandArgs', () => {
  it('converts values by type and fills defaults', () => {
    const { values, positionals } = parse(['x.png', '--out', 'o', '--ratio', '0.5', '--mode', 'b', '--json', '--tag', 't1', '--tag=t2', 'y.png']);
    expect(positionals).toEqual(['x.png', 'y.png']);
    expect(values).toMatchObject({ out: 'o', count: 8, ratio: 0.5, mode: 'b', json: true, tag: ['t1', 't2'], quiet: false, plugin: [] });
    expect(values.offset).toBeUndefined();
  });

  it('takes negative numbers as values and says what is wrong with them', () => {
    expect(parse(['x', '--out', 'o', '--offset', '-1.5']).values.offset).toBe(-1.5);
    expect(() => parse(['x', '--out', 'o', '--count', '-1'])).toThrow(new UsageError('--count must be a positive integer (1 or more), got "-1"'));
    expect(() => parse(['x', '--out', 'o', '--count', '2.5'])).toThrow('--count must be a positive integer (1 or more), got "2.5"');
    expect(() => parse(['x', '--out', 'o', '--ratio', '2'])).toThrow('--ratio must be a number from 0 to 1, got "2"');
    expect(() => parse(['x', '--out', 'o', '--ratio', ''])).toThrow('--ratio must be a number from 0 to 1, got ""');
  });

  it('names required flags, bad choices, unknown flags and missing positionals', () => {
    expect(() => parse(['x'])).toThrow('--out DIR is required; see `ved demo --help`');
    expect(() => parse(['x', '--out', 'o', '--mode', 'c'])).toThrow('--mode must be a or b, got "c"');
    expect(() => parse(['x', '--out', 'o', '--nope'])).toThrow(/Unknown option '--nope'.*see `ved demo --help`/);
    expect(() => parse(['--out', 'o'])).toThrow('give at least one IMAGE');
    // A value-taking flag followed by another flag is still refused by node's parser, not swallowed.
    expect(() => parse(['x', '--out', '--json'])).toThrow(UsageError);
  });

  it('refuses positionals a command does not take', () => {
    const none = defineCommand({ name: 'none', summary: '', flags: {}, async run() {} });
    expect(() => parseCommandArgs(none, ['stray'])).toThrow('unexpected argument "stray"');
  });
});
