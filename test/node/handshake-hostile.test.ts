/**
 * The opening handshake against hostile raw servers (issue #15 items 3, 4
 * and 7): refusals are reported when their status line and headers are in,
 * even if the body is slow or never ends; interim 1xx responses are skipped;
 * bare-LF responses fail fast; header values go out as Latin-1 bytes;
 * `user:pass@` in the URL is sent as Basic authorization (never to a proxy,
 * not across origins) and never shows in messages or traces; a wss: to ws:
 * redirect is refused unless allowed, and `url` reports where the socket
 * ended up; a redirect to a Location that is no WebSocket URL ends connect()
 * instead of being retried; a chunked body that never frames a chunk, and a
 * status outside 100-599, end the handshake at once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { ERROR_BODY_WAIT } from '../../src/transport/node/dial.js';
import { connect, type Connection, type EndEvent } from '../../src/node.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { serveRaw, type RawConnection, type RawServer } from '../support/raw-server.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { next } from '../support/node-ws.js';

const serve = serveRaw();

/** Connects, expects error then close 1006; returns the error event and how long it took. */
async function refusal(url: string, options = {}): Promise<{ event: any; ms: number }> {
  const t0 = Date.now();
  const ws = new WebSocket(url, [], { perMessageDeflate: false, handshakeTimeout: 5000, ...options });
  let opened = false;
  ws.onopen = () => (opened = true);
  const error = next(ws, 'error', 8000);
  const close = await next(ws, 'close', 8000);
  assert.equal(opened, false, 'must not open');
  assert.equal(close.code, 1006);
  return { event: await error, ms: Date.now() - t0 };
}

// Each test has servers and a client of its own, and most wait ERROR_BODY_WAIT (1 s) for a body
// that never completes: they run at the same time.
describe('refusals are reported at the status line, not at the handshake timeout', { concurrency: true }, () => {
  const slowBodies: [string, (c: RawConnection) => void][] = [
    ['a Content-Length body that stops halfway', (c) => c.socket.write('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 1000\r\n\r\nmaintenance')],
    ['a body without length on a connection that stays open', (c) => c.socket.write('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n\r\nmaintenance')],
    ['a chunked body that never ends', (c) => c.socket.write('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nmaintenance\r\n')],
    [
      'a body that trickles a byte every 50 ms',
      (c) => {
        c.socket.write('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 100000\r\n\r\n');
        const drip = setInterval(() => (c.socket.destroyed ? clearInterval(drip) : c.socket.write('m')), 50);
      },
    ],
  ];
  for (const [name, reply] of slowBodies) {
    it(`503 with ${name}: status and Retry-After within ERROR_BODY_WAIT, not HANDSHAKE_TIMEOUT`, async () => {
      const s = await serve(reply);
      const { event, ms } = await refusal(s.url('/'));
      assert.equal(event.error.code, 'WS_ERR_HANDSHAKE_STATUS');
      assert.equal(event.status, 503);
      assert.equal(event.retryAfterMs, 7000);
      assert.ok(ms < 5000, `reported after ${ms} ms`);
      assert.ok(ms >= ERROR_BODY_WAIT - 50, `the body is waited for briefly (${ms} ms)`);
      if (!name.includes('trickles')) assert.equal(event.error.bodyText, 'maintenance');
    });
  }

  it('503 with a chunked body whose size line never ends (a flood without CRLF): reported at once, the body bounded', async () => {
    // Before the parser bounded chunk framing it kept every byte of this flood (about 35 MiB in the
    // 1 s ERROR_BODY_WAIT, copied again at every read); now it stops after MAX_CHUNK_FRAMING bytes.
    const flood = Buffer.alloc(64 * 1024, 'x');
    const s = await serve((c) => {
      c.socket.write('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nTransfer-Encoding: chunked\r\n\r\n');
      const pump = () => {
        while (!c.socket.destroyed && c.socket.write(flood));
      };
      c.socket.on('drain', pump);
      pump();
    });
    const { event, ms } = await refusal(s.url('/'));
    assert.equal(event.error.code, 'WS_ERR_HANDSHAKE_STATUS');
    assert.equal(event.status, 503);
    assert.equal(event.retryAfterMs, 7000);
    assert.equal(event.error.body.length, 0);
    assert.ok(ms < ERROR_BODY_WAIT, `reported after ${ms} ms: the parser read on instead of ending the body`);
  });

  it('a handshakeTimeout shorter than ERROR_BODY_WAIT still reports the refusal, not a timeout', async () => {
    const s = await serve((c) => c.socket.write('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 1000\r\n\r\nslow'));
    const { event, ms } = await refusal(s.url('/'), { handshakeTimeout: 200 });
    assert.equal(event.error.code, 'WS_ERR_HANDSHAKE_STATUS');
    assert.equal(event.status, 429);
    assert.equal(event.retryAfterMs, 3000);
    assert.ok(ms < ERROR_BODY_WAIT, `reported after ${ms} ms`);
  });

  it('a redirect to follow is followed as soon as its head is in (its body is never read)', async () => {
    const target = await serve((c) => c.socket.write(c.accept()));
    const s = await serve((c) => c.socket.write(`HTTP/1.1 302 Found\r\nLocation: ${target.url('/there')}\r\nContent-Length: 1000\r\n\r\nmoved`));
    const t0 = Date.now();
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, followRedirects: true, handshakeTimeout: 5000 });
    await next(ws, 'open');
    assert.ok(Date.now() - t0 < ERROR_BODY_WAIT, `opened after ${Date.now() - t0} ms`);
    assert.equal(target.connections[0]!.requestLine, 'GET /there HTTP/1.1');
    ws.terminate();
  });
});

describe('HTTP edge cases of the upgrade response', () => {
  it('skips interim 1xx responses before the 101 (RFC 9110 §15.2), in one write or several', async () => {
    for (const split of [false, true]) {
      const s = await serve((c) => {
        const interim = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n';
        if (!split) return void c.socket.write(Buffer.concat([Buffer.from(interim), c.accept()]));
        c.socket.write(interim.slice(0, 30));
        setTimeout(() => c.socket.write(interim.slice(30)), 20);
        setTimeout(() => c.socket.write(c.accept()), 40);
      });
      const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, handshakeTimeout: 5000 });
      await next(ws, 'open');
      ws.terminate();
    }
  });

  it('a response with bare LF line endings fails at once as WS_ERR_HANDSHAKE_MALFORMED', async () => {
    const s = await serve((c) => c.socket.write(c.accept().toString('latin1').replaceAll('\r\n', '\n'))); // and stays open
    const { event, ms } = await refusal(s.url('/'));
    assert.equal(event.error.code, 'WS_ERR_HANDSHAKE_MALFORMED');
    assert.ok(ms < 2000, `failed after ${ms} ms`);
  });

  it('a status outside 100-599 (HTTP/1.1 099) fails as WS_ERR_HANDSHAKE_MALFORMED, not as a refusal with status 99', async () => {
    const s = await serve((c) => c.socket.write(Buffer.from(c.accept().toString('latin1').replace('HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 099 X'), 'latin1')));
    const { event } = await refusal(s.url('/'));
    assert.equal(event.error.code, 'WS_ERR_HANDSHAKE_MALFORMED');
    assert.match(event.error.message, /099/);
    assert.equal(event.status, undefined);
  });

  it('sends header values as Latin-1 bytes (one byte per character, as browsers do)', async () => {
    let request: Buffer | undefined;
    const s = await serve((c) => {
      request = Buffer.from(c.request, 'latin1');
      c.socket.write(c.accept());
    });
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, headers: { 'X-Name': 'café ÿ' }, origin: 'http://exämple.test' });
    await next(ws, 'open');
    ws.terminate();
    assert.ok(request!.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff])), 'é and ÿ as single bytes');
    assert.ok(request!.includes(Buffer.from('Origin: http://ex\xe4mple.test\r\n', 'latin1')));
    assert.equal(request!.includes(Buffer.from('café', 'utf8')), false, 'not UTF-8');
  });

  it('refuses a header value above U+00FF (not a ByteString) at the call', () => {
    assert.throws(
      () => new WebSocket('ws://127.0.0.1:1/', [], { headers: { 'X-Name': '€uro' } }),
      (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_HEADER',
    );
  });
});

describe('redirects: no downgrade from wss: to ws:, and url says where the socket went', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeCerts();
  });
  const clients: Connection<any>[] = [];
  after(() => clients.forEach((c) => c.terminate()));

  /** A wss: server that redirects every request to a plaintext ws: server, and that server. */
  async function downgrading(): Promise<{ secure: RawServer; plain: RawServer }> {
    const plain = await serve((c) => c.socket.write(c.accept()));
    const secure = await serve((c) => c.socket.end(`HTTP/1.1 301 Moved Permanently\r\nLocation: ${plain.url('/plain')}\r\nContent-Length: 0\r\n\r\n`), {
      tls: { key: certs.key, cert: certs.cert },
    });
    return { secure, plain };
  }

  it('refuses a wss: to ws: redirect with WS_ERR_HANDSHAKE_DOWNGRADE; the plaintext server is never contacted', async () => {
    const { secure, plain } = await downgrading();
    const { event } = await refusal(secure.url('/'), { followRedirects: true, ca: certs.ca });
    assert.equal(event.error.code, 'WS_ERR_HANDSHAKE_DOWNGRADE');
    assert.equal(event.error.status, 301);
    assert.match(event.error.message, /allowInsecureRedirects/);
    assert.equal(plain.connections.length, 0);
  });

  it('follows it with allowInsecureRedirects: true, and url reports the final ws: URL', async () => {
    const { secure, plain } = await downgrading();
    const ws = new WebSocket(secure.url('/'), [], { followRedirects: true, allowInsecureRedirects: true, ca: certs.ca, perMessageDeflate: false });
    assert.equal(ws.url, secure.url('/'), 'the given URL while connecting');
    await next(ws, 'open');
    assert.equal(ws.url, plain.url('/plain'));
    assert.equal(plain.connections.length, 1);
    ws.terminate();
  });

  it('url reports the final URL after a ws: to ws: redirect too', async () => {
    const target = await serve((c) => c.socket.write(c.accept()));
    const s = await serve((c) => c.socket.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${target.url('/elsewhere?x=1')}\r\nContent-Length: 0\r\n\r\n`));
    const ws = new WebSocket(s.url('/start'), [], { followRedirects: true, perMessageDeflate: false });
    await next(ws, 'open');
    assert.equal(ws.url, target.url('/elsewhere?x=1'));
    ws.terminate();
  });

  it('connect(): the default retry rules end the client at a refused downgrade instead of retrying it', async () => {
    const { secure, plain } = await downgrading();
    const c = connect(secure.url('/'), { socket: { followRedirects: true, ca: certs.ca }, minDelay: 1, maxDelay: 1 });
    clients.push(c);
    c.on('error', () => {});
    const end = await new Promise<EndEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still retrying after 3 s (${secure.connections.length} attempts)`)), 3000);
      c.on('end', (e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
    assert.equal(end.reason, 'noRetry');
    assert.equal((end.close?.error as { code?: string }).code, 'WS_ERR_HANDSHAKE_DOWNGRADE');
    assert.equal(secure.connections.length, 1);
    assert.equal(plain.connections.length, 0);
  });
});

describe('a redirect to a Location that is no WebSocket URL', () => {
  const clients: Connection<any>[] = [];
  after(() => clients.forEach((c) => c.terminate()));

  it('connect(): the default retry rules end the client at it (WS_ERR_HANDSHAKE_LOCATION) instead of retrying', async () => {
    for (const location of ['ws://127.0.0.1:99999/', 'ftp://127.0.0.1/']) {
      const s = await serve((c) => c.socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`));
      const c = connect(s.url('/'), { socket: { followRedirects: true }, minDelay: 1, maxDelay: 1 });
      clients.push(c);
      c.on('error', () => {});
      const end = await new Promise<EndEvent>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${location}: still retrying after 3 s (${s.connections.length} attempts)`)), 3000);
        c.on('end', (e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
      assert.equal(end.reason, 'noRetry', location);
      assert.equal((end.close?.error as { code?: string }).code, 'WS_ERR_HANDSHAKE_LOCATION', location);
      assert.equal(s.connections.length, 1, location);
    }
  });
});

describe('credentials in the URL (user:pass@) become Basic authorization, and stay secret', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

  it('sends them as Basic authorization (percent-decoded, UTF-8); url leaves them out', async () => {
    const s = await serve((c) => c.socket.write(c.accept()));
    const ws = new WebSocket(`ws://us%40er:p%3Ass%C3%A9@127.0.0.1:${s.port}/x`, [], { perMessageDeflate: false });
    assert.equal(ws.url, s.url('/x'));
    await next(ws, 'open');
    assert.equal(s.connections[0]!.headers['authorization'], basic('us@er:p:ssé'));
    ws.terminate();
  });

  it("a caller's Authorization header wins over the URL's credentials", async () => {
    const s = await serve((c) => c.socket.write(c.accept()));
    const ws = new WebSocket(`ws://user:secret@127.0.0.1:${s.port}/`, [], { perMessageDeflate: false, headers: { authorization: 'Bearer t0ken' } });
    await next(ws, 'open');
    assert.equal(s.connections[0]!.headers['authorization'], 'Bearer t0ken');
    assert.equal(s.connections[0]!.request.match(/authorization/gi)?.length, 1);
    ws.terminate();
  });

  it('never sends them to a proxy: CONNECT carries only the proxy URL credentials', async () => {
    const proxy = await startConnectProxy();
    try {
      const s = await serve((c) => c.socket.write(c.accept()));
      const ws = new WebSocket(`ws://user:secret@127.0.0.1:${s.port}/`, [], { perMessageDeflate: false, proxy: `http://pu:pp@127.0.0.1:${proxy.port}` });
      await next(ws, 'open');
      assert.equal(proxy.heads.length, 1);
      assert.doesNotMatch(proxy.heads[0]!, /^authorization:/im);
      assert.equal(proxy.auth[0], basic('pu:pp'));
      assert.equal(s.connections[0]!.headers['authorization'], basic('user:secret'));
      ws.terminate();
    } finally {
      await proxy.close();
    }
  });

  it("keeps them on a same-origin redirect, drops them on a cross-origin one, uses a redirect target's own", async () => {
    const other = await serve((c) => c.socket.write(c.accept())); // reached as localhost: another origin
    const s = await serve((c) => {
      const path = c.requestLine.split(' ')[1];
      if (path === '/same') return void c.socket.end('HTTP/1.1 302 Found\r\nLocation: /landed\r\nContent-Length: 0\r\n\r\n');
      if (path === '/cross') return void c.socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://localhost:${other.port}/landed\r\nContent-Length: 0\r\n\r\n`);
      if (path === '/own') return void c.socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://them:theirs@localhost:${other.port}/landed\r\nContent-Length: 0\r\n\r\n`);
      c.socket.write(c.accept());
    });
    for (const [path, server, expected] of [
      ['/same', s, basic('user:secret')],
      ['/cross', other, undefined],
      ['/own', other, basic('them:theirs')],
    ] as const) {
      const ws = new WebSocket(`ws://user:secret@127.0.0.1:${s.port}${path}`, [], { perMessageDeflate: false, followRedirects: true });
      await next(ws, 'open');
      assert.equal(server.connections.at(-1)!.headers['authorization'], expected, path);
      assert.equal(ws.url.includes('secret') || ws.url.includes('theirs'), false, ws.url);
      ws.terminate();
    }
  });

  it('keeps the password out of error messages and traces', async () => {
    for (const bad of ['ws://user:secret@127.0.0.1/#fragment', 'ftp://user:secret@127.0.0.1/', new URL('ftp://user:secret@127.0.0.1/')]) {
      assert.throws(
        () => new WebSocket(bad),
        (e: Error & { code?: string }) => e.code === 'WS_ERR_INVALID_URL' && !e.message.includes('secret') && e.message.includes('user:***@'),
      );
    }
    assert.throws(() => new WebSocket('ws://user:secret%zz@127.0.0.1/'), (e: Error & { code?: string }) => e.code === 'WS_ERR_INVALID_URL' && !e.message.includes('secret'));
    const s = await serve((c) => c.socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'));
    const traces: unknown[] = [];
    const { event } = await refusal(`ws://user:secret@127.0.0.1:${s.port}/`, { trace: (r: unknown) => traces.push(r) });
    const seen = JSON.stringify(traces) + event.error.message + event.message + String(event.error.stack);
    assert.equal(seen.includes('secret'), false, seen);
    assert.equal(seen.includes(Buffer.from('user:secret').toString('base64')), false, 'nor its base64');
    assert.ok(JSON.stringify(traces).includes('"Authorization","Basic ***"'), 'the trace shows Basic credentials were sent');
  });
});
