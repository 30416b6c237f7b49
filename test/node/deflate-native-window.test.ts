/**
 * The native compressor route of `MessageDeflater` (node:zlib through
 * `zlibDeflateRaw`), which compresses every message when a transport
 * supplies it (the Node transport does): at a window the server reduced
 * (client_max_window_bits < 15, RFC 7692 §7.1.2.2) every message must
 * inflate with zlib at exactly that window (8 included: distances ≤ 256),
 * with the previous messages as the window under context takeover; a native
 * failure or a stream without the sync-flush tail sends the message
 * uncompressed; at 15 bits too, one native call per message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { MessageDeflater, type NativeDeflate } from '../../src/protocol/deflate-codec.js';
import { zlibDeflateRaw } from '../../src/transport/node/zlib-inflate.js';

function sample(n: number, seed: number): Buffer {
  let s = '';
  let i = seed;
  while (s.length < n) {
    i = (i * 1103515245 + 12345) >>> 0;
    s += `{"k":${i % 977},"v":"w${i % 31}"},`;
  }
  return Buffer.from(s.slice(0, n));
}

function inflate(payload: Uint8Array, bits: number, dict: Buffer | undefined): Buffer {
  const o: zlib.ZlibOptions = { windowBits: bits, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (dict !== undefined && dict.length > 0) o.dictionary = dict;
  return zlib.inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), o);
}

describe('MessageDeflater: native route for reduced windows', () => {
  for (const bits of [8, 9, 11, 14]) {
    for (const historySize of [0, 4096]) {
      it(`client_max_window_bits=${bits}, history ${historySize}: zlib inflates every message at that window`, () => {
        let calls = 0;
        const counting: NativeDeflate = (...a) => (calls++, zlibDeflateRaw(...a));
        const d = new MessageDeflater({ level: 6, historySize, windowBits: bits, native: counting });
        let hist = Buffer.alloc(0);
        for (const [k, n] of [1000, 70000, 300, 131072, 5].entries()) {
          const msg = sample(n, k + 1);
          const z = d.compress(msg);
          assert.ok(z !== null);
          const got = inflate(z, bits, historySize > 0 ? hist : undefined);
          assert.ok(got.equals(msg), `message ${k} round trip`);
          hist = Buffer.concat([hist, msg]).subarray(-(1 << bits));
        }
        assert.equal(calls, 5, 'one native call per message');
      });
    }
  }

  it('a native error or a stream without the sync-flush tail goes out uncompressed and leaves the history alone', () => {
    let mode: 'throw' | 'tail' | 'ok' = 'throw';
    const flaky: NativeDeflate = (data, dict, bits, level) => {
      if (mode === 'throw') throw new Error('boom');
      const out = zlibDeflateRaw(data, dict, bits, level)!;
      return mode === 'tail' ? out.subarray(0, out.length - 1) : out;
    };
    const d = new MessageDeflater({ level: 6, historySize: 4096, windowBits: 10, native: flaky });
    const a = sample(2000, 1);
    assert.equal(d.compress(a), null);
    mode = 'tail';
    assert.equal(d.compress(a), null);
    mode = 'ok';
    const z = d.compress(a)!;
    // No history yet: the failed sends were not remembered (RFC 7692 §6.1, uncompressed messages).
    assert.ok(inflate(z, 10, undefined).equals(a));
  });

  it('at 15 bits too: one native call per message, each inflating with the messages before it as the window', () => {
    let calls = 0;
    const d = new MessageDeflater({ level: 6, historySize: 4096, windowBits: 15, native: (...a) => (calls++, zlibDeflateRaw(...a)) });
    let hist = Buffer.alloc(0);
    for (const [k, n] of [5000, 1024, 70000, 16].entries()) {
      const msg = sample(n, k + 3);
      assert.ok(inflate(d.compress(msg)!, 15, hist).equals(msg), `message ${k}`);
      hist = Buffer.concat([hist, msg]).subarray(-4096);
    }
    assert.equal(calls, 4);
  });
});
