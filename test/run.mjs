#!/usr/bin/env node
// `npm test`: type-check and compile (tsc), bundle (rollup), check the size
// budgets, then the test stages:
//   node tests     `node --test` on build/test/** under the running Node (20)
//   node 18 tests  the protocol, client, session and transport tests under Node 18
//                  (package.json claims engines >=18; test/support/node18.mjs
//                  provides Debian's Node 18 and says how)
//   package tests  test/package on the packed tarball, packed and installed
//                  once here (LIFELINE_PACKED_DIR)
//   browser tests  @web/test-runner in Chromium, Firefox and WebKit, one after
//                  another (LIFELINE_BROWSERS=chromium,firefox picks a subset)
// A build step that fails stops the run; a failing test stage does not stop
// the next one. `node --test` stages print only failures, in full
// (test/support/reporter.mjs), and every stage ends with one summary line;
// the run ends with a plain `N passed, N failed` line over all stages.
// `--node` or `--browser` runs one side.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';

const args = new Set(process.argv.slice(2));
const only = args.has('--node') ? 'node' : args.has('--browser') ? 'browser' : undefined;
const bin = (name) => join('node_modules', '.bin', name);
const REPORTER = ['--test-reporter', './test/support/reporter.mjs', '--test-reporter-destination', 'stdout'];
const t0 = Date.now();
/** One line per stage, repeated at the end. */
const summary = [];
let passed = 0;
let failed = 0;
let exitCode = 0;

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The counts a stage reported: the reporter's file for `node --test`
 * stages, else the last `<label>: ... N passed, N failed` line per label
 * in its output (web-test-runner prints one per browser).
 */
function countsOf(countsFile, output) {
  if (countsFile) {
    try {
      return JSON.parse(readFileSync(countsFile, 'utf8'));
    } catch {
      return undefined;
    }
  }
  const byLabel = new Map();
  for (const m of output.matchAll(/^(?:\x1b\[[\d;]*[A-Za-z])*([^\n:|]+):[^\n]*?(\d+) passed, (\d+) failed/gm)) {
    byLabel.set(m[1].trim(), { passed: Number(m[2]), failed: Number(m[3]) });
  }
  if (byLabel.size === 0) return undefined;
  let p = 0;
  let f = 0;
  for (const c of byLabel.values()) {
    p += c.passed;
    f += c.failed;
  }
  return { passed: p, failed: f };
}

/**
 * Runs one command of a stage. `live`: its output goes through as it comes;
 * else it is held and printed in one piece when the command ends (so that
 * the output of two commands running at once does not interleave). Returns
 * its exit status, output and counts (see countsOf).
 */
async function runCommand(cmd, argv, opts, live) {
  const countsFile = opts.counts ? join(mkdtempSync(join(tmpdir(), 'lifeline-counts-')), 'counts.json') : undefined;
  const env = { ...process.env, ...opts.env, ...(countsFile ? { LIFELINE_TEST_COUNTS: countsFile } : {}) };
  let output = '';
  const status = await new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['inherit', 'pipe', 'pipe'], env });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (live) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      if (live) process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      console.error(`${cmd}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  if (!live) process.stdout.write(`(${opts.alongsideTitle ?? 'beside it'}:)\n${output}`);
  const counts = countsOf(countsFile, output);
  if (countsFile) rmSync(join(countsFile, '..'), { recursive: true, force: true });
  return { status, counts };
}

/**
 * Runs one stage: its output goes through as it comes (and is kept, to find
 * its counts). A build stage (`build: true`) that fails ends the run.
 * `opts.alongside`: the arguments of a second run of `cmd` at the same time
 * (its output printed when it ends, under `opts.alongsideTitle`); the
 * stage's counts are the sum of both.
 */
async function run(title, cmd, argv, opts = {}) {
  const start = Date.now();
  console.log(`\n▶ ${title}`);
  const results = await Promise.all([runCommand(cmd, argv, opts, true), ...(opts.alongside ? [runCommand(cmd, opts.alongside, opts, false)] : [])]);
  const time = secs(Date.now() - start);
  const status = results.some((result) => result.status !== 0) ? 1 : 0;
  const counts = results.every((result) => result.counts)
    ? { passed: results.reduce((sum, result) => sum + result.counts.passed, 0), failed: results.reduce((sum, result) => sum + result.counts.failed, 0) }
    : undefined;
  let line;
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
    line = `${title}: ${counts.passed} passed, ${counts.failed} failed (${time})`;
  } else {
    line = `${title}: ${status === 0 ? 'ok' : 'failed'} (${time})`;
  }
  if (status !== 0 && (counts === undefined || counts.failed === 0)) {
    // A step or runner that failed without a failing test (a build error, a crash): count it.
    failed += 1;
    if (counts) line += ', exited with an error';
  }
  summary.push(`${status === 0 ? '✔' : '✖'} ${line}`);
  console.log(summary.at(-1));
  if (status !== 0) {
    exitCode = 1;
    if (opts.build) finish();
  }
}

function finish() {
  console.log(`\n${summary.join('\n')}\ntotal ${secs(Date.now() - t0)}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(exitCode);
}

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

/**
 * What runs under Node 18 too: the protocol core, the client, the session
 * core and the session server adapter, and the Node transport and
 * WebSocket (with their interop and deflate tests). Not the
 * CLI, demo or layering tests, not the client leak test, and not the slow
 * zlib differential (node:zlib's behaviour there is the same code in both
 * majors). The Node connection's parts (outbox, ping registry, the core's
 * sink) and the thread-pool inflate (deflate-async) run here as well.
 */
const NODE18_FILES = /test\/(protocol|client|session)\/|test\/node\/(transport-|websocket-|client-wiring|handshake-quirks|protocol-interop|reader|outbox|pings|sink|deflate-(wire|ws-interop|native-window|bomb|async)|autobahn-cases|session-server)/;
const posix = (file) => file.split(sep).join('/');
/** The node tests that drive a real browser (test/support/browser-page.ts): one file per engine and suite. */
const BROWSER_DRIVING_FILES = /test\/node\/(demo-page|shared-tabs)\.(chromium|firefox|webkit)\.test\.js$/;

rmSync('build', { recursive: true, force: true });
await run('type-check and compile (tsc)', bin('tsc'), ['-p', 'tsconfig.json'], { build: true });
await run('bundle (rollup)', bin('rollup'), ['-c', '--silent'], { build: true });
await run('size budgets (test/bench/size-lib.mjs)', process.execPath, ['test/size.mjs'], { build: true });
if (only !== 'browser') {
  const all = testFiles(join('build', 'test'));
  const isBrowser = (f) => f.includes(join('test', 'browser', ''));
  const isPackage = (f) => f.includes(join('test', 'package', ''));
  const nodeFiles = all.filter((f) => !isBrowser(f) && !isPackage(f));
  // The files that drive pages of a real browser from Node (the demo page, tabs sharing a connection) spend most of
  // their time waiting for the page (timers of the demo, reconnects, takeovers: about a fifth of their wall time is
  // CPU), so they run in a second `node --test` beside the others, two at a time: the waiting overlaps the
  // CPU-bound files instead of holding one of their two slots for 35 to 60 s each.
  const drivesBrowser = (f) => BROWSER_DRIVING_FILES.test(posix(f));
  await run(`node tests (Node ${process.versions.node})`, process.execPath, ['--test', '--test-concurrency=2', ...REPORTER, ...nodeFiles.filter((f) => !drivesBrowser(f))], {
    counts: true,
    alongside: ['--test', '--test-concurrency=2', ...REPORTER, ...nodeFiles.filter(drivesBrowser)],
    alongsideTitle: 'the browser-driving files, run beside the others',
  });

  const { provideNode18 } = await import('./support/node18.mjs');
  let node18;
  try {
    node18 = provideNode18((line) => console.log(line));
  } catch (error) {
    console.error(`node 18: cannot provide it: ${error.message}\n(see test/support/node18.mjs; it needs Debian's apt as root)`);
  }
  if (node18) {
    // Two files at a time, as the Node 20 stage (Node 18's own default is one at a time: availableParallelism() - 1 on two cores).
    await run(`node 18 tests (Node ${node18.version.slice(1)})`, node18.bin, ['--test', '--test-concurrency=2', ...REPORTER, ...nodeFiles.filter((f) => NODE18_FILES.test(posix(f)))], { counts: true, env: node18.env });
  } else {
    summary.push('✖ node 18 tests: Node 18 not available');
    failed += 1;
    exitCode = 1;
  }

  // Pack and install once for every package test file.
  const packStart = Date.now();
  const { packAndInstall } = await import('../build/test/support/packed.js');
  let packed;
  try {
    packed = packAndInstall();
    console.log(`\n(npm pack and install into ${packed.dir}: ${secs(Date.now() - packStart)})`);
  } catch (error) {
    console.error(`npm pack / install failed: ${error.message}`);
  }
  if (packed) {
    await run('package tests (npm pack, Node, TypeScript 5.9 and 7, Chromium)', process.execPath, ['--test', '--test-concurrency=1', ...REPORTER, ...all.filter(isPackage)], {
      counts: true,
      env: { LIFELINE_PACKED_DIR: packed.dir },
    });
    rmSync(packed.dir, { recursive: true, force: true });
  } else {
    summary.push('✖ package tests: npm pack or install failed');
    failed += 1;
    exitCode = 1;
  }
}
if (only !== 'node') {
  // The engines are picked and checked by the config (test/support/engines.ts); this only names them.
  const engines = process.env.LIFELINE_BROWSERS || 'chromium,firefox,webkit';
  await run(`browser tests (@web/test-runner: ${engines.split(',').map((name) => name.trim()).join(', ')})`, bin('web-test-runner'), []);
}
finish();
