/**
 * The opening handshake against raw `node:net` servers that write exact
 * bytes: every failure class surfaces as an `error` event carrying a typed
 * error with a stable code, then `close` 1006; refusals keep status,
 * headers and a bounded body; redirects, timeouts and EOF are bounded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { HandshakeError } from '../../src/protocol/errors.js';
import { serveRaw, frame, type RawConnection } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';

const serve = serveRaw();

/** Connects, expects error then close; returns both events. */
async function failed(url: string, protocols: string[] = [], options = {}): Promise<{ error: any; close: any }> {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  let opened = false;
  ws.onopen = () => (opened = true);
  const error = next(ws, 'error');
  const close = await next(ws, 'close');
  assert.equal(opened, false, 'must not open');
  assert.equal(close.code, 1006);
  assert.equal(close.wasClean, false);
  return { error: await error, close };
}

describe('handshake: refusals keep status, headers and body', () => {
  for (const [status, text, body, extra] of [
    [401, 'Unauthorized', 'token expired', 'WWW-Authenticate: Bearer'],
    [429, 'Too Many Requests', 'slow down', 'Retry-After: 30'],
    [503, 'Service Unavailable', 'maintenance', 'Retry-After: Fri, 31 Dec 2100 23:59:59 GMT'],
  ] as const) {
    it(`${status}: code WS_ERR_HANDSHAKE_STATUS, status, headers and body text`, async () => {
      const s = await serve((c) => {
        c.socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      });
      const { error } = await failed(s.url('/'));
      assert.equal(error.error.code, 'WS_ERR_HANDSHAKE_STATUS');
      assert.equal(error.error.status, status);
      assert.equal(error.status, status);
      assert.equal(error.error.bodyText, body);
      if (status === 401) assert.equal(error.error.headers['www-authenticate'], 'Bearer');
      if (status === 429) assert.equal(error.retryAfterMs, 30_000);
      if (status === 503) assert.ok(error.retryAfterMs > 1e9, 'HTTP-date Retry-After converts to ms from now');
    });
  }

  it('keeps at most 4 KiB of a large body; reads a body without Content-Length until EOF', async () => {
    const s = await serve((c) => {
      c.socket.write('HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\n');
      c.socket.end(Buffer.alloc(100000, 'z'));
    });
    const { error } = await failed(s.url('/'));
    assert.equal(error.error.body.length, 4096);
    const s2 = await serve((c) => {
      c.socket.write('HTTP/1.1 403 Forbidden\r\n\r\nno ');
      setTimeout(() => c.socket.end('entry'), 20);
    });
    const r2 = await failed(s2.url('/'));
    assert.equal(r2.error.error.status, 403);
    assert.equal(r2.error.error.bodyText, 'no entry');
  });
});

describe('handshake: invalid 101 responses', () => {
  const cases: [string, (c: RawConnection) => string | Buffer, string, string[]?][] = [
    ['wrong Sec-WebSocket-Accept', (c) => c.accept().toString().replace(/Accept: .*/, 'Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA='), 'WS_ERR_HANDSHAKE_ACCEPT'],
    ['missing Upgrade', (c) => c.accept().toString().replace('Upgrade: websocket\r\n', ''), 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['Connection without upgrade', (c) => c.accept().toString().replace('Connection: Upgrade', 'Connection: keep-alive'), 'WS_ERR_HANDSHAKE_CONNECTION'],
    ['a subprotocol that was not offered', (c) => c.accept(['Sec-WebSocket-Protocol: other']), 'WS_ERR_HANDSHAKE_PROTOCOL', ['chat']],
    ['a subprotocol when none was offered', (c) => c.accept(['Sec-WebSocket-Protocol: chat']), 'WS_ERR_HANDSHAKE_PROTOCOL'],
    ['an extension that was not offered', (c) => c.accept(['Sec-WebSocket-Extensions: x-unknown']), 'WS_ERR_HANDSHAKE_EXTENSION'],
    ['a garbage status line', () => 'HTTP/9 nope\r\n\r\n', 'WS_ERR_HANDSHAKE_MALFORMED'],
    ['headers over 16 KiB', () => 'HTTP/1.1 101 Switching Protocols\r\nX-Big: ' + 'a'.repeat(20000) + '\r\n\r\n', 'WS_ERR_HANDSHAKE_TOO_LARGE'],
  ];
  for (const [name, reply, code, protocols] of cases) {
    it(`fails with ${code} for ${name}`, async () => {
      const s = await serve((c) => c.socket.write(reply(c)));
      const { error } = await failed(s.url('/'), protocols ?? []);
      assert.equal(error.error.code, code);
    });
  }

  it('fails with WS_ERR_HANDSHAKE_EOF when the server closes mid-response', async () => {
    const s = await serve((c) => c.socket.end('HTTP/1.1 101 Switching'));
    const { error } = await failed(s.url('/'));
    assert.equal(error.error.code, 'WS_ERR_HANDSHAKE_EOF');
  });

  it('fails with WS_ERR_HANDSHAKE_TIMEOUT when the server never answers', async () => {
    const s = await serve(() => {});
    const t0 = Date.now();
    const { error } = await failed(s.url('/'), [], { handshakeTimeout: 150 });
    assert.equal(error.error.code, 'WS_ERR_HANDSHAKE_TIMEOUT');
    assert.ok(Date.now() - t0 >= 140);
  });

  it('reports a refused TCP connection with the system error code', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const { error } = await failed(`ws://127.0.0.1:${port}/`);
    assert.equal(error.error.code, 'ECONNREFUSED');
  });
});

describe('handshake: request and success paths', () => {
  it('sends the RFC 6455 §4.1 request with user headers and origin', async () => {
    let seen: RawConnection | undefined;
    const s = await serve((c) => {
      seen = c;
      c.socket.write(c.accept(['Sec-WebSocket-Protocol: chat']));
    });
    const ws = new WebSocket(s.url('/path?q=1'), ['chat', 'json'], { headers: { 'X-Token': 'abc' }, origin: 'https://app.example' });
    await next(ws, 'open');
    assert.equal(ws.protocol, 'chat');
    const c = seen!;
    assert.equal(c.requestLine, 'GET /path?q=1 HTTP/1.1');
    assert.equal(c.headers['host'], `127.0.0.1:${s.port}`);
    assert.equal(c.headers['upgrade'], 'websocket');
    assert.equal(c.headers['connection'], 'Upgrade');
    assert.equal(c.headers['sec-websocket-version'], '13');
    assert.equal(Buffer.from(c.headers['sec-websocket-key']!, 'base64').length, 16);
    assert.equal(c.headers['sec-websocket-protocol'], 'chat, json');
    assert.match(c.headers['sec-websocket-extensions'] ?? '', /^permessage-deflate/, 'deflate is offered by default');
    assert.equal(c.headers['x-token'], 'abc');
    assert.equal(c.headers['origin'], 'https://app.example');
    ws.terminate();
    await next(ws, 'close');
  });

  it('throws at once for caller errors: bad or reserved headers, bad proxy URL', () => {
    const isHeaderError = (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_HEADER';
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', [], { headers: { 'X-Bad': 'a\r\nInjected: 1' } }), isHeaderError);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', [], { headers: { 'Sec-WebSocket-Key': 'x' } }), isHeaderError);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', [], { proxy: 'socks5://h:1' }), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_PROXY');
  });

  it('binds family and localAddress', async () => {
    let remote = '';
    const s = await serve((c) => {
      remote = c.socket.remoteAddress ?? '';
      c.socket.write(c.accept());
    });
    const ws = new WebSocket(`ws://localhost:${s.port}/`, [], { family: 4, localAddress: '127.0.0.1' });
    await next(ws, 'open');
    assert.match(remote, /127\.0\.0\.1$/);
    ws.terminate();
    await next(ws, 'close');
  });

  it('delivers frames that arrive in the same TCP write as the 101', async () => {
    const s = await serve((c) => {
      c.socket.write(Buffer.concat([c.accept(), frame(0x1, 'first'), frame(0x2, new Uint8Array([1, 2])), frame(0x1, 'third')]));
    });
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    const order: unknown[] = [];
    ws.onopen = () => order.push('open');
    const done = new Promise<void>((resolve) => {
      ws.onmessage = (e) => {
        order.push(e.data);
        if (order.length === 4) resolve();
      };
    });
    await done;
    assert.equal(order[0], 'open');
    assert.equal(order[1], 'first');
    assert.deepEqual([...(order[2] as Buffer)], [1, 2]);
    assert.equal(order[3], 'third');
    ws.terminate();
  });

  it('does not follow redirects unless asked; follows them when asked, dropping credentials across hosts', async () => {
    const target = await serve((c) => c.socket.write(c.accept()));
    const redirect = await serve((c) => {
      c.socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://localhost:${target.port}/landed\r\nContent-Length: 0\r\n\r\n`);
    });
    const no = await failed(redirect.url('/start'));
    assert.equal(no.error.error.status, 302);
    const ws = new WebSocket(redirect.url('/start'), [], { followRedirects: true, headers: { Authorization: 'secret', 'X-Keep': '1' } });
    await next(ws, 'open');
    const landed = target.connections.at(-1)!;
    assert.equal(landed.requestLine, 'GET /landed HTTP/1.1');
    assert.equal(landed.headers['authorization'], undefined);
    assert.equal(landed.headers['x-keep'], '1');
    ws.terminate();
  });

  it('stops after maxRedirects with WS_ERR_HANDSHAKE_REDIRECTS', async () => {
    let hops = 0;
    const loop = await serve((c) => {
      hops++;
      c.socket.end('HTTP/1.1 301 Moved\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n');
    });
    const { error } = await failed(loop.url('/'), [], { followRedirects: true, maxRedirects: 3 });
    assert.equal(error.error.code, 'WS_ERR_HANDSHAKE_REDIRECTS');
    assert.equal(hops, 4);
  });

  it('a Location that is no WebSocket URL fails with WS_ERR_HANDSHAKE_LOCATION, the 3xx status and the cause; the password hidden', async () => {
    const locations = ['ws://127.0.0.1:99999/', 'ws://[::1/', 'http://exa mple.com/', 'ftp://them:theirs@127.0.0.1/', '/path#fragment'];
    const s = await serve((c) => {
      const location = locations[Number(c.requestLine.split(' ')[1]!.slice(1))]!;
      c.socket.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`);
    });
    for (const [index, location] of locations.entries()) {
      const { error } = await failed(s.url(`/${index}`), [], { followRedirects: true });
      assert.ok(error.error instanceof HandshakeError, `${location}: ${error.error}`);
      assert.equal(error.error.code, 'WS_ERR_HANDSHAKE_LOCATION', location);
      assert.equal(error.error.status, 307);
      assert.match(error.error.message, /^Refused a 307 redirect: its Location ".*" is not a WebSocket URL/);
      assert.ok(error.error.cause instanceof Error, 'the URL parser\'s error is the cause');
      assert.doesNotMatch(error.error.message, /theirs/);
    }
    assert.equal(s.connections.length, locations.length, 'one hop each, nothing followed');
  });

  it('reports the handshake to the trace hook', async () => {
    const s = await serve((c) => c.socket.write(Buffer.concat([c.accept(), frame(0x1, 'hi')])));
    const records: any[] = [];
    const ws = new WebSocket(s.url('/t'), [], { perMessageDeflate: false, closeTimeout: 100, trace: (r) => records.push(r) });
    await next(ws, 'message');
    ws.send('yo');
    ws.close(1000);
    await next(ws, 'close');
    assert.equal(records[0].handshake, 'request');
    assert.equal(records[0].startLine, 'GET /t HTTP/1.1');
    assert.ok(records[0].headers.some(([k]: [string]) => k === 'Sec-WebSocket-Key'));
    assert.equal(records[1].handshake, 'response');
    assert.equal(records[1].startLine, 'HTTP/1.1 101 Switching Protocols');
    const frames = records.slice(2).map((r) => `${r.direction}:${r.opcode}:${r.length}`);
    assert.deepEqual(frames.slice(0, 3), ['in:1:2', 'out:1:2', 'out:8:2']);
  });

  it('a trace hook that throws on the response fails the attempt with that error (no wait for the handshake timeout)', async () => {
    const s = await serve((c) => c.socket.write(c.accept()));
    const ws = new WebSocket(s.url('/t'), [], {
      perMessageDeflate: false,
      handshakeTimeout: 60_000,
      trace: (r) => {
        if ('handshake' in r && r.handshake === 'response') throw new Error('trace hook');
      },
    });
    let opened = false;
    ws.onopen = () => (opened = true);
    const [error, close] = await Promise.all([next<any>(ws, 'error'), next<any>(ws, 'close')]);
    assert.match(String(error.error), /trace hook/);
    assert.equal(close.code, 1006);
    assert.equal(opened, false);
  });
});
