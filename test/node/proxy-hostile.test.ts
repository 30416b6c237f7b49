/**
 * Hostile CONNECT proxies and TLS peers, hand-built on raw node:net: each
 * answer a broken or malicious peer can give ends the attempt with a typed
 * error (a stable code: lifeline's `WS_ERR_*`, or Node's own code for a
 * TLS failure, as the CLI's explanations expect) and close 1006, or with
 * the close code the peer earned, and leaves no socket or timer behind
 * (the process's active resources return to what they were).
 *
 * Proxy answers (RFC 9110 §9.3.6: any 2xx opens the tunnel, anything else
 * refuses it, and the tunnel begins right after the 2xx head): a 407 with
 * and without a body, its head in one-byte writes, a 3xx (never followed,
 * even with followRedirects: that option is for the server's answer), a
 * 101, a head without end, endless interim 1xx heads, too many header
 * lines, bytes sent after a 2xx before we used the tunnel, a 200 and then
 * EOF, a reset in the middle of the head. Every
 * proxy error names the proxy and where it came from.
 *
 * TLS peers: an alert in answer to our ClientHello, EOF in answer to it, a
 * plaintext HTTP server on a wss: port, a server that wants a client
 * certificate (its alert comes mid-handshake), a self-signed certificate (direct
 * and through a proxy: the failure is the target's, not the proxy's;
 * rejectUnauthorized: false lets the last one open), and a peer that closes TCP
 * without close_notify, after the 101 (1006) and after the close handshake
 * (1000, clean: RFC 6455 §7.1.1 needs the TCP close, not TLS's).
 * Already covered elsewhere: a silent, resetting or unreachable proxy
 * (proxy-hardening), HTTP/1.0 200 in split reads (handshake-quirks),
 * certificate checks and SNI (transport-tls, proxy-hardening).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { once } from 'node:events';
import { WebSocket, type WebSocketOptions } from '../../src/transport/node/websocket.js';
import { connect, type CloseEvent, type EndEvent } from '../../src/node.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { closeFrame, response101, startRawServer, type RawServer } from '../support/raw-server.js';
import { leftOver, settledResources } from '../support/resources.js';


/** A loopback server whose every connection gets `onConnection`; `close` destroys what is still open. */
async function rawPeer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A proxy that reads the CONNECT head, then does `answer` with the socket (raw bytes, its own timing). */
function hostileProxy(answer: (socket: net.Socket) => void): ReturnType<typeof rawPeer> {
  return rawPeer((socket) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.removeListener('data', onData);
      answer(socket);
    };
    socket.on('data', onData);
  });
}

interface Outcome {
  /** 'open', or the close that ended a failed attempt. */
  result: string;
  error: (Error & { code?: string; status?: number; cause?: { code?: string } }) | undefined;
}

/** Opens a WebSocket and waits for its end: the attempt's error and close, or 'open' (then terminated). */
async function attempt(url: string, options: WebSocketOptions): Promise<Outcome> {
  const ws = new WebSocket(url, [], { perMessageDeflate: false, handshakeTimeout: 10_000, ...options });
  let error: Outcome['error'];
  ws.onerror = (event) => (error = event.error as Outcome['error']);
  const result = await new Promise<string>((resolve) => {
    ws.onopen = () => resolve('open');
    ws.onclose = (event) => resolve(`close ${event.code} ${event.wasClean ? 'clean' : 'unclean'}`);
  });
  if (result === 'open') {
    ws.terminate();
    await once(ws, 'close');
  }
  return { result, error };
}

describe('hostile CONNECT proxies: a typed error naming the proxy, close 1006, nothing left behind', () => {
  let target: RawServer;
  before(async () => {
    target = await startRawServer((c) => c.socket.write(c.accept()));
  });
  after(() => target.close());

  const pad = `X-Pad: ${'a'.repeat(1000)}\r\n`;
  const pipelined = response101('x');
  /** `message`: what follows "The proxy host:port (from the proxy option) ". */
  const cases: { name: string; answer: (socket: net.Socket) => void; expected: { code: string; status?: number; message: string | RegExp; cause?: string } }[] = [
    {
      name: '407 without a body, the connection left open',
      answer: (socket) => socket.write('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n'),
      expected: { code: 'WS_ERR_PROXY', status: 407, message: 'refused CONNECT: 407 Proxy Authentication Required' },
    },
    {
      name: '407 announcing a 100,000-byte body that never comes (reported at its head)',
      answer: (socket) => socket.write('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 100000\r\n\r\n<html>'),
      expected: { code: 'WS_ERR_PROXY', status: 407, message: 'refused CONNECT: 407 Proxy Authentication Required' },
    },
    {
      name: '407 with a body and no length, then EOF',
      answer: (socket) => socket.end('HTTP/1.1 407 Login\r\n\r\n<html>log in first</html>'),
      expected: { code: 'WS_ERR_PROXY', status: 407, message: 'refused CONNECT: 407 Login' },
    },
    {
      name: '407 head in one-byte writes',
      answer: (socket) => {
        const bytes = Buffer.from('HTTP/1.1 407 Nope\r\nProxy-Authenticate: Basic\r\n\r\n', 'latin1');
        const writeFrom = (index: number): void => {
          if (index >= bytes.length || socket.destroyed) return;
          socket.write(bytes.subarray(index, index + 1), () => setImmediate(writeFrom, index + 1));
        };
        writeFrom(0);
      },
      expected: { code: 'WS_ERR_PROXY', status: 407, message: 'refused CONNECT: 407 Nope' },
    },
    {
      name: '302 to a captive portal (not followed, even with followRedirects)',
      answer: (socket) => socket.write('HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/portal\r\nContent-Length: 0\r\n\r\n'),
      expected: { code: 'WS_ERR_PROXY', status: 302, message: 'refused CONNECT: 302 Found' },
    },
    {
      name: '101 Switching Protocols to CONNECT',
      answer: (socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'),
      expected: { code: 'WS_ERR_PROXY', status: 101, message: 'refused CONNECT: 101 Switching Protocols' },
    },
    {
      name: 'a head that never ends (200 KB of header lines)',
      answer: (socket) => {
        socket.write('HTTP/1.1 200 OK\r\n');
        for (let line = 0; line < 200 && !socket.destroyed; line++) socket.write(pad);
      },
      expected: { code: 'WS_ERR_PROXY', message: 'sent an unusable answer to CONNECT: Response headers exceed 16384 bytes', cause: 'WS_ERR_HANDSHAKE_TOO_LARGE' },
    },
    {
      name: 'an endless run of interim 100 Continue heads (they count against the same 16 KiB)',
      answer: (socket) => {
        for (let head = 0; head < 2000 && !socket.destroyed; head++) socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      },
      expected: { code: 'WS_ERR_PROXY', message: 'sent an unusable answer to CONNECT: Response headers exceed 16384 bytes', cause: 'WS_ERR_HANDSHAKE_TOO_LARGE' },
    },
    {
      name: 'a 200 with 150 header lines',
      answer: (socket) => socket.write(`HTTP/1.1 200 OK\r\n${'Via: 1.1 p\r\n'.repeat(150)}\r\n`),
      expected: { code: 'WS_ERR_PROXY', message: 'sent an unusable answer to CONNECT: More than 100 response headers', cause: 'WS_ERR_HANDSHAKE_TOO_LARGE' },
    },
    {
      name: '200 with a WebSocket 101 already pipelined behind it (before we sent the upgrade)',
      answer: (socket) => socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n'), pipelined])),
      expected: { code: 'WS_ERR_PROXY', message: `sent ${pipelined.length} bytes after its 2xx answer to CONNECT, before the tunnel was used` },
    },
    {
      name: 'a reset in the middle of the head',
      answer: (socket) => socket.write('HTTP/1.1 200 Conn', () => socket.resetAndDestroy()),
      // Whether the client's read sees the RST or an EOF first is the kernel's business: both name the proxy.
      expected: { code: 'WS_ERR_PROXY', message: /^(failed during CONNECT: connection reset|closed the connection during CONNECT)/ },
    },
  ];
  for (const { name, answer, expected } of cases) {
    it(name, async () => {
      const proxy = await hostileProxy(answer);
      try {
        const baseline = await settledResources();
        const { result, error } = await attempt(target.url('/'), { proxy: `http://127.0.0.1:${proxy.port}`, followRedirects: true });
        assert.equal(result, 'close 1006 unclean');
        assert.ok(error !== undefined, 'an error event');
        assert.equal(error.code, expected.code);
        assert.equal(error.status, expected.status);
        const named = `The proxy 127.0.0.1:${proxy.port} (from the proxy option) `;
        assert.ok(error.message.startsWith(named), error.message);
        const rest = error.message.slice(named.length);
        if (typeof expected.message === 'string') assert.ok(rest.startsWith(expected.message), error.message);
        else assert.match(rest, expected.message);
        if (expected.cause !== undefined) assert.equal(error.cause?.code, expected.cause);
        assert.equal(target.connections.length, 0, 'the target is never reached');
        assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
      } finally {
        await proxy.close();
      }
    });
  }

  it('200 and then EOF before the server answered: the tunnel is up, so it is the handshake that ended (WS_ERR_HANDSHAKE_EOF)', async () => {
    const proxy = await hostileProxy((socket) => socket.end('HTTP/1.0 200 Connection established\r\n\r\n'));
    try {
      const baseline = await settledResources();
      const { result, error } = await attempt(target.url('/'), { proxy: `http://127.0.0.1:${proxy.port}` });
      assert.equal(result, 'close 1006 unclean');
      assert.equal(error?.code, 'WS_ERR_HANDSHAKE_EOF');
      assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
    } finally {
      await proxy.close();
    }
  });

  it('connect(): a 302 from the proxy is retried (a 3xx is no client error), a 407 is not, each with its status on the close', async () => {
    const answers = ['HTTP/1.1 302 Found\r\nLocation: http://portal/\r\n\r\n', 'HTTP/1.1 407 Auth\r\n\r\n'];
    for (const answer of answers) {
      const proxy = await hostileProxy((socket) => socket.write(answer));
      try {
        const client = connect(target.url('/'), { socket: { proxy: `http://127.0.0.1:${proxy.port}` }, minDelay: 1, maxDelay: 1, maxAttempts: 2 });
        client.on('error', () => {});
        const closes: CloseEvent[] = [];
        client.on('close', (close) => closes.push(close));
        const end = await new Promise<{ reason: string }>((resolve) => client.on('end', resolve));
        const status = answer.slice(9, 12);
        assert.deepEqual(
          closes.map((close) => [close.status, close.willReconnect]),
          status === '302' ? [[302, true], [302, true], [302, false]] : [[407, false]],
        );
        assert.equal(end.reason, status === '302' ? 'maxAttempts' : 'noRetry');
      } finally {
        await proxy.close();
      }
    }
  });
});

describe('hostile TLS peers: Node TLS codes, the right close code, nothing left behind', () => {
  let certs: TestCerts;
  let proxy: ConnectProxy;
  before(async () => {
    certs = makeCerts();
    proxy = await startConnectProxy();
  });
  after(() => proxy.close());

  // TLS 1.2 record: alert (21), version 3.3, length 2, fatal (2) handshake_failure (40) (RFC 5246 §7.2).
  const HANDSHAKE_FAILURE_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
  const peers: { name: string; behave: (socket: net.Socket) => void; check: (error: Outcome['error']) => void }[] = [
    {
      name: 'a fatal alert (handshake_failure) in answer to our ClientHello',
      behave: (socket) => socket.once('data', () => socket.write(HANDSHAKE_FAILURE_ALERT)),
      check: (error) => {
        assert.ok(/^(EPROTO|ERR_SSL_)/.test(error?.code ?? ''), String(error?.code));
        assert.match(error!.message, /alert handshake failure/);
      },
    },
    {
      name: 'EOF in answer to our ClientHello',
      behave: (socket) => socket.once('data', () => socket.end()),
      check: (error) => {
        assert.equal(error?.code, 'ECONNRESET');
        assert.match(error!.message, /before secure TLS connection was established/);
      },
    },
    {
      name: 'a plaintext HTTP server on the wss: port',
      behave: (socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')),
      check: (error) => {
        assert.ok(/^(EPROTO|ERR_SSL_)/.test(error?.code ?? ''), String(error?.code));
        assert.match(error!.message, /wrong version number/);
      },
    },
  ];
  for (const { name, behave, check } of peers) {
    for (const route of ['direct', 'through a CONNECT proxy'] as const) {
      it(`${name}, ${route}: the target's failure, close 1006`, async () => {
        const peer = await rawPeer(behave);
        try {
          const baseline = await settledResources();
          const options: WebSocketOptions = { ca: certs.ca, proxy: route === 'direct' ? false : proxy.url };
          const { result, error } = await attempt(`wss://localhost:${peer.port}/`, options);
          assert.equal(result, 'close 1006 unclean');
          check(error);
          assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
        } finally {
          await peer.close();
        }
      });
    }
  }

  /**
   * A TLS server on a raw TCP socket (so that it can drop TCP with no
   * close_notify): `onRequest` gets both and the key. Its certificate is
   * signed by the test CA unless `selfSigned`.
   */
  function tlsPeer(onRequest: (secure: tls.TLSSocket, raw: net.Socket, key: string) => void, selfSigned = false): ReturnType<typeof rawPeer> {
    return rawPeer((raw) => {
      const pair = selfSigned ? { key: certs.selfKey, cert: certs.selfCert } : { key: certs.key, cert: certs.cert };
      const secure = new tls.TLSSocket(raw, { isServer: true, ...pair });
      secure.on('error', () => {});
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        secure.removeListener('data', onData);
        onRequest(secure, raw, /sec-websocket-key: *(\S+)/i.exec(head)![1]!);
      };
      secure.on('data', onData);
    });
  }

  it("a server that requires a client certificate we do not have: its alert fails the attempt mid-handshake (TLS 1.3: after we sent the upgrade), direct and through a proxy", async () => {
    // TLS 1.3 (RFC 8446 §4.4.2.4): the client's handshake is done when the server's certificate_required alert comes.
    const expected = { 'TLSv1.3': /^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/, 'TLSv1.2': /^(EPROTO|ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE)$/ } as const;
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const server = tls.createServer({ key: certs.key, cert: certs.cert, ca: certs.ca, requestCert: true, rejectUnauthorized: true, maxVersion });
      server.on('tlsClientError', () => {});
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const baseline = await settledResources();
        for (const route of [false, proxy.url] as const) {
          const { result, error } = await attempt(`wss://localhost:${(server.address() as net.AddressInfo).port}/`, { ca: certs.ca, proxy: route });
          assert.equal(result, 'close 1006 unclean', `${maxVersion} ${String(route)}`);
          assert.match(error?.code ?? '', expected[maxVersion], `${maxVersion} ${String(route)}: ${error?.message}`);
        }
        assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it("a self-signed server: refused with DEPTH_ZERO_SELF_SIGNED_CERT, direct and through a proxy (the server's, not the proxy's); rejectUnauthorized: false opens on both routes", async () => {
    const peer = await tlsPeer((secure, _raw, key) => secure.write(response101(key)), true);
    try {
      const baseline = await settledResources();
      const url = `wss://localhost:${peer.port}/`;
      for (const route of [false, proxy.url] as const) {
        const refused = await attempt(url, { proxy: route });
        assert.deepEqual([refused.result, refused.error?.code], ['close 1006 unclean', 'DEPTH_ZERO_SELF_SIGNED_CERT'], String(route));
        const trusting = await attempt(url, { proxy: route, rejectUnauthorized: false });
        assert.equal(trusting.result, 'open', String(route));
      }
      assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
    } finally {
      await peer.close();
    }
  });

  it('a peer that drops TCP after the 101 without close_notify: 1006 unclean (connect(): WS_ERR_UNEXPECTED_EOF)', async () => {
    const peer = await tlsPeer((secure, raw, key) => secure.write(response101(key), () => setTimeout(() => raw.destroy(), 20)));
    try {
      const baseline = await settledResources();
      const ws = new WebSocket(`wss://localhost:${peer.port}/`, [], { ca: certs.ca, perMessageDeflate: false });
      const errors: unknown[] = [];
      ws.onerror = (event) => errors.push(event.error);
      await once(ws, 'open');
      const [close] = (await once(ws, 'close')) as [{ code: number; wasClean: boolean }];
      assert.deepEqual([close.code, close.wasClean, errors.length], [1006, false, 0]);
      const client = connect(`wss://localhost:${peer.port}/`, { socket: { ca: certs.ca }, maxAttempts: 0 });
      client.on('error', () => {});
      const end = await new Promise<EndEvent>((resolve) => client.on('end', resolve));
      assert.equal(end.close?.code, 1006);
      assert.equal((end.close?.error as { code?: string } | undefined)?.code, 'WS_ERR_UNEXPECTED_EOF');
      assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
    } finally {
      await peer.close();
    }
  });

  it('a peer that drops TCP without close_notify after the close handshake: 1000, clean (RFC 6455 §7.1.1 asks for the TCP close only)', async () => {
    const peer = await tlsPeer((secure, raw, key) => {
      secure.write(Buffer.concat([response101(key), closeFrame(1000, 'bye')]));
      // Our close frame echoed: drop TCP at once, no TLS close_notify.
      secure.once('data', () => raw.destroy());
    });
    try {
      const baseline = await settledResources();
      const ws = new WebSocket(`wss://localhost:${peer.port}/`, [], { ca: certs.ca, perMessageDeflate: false });
      const [close] = (await once(ws, 'close')) as [{ code: number; reason: string; wasClean: boolean }];
      assert.deepEqual([close.code, close.reason, close.wasClean], [1000, 'bye', true]);
      assert.deepEqual(await leftOver(baseline), {}, 'no socket or timer left behind');
    } finally {
      await peer.close();
    }
  });
});
