// Differential test of the permessage-deflate codec against node:zlib
// (RFC 7692 §7.2): what zlib compresses (sync flush, trailing 00 00 FF FF
// removed, with and without context takeover, every window size 8..15) we
// inflate byte-exactly, and everything we compress inflates in zlib (a
// persistent raw inflater when context is kept, with the window size the
// server imposed, so a match reaching too far back is caught by zlib).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { PerMessageDeflate, type PerMessageDeflateParams } from '../../src/protocol/permessage-deflate.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { prng } from '../support/harness.js';
import { zlibDeflateRaw, zlibInflateRaw } from '../../src/transport/node/zlib-inflate.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MiB = 1 << 20;

const WORDS = 'the quick brown fox jumps over lazy dog socket frame window inflate deflate message ping pong close lifeline'.split(' ');
const SIZES = [0, 1, 2, 3, 15, 16, 17, 100, 255, 256, 1000, 1023, 1024, 1025, 4095, 4096, 8191, 16383, 16384, 16385, 24576, 32767, 32768, 32769, 65535, 65536, 65537];

/** A deterministic message of `n` bytes and kind `k`: text, JSON-like, random binary, runs. */
function message(rnd: () => number, k: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  switch (k % 4) {
    case 0: {
      let i = 0;
      while (i < n) i += b.write(WORDS[(rnd() * WORDS.length) | 0]! + (rnd() < 0.1 ? '. ' : ' '), i);
      break;
    }
    case 1: {
      let s = '';
      while (s.length < n) {
        s += JSON.stringify({ id: (rnd() * 1e6) | 0, type: ['trade', 'quote', 'book'][(rnd() * 3) | 0], px: Math.round(rnd() * 1e5) / 100, ok: rnd() < 0.5 }) + ',';
      }
      b.write(s.slice(0, n), 'latin1');
      break;
    }
    case 2:
      for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
      break;
    default:
      for (let i = 0; i < n; i++) b[i] = rnd() < 0.02 ? (rnd() * 256) | 0 : 0x41 + (i >> 10) % 3;
  }
  return b;
}

function sizeAt(rnd: () => number, i: number): number {
  // Half the messages at boundary sizes, the rest small (the common case).
  return i % 2 === 0 ? SIZES[(i >> 1) % SIZES.length]! : (rnd() * 300) | 0;
}

function params(p: Partial<PerMessageDeflateParams>): PerMessageDeflateParams {
  return { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...p };
}

/** A zlib raw deflater kept across messages: each message ends in a sync flush. */
function zlibSender(windowBits: number, level: number): (m: Buffer) => Promise<Buffer> {
  const d = zlib.createDeflateRaw({ windowBits, level, memLevel: 8 });
  let chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  return (m) =>
    new Promise((resolve, reject) => {
      chunks = [];
      d.write(m);
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const out = Buffer.concat(chunks);
        if (!out.subarray(-4).equals(TAIL)) reject(new Error('zlib output does not end in 00 00 FF FF'));
        else resolve(out.subarray(0, -4));
      });
    });
}

/** A zlib raw inflater kept across messages (context takeover on our side). */
function zlibReceiver(windowBits: number): (p: Uint8Array) => Promise<Buffer> {
  const z = zlib.createInflateRaw({ windowBits });
  let chunks: Buffer[] = [];
  let error: Error | undefined;
  z.on('data', (c: Buffer) => chunks.push(c));
  z.on('error', (e: Error) => (error = e));
  return (p) =>
    new Promise((resolve, reject) => {
      chunks = [];
      z.write(p);
      z.write(TAIL);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => (error ? reject(error) : resolve(Buffer.concat(chunks))));
    });
}

for (const [backend, platform] of [
  ['fflate', {}],
  ['fflate + node:zlib for payloads >= 2 KiB (Node transport)', { inflateRaw: zlibInflateRaw }],
] as const) describe(`zlib -> lifeline (${backend}): we inflate what zlib compresses`, () => {
  let total = 0;
  for (let bits = 8; bits <= 15; bits++) {
    for (const ctx of [true, false]) {
      const level = [1, 6, 9][bits % 3]!;
      it(`server_max_window_bits=${bits}, ${ctx ? 'context takeover' : 'server_no_context_takeover'}, zlib level ${level}: 100 messages byte-exact`, async () => {
        const rnd = prng(bits * 2 + (ctx ? 1 : 0));
        const rx = new PerMessageDeflate(params({ serverNoContextTakeover: !ctx, serverMaxWindowBits: bits }), {}, platform);
        const send = ctx ? zlibSender(bits, level) : undefined;
        for (let i = 0; i < 100; i++) {
          const m = message(rnd, i, sizeAt(rnd, i));
          const wire = send
            ? await send(m)
            : zlib.deflateRawSync(m, { windowBits: bits, level, finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
          const out = rx.decode(wire, 100 * MiB);
          assert.ok(Buffer.from(out.buffer, out.byteOffset, out.length).equals(m), `message ${i} (${m.length} bytes, kind ${i % 4})`);
          total++;
        }
      });
    }
  }
  it('a final block (BFINAL=1, RFC 7692 §7.2.3.4) per message also inflates', () => {
    const rnd = prng(99);
    const rx = new PerMessageDeflate(params({ serverNoContextTakeover: true }), {}, platform);
    for (let i = 0; i < 100; i++) {
      const m = message(rnd, i, sizeAt(rnd, i));
      const out = rx.decode(zlib.deflateRawSync(m), 100 * MiB);
      assert.ok(Buffer.from(out).equals(m), `message ${i}`);
    }
  });
  it('1 MiB boundary: 1 MiB - 1 and 1 MiB pass a 1 MiB limit, 1 MiB + 1 is 1009, interleaved with context kept', async () => {
    const rnd = prng(5);
    for (const [bits, ctx] of [[15, true], [9, false]] as const) {
      const rx = new PerMessageDeflate(params({ serverNoContextTakeover: !ctx, serverMaxWindowBits: bits }), {}, platform);
      const send = zlibSender(bits, 6);
      for (const [k, n] of [[1, MiB - 1], [0, MiB], [2, MiB], [3, 16]] as const) {
        const m = message(rnd, k, n);
        const wire = ctx ? await send(m) : zlib.deflateRawSync(m, { windowBits: bits, finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
        assert.ok(Buffer.from(rx.decode(wire, MiB)).equals(m), `${n} bytes kind ${k}`);
      }
      const over = message(rnd, 1, MiB + 1);
      const wire = ctx ? await send(over) : zlib.deflateRawSync(over, { windowBits: bits, finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
      assert.throws(() => rx.decode(wire, MiB), (e: { code?: string; closeCode?: number }) => e.code === ErrorCodes.MESSAGE_TOO_BIG && e.closeCode === 1009);
    }
  });
  it('corrupt data fails with 1007, as with fflate', () => {
    const rx = new PerMessageDeflate(params({}), {}, platform);
    const junk = Buffer.alloc(4096, 0xff);
    assert.throws(() => rx.decode(junk, MiB), (e: { code?: string; closeCode?: number }) => e.code === ErrorCodes.INFLATE_FAILED && e.closeCode === 1007);
  });
  it('covered thousands of messages', () => {
    assert.ok(total >= 1600, `only ${total}`);
  });
});

for (const [backend, platform] of [
  ['fflate', {}],
  ['node:zlib per message (Node transport)', { deflateRaw: zlibDeflateRaw }],
] as const) describe(`lifeline (${backend}) -> zlib: zlib inflates everything we compress`, () => {
  let total = 0;
  const configs: Array<{ history: number; bits: number; level: number }> = [];
  for (const history of [0, 1024, 4096, 32768]) {
    for (let bits = 8; bits <= 15; bits++) configs.push({ history, bits, level: [1, 6, 9][(bits + history) % 3]! });
  }
  configs.push({ history: 4096, bits: 15, level: 0 }, { history: 0, bits: 12, level: 0 });
  for (const { history, bits, level } of configs) {
    const ctx = history > 0;
    it(`historySize ${history} (${ctx ? 'context takeover' : 'client_no_context_takeover'}), client_max_window_bits=${bits}, level ${level}: 90 messages`, async () => {
      const rnd = prng(history + bits * 7 + level);
      const tx = new PerMessageDeflate(params({ clientNoContextTakeover: !ctx, clientMaxWindowBits: bits }), { threshold: 0, historySize: history, level }, platform);
      const recv = ctx ? zlibReceiver(bits) : undefined;
      let compressed = 0;
      for (let i = 0; i < 90; i++) {
        const m = message(rnd, i, sizeAt(rnd, i));
        const wire = tx.encode(m, i % 11 === 5 ? false : undefined);
        if (wire === null) continue; // sent as is: not part of either window
        compressed++;
        const out = recv ? await recv(wire) : zlib.inflateRawSync(Buffer.concat([wire, TAIL]), { windowBits: bits, finishFlush: zlib.constants.Z_SYNC_FLUSH });
        assert.ok(out.equals(m), `message ${i} (${m.length} bytes, kind ${i % 4})`);
        total++;
      }
      assert.ok(compressed >= 80, `only ${compressed} of 90 were compressed`);
    });
  }
  it('1 MiB messages (many single-block segments) with context, window 15 and 10', async () => {
    const rnd = prng(11);
    for (const bits of [15, 10]) {
      const tx = new PerMessageDeflate(params({ clientMaxWindowBits: bits }), { threshold: 0, historySize: 4096 }, platform);
      const recv = zlibReceiver(bits);
      for (const [k, n] of [[1, MiB], [0, MiB + 1], [2, 16], [3, MiB - 1]] as const) {
        const m = message(rnd, k, n);
        const wire = tx.encode(m, undefined);
        assert.ok(wire, `${n} bytes kind ${k} compressed`);
        assert.ok((await recv(wire)).equals(m), `${n} bytes kind ${k}`);
        total++;
      }
    }
  });
  it('covered thousands of messages', () => {
    assert.ok(total >= 2500, `only ${total}`);
  });
});
