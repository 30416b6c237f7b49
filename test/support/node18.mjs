#!/usr/bin/env node
// Node 18 for the tests: package.json claims `engines: node >=18`, so `npm
// test` runs the protocol, transport, client and package tests under Node 18
// too. The default Node (20) comes from nodesource under Debian's package
// name `nodejs`, so Debian 12's own nodejs 18 cannot be installed beside it;
// instead its two packages (nodejs, libnode108) are downloaded with
// `apt-get download` and unpacked with `dpkg-deb -x` into .cache/node18/,
// and the binary runs with LD_LIBRARY_PATH pointing there.
//
// Debian builds Node 18 with acorn, acorn-walk, cjs-module-lexer and undici
// "externalized": libnode loads them from fixed paths under
// /usr/share/nodejs, so those packages (node-acorn, node-cjs-module-lexer,
// node-undici) are installed normally, with libnode108's shared-library
// dependencies; none of them conflicts with the nodesource Node.
//
// Measured on this shared 2-core machine: apt-get install of the helpers
// about 7 s (once per machine); download (11 MB) and unpacking 4 to 13 s.
//
//   node test/support/node18.mjs install   provide it (CI calls this; idempotent)
//   node test/support/node18.mjs           print where it is, or why not
// From code: `findNode18()` → { bin, env, version } or undefined;
// `provideNode18()` finds it or installs it, and throws saying why it cannot.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, '.cache', 'node18');
const LIB = join(CACHE, 'usr', 'lib', 'x86_64-linux-gnu');
const BIN = join(CACHE, 'usr', 'bin', 'node');

/**
 * Installed normally: libnode108's libraries (most are on every Debian 12
 * machine already) and the JS packages it loads from /usr/share/nodejs.
 */
const HELPERS = ['libc-ares2', 'libicu72', 'libnghttp2-14', 'libssl3', 'libuv1', 'libbrotli1', 'zlib1g', 'node-acorn', 'node-cjs-module-lexer', 'node-undici'];

/** The unpacked Node 18, when it runs: `bin` with `env` (LD_LIBRARY_PATH added to `base`). */
export function findNode18(base = process.env) {
  if (!existsSync(BIN)) return undefined;
  const env = { ...base, LD_LIBRARY_PATH: base.LD_LIBRARY_PATH ? `${LIB}:${base.LD_LIBRARY_PATH}` : LIB };
  const r = spawnSync(BIN, ['--version'], { env, encoding: 'utf8' });
  const version = r.stdout?.trim() ?? '';
  return r.status === 0 && version.startsWith('v18.') ? { bin: BIN, env, version } : undefined;
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ')}`);
  return r.stdout;
}

/** Debian's candidate version of libnode108 (the Node 18 library), e.g. 18.20.4+dfsg-1~deb12u3. */
function debianVersion() {
  const policy = sh('apt-cache', ['policy', 'libnode108']);
  const m = /Candidate:\s*(\S+)/.exec(policy);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/** Downloads and unpacks Debian's Node 18 into .cache/node18 (see the header). Needs apt (root). */
export function installNode18(log = (line) => console.log(line)) {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('Node 18 is provided from Debian packages for linux x64 only');
  const apt = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  let version = debianVersion();
  if (version === undefined) {
    log('node18: apt-get update (no libnode108 in the package lists yet)');
    sh('apt-get', ['update', '-qq'], apt);
    version = debianVersion();
    if (version === undefined) throw new Error('apt knows no libnode108 package (is this Debian 12?)');
  }
  // Only what is missing, and never an upgrade of what is installed (--no-upgrade).
  const missing = HELPERS.filter((name) => spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length > 0) {
    log(`node18: apt-get install ${missing.join(' ')}`);
    sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '--no-upgrade', ...missing], apt);
  }
  const download = join(CACHE, '..', 'node18-download');
  rmSync(download, { recursive: true, force: true });
  mkdirSync(download, { recursive: true });
  log(`node18: apt-get download nodejs=${version} libnode108=${version}`);
  // The _apt user may not write here; root downloads itself (apt only warns).
  sh('apt-get', ['download', '-o', 'APT::Sandbox::User=root', `nodejs=${version}`, `libnode108=${version}`], { ...apt, cwd: download });
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  for (const deb of readdirSync(download).filter((f) => f.endsWith('.deb'))) sh('dpkg-deb', ['-x', join(download, deb), CACHE]);
  rmSync(download, { recursive: true, force: true });
  const found = findNode18();
  if (!found) throw new Error(`unpacked ${version} into ${CACHE}, but ${BIN} does not run`);
  log(`node18: ${found.version} in ${CACHE}`);
  return found;
}

/** Node 18, installing it first if needed; throws with the reason when it cannot be had. */
export function provideNode18(log) {
  return findNode18() ?? installNode18(log);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const found = process.argv[2] === 'install' ? provideNode18() : findNode18();
    if (found) console.log(`${found.bin} (${found.version}; LD_LIBRARY_PATH=${found.env.LD_LIBRARY_PATH})`);
    else {
      console.log('node18: not provided; run `node test/support/node18.mjs install`');
      process.exitCode = 1;
    }
  } catch (error) {
    console.error(`node18: ${error.message}`);
    process.exitCode = 1;
  }
}
