/**
 * The connection options Node users bring from ws / node:net / node:tls,
 * each against a real server: `lookup` (a name mapped to loopback),
 * `family`, `localAddress` (another loopback address), `socketPath` (a
 * server on a Unix domain socket, ws: and wss:), `createConnection` (a net
 * socket, a TLS socket, a plain Duplex over a socket), `servername` and
 * `checkServerIdentity` (seen by the server / called with the target's
 * name, also through a CONNECT proxy), `pfx` with `passphrase` (a server
 * that requires a client certificate), `ciphers`, `minVersion` /
 * `maxVersion`, and the `Host` header override; on the Node WebSocket and
 * on connect(). Bad values are refused at the call with WS_ERR_INVALID_OPTION.
 * Certificates are made at test time with the openssl CLI.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Duplex } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { WebSocket } from '../../src/transport/node/websocket.js';
import type { CreateConnectionOptions, WebSocketOptions } from '../../src/transport/node/options.js';
import type { PerMessageDeflateOptions } from '../../src/protocol/permessage-deflate.js';
import { connect } from '../../src/node.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { closeWs, messages, next, openWs } from '../support/node-ws.js';

/** What the server saw of one upgrade. */
interface Seen {
  host: string | undefined;
  path: string | undefined;
  remoteAddress: string | undefined;
  servername?: string | false | null;
  protocol?: string | null;
  cipher?: string;
  clientCert?: string;
}

interface EchoServer {
  /** TCP port, or 0 on a Unix socket. */
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

/** An echo server (ws on node:http or node:https) on loopback TCP, or on a Unix socket when `path` is given. */
async function startEcho(options: { tls?: https.ServerOptions; path?: string; address?: string } = {}): Promise<EchoServer> {
  const server = options.tls ? https.createServer(options.tls) : http.createServer();
  const seen: Seen[] = [];
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: http.IncomingMessage, socket, head) => {
    const record: Seen = { host: req.headers.host, path: req.url, remoteAddress: req.socket.remoteAddress };
    if (req.socket instanceof tls.TLSSocket) {
      const secure = req.socket;
      record.servername = secure.servername;
      record.protocol = secure.getProtocol();
      record.cipher = secure.getCipher().name;
      const peer = secure.getPeerCertificate();
      if (peer !== null && peer.subject !== undefined) record.clientCert = String(peer.subject.CN);
    }
    seen.push(record);
    wss.handleUpgrade(req, socket, head, (ws: WsSocket) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  });
  server.on('tlsClientError', () => {});
  if (options.path !== undefined) await new Promise<void>((resolve) => server.listen(options.path, resolve));
  else await new Promise<void>((resolve) => server.listen(0, options.address ?? '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    seen,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Opens, echoes one message, closes; returns what came back. */
async function echoOnce(url: string, options: WebSocketOptions): Promise<string> {
  const ws = await openWs(url, [], options);
  const reply = messages(ws, 1);
  ws.send('hello');
  const [data] = await reply;
  await closeWs(ws);
  return String(data);
}

/** The error a connection fails with (its `error` event), or a failure if it opens. */
async function failure(url: string, options: WebSocketOptions): Promise<Error & { code?: string }> {
  const ws = new WebSocket(url, [], options);
  const closed = next(ws, 'close');
  const outcome = await Promise.race([next(ws, 'error').then((e: { error: Error }) => e.error), next(ws, 'open').then(() => undefined)]);
  if (outcome === undefined) {
    ws.terminate();
    assert.fail('the connection opened');
  }
  assert.equal((await closed).code, 1006);
  return outcome;
}

/** Maps every name to 127.0.0.1. Node 20 asks for `all` addresses (autoSelectFamily) unless `family` is set. */
const loopbackLookup: net.LookupFunction = (_hostname, options, callback) => {
  const answer = callback as (error: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
  if (options.all === true) answer(null, [{ address: '127.0.0.1', family: 4 }]);
  else answer(null, '127.0.0.1', 4);
};

let certs: TestCerts;
let dir: string;
let plain: EchoServer;
before(async () => {
  certs = makeCerts({ other: 'DNS:other.test' });
  dir = mkdtempSync(join(tmpdir(), 'lifeline-options-'));
  plain = await startEcho();
});
after(async () => {
  await plain.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lookup, family, localAddress', () => {
  it('lookup resolves the URL host (a name mapped to loopback); the Host header keeps the name', async () => {
    const asked: { hostname: string; family: unknown }[] = [];
    const lookup: net.LookupFunction = (hostname, options, callback) => {
      asked.push({ hostname, family: options.family });
      loopbackLookup(hostname, options, callback);
    };
    assert.equal(await echoOnce(`ws://lifeline.test:${plain.port}/named`, { lookup, family: 4 }), 'hello');
    assert.deepEqual(asked, [{ hostname: 'lifeline.test', family: 4 }], 'asked once, with the family option');
    assert.equal(plain.seen.at(-1)!.host, `lifeline.test:${plain.port}`);
  });

  it('localAddress binds the local end (the server sees 127.0.0.2)', async () => {
    await echoOnce(`ws://127.0.0.1:${plain.port}/`, { localAddress: '127.0.0.2' });
    assert.equal(plain.seen.at(-1)!.remoteAddress, '127.0.0.2');
  });
});

describe('socketPath (Unix domain sockets)', () => {
  it('ws: over a Unix socket; the URL gives the Host header and the resource', async () => {
    const path = join(dir, 'ws.sock');
    const server = await startEcho({ path });
    try {
      assert.equal(await echoOnce('ws://daemon.local/v1/events?x=1', { socketPath: path }), 'hello');
      assert.deepEqual({ host: server.seen[0]!.host, path: server.seen[0]!.path }, { host: 'daemon.local', path: '/v1/events?x=1' });
    } finally {
      await server.close();
    }
  });

  it('wss: over a Unix socket, with the URL host as TLS server name', async () => {
    const path = join(dir, 'wss.sock');
    const server = await startEcho({ path, tls: { key: certs.key, cert: certs.cert } });
    try {
      assert.equal(await echoOnce('wss://localhost/secure', { socketPath: path, ca: certs.ca }), 'hello');
      assert.equal(server.seen[0]!.servername, 'localhost');
    } finally {
      await server.close();
    }
  });

  it('a socket path nobody listens on fails the attempt with the network error', async () => {
    const error = await failure('ws://daemon.local/', { socketPath: join(dir, 'nobody.sock') });
    assert.equal(error.code, 'ENOENT');
  });
});

describe('createConnection (bring your own socket or stream)', () => {
  it('ws: a net socket from the options lifeline would have used', async () => {
    const given: CreateConnectionOptions[] = [];
    const createConnection = (options: CreateConnectionOptions) => {
      given.push(options);
      return net.connect(options);
    };
    assert.equal(await echoOnce(`ws://127.0.0.1:${plain.port}/own`, { createConnection, localAddress: '127.0.0.2' }), 'hello');
    assert.equal(given.length, 1);
    assert.deepEqual({ host: given[0]!.host, port: given[0]!.port, localAddress: given[0]!.localAddress }, { host: '127.0.0.1', port: plain.port, localAddress: '127.0.0.2' });
    assert.equal(plain.seen.at(-1)!.remoteAddress, '127.0.0.2');
  });

  it('ws: any Duplex works (here one that relays to a socket it opened itself)', async () => {
    const createConnection = (options: CreateConnectionOptions) => {
      const socket = net.connect(options.port, '127.0.0.1');
      // allowHalfOpen false, as a socket: when the server's FIN arrives, the relay ends its side too.
      const relay = new Duplex({
        allowHalfOpen: false,
        write(chunk: Buffer, _encoding, callback) {
          socket.write(chunk, callback);
        },
        final(callback) {
          socket.end(callback);
        },
        read() {},
        destroy(error, callback) {
          socket.destroy();
          callback(error);
        },
      });
      socket.on('data', (chunk: Buffer) => relay.push(chunk));
      socket.on('end', () => relay.push(null));
      socket.on('error', (error) => relay.destroy(error));
      return relay;
    };
    assert.equal(await echoOnce(`ws://relay.test:${plain.port}/duplex`, { createConnection }), 'hello');
    assert.equal(plain.seen.at(-1)!.host, `relay.test:${plain.port}`);
  });

  it('wss: gets the TLS options (servername, ca) and returns a TLS socket', async () => {
    const server = await startEcho({ tls: { key: certs.key, cert: certs.cert } });
    try {
      const given: CreateConnectionOptions[] = [];
      const createConnection = (options: CreateConnectionOptions) => {
        given.push(options);
        return tls.connect(options);
      };
      assert.equal(await echoOnce(`wss://localhost:${server.port}/`, { createConnection, ca: certs.ca, servername: 'sni.test' }), 'hello');
      assert.equal(given[0]!.servername, 'sni.test');
      assert.equal(given[0]!.ca, certs.ca);
      assert.equal(server.seen[0]!.servername, 'sni.test');
    } finally {
      await server.close();
    }
  });

  it('a createConnection that throws or returns no stream fails the attempt (error event, close 1006)', async () => {
    const thrown = new Error('no route today');
    assert.equal(await failure(`ws://127.0.0.1:${plain.port}/`, { createConnection: () => { throw thrown; } }), thrown);
    const error = await failure(`ws://127.0.0.1:${plain.port}/`, { createConnection: (() => ({})) as unknown as NonNullable<WebSocketOptions['createConnection']> });
    assert.equal(error.name, 'TypeError');
    assert.equal(error.code, 'WS_ERR_INVALID_OPTION');
    assert.match(error.message, /option createConnection must be a function returning a Duplex stream/);
  });
});

describe('TLS identity and parameters', () => {
  let wrongName: EchoServer;
  before(async () => {
    // A certificate for other.test only, signed by the test CA.
    wrongName = await startEcho({ tls: { key: certs.named['other']!.key, cert: certs.named['other']!.cert } });
  });
  after(() => wrongName.close());

  it('checkServerIdentity is called with the server name and may accept a certificate for another name', async () => {
    const calls: string[] = [];
    const checkServerIdentity = (hostname: string, cert: tls.PeerCertificate) => {
      calls.push(`${hostname} ${cert.subjectaltname}`);
      return undefined;
    };
    assert.equal(await echoOnce(`wss://localhost:${wrongName.port}/`, { ca: certs.ca, checkServerIdentity }), 'hello');
    assert.deepEqual(calls, ['localhost DNS:other.test']);
    // Without it, the default check refuses the name.
    assert.equal((await failure(`wss://localhost:${wrongName.port}/`, { ca: certs.ca })).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('checkServerIdentity returning an Error fails the attempt with that error', async () => {
    const refusal = new Error('pinned certificate does not match');
    const error = await failure(`wss://localhost:${wrongName.port}/`, { ca: certs.ca, checkServerIdentity: () => refusal });
    assert.equal(error, refusal);
  });

  it('servername is what the server sees (SNI) and what the identity check is asked about', async () => {
    const names: string[] = [];
    const checkServerIdentity = (hostname: string, cert: tls.PeerCertificate) => {
      names.push(hostname);
      return tls.checkServerIdentity(hostname, cert);
    };
    const server = await startEcho({ tls: { key: certs.key, cert: certs.cert } });
    try {
      await echoOnce(`wss://127.0.0.1:${server.port}/`, { ca: certs.ca, servername: 'sni.test', checkServerIdentity });
      assert.equal(server.seen[0]!.servername, 'sni.test');
      assert.deepEqual(names, ['sni.test']);
    } finally {
      await server.close();
    }
  });

  it('pfx with passphrase: a server that requires a client certificate accepts it; without one it refuses', async () => {
    const pfxFile = join(dir, 'client.p12');
    writeFileSync(join(dir, 'client.key'), certs.key);
    writeFileSync(join(dir, 'client.pem'), certs.cert);
    execFileSync('openssl', ['pkcs12', '-export', '-in', join(dir, 'client.pem'), '-inkey', join(dir, 'client.key'), '-passout', 'pass:s3cret', '-out', pfxFile], { stdio: 'pipe' });
    const pfx = readFileSync(pfxFile);
    const server = await startEcho({ tls: { key: certs.key, cert: certs.cert, ca: certs.ca, requestCert: true, rejectUnauthorized: true } });
    try {
      assert.equal(await echoOnce(`wss://localhost:${server.port}/`, { ca: certs.ca, pfx, passphrase: 's3cret' }), 'hello');
      assert.equal(server.seen[0]!.clientCert, 'localhost', 'the server saw our certificate');
      // The same with the PEM pair, for comparison.
      assert.equal(await echoOnce(`wss://localhost:${server.port}/`, { ca: certs.ca, cert: certs.cert, key: certs.key }), 'hello');
      // No certificate: the server ends the TLS handshake, the attempt fails.
      const ws = new WebSocket(`wss://localhost:${server.port}/`, [], { ca: certs.ca });
      const closed = await next(ws, 'close');
      assert.equal(closed.code, 1006);
      assert.equal(server.seen.length, 2, 'no upgrade without a client certificate');
      // A wrong passphrase is a TLS error at connect time.
      const wrong = await failure(`wss://localhost:${server.port}/`, { ca: certs.ca, pfx, passphrase: 'nope' });
      assert.match(wrong.message, /mac verify failure|bad decrypt|pkcs12/i);
    } finally {
      await server.close();
    }
  });

  it('ciphers picks the suite (TLS 1.2); minVersion / maxVersion bound the version', async () => {
    const tls12 = await startEcho({ tls: { key: certs.key, cert: certs.cert, maxVersion: 'TLSv1.2' } });
    try {
      await echoOnce(`wss://localhost:${tls12.port}/`, { ca: certs.ca, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
      assert.deepEqual({ cipher: tls12.seen[0]!.cipher, protocol: tls12.seen[0]!.protocol }, { cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305', protocol: 'TLSv1.2' });
      await echoOnce(`wss://localhost:${tls12.port}/`, { ca: certs.ca, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      assert.equal(tls12.seen[1]!.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      // A server that stops at TLS 1.2 is refused by a client that asks for 1.3 at least.
      const error = await failure(`wss://localhost:${tls12.port}/`, { ca: certs.ca, minVersion: 'TLSv1.3' });
      assert.match(`${error.code} ${error.message}`, /EPROTO .*(unsupported protocol|protocol version)/i);
      assert.equal(tls12.seen.length, 2);
    } finally {
      await tls12.close();
    }
    const modern = await startEcho({ tls: { key: certs.key, cert: certs.cert } });
    try {
      await echoOnce(`wss://localhost:${modern.port}/`, { ca: certs.ca, maxVersion: 'TLSv1.2' });
      await echoOnce(`wss://localhost:${modern.port}/`, { ca: certs.ca });
      assert.deepEqual(modern.seen.map((s) => s.protocol), ['TLSv1.2', 'TLSv1.3']);
    } finally {
      await modern.close();
    }
  });

  it('through a CONNECT proxy: lookup resolves the proxy; servername and checkServerIdentity apply to the target', async () => {
    const proxy = await startConnectProxy();
    const server = await startEcho({ tls: { key: certs.key, cert: certs.cert } });
    try {
      const looked: string[] = [];
      const lookup: net.LookupFunction = (hostname, options, callback) => {
        looked.push(hostname);
        loopbackLookup(hostname, options, callback);
      };
      const checked: string[] = [];
      const checkServerIdentity = (hostname: string, cert: tls.PeerCertificate) => {
        checked.push(hostname);
        return tls.checkServerIdentity(hostname, cert);
      };
      const options: WebSocketOptions = { proxy: `http://proxy.test:${proxy.port}`, lookup, ca: certs.ca, servername: 'sni.test', checkServerIdentity };
      assert.equal(await echoOnce(`wss://localhost:${server.port}/`, options), 'hello');
      assert.deepEqual(looked, ['proxy.test'], 'lookup resolved the proxy, not the target');
      assert.deepEqual(proxy.targets, [`localhost:${server.port}`]);
      assert.equal(server.seen[0]!.servername, 'sni.test');
      assert.deepEqual(checked, ['sni.test']);
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});

describe('Host header override', () => {
  it('headers.Host replaces the URL host in the request; the connection still goes to the URL', async () => {
    await echoOnce(`ws://127.0.0.1:${plain.port}/vhost`, { headers: { host: 'api.internal.test:8443' } });
    assert.equal(plain.seen.at(-1)!.host, 'api.internal.test:8443');
    await echoOnce(`ws://127.0.0.1:${plain.port}/`, { headers: { Host: '[::1]:9' } });
    assert.equal(plain.seen.at(-1)!.host, '[::1]:9');
  });

  it('a followed redirect keeps the Host override on the same origin and drops it for another origin', async () => {
    const hosts: string[] = [];
    const redirecting = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    redirecting.on('upgrade', (req: http.IncomingMessage, socket, head) => {
      hosts.push(`${req.url} ${req.headers.host}`);
      const port = (redirecting.address() as net.AddressInfo).port;
      const location = req.url === '/same' ? `ws://127.0.0.1:${port}/landed` : req.url === '/cross' ? `ws://localhost:${port}/landed` : undefined;
      if (location !== undefined) return socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`);
      wss.handleUpgrade(req, socket, head, (ws: WsSocket) => ws.on('message', (data) => ws.send(data)));
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const port = (redirecting.address() as net.AddressInfo).port;
    try {
      const options: WebSocketOptions = { headers: { Host: 'vhost.test' }, followRedirects: true, family: 4 };
      await echoOnce(`ws://127.0.0.1:${port}/same`, options);
      await echoOnce(`ws://127.0.0.1:${port}/cross`, options);
      assert.deepEqual(hosts, ['/same vhost.test', '/landed vhost.test', '/cross vhost.test', `/landed localhost:${port}`]);
    } finally {
      for (const client of wss.clients) client.terminate();
      redirecting.closeAllConnections();
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });

  it('an invalid or repeated Host is a TypeError with WS_ERR_INVALID_HEADER at the call', () => {
    for (const value of ['a b', 'host:99999', 'host:', 'a/b', '', 'x\r\nEvil: 1', '[zz]']) {
      assert.throws(
        () => new WebSocket(`ws://127.0.0.1:${plain.port}/`, [], { headers: { Host: value } }),
        (error: Error & { code?: string }) => error.name === 'TypeError' && error.code === 'WS_ERR_INVALID_HEADER',
        JSON.stringify(value),
      );
    }
    const iterable: [string, string][] = [
      ['Host', 'a.test'],
      ['host', 'b.test'],
    ];
    assert.throws(
      () => new WebSocket(`ws://127.0.0.1:${plain.port}/`, [], { headers: new Map(iterable) as unknown as Record<string, string> }),
      { code: 'WS_ERR_INVALID_HEADER', message: 'Header Host is given more than once' },
    );
  });

  it('connect(): socket options (socketPath, lookup) and a Host header from the headers provider', async () => {
    const path = join(dir, 'client.sock');
    const server = await startEcho({ path });
    const conn = connect('ws://daemon.local/feed', {
      socket: { socketPath: path },
      headers: () => ({ Host: 'feed.daemon.local' }),
      heartbeat: false,
    });
    try {
      const reply = new Promise<unknown>((resolve) => conn.once('message', resolve));
      await conn.send('over unix');
      assert.equal(String(await reply), 'over unix');
      assert.deepEqual({ host: server.seen[0]!.host, path: server.seen[0]!.path }, { host: 'feed.daemon.local', path: '/feed' });
    } finally {
      conn.close();
      await new Promise((resolve) => conn.once('end', resolve));
      await server.close();
    }
    const lookupConn = connect(`ws://lifeline.test:${plain.port}/`, { socket: { lookup: loopbackLookup }, heartbeat: false });
    try {
      await new Promise((resolve) => lookupConn.once('open', resolve));
      assert.equal(plain.seen.at(-1)!.host, `lifeline.test:${plain.port}`);
    } finally {
      lookupConn.close();
      await new Promise((resolve) => lookupConn.once('end', resolve));
    }
  });
});

describe('perMessageDeflate options at the call (RFC 7692 parameters, one rule for every entry point)', () => {
  const url = 'ws://127.0.0.1:1/';
  const ACCEPTED = 'threshold, clientNoContextTakeover, serverNoContextTakeover, level, historySize, serverMaxWindowBits, clientMaxWindowBits';
  const unknown = (key: string) => new RegExp(`option names in perMessageDeflate must be among ${ACCEPTED}, got "${key}"$`);
  const cases: [string, unknown, 'TypeError' | 'RangeError', RegExp][] = [
    // A typo, and ws's keys lifeline has no counterpart for: refused, never silently unused.
    ['typo treshold', { treshold: 10 }, 'TypeError', unknown('treshold')],
    ["ws's zlibDeflateOptions", { zlibDeflateOptions: { level: 1 } }, 'TypeError', unknown('zlibDeflateOptions')],
    ["ws's zlibInflateOptions", { zlibInflateOptions: {} }, 'TypeError', unknown('zlibInflateOptions')],
    ["ws's concurrencyLimit", { concurrencyLimit: 4 }, 'TypeError', unknown('concurrencyLimit')],
    ['level 10', { level: 10 }, 'RangeError', /option perMessageDeflate\.level must be an integer from 0 to 9, got 10$/],
    ['level 1.5', { level: 1.5 }, 'RangeError', /option perMessageDeflate\.level must be an integer from 0 to 9, got 1\.5$/],
    ['level "6"', { level: '6' }, 'TypeError', /option perMessageDeflate\.level must be a number, got "6"$/],
    ['threshold -1', { threshold: -1 }, 'RangeError', /option perMessageDeflate\.threshold must be from 0 to 9007199254740991, got -1$/],
    ['threshold Infinity', { threshold: Infinity }, 'RangeError', /option perMessageDeflate\.threshold must be from 0 to/],
    ['historySize 32769', { historySize: 32769 }, 'RangeError', /option perMessageDeflate\.historySize must be an integer from 0 to 32768, got 32769$/],
    // RFC 7692 §7.1.2.1 / §7.1.2.2: window bits are 8..15.
    ['clientMaxWindowBits 16', { clientMaxWindowBits: 16 }, 'RangeError', /option perMessageDeflate\.clientMaxWindowBits must be an integer from 8 to 15, got 16$/],
    ['clientMaxWindowBits "10"', { clientMaxWindowBits: '10' }, 'TypeError', /option perMessageDeflate\.clientMaxWindowBits must be a boolean or a number, got "10"$/],
    ['serverMaxWindowBits 7', { serverMaxWindowBits: 7 }, 'RangeError', /option perMessageDeflate\.serverMaxWindowBits must be an integer from 8 to 15, got 7$/],
    ['serverMaxWindowBits true', { serverMaxWindowBits: true }, 'TypeError', /option perMessageDeflate\.serverMaxWindowBits must be a number, got true$/],
    ['serverNoContextTakeover "yes"', { serverNoContextTakeover: 'yes' }, 'TypeError', /option perMessageDeflate\.serverNoContextTakeover must be a boolean, got "yes"$/],
    ['perMessageDeflate "yes"', 'yes', 'TypeError', /option perMessageDeflate must be a boolean or an object, got "yes"$/],
    ['perMessageDeflate null', null, 'TypeError', /option perMessageDeflate must be a boolean or an object, got null$/],
  ];
  for (const [name, perMessageDeflate, kind, message] of cases) {
    it(`${name}: ${kind}, WS_ERR_INVALID_OPTION, thrown by new WebSocket() and connect({ socket })`, () => {
      const expected = (error: Error & { code?: string }) => error.name === kind && error.code === 'WS_ERR_INVALID_OPTION' && message.test(error.message);
      const options = { perMessageDeflate } as WebSocketOptions;
      assert.throws(() => new WebSocket(url, [], options), expected);
      assert.throws(() => connect(url, { socket: options }), expected);
    });
  }

  it('the ranges\' ends and every documented form are accepted', () => {
    const accepted: (boolean | PerMessageDeflateOptions)[] = [
      true,
      false,
      {},
      { threshold: 0, level: 0, historySize: 0, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
      { threshold: 1e6, level: 9, historySize: 32768, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
      { clientMaxWindowBits: false, clientNoContextTakeover: true, serverNoContextTakeover: true },
      { clientMaxWindowBits: true },
    ];
    for (const perMessageDeflate of accepted) {
      new WebSocket(url, [], { perMessageDeflate }).terminate();
      connect(url, { socket: { perMessageDeflate }, startClosed: true }).close();
    }
  });
});

describe('option checks at the call', () => {
  const url = 'ws://127.0.0.1:1/';
  const cases: [string, WebSocketOptions, 'TypeError' | 'RangeError', RegExp][] = [
    ['lookup', { lookup: 'dns' as never }, 'TypeError', /option lookup must be a function, got "dns"/],
    ['socketPath', { socketPath: 5 as never }, 'TypeError', /option socketPath must be a string, got 5/],
    ['empty socketPath', { socketPath: '' }, 'TypeError', /option socketPath must be a non-empty path/],
    ['createConnection', { createConnection: {} as never }, 'TypeError', /option createConnection must be a function/],
    ['checkServerIdentity', { checkServerIdentity: true as never }, 'TypeError', /option checkServerIdentity must be a function, got true/],
    ['pfx', { pfx: 5 as never }, 'TypeError', /option pfx must be a string, a Buffer, or an array of them or of \{ buf, passphrase \}, got 5/],
    ['pfx entry', { pfx: [{ passphrase: 'x' }] as never }, 'TypeError', /option pfx must be/],
    ['cert', { cert: { pem: 'x' } as never }, 'TypeError', /option cert must be a string, a Buffer, or an array of them, got an object/],
    ['ciphers', { ciphers: ['A'] as never }, 'TypeError', /option ciphers must be a string, got an array/],
    ['minVersion', { minVersion: 'TLSv1.4' as never }, 'RangeError', /option minVersion must be one of "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", got "TLSv1.4"/],
    ['maxVersion', { maxVersion: 1.3 as never }, 'TypeError', /option maxVersion must be a string, got 1.3/],
    ['family', { family: 5 }, 'RangeError', /option family must be one of 0, 4, 6, got 5/],
    ['socketPath and createConnection', { socketPath: '/x', createConnection: () => new Duplex() }, 'TypeError', /options socketPath and createConnection must be given one at a time/],
    ['socketPath with proxy', { socketPath: '/x', proxy: 'http://p:1' }, 'TypeError', /option proxy with socketPath must be false or absent/],
    ['createConnection with proxy', { createConnection: () => new Duplex(), proxy: 'http://p:1' }, 'TypeError', /option proxy with createConnection must be false or absent/],
  ];
  for (const [name, options, kind, message] of cases) {
    it(`${name}: ${kind}, WS_ERR_INVALID_OPTION, on the WebSocket and connect()`, () => {
      const expected = (error: Error & { code?: string }) => error.name === kind && error.code === 'WS_ERR_INVALID_OPTION' && message.test(error.message);
      assert.throws(() => new WebSocket(url, [], options), expected);
      assert.throws(() => connect(url, { socket: options }), expected);
    });
  }

  it('well-formed values are accepted as they are', () => {
    const ws = new WebSocket(url, [], {
      pfx: [Buffer.from('x'), { buf: 'y', passphrase: 'z' }],
      cert: [certs.cert],
      ciphers: 'HIGH',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      socketPath: join(dir, 'none.sock'),
      proxy: false,
    });
    ws.terminate();
  });
});
