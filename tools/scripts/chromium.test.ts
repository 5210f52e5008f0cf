/** scripts/chromium.mjs: found, installed with apt-get as root on Debian, or one command to run. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { ensureChromium } from '../../scripts/chromium.mjs';

type Result = { path?: string; error?: string };
const ensure = ensureChromium as (overrides: object) => Result;

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
