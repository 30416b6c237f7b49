/**
 * The packed tarball, used the three ways users use it: `import` and
 * `require` in Node, a bundler targeting the browser, and a `<script>` tag
 * of the IIFE in Chromium. Runs after `npm test` has built dist/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../support/test-server.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');

describe('package (npm pack → install → use)', { timeout: 240_000 }, () => {
  let dir = '';
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'lifeline-pkg-'));
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    const tgz = out.trim().split('\n').pop()!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tgz)], { cwd: dir, stdio: 'pipe' });
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships only dist, README and LICENSE', () => {
    const files = readdirSync(join(dir, 'node_modules/lifeline-ws')).sort();
    assert.deepEqual(files, ['LICENSE', 'README.md', 'dist', 'package.json']);
  });

  it('works via require() in Node: echo through a ws server', async () => {
    const script = `
      const { connect, WebSocket } = require('lifeline-ws');
      const proto = require('lifeline-ws/protocol');
      if (typeof connect !== 'function' || typeof WebSocket !== 'function') throw new Error('missing exports');
      if (typeof proto.Protocol !== 'function') throw new Error('missing protocol export');
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))});
      ws.onopen = () => ws.send('via require');
      ws.onmessage = (e) => { console.log(e.data); ws.close(); };
      ws.onerror = (e) => { console.error(e.error || e); process.exit(1); };
    `;
    writeFileSync(join(dir, 'req.cjs'), script);
    const { stdout } = await run(process.execPath, ['req.cjs'], { cwd: dir, timeout: 20_000 });
    assert.equal(stdout.trim(), 'via require');
  });

  it('works via import in Node: the resilient client echoes', async () => {
    const script = `
      import { connect } from 'lifeline-ws';
      import { parseUrl } from 'lifeline-ws/protocol';
      if (parseUrl('ws://h:80/x').resource !== '/x') throw new Error('protocol subpath broken');
      const conn = connect(${JSON.stringify(server.url('/echo'))});
      conn.on('message', (m) => { console.log(String(m.data ?? m)); conn.close(); });
      await conn.send('via import');
    `;
    writeFileSync(join(dir, 'imp.mjs'), script);
    const { stdout } = await run(process.execPath, ['imp.mjs'], { cwd: dir, timeout: 20_000 });
    assert.equal(stdout.trim(), 'via import');
  });

  it('bundles for the browser without node:*, fflate or the frame layer', async () => {
    writeFileSync(join(dir, 'entry.js'), `import { connect, WebSocket } from 'lifeline-ws'; window.out = [connect, WebSocket];`);
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const bundle = await rollup({
      input: join(dir, 'entry.js'),
      plugins: [nodeResolve({ browser: true, rootDir: dir, modulePaths: [join(dir, 'node_modules')] })],
      onwarn: (w) => { throw new Error(`bundler warning: ${w.message}`); },
    });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    const code = output.map((c) => ('code' in c ? c.code : '')).join('\n');
    assert.ok(code.includes('connect'), 'bundle contains the client');
    assert.doesNotMatch(code, /from ['"]node:|require\(['"]node:/, 'no node: imports');
    // fflate's own error strings; comments that merely mention fflate do not count.
    assert.doesNotMatch(code, /invalid block type|unexpected EOF|invalid length\/literal/, 'no fflate code');
    assert.doesNotMatch(code, /258EAFA5-E914-47DA-95CA-C5AB0DC85B11/, 'no handshake/frame layer');
    // The resolved files must be the browser build, not the Node one.
    const ids = output.flatMap((c) => ('modules' in c ? Object.keys(c.modules) : []));
    assert.ok(ids.some((id) => id.endsWith('dist/browser.mjs')), `resolved browser build: ${ids.join(', ')}`);
    assert.deepEqual(ids.filter((id) => /fflate|node\.mjs|protocol\.mjs|chunks/.test(id)), [], 'no fflate, Node build or protocol module in the browser bundle');
  });

  it('works via a <script> tag of the IIFE in Chromium', async () => {
    const { chromium } = await import('playwright');
    const { findChromium, chromiumArgs } = await import(join(root, 'test/support/chromium.mjs'));
    const iife = readFileSync(join(dir, 'node_modules/lifeline-ws/dist/lifeline.min.js'));
    const page = `<!doctype html><script src="/lifeline.min.js"></script><script>
      window.result = new Promise((resolve, reject) => {
        const conn = lifeline.connect(${JSON.stringify(server.url('/echo'))});
        conn.on('message', (m) => { resolve(String(m.data ?? m)); conn.close(); });
        conn.send('via script tag').catch(reject);
      });
    </script>`;
    const http: Server = createServer((req, res) => {
      if (req.url === '/lifeline.min.js') res.setHeader('content-type', 'text/javascript').end(iife);
      else res.setHeader('content-type', 'text/html').end(page);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const browser = await chromium.launch({ executablePath: await findChromium(), args: chromiumArgs });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
      assert.equal(await tab.evaluate('typeof lifeline.connect'), 'function');
      assert.equal(await tab.evaluate('lifeline.WebSocket === window.WebSocket'), true);
      assert.equal(await tab.evaluate('window.result'), 'via script tag');
    } finally {
      await browser.close();
      http.close();
    }
  });
});
