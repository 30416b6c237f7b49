/**
 * The opening handshake against real-world server quirks (raw `node:net`
 * servers writing the exact response bytes): header case, list-valued
 * Connection, whitespace, a status line without a reason phrase, several
 * Sec-WebSocket-Extensions lines (RFC 7230 §3.2.2 joins them into one list,
 * RFC 7230 §7 empty list elements are ignored), permessage-deflate answers
 * we must refuse (RFC 7692 §7.1), and what we never offer
 * (x-webkit-deflate-frame). TLS: ALPN offers only http/1.1 (never h2: a
 * WebSocket upgrade is an HTTP/1.1 mechanism, RFC 6455 §4.1). Proxies: a
 * CONNECT answered `HTTP/1.0 200 Connection established` with extra
 * headers, split across reads.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { WebSocket } from '../../src/transport/node/websocket.js';
import type { PerMessageDeflateOptions } from '../../src/protocol/permessage-deflate.js';
import { acceptKey, closeFrame, decodeFrames, frame, startRawServer, type RawConnection, type RawServer } from '../support/raw-server.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { next } from '../support/node-ws.js';
import { startConnectProxy } from '../support/connect-proxy.js';

const servers: RawServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** A raw server answering every upgrade with `head(key)` and then a text frame "hi". */
async function answering(head: (key: string) => string, then: Buffer = frame(0x1, 'hi')): Promise<RawServer> {
  const s = await startRawServer((c: RawConnection) => {
    c.socket.write(Buffer.concat([Buffer.from(head(c.headers['sec-websocket-key'] ?? '')), then]));
  });
  servers.push(s);
  return s;
}

/** Opens, expects the "hi" message, returns the negotiated extensions. */
async function opens(s: RawServer, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<string> {
  const ws = new WebSocket(s.url('/'), [], options);
  const closed = next(ws, 'close');
  const m = await Promise.race([next(ws, 'message'), closed.then((e) => assert.fail(`closed ${e.code} before a message`))]);
  assert.equal(m.data, 'hi');
  const ext = ws.extensions;
  ws.terminate();
  await closed;
  return ext;
}

/** Expects the handshake to fail with `code`; returns what the client wrote after its request. */
async function refuses(s: RawServer, code: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<void> {
  const ws = new WebSocket(s.url('/'), [], options);
  const err = next(ws, 'error');
  const e = await next(ws, 'close');
  assert.deepEqual([e.code, e.wasClean], [1006, false]);
  assert.equal((await err).error.code, code);
  // A failed handshake writes no frame (RFC 6455 §4.1: the connection is failed, not closed).
  assert.equal(s.connections.at(-1)!.received().length, 0);
}

const lines = (...l: string[]) => l.join('\r\n') + '\r\n\r\n';

describe('handshake: server quirks that must be accepted', () => {
  it('header names and tokens in any case, Connection: keep-alive, Upgrade, a lower-case reason phrase', async () => {
    const s = await answering((k) => lines('HTTP/1.1 101 switching protocols', 'UPGRADE: WebSocket', 'connection: keep-alive, Upgrade', `SEC-WEBSOCKET-ACCEPT: ${acceptKey(k)}`));
    assert.equal(await opens(s), '');
  });

  it('a status line without a reason phrase, extra whitespace and tabs around values, an empty Sec-WebSocket-Extensions', async () => {
    const s = await answering((k) =>
      lines('HTTP/1.1 101', 'Upgrade: \t websocket  ', 'Connection:Upgrade', `Sec-WebSocket-Accept:   ${acceptKey(k)}\t`, 'Sec-WebSocket-Extensions: ', 'Server: quirky'),
    );
    assert.equal(await opens(s), '');
  });

  it('an HTTP/1.0 status line on the 101 (some proxies rewrite it)', async () => {
    const s = await answering((k) => lines('HTTP/1.0 101 Switching Protocols', 'Upgrade: websocket', 'Connection: upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`));
    assert.equal(await opens(s), '');
  });

  it('permessage-deflate parameters with odd case and spacing, then a compressed message', async () => {
    // "hi" compressed (RFC 7692 §7.2.1 tail removed), RSV1 set.
    const z = Buffer.from('cac80400', 'hex');
    const s = await answering(
      (k) => lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`, 'Sec-WebSocket-Extensions: Permessage-Deflate ;  Server_No_Context_Takeover'),
      frame(0x1, z, { rsv: 4 }),
    );
    assert.match(await opens(s), /Server_No_Context_Takeover/);
  });

  it('an empty list element next to permessage-deflate across two header lines (RFC 7230 §7)', async () => {
    const s = await answering((k) =>
      lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`, 'Sec-WebSocket-Extensions: permessage-deflate', 'Sec-WebSocket-Extensions:'),
    );
    assert.match(await opens(s), /^permessage-deflate/);
  });
});

describe('handshake: permessage-deflate offers a server leaves out of its answer (RFC 7692 §7)', () => {
  const ok101 = (k: string, extensions: string) =>
    lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`, `Sec-WebSocket-Extensions: ${extensions}`);
  // 3,000 characters that do not compress by themselves, sent twice: the
  // second copy is one back-reference 3,000 bytes into the first, past an
  // 8- or 9-bit window, and only decodable with the first message's context.
  const text = Array.from({ length: 1500 }, (_, i) => ((i * 2654435761) >>> 0).toString(16).slice(-2)).join('');
  // Context takeover, compressed the way the server does it: the second message continues
  // the first's stream (a sync-flushed stream ends byte-aligned, so its plaintext is the
  // dictionary of the next), each with the 00 00 FF FF tail removed (§7.2.1).
  const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const first = zlib.deflateRawSync(text, sync).subarray(0, -4);
  const second = zlib.deflateRawSync(text, { ...sync, dictionary: Buffer.from(text) }).subarray(0, -4);
  const messages = Buffer.concat([frame(0x1, first, { rsv: 4 }), frame(0x1, second, { rsv: 4 })]);

  async function receivesBoth(s: RawServer, perMessageDeflate: PerMessageDeflateOptions): Promise<string> {
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate });
    const closed = next(ws, 'close');
    const received: unknown[] = [];
    ws.addEventListener('message', (e) => received.push(e.data));
    const both = new Promise<void>((resolve) => ws.addEventListener('message', () => received.length === 2 && resolve()));
    await Promise.race([both, closed.then((e) => assert.fail(`closed ${e.code} ${e.reason} after ${received.length} messages`))]);
    assert.deepEqual(received, [text, text]);
    const ext = ws.extensions;
    ws.terminate();
    await closed;
    return ext;
  }

  it('the fixture needs the first message as context: the second is a back-reference only', () => {
    assert.ok(second.length < 50, `second message is ${second.length} bytes`);
    assert.throws(() => zlib.inflateRawSync(Buffer.concat([second, Buffer.from([0, 0, 0xff, 0xff])])));
  });

  it('server_no_context_takeover dropped and context kept (tornado 6.2): both messages inflate', async () => {
    const s = await answering((k) => ok101(k, 'permessage-deflate'), messages);
    assert.equal(await receivesBoth(s, { serverNoContextTakeover: true }), 'permessage-deflate');
    assert.equal(s.connections[0]!.headers['sec-websocket-extensions'], 'permessage-deflate; server_no_context_takeover; client_max_window_bits');
  });

  it('server_max_window_bits=9 offered, left out, a 32 KiB window used: both messages inflate', async () => {
    const s = await answering((k) => ok101(k, 'permessage-deflate'), messages);
    assert.equal(await receivesBoth(s, { serverMaxWindowBits: 9 }), 'permessage-deflate');
    assert.equal(s.connections[0]!.headers['sec-websocket-extensions'], 'permessage-deflate; server_max_window_bits=9; client_max_window_bits');
  });

  it('server_max_window_bits=15 offered, the default left out (aiohttp 3.8)', async () => {
    const s = await answering((k) => ok101(k, 'permessage-deflate'), messages);
    assert.equal(await receivesBoth(s, { serverMaxWindowBits: 15, clientMaxWindowBits: false }), 'permessage-deflate');
    assert.equal(s.connections[0]!.headers['sec-websocket-extensions'], 'permessage-deflate; server_max_window_bits=15');
  });
});

describe('handshake: answers that must fail the connection', () => {
  const ok101 = (k: string, ...extra: string[]) => lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`, ...extra);

  it('permessage-deflate on two header lines (accepted twice, RFC 7692 §5.1)', async () => {
    const s = await answering((k) => ok101(k, 'Sec-WebSocket-Extensions: permessage-deflate', 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover'));
    await refuses(s, 'WS_ERR_HANDSHAKE_EXTENSION');
  });

  it('client_max_window_bits in the answer when we did not offer it (RFC 7692 §7.1.2.2)', async () => {
    const s = await answering((k) => ok101(k, 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10'));
    await refuses(s, 'WS_ERR_HANDSHAKE_EXTENSION', { perMessageDeflate: { clientMaxWindowBits: false } });
    assert.equal(s.connections[0]!.headers['sec-websocket-extensions'], 'permessage-deflate');
  });

  it('server_max_window_bits out of range, with a value on a flag, or an unknown parameter', async () => {
    for (const p of ['server_max_window_bits=7', 'server_max_window_bits=16', 'server_max_window_bits=010', 'server_no_context_takeover=1', 'mux']) {
      const s = await answering((k) => ok101(k, `Sec-WebSocket-Extensions: permessage-deflate; ${p}`));
      await refuses(s, 'WS_ERR_HANDSHAKE_EXTENSION');
    }
  });

  it('x-webkit-deflate-frame is never offered, and an answer with it fails', async () => {
    const s = await answering((k) => ok101(k, 'Sec-WebSocket-Extensions: x-webkit-deflate-frame'));
    await refuses(s, 'WS_ERR_HANDSHAKE_EXTENSION');
    assert.equal(s.connections[0]!.headers['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
  });

  it('an extension answered when none was offered (perMessageDeflate: false)', async () => {
    const s = await answering((k) => ok101(k, 'Sec-WebSocket-Extensions: permessage-deflate'));
    await refuses(s, 'WS_ERR_HANDSHAKE_EXTENSION', { perMessageDeflate: false });
    assert.equal(s.connections[0]!.headers['sec-websocket-extensions'], undefined);
  });

  it('Connection without the upgrade token, Upgrade other than websocket', async () => {
    const a = await answering((k) => lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: keep-alive', `Sec-WebSocket-Accept: ${acceptKey(k)}`));
    await refuses(a, 'WS_ERR_HANDSHAKE_CONNECTION');
    const b = await answering((k) => lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: h2c', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`));
    await refuses(b, 'WS_ERR_HANDSHAKE_UPGRADE');
  });
});

describe('TLS: SNI and ALPN', () => {
  let certs: TestCerts;
  let server: tls.Server;
  const seen: { servername: string | false | null; alpn: string | false | null }[] = [];
  before(async () => {
    certs = makeCerts();
    // The server would pick h2 if the client offered it.
    server = tls.createServer({ key: certs.key, cert: certs.cert, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
      seen.push({ servername: s.servername, alpn: s.alpnProtocol });
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const m = /sec-websocket-key: (\S+)/i.exec(buf);
        if (buf.includes('\r\n\r\n') && m) {
          s.write(lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(m[1]!)}`));
          s.write(frame(0x1, 'hi'));
          buf = '';
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('negotiates http/1.1 (never h2) and sends SNI for a host name', async () => {
    const port = (server.address() as AddressInfo).port;
    const ws = new WebSocket(`wss://localhost:${port}/`, [], { ca: certs.ca });
    const m = await next(ws, 'message');
    assert.equal(m.data, 'hi');
    ws.terminate();
    await next(ws, 'close');
    assert.deepEqual(seen.at(-1), { servername: 'localhost', alpn: 'http/1.1' });
  });
});

describe('proxy: CONNECT answers seen in the wild', () => {
  it('HTTP/1.0 200 Connection established with extra headers, split across reads; Basic credentials percent-decoded', async () => {
    const proxy = await startConnectProxy();
    proxy.answer = 'HTTP/1.0 200 Connection established\r\nProxy-Agent: squid/5\r\nVia: 1.1 proxy\r\n\r\n';
    const s = await answering((k) => lines('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(k)}`));
    try {
      assert.equal(await opens(s, { proxy: `http://us%40er:p%3Ass@127.0.0.1:${proxy.port}` }), '');
      assert.deepEqual(proxy.auth, [`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`]);
    } finally {
      await proxy.close();
    }
  });
});

describe('close: the client waits for the server to close TCP, but not forever', () => {
  it('after the close exchange the client waits for the server to close TCP (no FIN of its own first)', async () => {
    let endBeforeServerClose = false;
    const s = await startRawServer((c) => {
      c.socket.on('end', () => (endBeforeServerClose = !c.socket.destroyed));
      c.socket.write(Buffer.concat([c.accept(), closeFrame(1000)]));
      void c.waitBytes(2).then(async () => {
        // The echo arrived; a compliant server closes now. Take a moment: the client must not FIN meanwhile.
        await new Promise((r) => setTimeout(r, 300));
        c.socket.destroy();
      });
    });
    servers.push(s);
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    const e = await next(ws, 'close');
    assert.deepEqual([e.code, e.wasClean], [1000, true]);
    assert.equal(decodeFrames(s.connections[0]!.received())[0]!.payload.readUInt16BE(0), 1000);
    assert.equal(endBeforeServerClose, false, 'the client sent FIN before the server closed');
  });

  it('a server that waits for our FIN after the exchange gets it (half-close after a grace), never an RST', async () => {
    let serverError: Error | undefined;
    const s = await startRawServer((c) => {
      c.socket.on('error', (err) => (serverError = err));
      // Default net server: answers our FIN with its own (allowHalfOpen false).
      c.socket.write(Buffer.concat([c.accept(), closeFrame(1000)]));
    });
    servers.push(s);
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, closeTimeout: 30_000 });
    const e = await next(ws, 'close', 20_000);
    assert.deepEqual([e.code, e.wasClean], [1000, true]);
    assert.equal(serverError, undefined);
  });

  it('a server that never closes TCP: the close timer ends it (no hang)', async () => {
    const s = await startRawServer((c) => c.socket.write(Buffer.concat([c.accept(), closeFrame(1001)])));
    servers.push(s);
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, closeTimeout: 200 });
    const e = await next(ws, 'close', 5000);
    // The closing handshake completed; only the TCP close was ours (WHATWG: still clean? no — we
    // report what happened on the wire: both close frames were exchanged).
    assert.equal(e.code, 1001);
  });

  it('after a protocol failure the client waits for the server to close TCP; the close it sent is not read (RFC 6455 §7.1.7), so the event says 1006', async () => {
    const s = await startRawServer((c) => {
      c.socket.write(Buffer.concat([c.accept(), frame(0x3)]));
      void c.waitBytes(2).then(() => {
        c.socket.write(closeFrame(1002));
        setTimeout(() => c.socket.destroy(), 50);
      });
    });
    servers.push(s);
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    const error = next(ws, 'error');
    const e = await next(ws, 'close');
    assert.equal(e.code, 1006);
    assert.equal(e.wasClean, false);
    assert.equal(((await error).error as { closeCode?: number }).closeCode, 1002);
    const f = decodeFrames(s.connections[0]!.received());
    assert.deepEqual(f.map((x) => [x.opcode, x.payload.readUInt16BE(0)]), [[8, 1002]]);
  });
});
