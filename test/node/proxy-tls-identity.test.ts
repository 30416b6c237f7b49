/**
 * The TLS identity of the target through every CONNECT-proxy route (issue
 * #15 item 2): a wss: connection checks the certificate against the host
 * of the WebSocket URL, never against the proxy's host name (or
 * `localhost`), whether it goes direct, through a `proxy` option naming the
 * proxy by IP or by name, or through HTTPS_PROXY. Certificates are made for
 * a host name only, an IP only and a wrong name; every route must agree
 * with the direct one.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, type WebSocketOptions } from '../../src/transport/node/websocket.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startRawServer, type RawServer } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';

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
