/**
 * wss: over node:tls with certificates made at test time by the openssl CLI:
 * verification on by default (self-signed and unknown-CA refused), `ca`
 * accepted, SNI `servername` seen by the server, `rejectUnauthorized: false`.
 * Also HTTP CONNECT proxies (explicit and from the environment, NO_PROXY,
 * proxy: false, refusals, credentials) for ws: and wss:.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { closeWs, messages, next, openWs } from '../support/node-ws.js';
import { noProxyMatches, resolveProxy } from '../../src/transport/node/proxy.js';

interface TlsServer {
  port: number;
  names: (string | false | null)[];
  close(): Promise<void>;
}

async function startTls(key: string, cert: string): Promise<TlsServer> {
  const server = https.createServer({ key, cert });
  const names: (string | false | null)[] = [];
  server.on('secureConnection', (s: TLSSocket) => names.push(s.servername));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (s: WsSocket) => s.on('message', (d, bin) => s.send(d, { binary: bin })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    names,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let certs: TestCerts;
let signed: TlsServer;
let selfSigned: TlsServer;
before(async () => {
  certs = makeCerts();
  signed = await startTls(certs.key, certs.cert);
  selfSigned = await startTls(certs.selfKey, certs.selfCert);
});
after(async () => {
  await signed.close();
  await selfSigned.close();
});

async function refused(url: string, options = {}): Promise<string> {
  const ws = new WebSocket(url, [], options);
  const err = next(ws, 'error');
  const e = await next(ws, 'close');
  assert.deepEqual([e.code, e.wasClean], [1006, false]);
  return (await err).error.code;
}

describe('TLS', () => {
  it('refuses a self-signed certificate by default', async () => {
    const code = await refused(`wss://localhost:${selfSigned.port}/`);
    assert.match(code, /SELF_SIGNED/);
  });

  it('refuses a certificate from an unknown CA by default', async () => {
    const code = await refused(`wss://localhost:${signed.port}/`);
    assert.match(code, /UNABLE_TO_VERIFY|SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('accepts the server when given its CA, and sends SNI for host names', async () => {
    const ws = await openWs(`wss://localhost:${signed.port}/`, [], { ca: certs.ca });
    const got = messages(ws, 1);
    ws.send('over tls');
    assert.deepEqual(await got, ['over tls']);
    await closeWs(ws);
    assert.equal(signed.names.at(-1), 'localhost');
  });

  it('uses `servername` for SNI (and none by default for an IP literal)', async () => {
    const ws = await openWs(`wss://127.0.0.1:${signed.port}/`, [], { ca: certs.ca, servername: 'sni.test' });
    await closeWs(ws);
    assert.equal(signed.names.at(-1), 'sni.test');
    const ip = await openWs(`wss://127.0.0.1:${signed.port}/`, [], { ca: certs.ca });
    await closeWs(ip);
    assert.equal(signed.names.at(-1), false);
  });

  it('connects to a self-signed server with rejectUnauthorized: false', async () => {
    const ws = await openWs(`wss://localhost:${selfSigned.port}/`, [], { rejectUnauthorized: false });
    assert.equal(ws.readyState, WebSocket.OPEN);
    await closeWs(ws);
  });
});

describe('HTTP CONNECT proxy', () => {
  let proxy: ConnectProxy;
  let plain: TestServer;
  const saved = { ...process.env };
  before(async () => {
    proxy = await startConnectProxy();
    plain = await startTestServer();
  });
  after(async () => {
    await proxy.close();
    await plain.close();
  });
  afterEach(() => {
    for (const k of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    proxy.refuseWith = undefined;
  });

  it('tunnels ws: through an explicit proxy, with Basic credentials', async () => {
    const before = proxy.targets.length;
    const ws = await openWs(plain.url('/echo'), [], { proxy: `http://user:p%40ss@127.0.0.1:${proxy.port}` });
    const got = messages(ws, 1);
    ws.send('via proxy');
    assert.deepEqual(await got, ['via proxy']);
    await closeWs(ws);
    assert.deepEqual(proxy.targets.slice(before), [`127.0.0.1:${plain.port}`]);
    assert.equal(proxy.auth.at(-1), `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('tunnels wss: and verifies TLS end to end inside the tunnel', async () => {
    const ws = await openWs(`wss://localhost:${signed.port}/`, [], { proxy: proxy.url, ca: certs.ca });
    await closeWs(ws);
    assert.equal(proxy.targets.at(-1), `localhost:${signed.port}`);
    assert.equal(signed.names.at(-1), 'localhost');
  });

  it('uses HTTP_PROXY / HTTPS_PROXY from the environment; NO_PROXY and proxy: false bypass it', async () => {
    process.env.HTTP_PROXY = `127.0.0.1:${proxy.port}`;
    let n = proxy.targets.length;
    await closeWs(await openWs(plain.url('/echo')));
    assert.equal(proxy.targets.length, n + 1, 'HTTP_PROXY used for ws:');

    process.env.HTTPS_PROXY = proxy.url;
    n = proxy.targets.length;
    await closeWs(await openWs(`wss://localhost:${signed.port}/`, [], { ca: certs.ca }));
    assert.equal(proxy.targets.length, n + 1, 'HTTPS_PROXY used for wss:');

    n = proxy.targets.length;
    await closeWs(await openWs(plain.url('/echo'), [], { proxy: false }));
    assert.equal(proxy.targets.length, n, 'proxy: false connects directly');

    process.env.no_proxy = `example.com, 127.0.0.1:${plain.port}`;
    await closeWs(await openWs(plain.url('/echo')));
    assert.equal(proxy.targets.length, n, 'NO_PROXY entry with port matches');
  });

  it('fails with WS_ERR_PROXY when the proxy refuses CONNECT', async () => {
    proxy.refuseWith = 407;
    const code = await refused(plain.url('/echo'), { proxy: proxy.url });
    assert.equal(code, 'WS_ERR_PROXY');
  });

  it('NO_PROXY matching rules and proxy resolution', () => {
    assert.equal(noProxyMatches('*', 'any.host', 80), true);
    assert.equal(noProxyMatches('.example.com', 'a.example.com', 80), true);
    assert.equal(noProxyMatches('example.com', 'a.example.com', 80), true);
    assert.equal(noProxyMatches('example.com', 'example.com', 443), true);
    assert.equal(noProxyMatches('example.com', 'badexample.com', 80), false);
    assert.equal(noProxyMatches('example.com:8080', 'example.com', 80), false);
    assert.equal(noProxyMatches('[::1]', '::1', 80), true);
    assert.equal(resolveProxy(undefined, false, 'h', 80), undefined);
    process.env.http_proxy = 'http://lower:1';
    process.env.HTTP_PROXY = 'http://upper:2';
    assert.equal(resolveProxy(undefined, false, 'h', 80)?.host, 'lower:1', 'lower-case wins');
    assert.equal(resolveProxy(undefined, true, 'h', 443), undefined, 'wss: reads HTTPS_PROXY only');
    assert.throws(() => resolveProxy('socks5://x:1', false, 'h', 80), (e: Error & { code?: string }) => e.code === 'WS_ERR_INVALID_PROXY');
  });
});
