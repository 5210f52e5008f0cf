// Finds Chromium for the test suites, or installs Debian's package (root, apt-get, non-interactive), or
// says the one command to run. Used by scripts/test.mjs before any test starts; tested by
// tools/scripts/chromium.test.ts with the system calls replaced.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const SYSTEM = {
  env: process.env,
  exists: existsSync,
  isRoot: () => typeof process.getuid === 'function' && process.getuid() === 0,
  run: (command, args, env) => spawnSync(command, args, { stdio: 'inherit', env }).status,
  log: (message) => console.log(message),
};

/** The first `name` on PATH. */
function onPath(name, system) {
  for (const dir of (system.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && system.exists(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function find(system) {
  const given = system.env.CHROMIUM_PATH;
  if (given) return system.exists(given) ? given : undefined;
  if (system.exists('/usr/bin/chromium')) return '/usr/bin/chromium';
  return onPath('chromium', system) ?? onPath('chromium-browser', system);
}

/**
 * `{ path }` of a usable Chromium (installed first when it can be), or `{ error }`: the message to print,
 * ending with the one command to run.
 */
export function ensureChromium(overrides = {}) {
  const system = { ...SYSTEM, ...overrides };
  const found = find(system);
  if (found) return { path: found };
  if (system.env.CHROMIUM_PATH) {
    return { error: `CHROMIUM_PATH=${system.env.CHROMIUM_PATH} does not exist. Point it at a Chromium binary, or unset it and run: sudo apt-get install -y chromium` };
  }
  const apt = aptGet(system);
  if (apt !== undefined && system.isRoot()) {
    system.log("Chromium is missing: installing Debian's package (apt-get install -y chromium)…");
    const status = aptInstall('chromium', system);
    const installed = find(system);
    if (status === 0 && installed) return { path: installed };
    return { error: 'Installing Chromium with apt-get failed. Run: apt-get update && apt-get install -y chromium' };
  }
  const command = apt !== undefined ? 'sudo apt-get install -y chromium' : 'install Chromium, then set CHROMIUM_PATH=/path/to/chromium';
  return { error: `The tests drive Chromium, which is not installed. Run: ${command}` };
}

/** apt-get on PATH, on Debian. */
function aptGet(system) {
  return system.exists('/etc/debian_version') ? onPath('apt-get', system) : undefined;
}

/** `apt-get install -y --no-install-recommends <name>` (once more after `apt-get update` if it fails); the exit status. */
function aptInstall(name, system) {
  const env = { ...system.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => system.run('apt-get', ['install', '-y', '--no-install-recommends', name], env);
  let status = install();
  if (status !== 0) {
    // A fresh image often has no package lists yet.
    system.run('apt-get', ['update'], env);
    status = install();
  }
  return status;
}

/**
 * Another Debian package the tests use (redis-server for the queue tests, libtcmalloc-minimal4 for
 * `ved train`'s allocator): `{}` when `present()` says it is there (installed first when it can be: root,
 * apt-get), or `{ error }` ending with the command to run.
 */
export function ensureDebianPackage(name, present, why, overrides = {}) {
  const system = { ...SYSTEM, ...overrides };
  if (present(system)) return {};
  const apt = aptGet(system);
  if (apt !== undefined && system.isRoot()) {
    system.log(`${name} is missing (${why}): installing Debian's package (apt-get install -y ${name})…`);
    if (aptInstall(name, system) === 0 && present(system)) return {};
    return { error: `Installing ${name} with apt-get failed. Run: apt-get update && apt-get install -y ${name}` };
  }
  return { error: `The tests need ${name} (${why}), which is not installed. Run: sudo apt-get install -y ${name}` };
}
