/**
 * Enforces the import direction: protocol <- transports <- client <- entries.
 * The protocol core imports nothing but itself and fflate; the browser side
 * (client, browser transport, browser entry) never reaches node:*, fflate or
 * the frame layer, so bundlers cannot pull them into a page. The session
 * core (session/) is shared by the client and the session servers, so it
 * imports neither; the session server side (session-server/, server.ts, the
 * `lifeline-ws/server` entry) never reaches a transport or the client's
 * connection, and the client entries never reach it. The test server
 * (src/server, behind `lifeline serve`) sits beside the transports:
 * protocol <- server <- cli; it borrows only node:zlib's codecs and the text
 * decoding from the Node transport, and neither the transports, the client
 * nor the package entries import it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/<dir>/ → the repo root (import.meta.dirname is Node >= 20.11; this runs on 18 too).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every import/export-from specifier of a file, resolved to a src-relative path for local ones. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
  return specs.map((s) => (s.startsWith('.') ? relative(src, resolve(dirname(file), s)).split(sep).join('/').replace(/\.js$/, '.ts') : s));
}

const rel = (f: string) => relative(src, f).split(sep).join('/');
const all = files(src).map((f) => ({ file: rel(f), deps: imports(f) }));

/** Every source module the given entries reach through their imports. */
function reachable(...entries: string[]): Set<string> {
  const reach = new Set<string>();
  const visit = (file: string): void => {
    if (reach.has(file) || !file.endsWith('.ts')) return;
    reach.add(file);
    for (const dep of all.find((m) => m.file === file)?.deps ?? []) visit(dep);
  };
  for (const entry of entries) visit(entry);
  return reach;
}

function check(prefixOrFile: (f: string) => boolean, allowed: (dep: string) => boolean, what: string) {
  const bad = all.filter((m) => prefixOrFile(m.file)).flatMap((m) => m.deps.filter((d) => !allowed(d)).map((d) => `${m.file} -> ${d}`));
  assert.deepEqual(bad, [], what);
}

describe('layers', () => {
  it('finds the source tree', () => {
    assert.ok(all.length > 3);
  });

  it('protocol core imports only itself and fflate', () => {
    check((f) => f.startsWith('protocol/'), (d) => d.startsWith('protocol/') || d === 'fflate', 'protocol must stay sans-I/O');
  });

  it('client imports no concrete transport, no node:*, no fflate, no frame layer', () => {
    check(
      (f) => f.startsWith('client/'),
      (d) => d.startsWith('client/') || d.startsWith('session/') || d === 'transport/types.ts' || d === 'protocol/errors.ts' || d === 'protocol/input.ts' || d === 'protocol/url.ts' || d === 'mitt',
      'client reaches transports only through transport/types.ts',
    );
  });

  it('browser transport and browser entry stay browser-safe', () => {
    check((f) => f === 'transport/browser.ts', (d) => d === 'transport/types.ts' || d === 'protocol/errors.ts' || d === 'protocol/input.ts', 'browser transport');
    check(
      (f) => f === 'index.ts',
      (d) => d.startsWith('client/') || d === 'transport/browser.ts' || d === 'transport/types.ts' || d === 'protocol/errors.ts',
      'browser entry',
    );
  });

  it('the browser entry never imports the Node features (protocol pings, pause, drain events, Retry-After)', () => {
    const reach = reachable('index.ts');
    assert.ok(reach.has('client/client.ts'), 'walks the graph');
    assert.deepEqual([...reach].filter((f) => f === 'client/node-features.ts' || f.startsWith('transport/node/') || f === 'node.ts'), []);
  });

  it('the session core imports only itself and types of the transport seam', () => {
    check((f) => f.startsWith('session/'), (d) => d.startsWith('session/') || d === 'transport/types.ts', 'session core must stay sans-I/O and shared');
  });

  it('the session server side reaches the session core and small client helpers, never a transport, the connection or an entry', () => {
    const helpers = ['client/emitter.ts', 'client/clock.ts', 'client/codecs.ts'];
    check(
      (f) => f.startsWith('session-server/') || f === 'server.ts',
      (d) =>
        d.startsWith('session-server/') || d.startsWith('session/') || helpers.includes(d) || d === 'transport/types.ts' || ['protocol/errors.ts', 'protocol/input.ts', 'protocol/base64.ts'].includes(d) || d === 'node:crypto' || d === 'mitt',
      'session server side',
    );
    const reach = reachable('index.ts', 'node.ts');
    assert.deepEqual([...reach].filter((f) => f.startsWith('session-server/') || f.startsWith('server/') || f === 'server.ts'), [], 'the client entries never carry a server');
  });

  it('transports never import the client, a server or entries', () => {
    check(
      (f) => f.startsWith('transport/'),
      (d) => !d.startsWith('client/') && !d.startsWith('server/') && !d.startsWith('session-server/') && d !== 'index.ts' && d !== 'node.ts' && !d.startsWith('cli/'),
      'transport layer',
    );
  });

  it('the test server (src/server) imports only itself, the protocol, node:* and the Node transport\'s zlib codecs, text decoding and core platform (UTF-8 check, allocator)', () => {
    check(
      (f) => f.startsWith('server/'),
      (d) => d.startsWith('server/') || d.startsWith('protocol/') || d.startsWith('node:') || d === 'transport/node/zlib-inflate.ts' || d === 'transport/node/utf8-slice.ts' || d === 'transport/node/platform.ts',
      'server layer',
    );
    assert.ok(all.some((m) => m.file.startsWith('server/')), 'the server layer exists');
  });

  it('the client entries do not import a server or the CLI', () => {
    check((f) => f === 'index.ts' || f === 'node.ts', (d) => !d.startsWith('server/') && !d.startsWith('session-server/') && d !== 'server.ts' && !d.startsWith('cli/'), 'entries');
  });
});
