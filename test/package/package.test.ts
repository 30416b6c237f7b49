/**
 * The packed tarball, used the ways users use it: `import` and `require` in
 * Node (every Node major package.json claims: the running one and Node 18),
 * both in one process (one copy of every class), a bundler targeting the
 * browser, a `<script>` tag of the IIFE in Chromium, and partysocket driving
 * lifeline's `WebSocket` through a dropped connection. Also what the tarball
 * holds: no internal declarations, source maps with their sources, registry
 * metadata, README images that load on the registry page. Runs after the
 * build (test/run.mjs's package stage packs once; alone, this file packs).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { packedConsumer, root } from '../support/packed.js';

const run = promisify(execFile);

interface NodeRuntime {
  name: string;
  bin: string;
  env: NodeJS.ProcessEnv;
}

/** Every Node this package claims (engines >=18): the one running the tests, and Node 18 (test/support/node18.mjs). */
async function runtimes(): Promise<NodeRuntime[]> {
  const { provideNode18 } = (await import(join(root, 'test/support/node18.mjs'))) as {
    provideNode18(log?: (line: string) => void): { bin: string; env: NodeJS.ProcessEnv; version: string };
  };
  const n18 = provideNode18(() => {});
  return [
    { name: `Node ${process.version}`, bin: process.execPath, env: process.env },
    { name: `Node ${n18.version}`, bin: n18.bin, env: n18.env },
  ];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out.sort();
}

describe('package (npm pack → install → use)', { timeout: 240_000 }, () => {
  let dir = '';
  let pkgDir = '';
  let server: TestServer;
  let nodes: NodeRuntime[] = [];

  before(async () => {
    server = await startTestServer();
    dir = packedConsumer().dir;
    pkgDir = join(dir, 'node_modules/lifeline-ws');
    nodes = await runtimes();
  });

  after(async () => {
    await server?.close();
  });

  it('ships only dist, README and LICENSE', () => {
    const files = readdirSync(pkgDir).sort();
    assert.deepEqual(files, ['LICENSE', 'README.md', 'dist', 'package.json']);
  });

  it('dist holds the builds, one CommonJS copy of the Node code with ESM faces, and only public declarations', () => {
    const files = filesUnder(join(pkgDir, 'dist')).map((f) => relative(join(pkgDir, 'dist'), f));
    const top = files.filter((f) => !f.includes('/'));
    assert.deepEqual(top, [
      'browser.mjs', 'browser.mjs.map', 'cli.cjs', 'cli.cjs.map', 'cli.mjs', 'lifeline.min.js', 'lifeline.min.js.map',
      'node.cjs', 'node.cjs.map', 'node.mjs', 'protocol.cjs', 'protocol.cjs.map', 'protocol.mjs',
      // The server behind `lifeline serve` and the demo: shipped for the CLI, not a package export.
      'serve.cjs', 'serve.cjs.map', 'serve.mjs',
      // lifeline-ws/server: the session adapter.
      'server.cjs', 'server.cjs.map', 'server.mjs',
    ]);
    // Shared code exists once, as CommonJS (no ESM chunks beside it).
    const chunks = files.filter((f) => f.startsWith('chunks/'));
    assert.ok(chunks.length > 0 && chunks.every((f) => /\.cjs(\.map)?$/.test(f)), chunks.join(', '));
    // The ESM entries only re-export the CommonJS ones.
    for (const name of ['node', 'protocol', 'server']) {
      const code = readFileSync(join(pkgDir, 'dist', `${name}.mjs`), 'utf8');
      assert.match(code, new RegExp(`^export \\{ [\\w, ]+ \\} from './${name}\\.cjs';$`, 'm'));
      assert.equal(code.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('//')).length, 1, `${name}.mjs is one re-export`);
    }
    // Declarations: the entries and what they import; no CLI, no connection/dial/reader internals.
    const types = files.filter((f) => f.startsWith('types/'));
    assert.ok(types.includes('types/index.d.ts') && types.includes('types/node.d.ts') && types.includes('types/protocol/index.d.ts') && types.includes('types/server.d.ts'));
    assert.deepEqual(types.filter((f) => /types\/cli\/|connection\.d\.ts|dial\.d\.ts|reader\.d\.ts|proxy\.d\.ts|zlib-inflate|autobahn/.test(f)), []);
    assert.deepEqual(types.filter((f) => !f.endsWith('.d.ts')), []);
    // Every shipped declaration is reachable: each one but the entries is imported by another.
    const imported = new Set<string>();
    for (const f of types) {
      const text = readFileSync(join(pkgDir, 'dist', f), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        imported.add(join(f, '..', m[1]!).replace(/\.js$/, '.d.ts'));
      }
    }
    assert.deepEqual(types.filter((f) => !imported.has(f) && !['types/index.d.ts', 'types/node.d.ts', 'types/protocol/index.d.ts', 'types/server.d.ts'].includes(f)), []);
    // No @internal member is published (stripInternal).
    for (const f of types) assert.doesNotMatch(readFileSync(join(pkgDir, 'dist', f), 'utf8'), /@internal/, f);
  });

  it('every source map carries the sources it names (sourcesContent), so nothing points at unshipped files', () => {
    const maps = filesUnder(join(pkgDir, 'dist')).filter((f) => f.endsWith('.map'));
    assert.ok(maps.length >= 7);
    assert.ok(maps.filter((file) => (JSON.parse(readFileSync(file, 'utf8')) as { sources: string[] }).sources.length > 0).length >= 5, 'the builds map back to sources');
    for (const file of maps) {
      const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      // An entry that only re-exports its chunks names no sources of its own.
      assert.equal(map.sourcesContent?.length ?? 0, map.sources.length, `${file}: sourcesContent for every source`);
      assert.ok(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), `${file}: no empty source`);
    }
  });

  it('package.json has the registry metadata; README images are absolute URLs or shipped files', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.match((pkg['repository'] as { url: string }).url, /^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    assert.match(pkg['homepage'] as string, /^https:\/\//);
    assert.match((pkg['bugs'] as { url: string }).url, /^https:\/\/.*\/issues$/);
    assert.ok(Array.isArray(pkg['keywords']) && (pkg['keywords'] as string[]).includes('websocket'));
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g), ...readme.matchAll(/<img[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(images.length > 0, 'the README has an image');
    for (const src of images) {
      if (/^https:\/\//.test(src)) continue;
      assert.ok(statSync(join(pkgDir, src), { throwIfNoEntry: false })?.isFile(), `${src}: relative image not shipped`);
    }
  });

  it('works via require() on every claimed Node: echo through a ws server', async () => {
    const script = `
      const { connect, WebSocket } = require('lifeline-ws');
      const proto = require('lifeline-ws/protocol');
      const sessions = require('lifeline-ws/server');
      if (typeof connect !== 'function' || typeof WebSocket !== 'function') throw new Error('missing exports');
      if (typeof proto.Protocol !== 'function') throw new Error('missing protocol export');
      if (typeof sessions.sessionServer !== 'function') throw new Error('missing server export');
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))});
      ws.onopen = () => ws.send('via require');
      ws.onmessage = (e) => { console.log(e.data); ws.close(); };
      ws.onerror = (e) => { console.error(e.error || e); process.exit(1); };
    `;
    writeFileSync(join(dir, 'req.cjs'), script);
    for (const node of nodes) {
      const { stdout } = await run(node.bin, ['req.cjs'], { cwd: dir, env: node.env, timeout: 20_000 });
      assert.equal(stdout.trim(), 'via require', node.name);
    }
  });

  it('works via import on every claimed Node: the resilient client echoes', async () => {
    const script = `
      import { connect } from 'lifeline-ws';
      import { parseUrl } from 'lifeline-ws/protocol';
      import { sessionServer } from 'lifeline-ws/server';
      if (parseUrl('ws://h:80/x').resource !== '/x') throw new Error('protocol subpath broken');
      if (typeof sessionServer !== 'function') throw new Error('server subpath broken');
      const conn = connect(${JSON.stringify(server.url('/echo'))});
      conn.on('message', (m) => { console.log(String(m.data ?? m)); conn.close(); });
      await conn.send('via import');
    `;
    writeFileSync(join(dir, 'imp.mjs'), script);
    for (const node of nodes) {
      const { stdout } = await run(node.bin, ['imp.mjs'], { cwd: dir, env: node.env, timeout: 20_000 });
      assert.equal(stdout.trim(), 'via import', node.name);
    }
  });

  it('require() and import in one process share one copy of every class: instanceof holds across them', async () => {
    // An error made by the CommonJS build is an instance of the class the ESM build exports, and back.
    const script = `
      import { createRequire } from 'node:module';
      import * as esm from 'lifeline-ws';
      import * as esmProtocol from 'lifeline-ws/protocol';
      const require = createRequire(import.meta.url);
      const cjs = require('lifeline-ws');
      const cjsProtocol = require('lifeline-ws/protocol');
      const checks = {
        sameClasses: ['LifelineError', 'ProtocolError', 'HandshakeError', 'WebSocket'].every((k) => esm[k] === cjs[k]),
        sameProtocol: esmProtocol.Protocol === cjsProtocol.Protocol && esmProtocol.HandshakeError === cjs.HandshakeError,
        cjsErrorIsEsmInstance: new cjs.HandshakeError('WS_ERR_HANDSHAKE_STATUS', 'x', { status: 503 }) instanceof esm.LifelineError,
        esmErrorIsCjsInstance: new esmProtocol.ProtocolError('WS_ERR_INVALID_UTF8', 'x', 1007) instanceof cjs.ProtocolError,
        sameNames: JSON.stringify(Object.keys(esm).sort()) === JSON.stringify(Object.keys(cjs).sort()),
        sameProtocolNames: JSON.stringify(Object.keys(esmProtocol).sort()) === JSON.stringify(Object.keys(cjsProtocol).sort()),
      };
      console.log(JSON.stringify(checks));
    `;
    writeFileSync(join(dir, 'both.mjs'), script);
    for (const node of nodes) {
      const { stdout } = await run(node.bin, ['both.mjs'], { cwd: dir, env: node.env, timeout: 20_000 });
      assert.deepEqual(JSON.parse(stdout), {
        sameClasses: true,
        sameProtocol: true,
        cjsErrorIsEsmInstance: true,
        esmErrorIsCjsInstance: true,
        sameNames: true,
        sameProtocolNames: true,
      }, node.name);
    }
  });

  it('a refused handshake seen through require() is an instance of the HandshakeError that import gives', async () => {
    const script = `
      import { createRequire } from 'node:module';
      import { HandshakeError, ErrorCodes } from 'lifeline-ws';
      const { WebSocket } = createRequire(import.meta.url)('lifeline-ws');
      const ws = new WebSocket(process.argv[2]);
      ws.onerror = (e) => console.log(JSON.stringify([e.error instanceof HandshakeError, e.error.code === ErrorCodes.HANDSHAKE_STATUS, e.error.status]));
    `;
    writeFileSync(join(dir, 'refused.mjs'), script);
    server.refuse(503, 10_000);
    try {
      for (const node of nodes) {
        const { stdout } = await run(node.bin, ['refused.mjs', server.url('/echo')], { cwd: dir, env: node.env, timeout: 20_000 });
        assert.deepEqual(JSON.parse(stdout), [true, true, 503], node.name);
      }
    } finally {
      server.reset();
    }
  });

  it('the browser and Node entries export the same shared names (Node adds its transport)', async () => {
    const script = `
      const browser = await import(${JSON.stringify(join(pkgDir, 'dist/browser.mjs'))});
      const node = await import('lifeline-ws');
      console.log(JSON.stringify({ browser: Object.keys(browser).sort(), node: Object.keys(node).sort() }));
    `;
    writeFileSync(join(dir, 'names.mjs'), script);
    const { stdout } = await run(process.execPath, ['names.mjs'], { cwd: dir, timeout: 20_000 });
    const { browser, node } = JSON.parse(stdout) as { browser: string[]; node: string[] };
    assert.deepEqual(node.filter((n) => !browser.includes(n)), ['createNodeTransport', 'nodeTransport']);
    assert.deepEqual(browser.filter((n) => !node.includes(n)), []);
    for (const name of ['ErrorCodes', 'LifelineError', 'ProtocolError', 'HandshakeError']) assert.ok(browser.includes(name), name);
  });

  it('bundles for the browser without node:*, fflate or the frame layer', async () => {
    writeFileSync(join(dir, 'entry.js'), `import { connect, WebSocket } from 'lifeline-ws'; window.out = [connect, WebSocket];`);
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const bundle = await rollup({
      input: join(dir, 'entry.js'),
      plugins: [nodeResolve({ browser: true, rootDir: dir, modulePaths: [join(dir, 'node_modules')] })],
      onwarn: (w) => {
        throw new Error(`bundler warning: ${w.message}`);
      },
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
    assert.deepEqual(ids.filter((id) => /fflate|node\.(mjs|cjs)|protocol\.(mjs|cjs)|chunks/.test(id)), [], 'no fflate, Node build or protocol module in the browser bundle');
  });

  it('works via a <script> tag of the IIFE in Chromium', async () => {
    const { chromium } = await import('playwright');
    const { findChromium, chromiumArgs } = await import(join(root, 'test/support/chromium.mjs'));
    const iife = readFileSync(join(pkgDir, 'dist/lifeline.min.js'));
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
      assert.equal(await tab.evaluate('typeof lifeline.HandshakeError === "function" && lifeline.ErrorCodes.QUEUE_FULL'), 'WS_ERR_QUEUE_FULL');
      assert.equal(await tab.evaluate('window.result'), 'via script tag');
    } finally {
      await browser.close();
      http.close();
    }
  });

  it("partysocket with lifeline's WebSocket: a dropped connection reaches it as close 1006 (no error), it reconnects and echoes", async () => {
    // partysocket turns a WebSocket 'error' into its own close with code 1000; browsers, ws and
    // lifeline fire only close(1006) for a drop, so partysocket reports 1006.
    const script = `
      import { WebSocket } from 'lifeline-ws';
      import ReconnectingWebSocket from 'partysocket/ws';
      const url = process.argv[2];
      const events = [];
      const rws = new ReconnectingWebSocket(url, [], { WebSocket, minReconnectionDelay: 50, maxReconnectionDelay: 100, maxRetries: 5 });
      let opens = 0;
      rws.addEventListener('open', async () => {
        opens++;
        events.push('open');
        if (opens === 1) await fetch(url.replace('ws:', 'http:').replace('/echo', '/control/drop'), { method: 'POST' });
        else rws.send('after reconnect');
      });
      rws.addEventListener('error', () => events.push('error'));
      rws.addEventListener('close', (e) => events.push('close ' + e.code));
      rws.addEventListener('message', (e) => {
        events.push('message ' + e.data);
        console.log(JSON.stringify(events));
        rws.close();
      });
    `;
    writeFileSync(join(dir, 'partysocket.mjs'), script);
    const { stdout } = await run(process.execPath, ['partysocket.mjs', server.url('/echo')], { cwd: dir, timeout: 20_000 });
    assert.deepEqual(JSON.parse(stdout), ['open', 'close 1006', 'open', 'message after reconnect']);
  });
});
