// Node-only: the sans-I/O core driven over real loopback TCP, against a real
// `ws` server (handshake, echo of every size class, ping, close handshake,
// subprotocol, refused upgrade with a body) and a raw node:net server that
// writes hand-built bytes (101 and the first frame in one write; hostile frames).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { randomFillSync } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { startTestServer, type TestServer } from '../support/test-server.js';
import {
  Protocol,
  ResponseParser,
  buildRequest,
  createKey,
  verifyResponse,
  parseUrl,
  acceptFor,
  ErrorCodes,
  HandshakeError,
  offerExtensions,
  perMessageDeflate,
  type ExtensionFactory,
  type ProtocolError,
} from '../../src/protocol/index.js';

const random = (b: Uint8Array) => void randomFillSync(b);

interface Session {
  socket: Socket;
  protocol: Protocol;
  negotiated: string;
  extensionsHeader: string;
  events: unknown[];
  next(): Promise<unknown>;
  closed: Promise<void>;
}

/** A minimal transport: connect, handshake, then pump bytes through Protocol. */
function open(urlText: string, protocols: string[] = [], factories: ExtensionFactory[] = []): Promise<Session> {
  const url = parseUrl(urlText);
  const key = createKey(random);
  return new Promise((resolve, reject) => {
    const socket = connect(url.port, url.hostname);
    const parser = new ResponseParser();
    const events: unknown[] = [];
    const waiters: ((e: unknown) => void)[] = [];
    const push = (e: unknown) => {
      const w = waiters.shift();
      if (w) w(e);
      else events.push(e);
    };
    let protocol: Protocol | undefined;
    let closedResolve!: () => void;
    const closed = new Promise<void>((r) => (closedResolve = r));
    socket.on('connect', () => socket.write(buildRequest({ url, key, protocols, extensions: offerExtensions(factories) })));
    socket.on('error', reject);
    socket.on('close', () => {
      protocol?.receiveEof();
      closedResolve();
    });
    socket.on('end', () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      if (protocol) return protocol.receive(chunk);
      try {
        const res = parser.push(chunk);
        if (!res) return;
        const neg = verifyResponse(res, { key, protocols, extensions: factories });
        protocol = new Protocol(
          {
            write: (b) => void socket.write(b),
            message: (d, binary) => push(['message', binary ? Buffer.from(d) : Buffer.from(d).toString('utf8'), binary]),
            ping: (p) => push(['ping', Buffer.from(p).toString()]),
            pong: (p) => push(['pong', Buffer.from(p).toString()]),
            close: (code, reason) => push(['close', code, reason]),
            error: (e: ProtocolError) => push(['error', e.code, e.closeCode]),
          },
          { random, isUtf8, extensions: neg.extensions },
        );
        const session: Session = {
          socket,
          protocol,
          negotiated: neg.protocol,
          extensionsHeader: neg.extensionsHeader,
          events,
          next: () => (events.length ? Promise.resolve(events.shift()) : new Promise((r) => waiters.push(r))),
          closed,
        };
        resolve(session);
        if (res.rest.length) protocol.receive(res.rest);
      } catch (e) {
        socket.destroy();
        reject(e);
      }
    });
  });
}

describe('protocol core over loopback against a ws server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('echoes text and binary of every length class, answers and sends pings, closes cleanly', async () => {
    const s = await open(server.url('/echo'));
    for (const n of [0, 1, 125, 126, 65535, 65536, 300_000]) {
      const text = 'é'.repeat(n >> 1) + 'x'.repeat(n & 1);
      s.protocol.send(text, false);
      assert.deepEqual(await s.next(), ['message', text, false]);
      const bin = Buffer.alloc(n, 7);
      s.protocol.send(bin, true);
      assert.deepEqual(await s.next(), ['message', bin, true]);
    }
    s.protocol.ping(Buffer.from('rtt'));
    assert.deepEqual(await s.next(), ['pong', 'rtt']);
    s.protocol.close(1000, 'done');
    assert.equal(s.protocol.closeExpected(), true);
    assert.deepEqual(await s.next(), ['close', 1000, 'done']);
    await s.closed;
    assert.equal(s.protocol.state, 'closed');
    assert.equal(s.events.length, 0);
  });

  it('negotiates a subprotocol', async () => {
    const s = await open(server.url('/echo'), ['nope', 'chat']);
    assert.equal(s.negotiated, 'chat');
    s.protocol.close();
    assert.deepEqual(await s.next(), ['close', 1005, '']);
  });

  it('reports a server-initiated close with its code and echoes it', async () => {
    const s = await open(server.url('/close?code=4001&reason=bye'));
    assert.deepEqual(await s.next(), ['close', 4001, 'bye']);
    assert.equal(s.protocol.closeExpected(), true);
    await s.closed;
  });

  it('a refused upgrade yields HandshakeError with status, headers and body', async () => {
    server.refuse(503, 2000, { 'Retry-After': '1' });
    try {
      await assert.rejects(open(server.url('/echo')), (e: HandshakeError) => {
        assert.equal(e.code, ErrorCodes.HANDSHAKE_STATUS);
        assert.equal(e.status, 503);
        assert.equal(e.headers['retry-after'], '1');
        return true;
      });
    } finally {
      server.reset();
    }
  });
});

describe('protocol core with permessage-deflate against a ws server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ perMessageDeflate: { threshold: 0 } });
  });
  after(async () => {
    await server.close();
  });
  it('negotiates, and echoes compressed messages both ways (fragment-free, context kept)', async () => {
    const s = await open(server.url('/echo'), [], [perMessageDeflate({ threshold: 0 })]);
    assert.match(s.extensionsHeader, /^permessage-deflate/);
    for (let i = 0; i < 30; i++) {
      const text = JSON.stringify({ seq: i, body: 'lorem ipsum '.repeat(i * 20) });
      s.protocol.send(text, false);
      assert.deepEqual(await s.next(), ['message', text, false]);
    }
    const bin = Buffer.alloc(200_000, 3);
    s.protocol.send(bin, true);
    assert.deepEqual(await s.next(), ['message', bin, true]);
    s.protocol.close(1000);
    assert.deepEqual(await s.next(), ['close', 1000, '']);
  });
});

// The core on its own (no platform compressor, as in a browser worker or Deno) also
// offers client_max_window_bits by default, so it must honour any window a server sets:
// fflate's segments stay within the window, and ws's zlib inflates them at that window.
describe('protocol core alone (fflate only) against ws servers that limit the client window', () => {
  for (const bits of [8, 11]) {
    it(`default offer, server sets client_max_window_bits=${bits}: compressed messages echo intact`, async () => {
      const server = await startTestServer({ perMessageDeflate: { threshold: 0, clientMaxWindowBits: bits } });
      try {
        const deflate = perMessageDeflate({ threshold: 0 });
        assert.equal(deflate.offer(), 'permessage-deflate; client_max_window_bits');
        const s = await open(server.url('/echo'), [], [deflate]);
        assert.equal(s.extensionsHeader, `permessage-deflate; client_max_window_bits=${bits}`);
        for (let i = 0; i < 12; i++) {
          const text = JSON.stringify({ seq: i, body: 'lorem ipsum dolor '.repeat(i * 30) });
          s.protocol.send(text, false);
          assert.deepEqual(await s.next(), ['message', text, false]);
        }
        const bin = Buffer.alloc(70_000);
        for (let i = 0; i < bin.length; i++) bin[i] = (i >> 5) & 0xff;
        s.protocol.send(bin, true);
        assert.deepEqual(await s.next(), ['message', bin, true]);
        // Compressed, not sent plain after a failed verification: far fewer bytes than the ~110 KB of payloads.
        assert.ok(s.socket.bytesWritten < 40_000, `wrote ${s.socket.bytesWritten} bytes`);
        s.protocol.close(1000);
        assert.deepEqual(await s.next(), ['close', 1000, '']);
      } finally {
        await server.close();
      }
    });
  }
});

describe('protocol core against a raw server writing hand-built bytes', () => {
  let raw: Server;
  let port = 0;
  let script: (sock: Socket, key: string) => void = () => {};
  before(async () => {
    raw = createServer((sock) => {
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        const m = /Sec-WebSocket-Key: (\S+)\r\n/.exec(buf);
        if (buf.includes('\r\n\r\n') && m) {
          buf = '';
          script(sock, m[1]!);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    port = (raw.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => raw.close(() => r())));
  const head = (key: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`;

  it('the first frame in the same write as the 101 is not lost', async () => {
    script = (sock, key) => sock.write(Buffer.concat([Buffer.from(head(key), 'latin1'), Buffer.from([0x81, 0x02, 0x68, 0x69])]));
    const s = await open(`ws://127.0.0.1:${port}/`);
    assert.deepEqual(await s.next(), ['message', 'hi', false]);
    s.socket.destroy();
  });

  it('invalid UTF-8 sent in pieces fails with 1007 before the frame is complete, and the close is on the wire', async () => {
    let serverGot = Buffer.alloc(0);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    script = (sock, key) => {
      sock.on('data', (d) => (serverGot = Buffer.concat([serverGot, d])));
      sock.write(Buffer.concat([Buffer.from(head(key), 'latin1'), Buffer.from([0x81, 0x0a, 0x61, 0x62, 0xed, 0xa0])]));
      void held.then(() => sock.end(Buffer.from([0x80, 0x61, 0x62, 0x63, 0x64, 0x65])));
    };
    const s = await open(`ws://127.0.0.1:${port}/`);
    assert.deepEqual(await s.next(), ['error', ErrorCodes.INVALID_UTF8, 1007]);
    release();
    await s.closed;
    // The client's masked close frame carries 1007 (03 ef).
    const b = serverGot;
    assert.equal(b[0], 0x88);
    assert.equal(b[1]! & 0x7f, 2);
    const key = b.subarray(2, 6);
    assert.deepEqual([b[6]! ^ key[0]!, b[7]! ^ key[1]!], [0x03, 0xef]);
  });

  it('TCP closed without a close frame: WS_ERR_UNEXPECTED_EOF (1006)', async () => {
    script = (sock, key) => sock.end(head(key));
    const s = await open(`ws://127.0.0.1:${port}/`);
    assert.deepEqual(await s.next(), ['error', ErrorCodes.UNEXPECTED_EOF, 1006]);
  });
});
