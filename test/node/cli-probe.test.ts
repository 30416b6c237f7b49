/**
 * `lifeline probe` spawned against loopback servers: the JSON report on
 * success (with and without permessage-deflate, compression ratio measured
 * from real frames), and each failure class with its plain-words
 * explanation and exit code 1: refused port, DNS, HTTP 401 with body, bad
 * accept key and an unoffered extension from a raw node:net server, a
 * self-signed TLS certificate without and with --ca, a peer that ignores pings.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startRawServer, type RawServer } from '../support/raw-server.js';
import { makeCerts } from '../support/certs.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { jsonLines, runCli, type CliResult } from '../support/cli-runner.js';

/** The single report line of `probe --json`. */
function report(r: CliResult): Record<string, any> {
  const lines = jsonLines(r);
  assert.equal(lines.length, 1, `exactly one JSON report expected:\n${r.stdout}\n${r.stderr}`);
  const rep = lines[0]!;
  assert.equal(rep['operation'], 'probe');
  assert.ok(rep['status'] === 'success' || rep['status'] === 'failure');
  for (const k of ['target', 'handshake', 'metrics', 'error']) assert.ok(k in rep, `report has ${k}`);
  for (const k of ['messagesSent', 'messagesReceived', 'avgLatencyMs', 'p99LatencyMs', 'compressionRatio']) assert.ok(k in rep['metrics'], `metrics has ${k}`);
  return rep;
}

function assertFailure(r: CliResult, kind: string, code: string | RegExp): Record<string, any> {
  assert.equal(r.code, 1, r.stderr);
  const rep = report(r);
  assert.equal(rep['status'], 'failure');
  assert.equal(rep['error']?.['kind'], kind, JSON.stringify(rep['error']));
  if (typeof code === 'string') assert.equal(rep['error']['code'], code);
  else assert.match(rep['error']['code'], code);
  assert.ok(rep['error']['explanation'].length > 20);
  return rep;
}

describe('cli probe: success', () => {
  let plain: TestServer;
  let deflate: TestServer;
  before(async () => {
    [plain, deflate] = await Promise.all([startTestServer(), startTestServer({ perMessageDeflate: true })]);
  });
  after(() => Promise.all([plain.close(), deflate.close()]));

  it('--json without deflate: handshake, ping and echo latency, counts; no compression ratio', async () => {
    const r = await runCli(['probe', plain.url('/echo'), '--echo', '-n', '4', '-s', '300', '-p', 'chat', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = report(r);
    assert.equal(rep['status'], 'success');
    assert.equal(rep['target'], plain.url('/echo'));
    assert.equal(rep['error'], null);
    const hs = rep['handshake'];
    assert.equal(hs['status'], 101);
    assert.equal(hs['protocol'], 'chat');
    assert.deepEqual(hs['extensions'], []);
    assert.equal(hs['headers']['upgrade'], 'websocket');
    assert.equal(typeof hs['headers']['sec-websocket-accept'], 'string');
    assert.ok(hs['openMs'] > 0);
    const m = rep['metrics'];
    assert.equal(m['messagesSent'], 4);
    assert.equal(m['messagesReceived'], 4);
    assert.equal(m['bytesSent'], 1200);
    assert.equal(m['bytesReceived'], 1200);
    assert.equal(m['ping']['count'], 4);
    assert.equal(m['echo']['count'], 4);
    assert.equal(m['avgLatencyMs'], m['echo']['avgMs']);
    assert.ok(m['p50LatencyMs'] <= m['p99LatencyMs'] && m['echo']['minMs'] <= m['p50LatencyMs']);
    assert.equal(m['compressionRatio'], null);
    // The test server logged exactly the probe messages.
    assert.equal(plain.received.length, 4);
    assert.ok(plain.received.every((s, i) => s.length === 300 && s.startsWith(`{"probe":"lifeline","seq":${i},`)));
  });

  it('--json with deflate: extensions with params and a plausible wire compression ratio', async () => {
    const r = await runCli(['probe', deflate.url('/echo'), '--echo', '-n', '3', '-s', '4096', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = report(r);
    const ext = rep['handshake']['extensions'];
    assert.equal(ext.length, 1);
    assert.equal(ext[0]['name'], 'permessage-deflate');
    assert.equal(typeof ext[0]['params'], 'object');
    const m = rep['metrics'];
    assert.equal(m['bytesSent'], 3 * 4096);
    // Repetitive text: both directions shrink well; the ratio comes from frame lengths seen by the trace hook.
    assert.ok(m['wireBytesSent'] < m['bytesSent'] && m['wireBytesReceived'] < m['bytesReceived'], JSON.stringify(m));
    assert.ok(m['compressionRatio'] > 0 && m['compressionRatio'] < 0.5, `ratio ${m['compressionRatio']}`);
    assert.equal(m['compressionRatio'], Math.round(((m['wireBytesSent'] + m['wireBytesReceived']) / (m['bytesSent'] + m['bytesReceived'])) * 1000) / 1000);
  });

  it('--no-deflate against a deflate server, and the human report', async () => {
    const [off, human] = await Promise.all([
      runCli(['probe', deflate.url('/echo'), '--no-deflate', '-n', '2', '--json']),
      runCli(['probe', deflate.url('/echo'), '--echo', '-n', '2', '--trace']),
    ]);
    assert.equal(off.code, 0, off.stderr);
    const rep = report(off);
    assert.deepEqual(rep['handshake']['extensions'], []);
    assert.equal(rep['metrics']['compressionRatio'], null);
    assert.equal(rep['metrics']['messagesSent'], 0);
    assert.equal(rep['metrics']['avgLatencyMs'], rep['metrics']['ping']['avgMs']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stderr, /→ GET \/echo HTTP\/1\.1/);
    assert.match(human.stderr, /← frame TEXT +fin rsv1 len=\d+ compressed/);
    assert.equal(human.stderr.match(/→ frame PING/g)?.length, 2);
    for (const re of [/status +101 Switching Protocols/, /extensions +permessage-deflate/, /ping rtt +avg .* \(2\)/, /echo latency +avg .*p99/, /messages +sent 2, received 2/, /compression +0\.\d+ \(wire/, /^success in/m]) {
      assert.match(human.stdout, re);
    }
  });
});

describe('cli probe: failures are explained, exit 1', () => {
  let refusing: TestServer;
  let raw: RawServer;
  before(async () => {
    refusing = await startTestServer();
    raw = await startRawServer((c) => {
      if (c.requestLine.startsWith('GET /bad-accept')) {
        c.socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      } else if (c.requestLine.startsWith('GET /x-ext')) {
        c.socket.write(c.accept(['Sec-WebSocket-Extensions: x-unoffered; level=9']));
      } else if (c.requestLine.startsWith('GET /violate')) {
        // Opens, then answers the client's first frame (the probe's ping) with reserved opcode 0x3 (RFC 6455 §5.2).
        c.socket.write(c.accept());
        c.socket.once('data', () => c.socket.write(Buffer.from([0x83, 0x00])));
      }
    });
  });
  after(() => Promise.all([refusing.close(), raw.close()]));

  it('refused port and unknown host', async () => {
    const [refused, dns] = await Promise.all([runCli(['probe', 'ws://127.0.0.1:1/', '--json']), runCli(['probe', 'ws://lifeline-test.invalid/', '--json'])]);
    const rep = assertFailure(refused, 'refused', 'ECONNREFUSED');
    assert.equal(rep['handshake'], null);
    assert.match(rep['error']['explanation'], /nothing is listening on 127\.0\.0\.1:1/);
    assertFailure(dns, 'dns', /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME)$/);
  });

  it('HTTP 401 keeps the status and the body (JSON and human)', async () => {
    refusing.refuse(401, 60_000);
    try {
      const [json, human] = await Promise.all([runCli(['probe', refusing.url('/echo'), '--json']), runCli(['probe', refusing.url('/echo')])]);
      const rep = assertFailure(json, 'http-status', 'WS_ERR_HANDSHAKE_STATUS');
      assert.equal(rep['error']['status'], 401);
      assert.equal(rep['error']['body'], 'refused by test server (401)');
      assert.equal(rep['handshake']['status'], 401);
      assert.equal(rep['handshake']['headers']['content-type'], 'text/plain');
      assert.match(rep['error']['explanation'], /HTTP 401 instead of 101.*authentication/);
      assert.equal(human.code, 1);
      assert.match(human.stdout, /^failure: The server answered HTTP 401/m);
      assert.match(human.stdout, /Server said: refused by test server \(401\)/);
    } finally {
      refusing.reset();
    }
  });

  it('bad Sec-WebSocket-Accept and an unoffered extension from a raw server', async () => {
    const [bad, ext] = await Promise.all([runCli(['probe', raw.url('/bad-accept'), '--json']), runCli(['probe', raw.url('/x-ext'), '--json'])]);
    const b = assertFailure(bad, 'handshake', 'WS_ERR_HANDSHAKE_ACCEPT');
    assert.match(b['error']['explanation'], /Sec-WebSocket-Accept does not match/);
    const e = assertFailure(ext, 'extension', 'WS_ERR_HANDSHAKE_EXTENSION');
    assert.match(e['error']['explanation'], /extension we did not offer/);
  });

  it('a server that breaks the protocol mid-probe: named as such with the close code we sent, not as a dropped connection', async () => {
    const [json, connected] = await Promise.all([runCli(['probe', raw.url('/violate'), '--json']), runCli(['connect', raw.url('/violate'), '-x', 'hello', '--json'])]);
    const probed = assertFailure(json, 'protocol', 'WS_ERR_INVALID_OPCODE');
    assert.match(probed['error']['explanation'], /broke the WebSocket protocol \(close 1002\)/);
    assert.equal(probed['handshake']['status'], 101);
    // connect shows the close code it sent, as its --reconnect mode does (the WebSocket's own close event says 1006).
    assert.equal(connected.code, 1, connected.stderr);
    const closed = jsonLines(connected).find((event) => event.event === 'close')!;
    assert.deepEqual([closed.code, closed.wasClean], [1002, false]);
  });

  it('a peer that never answers pings: no-reply after --timeout', async () => {
    refusing.silent(true);
    try {
      const r = await runCli(['probe', refusing.url('/echo'), '--timeout', '0.4', '-n', '1', '--json']);
      const rep = assertFailure(r, 'no-reply', 'NO_REPLY');
      assert.equal(rep['handshake']['status'], 101, 'the handshake itself succeeded');
      assert.match(rep['error']['explanation'], /does not answer pings/);
    } finally {
      refusing.reset();
    }
  });
});

describe('cli probe: TLS', () => {
  let server: HttpsServer;
  let wss: WebSocketServer;
  let dir: string;
  let caFile: string;
  let url: string;
  before(async () => {
    const certs = makeCerts();
    dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-tls-'));
    caFile = join(dir, 'self.pem');
    writeFileSync(caFile, certs.selfCert);
    server = createHttpsServer({ key: certs.selfKey, cert: certs.selfCert });
    wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `wss://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a self-signed certificate fails with advice; --ca with that certificate succeeds; --insecure succeeds', async () => {
    const [untrusted, trusted, insecure] = await Promise.all([
      runCli(['probe', url, '--json']),
      runCli(['probe', url, '--ca', caFile, '--echo', '-n', '2', '--json']),
      runCli(['probe', url, '--insecure', '-n', '1', '--json']),
    ]);
    const f = assertFailure(untrusted, 'tls', /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/);
    assert.match(f['error']['explanation'], /self-signed.*--ca <file>/);
    assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
    const ok = report(trusted);
    assert.equal(ok['status'], 'success');
    assert.equal(ok['metrics']['messagesReceived'], 2);
    assert.equal(insecure.code, 0, insecure.stdout + insecure.stderr);
  });
});

describe('cli probe: --proxy, --header, --origin', () => {
  let server: TestServer;
  let proxy: ConnectProxy;
  let raw: RawServer;
  before(async () => {
    [server, proxy, raw] = await Promise.all([
      startTestServer(),
      startConnectProxy(),
      startRawServer((c) => c.socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 9\r\n\r\nforbidden')),
    ]);
  });
  after(() => Promise.all([server.close(), proxy.close(), raw.close()]));

  it('goes through an HTTP CONNECT proxy; a refusing proxy is explained', async () => {
    const ok = await runCli(['probe', server.url('/echo'), '--proxy', proxy.url, '-n', '1', '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`]);
    proxy.refuseWith = 407;
    const refused = await runCli(['probe', server.url('/echo'), '--proxy', proxy.url, '--json']);
    const rep = assertFailure(refused, 'proxy', 'WS_ERR_PROXY');
    assert.match(rep['error']['explanation'], /proxy refused or failed/);
  });

  it('sends --header and --origin; a 403 names Origin as a suspect', async () => {
    const r = await runCli(['probe', raw.url('/h'), '-H', 'Authorization: Bearer abc', '-H', 'X-Trace: 1', '--origin', 'https://app.example', '--json']);
    const rep = assertFailure(r, 'http-status', 'WS_ERR_HANDSHAKE_STATUS');
    assert.equal(rep['error']['body'], 'forbidden');
    assert.match(rep['error']['explanation'], /HTTP 403.*Origin/);
    const h = raw.connections.at(-1)!.headers;
    assert.equal(h['authorization'], 'Bearer abc');
    assert.equal(h['x-trace'], '1');
    assert.equal(h['origin'], 'https://app.example');
  });
});
