/** scripts/chromium.mjs: Chromium (and the other Debian packages the tests use) found, installed with apt-get as root on Debian, or one command to run. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { ensureChromium, ensureDebianPackage } from '../../scripts/chromium.mjs';

type Result = { path?: string; error?: string };
const ensure = ensureChromium as (overrides: object) => Result;
const ensurePackage = ensureDebianPackage as (name: string, present: (s: { exists: (p: string) => boolean }) => boolean, why: string, overrides: object) => Result;

function system(files: string[], options: { root?: boolean; env?: Record<string, string>; installs?: string; failFirst?: boolean } = {}) {
  const present = new Set(files);
  const calls: string[] = [];
  let attempts = 0;
  return {
    calls,
    overrides: {
      env: { PATH: '/usr/local/bin:/usr/bin', ...options.env },
      exists: (p: string) => present.has(p),
      isRoot: () => options.root ?? false,
      log: () => {},
      run: (command: string, args: string[], env: Record<string, string>) => {
        calls.push(`${env.DEBIAN_FRONTEND} ${command} ${args.join(' ')}`);
        if (args[0] === 'install') {
          attempts += 1;
          if (options.failFirst && attempts === 1) return 100;
          if (options.installs) present.add(options.installs);
        }
        return 0;
      },
    },
  };
}

describe('ensureChromium', () => {
  it('takes CHROMIUM_PATH, /usr/bin/chromium, or chromium on PATH', () => {
    expect(ensure(system(['/opt/chrome'], { env: { CHROMIUM_PATH: '/opt/chrome' } }).overrides)).toEqual({ path: '/opt/chrome' });
    expect(ensure(system(['/usr/bin/chromium']).overrides)).toEqual({ path: '/usr/bin/chromium' });
    expect(ensure(system(['/usr/local/bin/chromium-browser']).overrides)).toEqual({ path: '/usr/local/bin/chromium-browser' });
  });

  it('installs Debian\'s package when root with apt-get (apt-get update first when the install fails)', () => {
    const debian = ['/etc/debian_version', '/usr/bin/apt-get'];
    const s = system(debian, { root: true, installs: '/usr/bin/chromium' });
    expect(ensure(s.overrides)).toEqual({ path: '/usr/bin/chromium' });
    expect(s.calls).toEqual(['noninteractive apt-get install -y --no-install-recommends chromium']);
    const fresh = system(debian, { root: true, installs: '/usr/bin/chromium', failFirst: true });
    expect(ensure(fresh.overrides)).toEqual({ path: '/usr/bin/chromium' });
    expect(fresh.calls).toEqual([
      'noninteractive apt-get install -y --no-install-recommends chromium',
      'noninteractive apt-get update',
      'noninteractive apt-get install -y --no-install-recommends chromium',
    ]);
  });

  it('otherwise fails at once with the one command to run', () => {
    expect(ensure(system(['/etc/debian_version', '/usr/bin/apt-get']).overrides).error).toBe('The tests drive Chromium, which is not installed. Run: sudo apt-get install -y chromium');
    expect(ensure(system([]).overrides).error).toBe('The tests drive Chromium, which is not installed. Run: install Chromium, then set CHROMIUM_PATH=/path/to/chromium');
    expect(ensure(system([], { env: { CHROMIUM_PATH: '/nope' } }).overrides).error).toContain('CHROMIUM_PATH=/nope does not exist');
    expect(ensure(system(['/etc/debian_version', '/usr/bin/apt-get'], { root: true }).overrides).error).toContain('apt-get update && apt-get install -y chromium');
  });
});

describe('ensureDebianPackage', () => {
  const redis = (s: { exists: (p: string) => boolean }) => s.exists('/usr/bin/redis-server');
  const debian = ['/etc/debian_version', '/usr/bin/apt-get'];

  it('is satisfied when present, and installs the package as root on Debian otherwise', () => {
    expect(ensurePackage('redis-server', redis, 'queues', system(['/usr/bin/redis-server']).overrides)).toEqual({});
    const s = system(debian, { root: true, installs: '/usr/bin/redis-server', failFirst: true });
    expect(ensurePackage('redis-server', redis, 'queues', s.overrides)).toEqual({});
    expect(s.calls).toEqual([
      'noninteractive apt-get install -y --no-install-recommends redis-server',
      'noninteractive apt-get update',
      'noninteractive apt-get install -y --no-install-recommends redis-server',
    ]);
  });

  it('otherwise says why it is needed and the command to run', () => {
    expect(ensurePackage('redis-server', redis, 'the queue tests start it', system(debian).overrides).error).toBe(
      'The tests need redis-server (the queue tests start it), which is not installed. Run: sudo apt-get install -y redis-server',
    );
    expect(ensurePackage('redis-server', redis, 'queues', system(debian, { root: true }).overrides).error).toBe(
      'Installing redis-server with apt-get failed. Run: apt-get update && apt-get install -y redis-server',
    );
  });
});
