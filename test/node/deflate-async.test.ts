// Large permessage-deflate messages inflate off the event loop (node:zlib on
// the thread pool, zlib-inflate.ts) while small ones stay synchronous
// (deflate-codec.ts `decodeOrDefer`). Tested with real bytes:
// - the codec against node:zlib (differential): a stream of messages from one
//   zlib deflater with context takeover, crossing every route (fflate, sync
//   zlib, sync zlib stopped at its budget and redone off the loop, off the
//   loop at once, off the loop with the output joined from pieces), each
//   equal to what was compressed, the window carried across routes;
// - the Node transport against a raw server writing hand-built frames: order
//   of messages, pings and the close around a large message; 1009 past
//   maxPayload, 1007 for bad UTF-8 and for bad DEFLATE data, on that route;
//   EOF right after a large message;
// - the Node transport against a real ws server sending large compressed
//   messages among small ones.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { WebSocketServer } from 'ws';
import { MessageInflater } from '../../src/protocol/deflate-codec.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { zlibInflateRaw, zlibInflateRawAsync } from '../../src/transport/node/zlib-inflate.js';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { serveRaw, closeCodeSent, frame, closeFrame, decodeFrames, type RawConnection } from '../support/raw-server.js';
import { next, messages } from '../support/node-ws.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const RSV1 = 0b100;
const PMD = 'Sec-WebSocket-Extensions: permessage-deflate';

/** Deterministic bytes (xorshift32). */
function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Compresses about 7:1 (8 random bytes in every 64): with >= 128 KiB of payload, more output than the route's first guess (4:1). */
function sparse(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  const noise = randomBytes(Math.ceil(n / 8), seed);
  for (let i = 0, j = 0; i < n; i += 64, j += 8) noise.copy(out, i, j, j + Math.min(8, n - i));
  return out;
}

/** ASCII text, compresses about 3:1. */
function textLike(n: number, seed: number): Buffer {
  const r = randomBytes(n, seed);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = 0x61 + (r[i]! % 12) + (i % 97 === 0 ? -0x41 : 0);
  return out;
}

/** One sender with context takeover: each message compressed with a sync flush, 00 00 FF FF stripped (RFC 7692 §7.2.1). */
function sender(noContext = false) {
  let deflater = zlib.createDeflateRaw();
  return async (message: Buffer): Promise<Buffer> => {
    if (noContext) deflater = zlib.createDeflateRaw();
    const parts: Buffer[] = [];
    const onData = (c: Buffer) => parts.push(c);
    deflater.on('data', onData);
    deflater.write(message);
    await new Promise<void>((resolve) => deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    deflater.off('data', onData);
    const all = Buffer.concat(parts);
    assert.deepEqual([...all.subarray(-4)], [0, 0, 0xff, 0xff]);
    return all.subarray(0, all.length - 4);
  };
}

describe('permessage-deflate off the event loop: the codec against node:zlib', () => {
  // [what, plaintext, route]: 'sync' returns bytes, 'async' a promise.
  const stream: [string, Buffer, 'sync' | 'async'][] = [
    ['16 B (fflate)', Buffer.from('{"price":100.25}'), 'sync'],
    ['3 KiB of text (sync zlib)', textLike(3 * KiB, 1), 'sync'],
    ['200 KiB of random bytes: 200 KiB of payload (off the loop at once)', randomBytes(200 * KiB, 2), 'async'],
    ['16 B again, now after the large one (fflate, window from the async output)', Buffer.from('{"price":100.25}'), 'sync'],
    ['600 KiB of text: ~200 KiB payload (off the loop at once)', textLike(600 * KiB, 3), 'async'],
    ['900 KiB of sparse bytes: ~130 KiB payload, within the sync budget', sparse(900 * KiB, 4).subarray(0, 700 * KiB), 'sync'],
    ['3 MiB of zeros: tiny payload, past the 1 MiB sync budget (stopped, redone off the loop)', Buffer.alloc(3 * MiB), 'async'],
    ['6 MiB sparse: ~900 KiB payload, output past the 4:1 guess (joined from pieces)', sparse(6 * MiB, 5), 'async'],
    ['the 3 KiB text again (matches reach back into the window)', textLike(3 * KiB, 1), 'sync'],
  ];

  for (const noContext of [false, true]) {
    it(`every route yields exactly what zlib compressed, in order${noContext ? ' (server_no_context_takeover)' : ', the window carried across routes'}`, async () => {
      const compress = sender(noContext);
      const inflater = new MessageInflater(noContext, zlibInflateRaw);
      for (const [what, plain, route] of stream) {
        const payload = await compress(plain);
        const out = inflater.decodeOrDefer(payload, 100 * MiB, zlibInflateRawAsync);
        assert.equal(out instanceof Promise ? 'async' : 'sync', route, `${what}: route (payload ${payload.length} B)`);
        const bytes = await out;
        assert.equal(bytes.length, plain.length, what);
        assert.ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(plain), `${what}: bytes`);
      }
    });
  }

  it('the limit holds on both routes: past maxLength, 1009 (WS_ERR_MESSAGE_TOO_BIG); the window is left as it was', async () => {
    const compress = sender();
    const inflater = new MessageInflater(false, zlibInflateRaw);
    const first = textLike(40 * KiB, 7);
    assert.ok(Buffer.from(await inflater.decodeOrDefer(await compress(first), 2 * MiB, zlibInflateRawAsync)).equals(first));
    for (const big of [sparse(6 * MiB, 8), Buffer.alloc(3 * MiB)]) {
      const payload = await compress(big);
      const out = inflater.decodeOrDefer(payload, 2 * MiB, zlibInflateRawAsync);
      assert.ok(out instanceof Promise, 'off the loop');
      await assert.rejects(out, (e: { code?: string; closeCode?: number }) => e.code === ErrorCodes.MESSAGE_TOO_BIG && e.closeCode === 1009);
    }
  });

  it('bad DEFLATE data off the loop: WS_ERR_INFLATE_FAILED, 1007', async () => {
    const inflater = new MessageInflater(false, zlibInflateRaw);
    const valid = await sender()(randomBytes(200 * KiB, 9));
    // A block header with BTYPE=11 (reserved, RFC 1951 §3.2.3) after the valid blocks: zlib must fail.
    const payload = Buffer.concat([valid, Buffer.from([0x00, 0x00, 0xff, 0xff, 0x07, 0x00])]);
    const out = inflater.decodeOrDefer(payload, 100 * MiB, zlibInflateRawAsync);
    assert.ok(out instanceof Promise);
    await assert.rejects(out, (e: { code?: string; closeCode?: number }) => e.code === ErrorCodes.INFLATE_FAILED && e.closeCode === 1007);
  });
});

const serve = serveRaw();

/** A client of a raw server that accepts permessage-deflate and writes `bytes` (and ends TCP when `end`). */
async function rawScenario(bytes: Buffer, options: Record<string, unknown> = {}, end = false) {
  let connected: (c: RawConnection) => void = () => {};
  const conn = new Promise<RawConnection>((resolve) => (connected = resolve));
  const server = await serve((c) => {
    connected(c);
    c.socket.write(Buffer.concat([c.accept([PMD]), bytes]));
    if (end) c.socket.end();
  });
  const ws = new WebSocket(server.url('/'), [], { closeTimeout: 2000, ...options });
  ws.binaryType = 'nodebuffer';
  const got: unknown[] = [];
  ws.onmessage = (e: { data: unknown }) => got.push(e.data);
  const closed = next<{ code: number; wasClean: boolean }>(ws, 'close', 20000);
  return { ws, got, closed, conn };
}


/**
 * The client failed the connection: it sent a close frame with `closeCode`,
 * reported an error with `errorCode`, and its close event has `closeCode`.
 */
async function failedWith(
  scenario: { ws: WebSocket; closed: Promise<{ code: number }>; conn: Promise<RawConnection> },
  closeCode: number,
  errorCode: string,
): Promise<void> {
  const errored = next<{ error?: { code?: string; closeCode?: number } }>(scenario.ws, 'error', 20000);
  assert.equal(await closeCodeSent(await scenario.conn), closeCode);
  assert.equal((await errored).error?.code, errorCode);
  assert.equal((await errored).error?.closeCode, closeCode);
  // We failed the connection: no close frame was read after ours, so the close event says 1006 (RFC 6455 §7.1.5).
  assert.equal((await scenario.closed).code, 1006);
}

describe('permessage-deflate off the event loop: the Node transport, real bytes', () => {
  it('a large message keeps its place among small compressed, uncompressed and control frames, and the close', async () => {
    const compress = sender();
    const big = randomBytes(300 * KiB, 11);
    const text = textLike(2 * KiB, 12).toString('latin1');
    const bytes = Buffer.concat([
      frame(0x1, await compress(Buffer.from('before')), { rsv: RSV1 }),
      frame(0x2, await compress(big), { rsv: RSV1 }),
      frame(0x9, 'p1'),
      frame(0x1, await compress(Buffer.from(text)), { rsv: RSV1 }),
      frame(0x1, 'plain'),
      frame(0x1, await compress(Buffer.from('before')), { rsv: RSV1 }), // a back-reference into the window
      closeFrame(1000, 'done'),
    ]);
    const { got, closed, conn } = await rawScenario(bytes);
    const event = await closed;
    assert.equal(event.code, 1000);
    assert.equal(event.wasClean, true);
    assert.equal(got.length, 5);
    assert.equal(got[0], 'before');
    assert.ok(Buffer.isBuffer(got[1]) && (got[1] as Buffer).equals(big), 'large binary message intact');
    assert.equal(got[2], text);
    assert.equal(got[3], 'plain');
    assert.equal(got[4], 'before');
    const frames = decodeFrames((await conn).received());
    assert.deepEqual(frames.map((f) => f.opcode), [0xa, 0x8], 'pong, then the close echo');
    assert.equal(frames[0]!.payload.toString(), 'p1');
  });

  it('past maxPayload after inflating off the loop: close 1009, and nothing after it is delivered', async () => {
    const compress = sender();
    const bytes = Buffer.concat([frame(0x2, await compress(sparse(6 * MiB, 13)), { rsv: RSV1 }), frame(0x1, 'after')]);
    const { ws, got, closed, conn } = await rawScenario(bytes, { maxPayload: 2 * MiB });
    await failedWith({ ws, closed, conn }, 1009, ErrorCodes.MESSAGE_TOO_BIG);
    assert.deepEqual(got, []);
  });

  it('invalid UTF-8 in a large compressed text message: close 1007', async () => {
    const plain = textLike(600 * KiB, 14);
    plain[plain.length - 10] = 0xff; // never valid in UTF-8
    const bytes = frame(0x1, await sender()(plain), { rsv: RSV1 });
    const { ws, got, closed, conn } = await rawScenario(bytes);
    await failedWith({ ws, closed, conn }, 1007, ErrorCodes.INVALID_UTF8);
    assert.deepEqual(got, []);
  });

  it('bad DEFLATE data in a large message: close 1007 (WS_ERR_INFLATE_FAILED)', async () => {
    const valid = await sender()(randomBytes(200 * KiB, 15));
    const bytes = frame(0x2, Buffer.concat([valid, Buffer.from([0x00, 0x00, 0xff, 0xff, 0x07, 0x00])]), { rsv: RSV1 });
    const { ws, closed, conn } = await rawScenario(bytes);
    await failedWith({ ws, closed, conn }, 1007, ErrorCodes.INFLATE_FAILED);
  });

  it('TCP ends right after a large message: the message is delivered first, then close 1006', async () => {
    const big = textLike(800 * KiB, 16);
    const bytes = frame(0x1, await sender()(big), { rsv: RSV1 });
    const { got, closed } = await rawScenario(bytes, {}, true);
    const event = await closed;
    assert.equal(event.code, 1006);
    assert.equal(got.length, 1);
    assert.equal(got[0], big.toString('latin1'));
  });
});

describe('permessage-deflate off the event loop: a real ws server', () => {
  let wss: WebSocketServer | undefined;
  after(() => new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve())));

  it('large compressed messages (text and binary) among small ones arrive intact and in order', async () => {
    const plan: (Buffer | string)[] = [
      'first',
      textLike(3 * MiB, 21).toString('latin1'),
      Buffer.from('small binary'),
      sparse(5 * MiB, 22),
      randomBytes(400 * KiB, 23),
      'last',
    ];
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
    await new Promise<void>((resolve) => wss!.once('listening', () => resolve()));
    wss.on('connection', (socket) => {
      for (const m of plan) socket.send(m, { binary: typeof m !== 'string' });
    });
    const port = (wss.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.binaryType = 'nodebuffer';
    const got = messages(ws, plan.length, 30000);
    await next(ws, 'open');
    assert.equal(ws.extensions, 'permessage-deflate');
    const received = await got;
    for (let i = 0; i < plan.length; i++) {
      const want = plan[i]!;
      if (typeof want === 'string') assert.equal(received[i], want, `message ${i}`);
      else assert.ok(Buffer.isBuffer(received[i]) && (received[i] as Buffer).equals(want), `message ${i}`);
    }
    const done = next(ws, 'close', 15000);
    ws.close();
    await done;
  });
});
