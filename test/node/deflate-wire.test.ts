// permessage-deflate end to end against a raw node:net server that writes
// hand-built frames (RFC 7692 §6, §7.2.3 examples): RSV1 only on the first
// frame of a compressed message, uncompressed messages interleaved, control
// frames between fragments, and the close code the client puts on the wire
// for each hostile form (1002 RSV1 misuse, 1007 bad DEFLATE data, 1009 past
// maxPayload after inflation). Also what the client itself sends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { serveRaw, closeCodeSent, frame, decodeFrames, type RawConnection } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';

const RSV1 = 0b100;
const PMD = 'Sec-WebSocket-Extensions: permessage-deflate';
const hello = Buffer.from('f248cdc9c90700', 'hex'); // RFC 7692 §7.2.3.1
const helloAgain = Buffer.from('f200110000', 'hex'); // §7.2.3.2: refers back into the previous message

const serve = serveRaw();

/** Opens a client to a raw server that accepts permessage-deflate and then writes `frames`. */
async function scenario(frames: Buffer[], options: Record<string, unknown> = {}, response = [PMD]) {
  let conn: RawConnection | undefined;
  const s = await serve((c) => {
    conn = c;
    c.socket.write(Buffer.concat([c.accept(response), ...frames]));
  });
  const ws = new WebSocket(s.url('/'), [], { closeTimeout: 200, ...options });
  ws.binaryType = 'nodebuffer';
  const got: unknown[] = [];
  ws.onmessage = (e: { data: unknown }) => got.push(e.data);
  return { ws, got, conn: () => conn! };
}


describe('permessage-deflate on the wire (raw server)', () => {
  it('offers permessage-deflate with a bare client_max_window_bits by default (as browsers and ws do)', async () => {
    const { ws, conn } = await scenario([]);
    await next(ws, 'open');
    assert.equal(conn().headers['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
    assert.equal(ws.extensions, 'permessage-deflate');
    ws.close();
  });

  it('fragmented compressed messages (RSV1 on the first frame only), a ping between fragments, uncompressed messages interleaved, context kept', async () => {
    const { ws, got } = await scenario([
      frame(0x1, hello.subarray(0, 3), { fin: false, rsv: RSV1 }),
      frame(0x9, 'p'),
      frame(0x0, hello.subarray(3, 5), { fin: false }),
      frame(0x0, hello.subarray(5)),
      frame(0x1, 'plain'), // RSV1 clear: not compressed, does not touch the window (§6.1)
      frame(0x2, helloAgain, { rsv: RSV1 }),
      frame(0x1, Buffer.from('00', 'hex'), { rsv: RSV1 }), // an empty compressed message
    ]);
    await next(ws, 'open');
    while (got.length < 4) await next(ws, 'message');
    assert.equal(got[0], 'Hello');
    assert.equal(got[1], 'plain');
    assert.ok(Buffer.isBuffer(got[2]) && (got[2] as Buffer).toString() === 'Hello');
    assert.equal(got[3], '');
    ws.close();
  });

  it('RSV1 on a continuation frame fails with 1002 (RFC 7692 §6.1)', async () => {
    const { ws, conn } = await scenario([frame(0x1, hello.subarray(0, 3), { fin: false, rsv: RSV1 }), frame(0x0, hello.subarray(3), { rsv: RSV1 })]);
    const e = await next(ws, 'close');
    assert.equal(await closeCodeSent(conn()), 1002);
    assert.equal(e.code, 1006, 'the close event: no close frame read after ours (RFC 6455 §7.1.5)');
  });

  it('RSV1 on a control frame (ping) fails with 1002', async () => {
    const { ws, conn } = await scenario([frame(0x9, 'p', { rsv: RSV1 })]);
    await next(ws, 'close');
    assert.equal(await closeCodeSent(conn()), 1002);
  });

  it('RSV1 without an agreed extension fails with 1002', async () => {
    const { ws, conn } = await scenario([frame(0x1, hello, { rsv: RSV1 })], { perMessageDeflate: false }, []);
    await next(ws, 'close');
    assert.equal(await closeCodeSent(conn()), 1002);
  });

  it('invalid DEFLATE data fails with 1007 WS_ERR_INFLATE_FAILED', async () => {
    const { ws, conn } = await scenario([frame(0x1, Buffer.from('ffffff', 'hex'), { rsv: RSV1 })]);
    const err = next(ws, 'error');
    await next(ws, 'close');
    assert.equal((await err).error.code, 'WS_ERR_INFLATE_FAILED');
    assert.equal(await closeCodeSent(conn()), 1007);
  });

  it('a back-reference without context (server_no_context_takeover) fails with 1007', async () => {
    const { ws, conn, got } = await scenario(
      [frame(0x1, hello, { rsv: RSV1 }), frame(0x1, helloAgain, { rsv: RSV1 })],
      {},
      [PMD + '; server_no_context_takeover'],
    );
    await next(ws, 'close');
    assert.deepEqual(got, ['Hello']);
    assert.equal(await closeCodeSent(conn()), 1007);
  });

  it('a 1 KiB frame inflating past maxPayload fails with 1009 WS_ERR_MESSAGE_TOO_BIG', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
    assert.ok(bomb.length < 1100);
    const { ws, conn } = await scenario([frame(0x2, bomb, { rsv: RSV1 })], { maxPayload: 64 * 1024 });
    const err = next(ws, 'error');
    await next(ws, 'close');
    assert.equal((await err).error.code, 'WS_ERR_MESSAGE_TOO_BIG');
    assert.equal(await closeCodeSent(conn()), 1009);
  });

  for (const [name, ext, options] of [
    ['a second permessage-deflate in the response', `${PMD}, permessage-deflate`, {}],
    ['client_max_window_bits we did not offer', `${PMD}; client_max_window_bits=10`, { perMessageDeflate: { clientMaxWindowBits: false } }],
    ['client_max_window_bits above what we offered', `${PMD}; client_max_window_bits=12`, { perMessageDeflate: { clientMaxWindowBits: 11 } }],
    ['an unknown parameter', `${PMD}; foo`, {}],
    ['server_max_window_bits out of range', `${PMD}; server_max_window_bits=16`, {}],
  ] as const) {
    it(`fails the handshake with WS_ERR_HANDSHAKE_EXTENSION: ${name}`, async () => {
      const { ws } = await scenario([], options, [ext]);
      const err = next(ws, 'error');
      const closed = next(ws, 'close');
      assert.equal((await err).error.code, 'WS_ERR_HANDSHAKE_EXTENSION');
      assert.equal((await closed).code, 1006);
    });
  }

  it('what the client sends: RSV1 + raw DEFLATE without the 00 00 FF FF tail; compress:false and under-threshold sends go plain', async () => {
    const { ws, conn } = await scenario([], { perMessageDeflate: { threshold: 100 } });
    await next(ws, 'open');
    const big = JSON.stringify({ hello: 'world', n: [1, 2, 3] }).repeat(10);
    ws.send(big);
    ws.send(big, { compress: false });
    ws.send('tiny');
    ws.send(Buffer.from(big), {});
    const frames = decodeFrames(await conn().waitBytes(4 + 6 + big.length + 6 + 4 + 6));
    assert.equal(frames.length, 4);
    assert.deepEqual(frames.map((f) => [f.opcode, f.rsv, f.masked]), [[1, RSV1, true], [1, 0, true], [1, 0, true], [2, RSV1, true]]);
    const inflater = zlib.createInflateRaw();
    const inflate = (p: Buffer) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const onData = (c: Buffer) => chunks.push(c);
        inflater.on('data', onData);
        inflater.once('error', reject);
        inflater.write(Buffer.concat([p, Buffer.from([0, 0, 0xff, 0xff])]));
        inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          inflater.off('data', onData);
          resolve(Buffer.concat(chunks));
        });
      });
    assert.equal((await inflate(frames[0]!.payload)).toString(), big);
    assert.equal(frames[1]!.payload.toString(), big);
    assert.equal(frames[2]!.payload.toString(), 'tiny');
    // The second compressed message may refer back into the first (context takeover): zlib keeps the window.
    assert.equal((await inflate(frames[3]!.payload)).toString(), big);
    assert.ok(frames[3]!.payload.length < frames[0]!.payload.length, 'context takeover shrank the repeat');
    ws.close();
  });
});
