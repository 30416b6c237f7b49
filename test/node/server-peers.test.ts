// lifeline's Node WebSocket server (src/server) with real peers: lifeline's
// own Node WebSocket and a `ws` client, plain and with every
// permessage-deflate variant (RFC 7692: context takeover both ways,
// server_no_context_takeover, client_no_context_takeover,
// server_max_window_bits asked and announced, client_max_window_bits limited),
// echoing text and binary of many sizes both ways; the frame trace proves
// compressed frames crossed each way. Also subprotocols, refusals with
// Retry-After as the client sees them, and TLS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WsClient, type ClientOptions, type PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import { WebSocketServer, type ServerOptions } from '../../src/server/server.js';
import type { PerMessageDeflateOptions } from '../../src/protocol/permessage-deflate.js';
import type { PerMessageDeflateServerOptions } from '../../src/protocol/permessage-deflate-server.js';
import type { TraceRecord } from '../../src/transport/node/options.js';
import { HandshakeError } from '../../src/protocol/errors.js';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { openWs, next, messages, closeWs } from '../support/node-ws.js';
import { makeCerts } from '../support/certs.js';
import { prng } from '../support/harness.js';

const SIZES = [0, 1, 100, 1024, 16385, 70_000];

function payloads(seed: number): Array<string | Uint8Array> {
  const rnd = prng(seed);
  const out: Array<string | Uint8Array> = [];
  SIZES.forEach((n, i) => {
    let s = '';
    while (s.length < n) s += JSON.stringify({ i, seq: (rnd() * 1e6) | 0, kind: ['a', 'bb', 'ccc'][i % 3] }) + ' é✓';
    out.push(s.slice(0, n));
    const b = new Uint8Array(n);
    for (let j = 0; j < n; j++) b[j] = i % 2 ? (rnd() * 256) | 0 : (j >> 6) & 0xff;
    out.push(b);
  });
  return out;
}

function same(a: unknown, b: string | Uint8Array): boolean {
  if (typeof b === 'string') return a === b;
  const bytes = a instanceof ArrayBuffer ? new Uint8Array(a) : (a as Uint8Array);
  return Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), Buffer.from(b)) === 0;
}

async function startEcho(options: ServerOptions): Promise<{ server: WebSocketServer; offers: string[] }> {
  const offers: string[] = [];
  const server = new WebSocketServer(options, {
    upgrade: (up) => {
      offers.push(up.extensions.map((e) => e.name).join(','));
      return undefined;
    },
    message: (conn, data, binary) => conn.send(data, { binary }),
  });
  await server.listen(0);
  return { server, offers };
}

/** lifeline's client: echo every payload, count RSV1 frames each way. */
async function lifelineEcho(url: string, pmd: boolean | PerMessageDeflateOptions, seed: number) {
  let compressedOut = 0;
  let compressedIn = 0;
  const trace = (r: TraceRecord) => {
    if ('opcode' in r && r.rsv1) {
      if (r.direction === 'out') compressedOut++;
      else compressedIn++;
    }
  };
  const ws = await openWs(url, [], { perMessageDeflate: pmd, trace });
  ws.binaryType = 'arraybuffer';
  const sent = payloads(seed);
  const got = messages(ws, sent.length, 20_000);
  for (const p of sent) ws.send(p);
  const echoed = await got;
  sent.forEach((p, i) => assert.ok(same(echoed[i], p), `payload ${i} (${typeof p === 'string' ? 'text' : 'binary'} ${p.length})`));
  const extensions = ws.extensions;
  await closeWs(ws);
  return { extensions, compressedOut, compressedIn };
}

/** A `ws` client: the same echo. */
async function wsEcho(url: string, pmd: boolean | WsDeflateOptions, seed: number) {
  const ws = new WsClient(url, { perMessageDeflate: pmd } as ClientOptions);
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  const sent = payloads(seed);
  const echoed: unknown[] = [];
  const done = new Promise<void>((res) => ws.on('message', (data: Buffer, binary: boolean) => {
    echoed.push(binary ? new Uint8Array(data) : data.toString());
    if (echoed.length === sent.length) res();
  }));
  for (const p of sent) ws.send(p, { binary: typeof p !== 'string' });
  await done;
  sent.forEach((p, i) => assert.ok(same(echoed[i], p), `payload ${i} (${typeof p === 'string' ? 'text' : 'binary'} ${p.length})`));
  // ws keeps what it agreed as parameters of its extension object: render them as a header.
  const extensions = (ws as unknown as { _extensions: Record<string, { params?: Record<string, unknown> }> })._extensions;
  const header = Object.entries(extensions)
    .map(([name, ext]) => [name, ...Object.entries(ext.params ?? {}).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`))].join('; '))
    .join(', ');
  const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
  ws.close(1000);
  assert.equal(await closed, 1000);
  return header;
}

describe('server with real peers: no compression', () => {
  let server: WebSocketServer;
  before(async () => ({ server } = await startEcho({ perMessageDeflate: false })));
  after(() => server.close());

  it('lifeline client: every payload echoed, no extension negotiated', async () => {
    const r = await lifelineEcho(server.url, true, 1);
    assert.equal(r.extensions, '');
    assert.deepEqual([r.compressedOut, r.compressedIn], [0, 0]);
  });

  it('ws client: every payload echoed', async () => {
    assert.equal(await wsEcho(server.url, true, 2), '');
  });
});

describe('server with real peers: permessage-deflate variants', { timeout: 60_000 }, () => {
  const variants: Array<{ name: string; server: PerMessageDeflateServerOptions; lifeline: PerMessageDeflateOptions; ws: WsDeflateOptions; expect: RegExp }> = [
    { name: 'defaults (context takeover both ways)', server: {}, lifeline: {}, ws: {}, expect: /^permessage-deflate$/ },
    { name: 'server_no_context_takeover asked by the client', server: {}, lifeline: { serverNoContextTakeover: true }, ws: { serverNoContextTakeover: true }, expect: /server_no_context_takeover/ },
    { name: 'server_no_context_takeover forced by the server', server: { serverNoContextTakeover: true }, lifeline: {}, ws: {}, expect: /server_no_context_takeover/ },
    { name: 'client_no_context_takeover asked by the client', server: {}, lifeline: { clientNoContextTakeover: true }, ws: { clientNoContextTakeover: true }, expect: /client_no_context_takeover/ },
    { name: 'client_no_context_takeover demanded by the server', server: { clientNoContextTakeover: true }, lifeline: {}, ws: {}, expect: /client_no_context_takeover/ },
    { name: 'server_max_window_bits=9 asked', server: {}, lifeline: { serverMaxWindowBits: 9 }, ws: { serverMaxWindowBits: 9 }, expect: /server_max_window_bits=9/ },
    { name: 'server_max_window_bits=10 announced by the server', server: { serverMaxWindowBits: 10 }, lifeline: {}, ws: {}, expect: /server_max_window_bits=10/ },
    { name: 'client_max_window_bits limited to 9 by the server', server: { clientMaxWindowBits: 9 }, lifeline: { clientMaxWindowBits: true }, ws: { clientMaxWindowBits: true as unknown as number }, expect: /client_max_window_bits=9/ },
  ];
  for (const v of variants) {
    describe(v.name, () => {
      let server: WebSocketServer;
      before(async () => ({ server } = await startEcho({ perMessageDeflate: { ...v.server, threshold: 0 } })));
      after(() => server.close());

      it('lifeline client: echoed intact, compressed frames both ways', async () => {
        const r = await lifelineEcho(server.url, { ...v.lifeline, threshold: 0 }, 3);
        assert.match(r.extensions, v.expect);
        assert.ok(r.compressedOut > 0 && r.compressedIn > 0, `compressed frames out ${r.compressedOut}, in ${r.compressedIn}`);
      });

      it('ws client: echoed intact, the same parameters agreed', async () => {
        assert.match(await wsEcho(server.url, { ...v.ws, threshold: 0 }, 4), v.expect);
      });
    });
  }
});

describe('server with real peers: subprotocols, refusals, TLS', () => {
  it('selects the server-preferred subprotocol among those offered, for both clients; none when nothing matches', async () => {
    const { server } = await startEcho({ protocols: ['v2', 'v1'] });
    try {
      const a = await openWs(server.url, ['v1', 'v2']);
      assert.equal(a.protocol, 'v2');
      await closeWs(a);
      const b = new WsClient(server.url, ['v1', 'x']);
      await new Promise((r) => b.once('open', r));
      assert.equal(b.protocol, 'v1');
      b.close();
      const c = await openWs(server.url, ['x']);
      assert.equal(c.protocol, '');
      await closeWs(c);
    } finally {
      await server.close();
    }
  });

  it('an application refusal (503 with Retry-After) reaches lifeline as a HandshakeError and ws as an unexpected response', async () => {
    const server = new WebSocketServer({}, { upgrade: () => ({ refuse: 503, headers: { 'Retry-After': '7' }, body: 'maintenance\n' }) });
    await server.listen(0);
    try {
      const ws = new WebSocket(server.url);
      const err = await next<{ error: unknown }>(ws, 'error');
      assert.ok(err.error instanceof HandshakeError);
      assert.equal((err.error as HandshakeError).status, 503);
      assert.equal((err.error as HandshakeError).retryAfter, '7');
      assert.equal((err.error as HandshakeError).bodyText, 'maintenance\n');
      const other = new WsClient(server.url);
      other.on('error', () => {});
      const status = await new Promise<number>((res) => other.on('unexpected-response', (_req, r) => res(r.statusCode!)));
      assert.equal(status, 503);
      other.terminate();
    } finally {
      await server.close();
    }
  });

  it('an upgrade answered later (a Promise) completes once it resolves', async () => {
    const server = new WebSocketServer({}, {
      upgrade: () => new Promise((r) => setTimeout(() => r(undefined), 150)),
      message: (c, d) => c.send(d),
    });
    await server.listen(0);
    try {
      const t0 = Date.now();
      const ws = await openWs(server.url);
      assert.ok(Date.now() - t0 >= 140);
      ws.send('late');
      assert.deepEqual(await messages(ws, 1), ['late']);
      await closeWs(ws);
    } finally {
      await server.close();
    }
  });

  it('wss: serves TLS with a given certificate; lifeline and ws clients trusting its CA connect and echo', async () => {
    const certs = makeCerts();
    const server = new WebSocketServer({ tls: { cert: certs.cert, key: certs.key } }, { message: (c, d, binary) => c.send(d, { binary }) });
    await server.listen(0);
    try {
      assert.match(server.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
      const url = `wss://localhost:${server.port}/`;
      const ws = await openWs(url, [], { ca: certs.ca });
      ws.send('secure');
      assert.deepEqual(await messages(ws, 1), ['secure']);
      await closeWs(ws);
      const other = new WsClient(url, { ca: certs.ca });
      const got = new Promise<string>((res) => other.once('message', (d) => res(String(d))));
      other.once('open', () => other.send('also secure'));
      assert.equal(await got, 'also secure');
      other.close();
    } finally {
      await server.close();
    }
  });
});
