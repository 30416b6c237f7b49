/**
 * CONNECT proxies against hostile or broken setups (issue #15 items 2 and 6).
 * The TLS identity of the target through every proxy route: a wss:
 * connection checks the certificate against the host of the WebSocket URL,
 * never against the proxy's host name (or `localhost`), whether it goes
 * direct, through a `proxy` option naming the proxy by IP or by name, or
 * through HTTPS_PROXY; certificates are made for a host name only, an IP
 * only and a wrong name, and every route must agree with the direct one.
 * A proxy's refusal carries its status (a 407 is not retried, a 503's
 * Retry-After is honoured); an invalid proxy URL throws at the call; a
 * proxy that cannot be reached (DNS, refused, timeout) or fails before its
 * tunnel is up is named in the error, never the target behind it.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { WebSocket, type WebSocketOptions } from '../../src/transport/node/websocket.js';
import { connect, createNodeTransport, type Connection, type EndEvent } from '../../src/node.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startRawServer, type RawServer } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';
import { leftOver, settledResources } from '../support/resources.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The client's `end` event, or a failure after `ms` (a client that retries forever). */
function ended(c: Connection<any>, ms = 3000): Promise<EndEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end after ${ms} ms: still retrying`)), ms);
    c.on('end', (e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

/** 'open', or the error code the attempt failed with. */
async function outcome(url: string, options: WebSocketOptions): Promise<string> {
  const ws = new WebSocket(url, [], { perMessageDeflate: false, handshakeTimeout: 5000, ...options });
  let code = 'open';
  ws.onerror = (e) => (code = (e.error as Error & { code?: string }).code ?? String(e.error));
  await Promise.race([next(ws, 'open'), next(ws, 'close')]);
  if (ws.readyState === WebSocket.OPEN) ws.terminate();
  return code;
}

const ENV = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

describe('wss: through a CONNECT proxy verifies the target, as the direct route does', () => {
  let certs: TestCerts;
  let proxy: ConnectProxy;
  const servers: Record<string, RawServer> = {};
  before(async () => {
    certs = makeCerts({ hostOnly: 'DNS:localhost', ipOnly: 'IP:127.0.0.1', wrongName: 'DNS:wrong.test' });
    proxy = await startConnectProxy();
    for (const [label, pair] of Object.entries(certs.named)) servers[label] = await startRawServer((c) => c.socket.write(c.accept()), { tls: pair });
  });
  after(async () => {
    await proxy.close();
    for (const s of Object.values(servers)) await s.close();
  });
  afterEach(() => {
    for (const k of ENV) delete process.env[k];
  });

  const routes: [string, () => WebSocketOptions][] = [
    ['direct', () => ({ proxy: false })],
    ['proxy option by IP (http://127.0.0.1)', () => ({ proxy: `http://127.0.0.1:${proxy.port}` })],
    ['proxy option by name (http://localhost)', () => ({ proxy: `http://localhost:${proxy.port}` })],
    [
      'HTTPS_PROXY by name',
      () => {
        process.env['HTTPS_PROXY'] = `http://localhost:${proxy.port}`;
        return {};
      },
    ],
  ];
  // Which certificate is valid for which host of the URL.
  const expected: Record<string, Record<string, boolean>> = {
    hostOnly: { localhost: true, '127.0.0.1': false },
    ipOnly: { localhost: false, '127.0.0.1': true },
    wrongName: { localhost: false, '127.0.0.1': false },
  };
  for (const label of Object.keys(expected)) {
    for (const host of ['localhost', '127.0.0.1']) {
      const valid = expected[label]![host]!;
      it(`a certificate for ${label} at wss://${host}: ${valid ? 'opens' : 'refused'} on every route`, async () => {
        const url = `wss://${host}:${servers[label]!.port}/`;
        const results: Record<string, string> = {};
        for (const [route, options] of routes) {
          const before = proxy.targets.length;
          results[route] = await outcome(url, { ca: certs.ca, ...options() });
          if (route !== 'direct') assert.equal(proxy.targets.length, before + 1, `${route} went through the proxy`);
        }
        for (const [route, result] of Object.entries(results)) {
          if (valid) assert.equal(result, 'open', `${route}: ${result}`);
          else assert.equal(result, 'ERR_TLS_CERT_ALTNAME_INVALID', `${route}: ${result}`);
        }
      });
    }
  }
});

describe('proxy refusals carry their status; invalid proxy URLs throw at the call', () => {
  let proxy: ConnectProxy;
  let target: RawServer;
  const clients: Connection<any>[] = [];
  before(async () => {
    proxy = await startConnectProxy();
    target = await startRawServer((c) => c.socket.write(c.accept()));
  });
  after(async () => {
    clients.forEach((c) => c.terminate());
    await proxy.close();
    await target.close();
  });
  afterEach(() => {
    proxy.refuseWith = undefined;
    proxy.refuseHeaders = [];
    for (const k of ENV) delete process.env[k];
  });

  it('a 407 is a WS_ERR_PROXY HandshakeError with status 407 and the proxy headers', async () => {
    proxy.refuseWith = 407;
    proxy.refuseHeaders = ['Proxy-Authenticate: Basic realm="corp"'];
    const ws = new WebSocket(target.url('/'), [], { proxy: proxy.url });
    const closed = next(ws, 'close');
    const error = await next(ws, 'error');
    assert.equal(error.error.code, 'WS_ERR_PROXY');
    assert.equal(error.error.status, 407);
    assert.equal(error.status, 407);
    assert.equal(error.error.headers['proxy-authenticate'], 'Basic realm="corp"');
    assert.equal(error.error.message, `The proxy 127.0.0.1:${proxy.port} (from the proxy option) refused CONNECT: 407 Refused`);
    assert.equal((await closed).code, 1006);
  });

  it('connect(): the default retry rules end the client at a 407 instead of retrying forever', async () => {
    proxy.refuseWith = 407;
    const before = proxy.targets.length;
    const c = connect(target.url('/'), { socket: { proxy: proxy.url }, minDelay: 1, maxDelay: 1 });
    clients.push(c);
    c.on('error', () => {});
    const end = await ended(c);
    assert.equal(end.reason, 'noRetry');
    assert.equal(end.close?.status, 407);
    assert.equal(proxy.targets.length - before, 1);
  });

  it("a proxy's 503 Retry-After sets the delay before the next attempt", async () => {
    proxy.refuseWith = 503;
    proxy.refuseHeaders = ['Retry-After: 120'];
    const c = connect(target.url('/'), { socket: { proxy: proxy.url }, minDelay: 1, maxDelay: 1 });
    clients.push(c);
    c.on('error', () => {});
    const reconnecting = await new Promise<{ delay: number }>((resolve) => c.on('reconnecting', resolve));
    c.terminate();
    assert.equal(reconnecting.delay, 120_000);
  });

  const invalidProxies: [string, string][] = [
    ['an unparsable host', 'http://user:secret@[::1'],
    ['a bad percent-escape in the credentials', 'http://user:secret%zz@127.0.0.1:9'],
    ['another scheme', 'socks5://user:secret@127.0.0.1:1080'],
    ['a port out of range', 'http://user:secret@127.0.0.1:99999'],
    ['a bare host:port with a bad port', 'user:secret@proxy:99999'],
  ];
  for (const [name, value] of invalidProxies) {
    it(`${name} in HTTPS_PROXY, HTTP_PROXY or the proxy option: TypeError WS_ERR_INVALID_PROXY at the call, without the password`, () => {
      const isProxyError = (source: RegExp) => (e: Error & { code?: string }) =>
        e instanceof TypeError && e.code === 'WS_ERR_INVALID_PROXY' && source.test(e.message) && !e.message.includes('secret') && e.message.includes('***');
      process.env['HTTPS_PROXY'] = value;
      assert.throws(() => new WebSocket('wss://127.0.0.1:1/'), isProxyError(/^HTTPS_PROXY must be an http:\/\/ URL/));
      delete process.env['HTTPS_PROXY'];
      process.env['http_proxy'] = value;
      assert.throws(() => new WebSocket('ws://127.0.0.1:1/'), isProxyError(/^HTTP_PROXY must be/));
      delete process.env['http_proxy'];
      assert.throws(() => new WebSocket('ws://127.0.0.1:1/', [], { proxy: value }), isProxyError(/^the proxy option must be/));
    });
  }

  it('an invalid proxy option throws at connect() and createNodeTransport() too, not at the first attempt; true or a number is no proxy URL', () => {
    const isProxyError = (message: RegExp) => (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_PROXY' && message.test(e.message);
    const refusedUrl = /^the proxy option must be an http:\/\/ URL of a CONNECT proxy \(TLS to the proxy, https:\/\/, is not supported\), got "https:\/\/user:\*\*\*@p:1\/?"$/;
    assert.throws(() => connect(target.url('/'), { socket: { proxy: 'https://user:secret@p:1' } }), isProxyError(refusedUrl));
    assert.throws(() => createNodeTransport({ proxy: new URL('https://user:secret@p:1') }), isProxyError(refusedUrl));
    for (const [value, shown] of [
      [true, 'true'],
      [3128, '3128'],
      [{ host: 'p', port: 1 }, 'an object'],
    ] as const) {
      const message = new RegExp(`^the proxy option must be an http:// URL of a CONNECT proxy \\(a string or a URL\\), or false, got ${shown}$`);
      assert.throws(() => new WebSocket('ws://127.0.0.1:1/', [], { proxy: value as never }), isProxyError(message), String(value));
      assert.throws(() => connect(target.url('/'), { socket: { proxy: value as never } }), isProxyError(message), String(value));
    }
  });

  it('connect() with an invalid HTTP_PROXY ends at once with the error (reason error), no attempt loop', async () => {
    process.env['HTTP_PROXY'] = 'http://user:secret%zz@127.0.0.1:9';
    const c = connect(target.url('/'), { minDelay: 1, maxDelay: 1 });
    clients.push(c);
    const errors: unknown[] = [];
    c.on('error', (e) => errors.push(e));
    const end = await ended(c);
    assert.equal(end.reason, 'error');
    assert.equal((end.close?.error as { code?: string }).code, 'WS_ERR_INVALID_PROXY');
    await sleep(20);
    assert.equal(errors.length, 1);
  });
});

describe('a proxy that fails before its tunnel is up is named, never the target behind it', () => {
  let target: RawServer;
  const clients: Connection<any>[] = [];
  before(async () => {
    target = await startRawServer((c) => c.socket.write(c.accept()));
  });
  after(async () => {
    clients.forEach((c) => c.terminate());
    await target.close();
  });
  afterEach(() => {
    for (const k of ENV) delete process.env[k];
  });

  /** A loopback port with nothing listening on it (bound, then released). */
  async function closedPort(): Promise<number> {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** A proxy that accepts TCP and then does `onConnection` with the socket instead of answering CONNECT. */
  async function brokenProxy(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => onConnection(socket));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, port: (server.address() as { port: number }).port };
  }

  /** The `error` event's error of a WebSocket that is expected to fail, after its close. */
  async function failure(url: string, options: WebSocketOptions = {}): Promise<Error & { code?: string; cause?: { code?: string } }> {
    const ws = new WebSocket(url, [], { perMessageDeflate: false, ...options });
    const closed = next(ws, 'close');
    const error = await next(ws, 'error');
    assert.equal((await closed).code, 1006);
    return error.error;
  }

  it('HTTP_PROXY with a host name that does not resolve (scheme-less, as curl takes it: http://, port 80): WS_ERR_PROXY naming the proxy, DNS as the cause', async () => {
    process.env['HTTP_PROXY'] = 'user:secret@notaurl.invalid';
    const error = await failure(target.url('/'));
    assert.equal(error.code, 'WS_ERR_PROXY');
    assert.match(error.message, /^Could not reach the proxy notaurl\.invalid:80 \(from HTTP_PROXY\): DNS lookup failed \(.*notaurl\.invalid/);
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes(error.cause?.code ?? ''), String(error.cause?.code));
    assert.equal(error.message.includes('secret'), false, error.message);
    assert.equal(error.message.includes(String(target.port)), false, 'the target is not blamed');
    assert.equal(target.connections.length, 0);
  });

  it('a proxy with nothing listening (HTTPS_PROXY with a path, the proxy option): "connection refused" naming the proxy and where it came from', async () => {
    const port = await closedPort();
    process.env['HTTPS_PROXY'] = `http://user:secret@127.0.0.1:${port}/path`;
    const fromEnv = await failure('wss://127.0.0.1:1/');
    assert.equal(fromEnv.code, 'WS_ERR_PROXY');
    assert.equal(fromEnv.message, `Could not reach the proxy 127.0.0.1:${port} (from HTTPS_PROXY): connection refused (connect ECONNREFUSED 127.0.0.1:${port})`);
    assert.equal(fromEnv.cause?.code, 'ECONNREFUSED');
    const fromOption = await failure(target.url('/'), { proxy: `http://[::1]:${port}` });
    assert.equal(fromOption.code, 'WS_ERR_PROXY');
    assert.match(fromOption.message, new RegExp(`^Could not reach the proxy \\[::1\\]:${port} \\(from the proxy option\\): `));
    assert.equal(target.connections.length, 0);
  });

  it('a proxy not reached within handshakeTimeout (its name never resolves): the timeout names the proxy', async () => {
    const neverAnswers = () => {};
    const error = await failure(target.url('/'), { proxy: 'http://slow.proxy.test:3128', lookup: neverAnswers, handshakeTimeout: 100 });
    assert.equal(error.code, 'WS_ERR_PROXY');
    assert.equal(error.message, 'Could not reach the proxy slow.proxy.test:3128 (from the proxy option): Opening handshake timed out after 100 ms');
    assert.equal(error.cause?.code, 'WS_ERR_HANDSHAKE_TIMEOUT');
  });

  it('a proxy that takes CONNECT and then says nothing, or resets: the timeout or reset names the proxy', async () => {
    const silent = await brokenProxy(() => {});
    const reset = await brokenProxy((socket) => socket.resetAndDestroy());
    try {
      const timedOut = await failure(target.url('/'), { proxy: `http://127.0.0.1:${silent.port}`, handshakeTimeout: 100 });
      assert.equal(timedOut.code, 'WS_ERR_PROXY');
      assert.equal(timedOut.message, `The proxy 127.0.0.1:${silent.port} (from the proxy option) did not answer CONNECT: Opening handshake timed out after 100 ms`);
      const dropped = await failure(target.url('/'), { proxy: `http://127.0.0.1:${reset.port}` });
      assert.equal(dropped.code, 'WS_ERR_PROXY');
      assert.match(dropped.message, new RegExp(`^The proxy 127\\.0\\.0\\.1:${reset.port} \\(from the proxy option\\) failed during CONNECT: .*ECONNRESET`));
      assert.equal(target.connections.length, 0);
    } finally {
      silent.server.close();
      reset.server.close();
    }
  });

  it("connect(): a connectTimeout that ends the attempt first names the proxy as handshakeTimeout does (WS_ERR_PROXY, the timeout as cause); once the tunnel is up it is the server's WS_ERR_CONNECT_TIMEOUT; nothing left behind", async () => {
    const silent = await brokenProxy(() => {});
    const tunnel = await startConnectProxy();
    const mute = await startRawServer(() => {});
    const neverAnswers = () => {};
    try {
      const baseline = await settledResources();
      const timeout = 'lifeline: not open after connectTimeout 150 ms';
      const cases: { socket: WebSocketOptions; code: string; message: string }[] = [
        { socket: { proxy: `http://127.0.0.1:${silent.port}` }, code: 'WS_ERR_PROXY', message: `The proxy 127.0.0.1:${silent.port} (from the proxy option) did not answer CONNECT: ${timeout}` },
        { socket: { proxy: 'http://slow.proxy.test:3128', lookup: neverAnswers }, code: 'WS_ERR_PROXY', message: `Could not reach the proxy slow.proxy.test:3128 (from the proxy option): ${timeout}` },
        // The proxy said 200: from then on the silence is the WebSocket server's.
        { socket: { proxy: tunnel.url }, code: 'WS_ERR_CONNECT_TIMEOUT', message: timeout },
      ];
      for (const { socket, code, message } of cases) {
        const url = code === 'WS_ERR_PROXY' ? target.url('/') : mute.url('/');
        const client = connect(url, { socket: { ...socket, handshakeTimeout: 30_000 }, connectTimeout: 150, maxAttempts: 0 });
        clients.push(client);
        const errors: unknown[] = [];
        client.on('error', (error) => errors.push(error));
        const end = await ended(client);
        assert.equal(end.reason, 'maxAttempts');
        const error = end.close?.error as Error & { code?: string; cause?: { code?: string } };
        assert.deepEqual([error.code, error.message], [code, message]);
        if (code === 'WS_ERR_PROXY') assert.equal(error.cause?.code, 'WS_ERR_CONNECT_TIMEOUT');
        assert.deepEqual(errors, [error], 'the error event has the same error');
      }
      assert.equal(target.connections.length, 0, 'the target behind a stalled proxy is never reached');
      assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
    } finally {
      silent.server.close();
      await tunnel.close();
      await mute.close();
    }
  });

  it('connect(): the same error reaches the close info, and an unreachable proxy is retried like an unreachable server', async () => {
    const port = await closedPort();
    process.env['HTTP_PROXY'] = `127.0.0.1:${port}`;
    const c = connect(target.url('/'), { minDelay: 1, maxDelay: 1 });
    clients.push(c);
    c.on('error', () => {});
    const close = await new Promise<{ error?: unknown; willReconnect: boolean }>((resolve) => c.on('close', resolve));
    c.terminate();
    assert.equal(close.willReconnect, true);
    const error = close.error as Error & { code?: string };
    assert.equal(error.code, 'WS_ERR_PROXY');
    assert.match(error.message, new RegExp(`^Could not reach the proxy 127\\.0\\.0\\.1:${port} \\(from HTTP_PROXY\\): connection refused`));
  });
});
