/**
 * The pump after the upgrade, against raw servers writing hand-built frames:
 * any split of the byte stream yields the same messages, the closing
 * handshake on the wire (masked close frames, echo, half-close), abnormal
 * ends (mid-frame EOF → 1006), protocol violations (masked server frame →
 * 1002), and the close timer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { serveRaw, frame, closeFrame, decodeFrames, type RawConnection, type RawServer } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';

const serve = serveRaw();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connect(s: RawServer, options: ConstructorParameters<typeof WebSocket>[2] = {}): WebSocket {
  const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, ...options });
  ws.binaryType = 'nodebuffer';
  return ws;
}

/** A stream of messages covering small, 16-bit and fragmented frames, plus a ping. */
const STREAM = Buffer.concat([
  frame(0x1, 'héllo'),
  frame(0x2, Buffer.alloc(300, 7)),
  frame(0x1, 'frag', { fin: false }),
  frame(0x9, 'p'),
  frame(0x0, 'ment', { fin: false }),
  frame(0x0, 'ed ✓'),
  frame(0x1, ''),
]);
const EXPECTED = ['héllo', 'bin300', 'fragmented ✓', ''];

function summarize(data: unknown): string {
  return typeof data === 'string' ? data : `bin${(data as Buffer).length}`;
}

describe('frames: any split of the stream gives the same messages', () => {
  it('byte by byte, in separate TCP writes', async () => {
    const s = await serve(async (c) => {
      c.socket.write(c.accept());
      for (let i = 0; i < STREAM.length; i++) {
        c.socket.write(STREAM.subarray(i, i + 1));
        if (i % 16 === 0) await sleep(1); // let reads happen between writes
      }
    });
    const ws = connect(s);
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      ws.onmessage = (e) => {
        got.push(summarize(e.data));
        if (got.length === EXPECTED.length) resolve();
      };
    });
    assert.deepEqual(got, EXPECTED);
    ws.terminate();
  });

  it('every split point of the stream (two writes, one read each)', async () => {
    // One connection per split size keeps this O(n): the server writes the stream
    // in pieces of `size` bytes with a pause between, for sizes 1..40 and a few larger.
    const sizes = [...Array.from({ length: 40 }, (_, i) => i + 1), 64, 127, 300, 400];
    for (const size of sizes) {
      const s = await serve(async (c) => {
        c.socket.write(c.accept());
        for (let i = 0; i < STREAM.length; i += size) {
          c.socket.write(STREAM.subarray(i, i + size));
          await sleep(0);
        }
      });
      const ws = connect(s);
      const got: string[] = [];
      await new Promise<void>((resolve) => {
        ws.onmessage = (e) => {
          got.push(summarize(e.data));
          if (got.length === EXPECTED.length) resolve();
        };
      });
      assert.deepEqual(got, EXPECTED, `pieces of ${size}`);
      ws.terminate();
      await next(ws, 'close');
      await s.close();
    }
  });
});

describe('frames: the closing handshake on the wire', () => {
  it('client close sends a masked close frame; the server echo and TCP close make it clean', async () => {
    let conn: RawConnection | undefined;
    const s = await serve((c) => {
      conn = c;
      c.socket.write(c.accept());
    });
    const ws = connect(s);
    await next(ws, 'open');
    ws.close(3001, 'done');
    const bytes = await conn!.waitBytes(2 + 4 + 6);
    const [f] = decodeFrames(bytes);
    assert.equal(f!.opcode, 0x8);
    assert.equal(f!.masked, true);
    assert.equal(f!.payload.readUInt16BE(0), 3001);
    assert.equal(f!.payload.subarray(2).toString(), 'done');
    const closed = next(ws, 'close');
    conn!.socket.end(closeFrame(3001, 'done'));
    const e = await closed;
    assert.deepEqual([e.code, e.reason, e.wasClean], [3001, 'done', true]);
  });

  it('server close: the client echoes the code; a server that waits for our FIN gets it (after a grace, RFC 6455 §7.1.1)', async () => {
    let conn: RawConnection | undefined;
    const ended = new Promise<void>((resolve) => {
      void serve((c) => {
        conn = c;
        c.socket.on('end', resolve);
        c.socket.write(Buffer.concat([c.accept(), closeFrame(1001, 'going away')]));
      }).then((s) => {
        const ws = connect(s);
        wsRef = ws;
      });
    });
    let wsRef: WebSocket | undefined;
    await ended;
    const [echo] = decodeFrames(conn!.received());
    assert.equal(echo!.opcode, 0x8);
    assert.equal(echo!.payload.readUInt16BE(0), 1001);
    const closed = next(wsRef!, 'close');
    conn!.socket.end();
    const e = await closed;
    assert.deepEqual([e.code, e.reason, e.wasClean], [1001, 'going away', true]);
  });

  it('a close frame without a code reports 1005', async () => {
    const s = await serve((c) => c.socket.end(Buffer.concat([c.accept(), closeFrame()])));
    const e = await next(connect(s), 'close');
    assert.equal(e.code, 1005);
    assert.equal(e.wasClean, true);
  });
});

describe('frames: permessage-deflate on the wire', () => {
  it('compresses past the threshold (RSV1), honours send(data, { compress: false }), inflates RSV1 frames', async () => {
    let conn: RawConnection | undefined;
    // 'Hello' compressed with a sync flush, trailing 00 00 ff ff removed (RFC 7692 §7.2.3.1).
    const hello = Buffer.from('f248cdc9c90700', 'hex');
    const s = await serve((c) => {
      conn = c;
      c.socket.write(Buffer.concat([c.accept(['Sec-WebSocket-Extensions: permessage-deflate']), frame(0x1, hello, { rsv: 4 })]));
    });
    const ws = connect(s, { perMessageDeflate: true });
    const first = await next(ws, 'message');
    assert.equal(first.data, 'Hello');
    assert.equal(ws.extensions, 'permessage-deflate');
    const big = 'abc'.repeat(1000);
    ws.send(big);
    ws.send(big, { compress: false });
    ws.send('tiny');
    const bytes = await conn!.waitBytes(3000 + 6 + 4 + 6 + 14);
    const frames = decodeFrames(bytes);
    assert.deepEqual(frames.map((f) => f.rsv), [4, 0, 0], 'RSV1 only on the compressed message');
    assert.ok(frames[0]!.payload.length < 100, 'compressed');
    assert.equal(frames[1]!.payload.toString(), big);
    assert.equal(frames[2]!.payload.toString(), 'tiny');
    ws.terminate();
  });
});

/** Every event of `ws` in order, as short strings, until `close`. */
function eventLog(ws: WebSocket): Promise<string[]> {
  const log: string[] = [];
  return new Promise((resolve) => {
    ws.addEventListener('open', () => log.push('open'));
    ws.addEventListener('message', (e) => log.push(`message ${String(e.data)}`));
    ws.addEventListener('error', (e) => log.push(`error ${(e.error as { code?: string }).code ?? e.message}`));
    ws.addEventListener('close', (e) => {
      log.push(`close ${e.code} ${e.wasClean}`);
      resolve(log);
    });
  });
}

describe('frames: a dropped connection fires close(1006) only, as browsers and ws do', () => {
  it('the server destroys the socket after a message (FIN, no close frame): open, message, close 1006; no error', async () => {
    const s = await serve((c) => {
      c.socket.write(Buffer.concat([c.accept(), frame(0x1, 'bye')]));
      setTimeout(() => c.socket.destroy(), 20);
    });
    const ws = connect(s);
    ws.binaryType = 'arraybuffer';
    assert.deepEqual(await eventLog(ws), ['open', 'message bye', 'close 1006 false']);
  });

  it('the server resets the connection (RST): open, close 1006; no error', async () => {
    const s = await serve((c) => {
      c.socket.write(c.accept());
      setTimeout(() => c.socket.resetAndDestroy(), 20);
    });
    assert.deepEqual(await eventLog(connect(s)), ['open', 'close 1006 false']);
  });

  it('a failed handshake still fires error, then close 1006 (WHATWG "fail the WebSocket connection")', async () => {
    const s = await serve((c) => c.socket.destroy());
    assert.deepEqual(await eventLog(connect(s)), ['error WS_ERR_HANDSHAKE_EOF', 'close 1006 false']);
  });

  it('a protocol violation after open still fires error, then close 1006 (the client failed the connection; close 1002 went on the wire)', async () => {
    const s = await serve((c) => {
      c.socket.write(Buffer.concat([c.accept(), frame(0x3, 'reserved opcode')]));
      c.socket.on('data', () => c.socket.end());
    });
    assert.deepEqual(await eventLog(connect(s, { closeTimeout: 500 })), ['open', 'error WS_ERR_INVALID_OPCODE', 'close 1006 false']);
  });

  it('the Node transport still reports the cause to the resilient client (CloseInfo.error WS_ERR_UNEXPECTED_EOF)', async () => {
    const { nodeTransport } = await import('../../src/transport/node/index.js');
    const s = await serve((c) => {
      c.socket.write(c.accept());
      setTimeout(() => c.socket.destroy(), 20);
    });
    const info = await new Promise<{ code: number; error?: Error }>((resolve) => {
      nodeTransport(s.url('/'), { protocols: [] }, { open: () => {}, message: () => {}, close: resolve });
    });
    assert.equal(info.code, 1006);
    assert.equal((info.error as { code?: string } | undefined)?.code, 'WS_ERR_UNEXPECTED_EOF');
  });
});

describe('frames: abnormal ends', () => {
  it('server closing mid-frame gives 1006, wasClean false, and no message', async () => {
    const s = await serve((c) => {
      const f = frame(0x1, 'never complete');
      c.socket.end(Buffer.concat([c.accept(), f.subarray(0, 6)]));
    });
    const ws = connect(s);
    let messages = 0;
    ws.onmessage = () => messages++;
    const e = await next(ws, 'close');
    assert.deepEqual([e.code, e.wasClean, messages], [1006, false, 0]);
  });

  it('server FIN without a close frame (half-close) gives 1006', async () => {
    const s = await serve((c) => c.socket.end(Buffer.concat([c.accept(), frame(0x1, 'last words')])));
    const ws = connect(s);
    const msg = next(ws, 'message');
    const e = await next(ws, 'close');
    assert.equal((await msg).data, 'last words');
    assert.deepEqual([e.code, e.wasClean], [1006, false]);
  });

  it('a masked server frame fails the connection with 1002 (RFC 6455 §5.1)', async () => {
    let conn: RawConnection | undefined;
    const s = await serve((c) => {
      conn = c;
      c.socket.write(Buffer.concat([c.accept(), frame(0x1, 'masked', { mask: new Uint8Array([1, 2, 3, 4]) })]));
    });
    const ws = connect(s, { closeTimeout: 200 });
    const err = next(ws, 'error');
    const closed = next(ws, 'close');
    assert.equal((await err).error.code, 'WS_ERR_UNEXPECTED_MASK');
    const bytes = await conn!.waitBytes(4);
    const [f] = decodeFrames(bytes);
    assert.equal(f!.opcode, 0x8);
    assert.equal(f!.payload.readUInt16BE(0), 1002);
    const e = await closed;
    // No close frame was read after ours: the event says 1006 (RFC 6455 §7.1.5), as browsers, ws and undici report.
    assert.deepEqual([e.code, e.wasClean], [1006, false]);
  });

  it('invalid UTF-8 in a text message fails with 1007', async () => {
    const s = await serve((c) => c.socket.write(Buffer.concat([c.accept(), frame(0x1, new Uint8Array([0x68, 0xc0, 0xaf]))])));
    const ws = connect(s, { closeTimeout: 100 });
    const err = next(ws, 'error');
    const e = await next(ws, 'close');
    assert.equal((await err).error.code, 'WS_ERR_INVALID_UTF8');
    assert.equal((await err).error.closeCode, 1007);
    assert.equal(e.code, 1006);
  });

  it('a message over maxPayload fails with 1009 before buffering it', async () => {
    const s = await serve((c) => c.socket.write(Buffer.concat([c.accept(), frame(0x2, Buffer.alloc(2000))])));
    const ws = connect(s, { maxPayload: 1000, closeTimeout: 100 });
    const err = next(ws, 'error');
    const e = await next(ws, 'close');
    assert.equal((await err).error.closeCode, 1009);
    assert.equal(e.code, 1006);
  });

  it('close timeout: a server that never answers our close is dropped after closeTimeout (1006)', async () => {
    const s = await serve((c) => c.socket.write(c.accept()));
    const ws = connect(s, { closeTimeout: 150 });
    await next(ws, 'open');
    const t0 = Date.now();
    ws.close(1000);
    const e = await next(ws, 'close');
    assert.ok(Date.now() - t0 >= 140, 'waited for the timer');
    assert.deepEqual([e.code, e.wasClean], [1006, false]);
  });

  it('terminate() drops an open connection at once: 1006, no close frame sent', async () => {
    let conn: RawConnection | undefined;
    const s = await serve((c) => {
      conn = c;
      c.socket.write(c.accept());
    });
    const ws = connect(s);
    await next(ws, 'open');
    const gone = new Promise((r) => conn!.socket.on('close', r));
    ws.terminate();
    assert.equal(ws.readyState, WebSocket.CLOSING);
    const e = await next(ws, 'close');
    await gone;
    assert.deepEqual([e.code, e.wasClean], [1006, false]);
    assert.equal(conn!.received().length, 0);
  });
});
