#!/usr/bin/env node
// `npm test`: type-check and compile (tsc), bundle (rollup), then the Node
// tests (node --test), then the browser tests (@web/test-runner in Chromium,
// Firefox and WebKit, one after another; LIFELINE_BROWSERS=chromium,firefox
// picks a subset). Exits non-zero on the first failing stage. `--node` or
// `--browser` runs one side.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const only = args.has('--node') ? 'node' : args.has('--browser') ? 'browser' : undefined;
const bin = (name) => join('node_modules', '.bin', name);

function run(title, cmd, argv, opts = {}) {
  const t0 = Date.now();
  console.log(`\n▶ ${title}`);
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`✖ ${title} failed (${secs}s)`);
    process.exit(r.status ?? 1);
  }
  console.log(`✔ ${title} (${secs}s)`);
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

rmSync('build', { recursive: true, force: true });
run('type-check and compile (tsc)', bin('tsc'), ['-p', 'tsconfig.json']);
run('bundle (rollup)', bin('rollup'), ['-c', '--silent']);
run('size budgets (test/bench/size-lib.mjs)', process.execPath, ['test/size.mjs']);
if (only !== 'browser') {
  // Browser-only tests (test/browser) run in Chromium below; everything else under Node.
  const files = testFiles('build/test').filter((f) => !f.includes(join('test', 'browser')));
  run('node tests (node --test)', process.execPath, ['--test', '--test-concurrency=2', ...files]);
}
if (only !== 'node') {
  // The engines are picked and checked by the config (test/support/engines.ts); this only names them.
  const engines = process.env.LIFELINE_BROWSERS || 'chromium,firefox,webkit';
  run(`browser tests (@web/test-runner: ${engines.split(',').map((name) => name.trim()).join(', ')})`, bin('web-test-runner'), []);
}
console.log('\nall tests passed');
