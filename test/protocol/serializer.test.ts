// Outgoing frames (RFC 6455 §5.2, §5.3): every client frame masked with a
// fresh key from the pooled random source, header length encodings, text
// encoded straight into the frame, word-at-a-time masking equal to the
// byte-wise definition at every alignment, and the trace hook.
import { describe, it, equal, deepEqual, hex, ok, throws } from '../support/harness.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { maskInPlace, MaskKeyPool, defaultRandom, sharedMaskKeyPool } from '../../src/protocol/mask.js';
import { encodeFrame, encodeTextFrame } from '../../src/protocol/frame.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { Recorder, TracingRecorder, fixedRandom, decodeClientFrame, te, td, frame, closePayload } from './helpers.js';
import { seededRandom, prng } from '../support/harness.js';

const lenField = (raw: Uint8Array) => raw[1]! & 0x7f;

describe('serializer: data frames', () => {
  for (const size of [0, 1, 3, 4, 5, 63, 64, 65, 125, 126, 127, 65535, 65536, 70000]) {
    it(`binary ${size} bytes: one masked frame, minimal length encoding, payload intact`, () => {
      const rec = new Recorder();
      const p = new Protocol(rec, { random: seededRandom(size) });
      const data = Uint8Array.from({ length: size }, (_v, i) => (i * 11 + 5) & 255);
      const copy = data.slice();
      p.send(data, true);
      equal(rec.written.length, 1);
      const w = rec.written[0]!;
      deepEqual([w.fin, w.rsv, w.opcode, w.masked], [true, 0, 2, true]);
      equal(lenField(w.raw), size < 126 ? size : size < 65536 ? 126 : 127);
      equal(hex(w.payload), hex(data));
      equal(hex(data), hex(copy), 'caller buffer untouched');
    });
    it(`text ${size} characters (ASCII): encoded into the frame`, () => {
      const rec = new Recorder();
      const s = 'abcdefghij'.repeat(Math.ceil(size / 10)).slice(0, size);
      new Protocol(rec, { random: seededRandom(size + 1) }).send(s, false);
      const w = rec.written[0]!;
      equal(w.opcode, 1);
      equal(lenField(w.raw), size < 126 ? size : size < 65536 ? 126 : 127);
      equal(td.decode(w.payload), s);
    });
  }
  const texts = ['é', '€', '👋', 'mixed ü € 👋 text', '\ud800 lone surrogate', 'ü'.repeat(20000), '€'.repeat(30000) + 'x', 'a'.repeat(20000) + '€'];
  for (const s of texts) {
    it(`text ${JSON.stringify(s.slice(0, 20))}${s.length > 20 ? '…' : ''} (${s.length} units) round-trips as UTF-8`, () => {
      const rec = new Recorder();
      new Protocol(rec, { random: fixedRandom }).send(s, false);
      const w = rec.written[0]!;
      equal(hex(w.payload), hex(te.encode(s)));
    });
  }
  it('a string sent as binary is UTF-8 in a binary frame', () => {
    const rec = new Recorder();
    new Protocol(rec, { random: fixedRandom }).send('hé', true);
    deepEqual([rec.written[0]!.opcode, hex(rec.written[0]!.payload)], [2, hex(te.encode('hé'))]);
  });
  it('encodeTextFrame and encodeFrame agree byte for byte with the same key', () => {
    for (const s of ['', 'x', 'héllo', 'a'.repeat(300), '€'.repeat(70000)]) {
      const a = encodeTextFrame(0x81, s, new MaskKeyPool(fixedRandom));
      const b = encodeFrame(0x81, te.encode(s), new MaskKeyPool(fixedRandom));
      equal(hex(a), hex(b));
    }
  });
});

describe('serializer: mask keys from the pool', () => {
  it('successive frames use successive 4-byte keys, and the source is called once per 8 KiB', () => {
    let calls = 0;
    const src = seededRandom(99);
    const random = (b: Uint8Array) => {
      calls++;
      src(b);
    };
    const rec = new Recorder();
    const p = new Protocol(rec, { random });
    equal(calls, 0, 'lazy');
    for (let i = 0; i < 2048; i++) p.send(new Uint8Array([i & 255]), true);
    equal(calls, 1);
    p.send(new Uint8Array(1), true);
    equal(calls, 2);
    const ref = new Uint8Array(8192);
    seededRandom(99)(ref);
    for (let i = 0; i < 2048; i += 97) equal(hex(rec.written[i]!.key), hex(ref.subarray(i * 4, i * 4 + 4)));
    const keys = new Set(rec.written.slice(0, 2048).map((w) => hex(w.key)));
    ok(keys.size > 2000, 'keys differ');
  });
  it('without a random option, globalThis.crypto.getRandomValues is used, through one pool shared by all connections', () => {
    // Engines without the Web Crypto global (Node 18 in modules) get a stand-in for this test, so
    // the lookup itself is what is tested. The shared pool keeps the source it resolved.
    const g = globalThis as { crypto?: { getRandomValues?: unknown } };
    const standIn = typeof g.crypto?.getRandomValues !== 'function';
    if (standIn) g.crypto = { getRandomValues: (b: Uint8Array) => (seededRandom(7)(b), b) };
    try {
      const rec = new Recorder();
      const p = new Protocol(rec);
      p.send('x', false);
      p.send('y', false);
      ok(hex(rec.written[0]!.key) !== hex(rec.written[1]!.key));
      equal(td.decode(rec.written[1]!.payload), 'y');
      // A second connection continues the same pool: its key is the next 4 bytes, not a repeat.
      const rec2 = new Recorder();
      new Protocol(rec2).send('z', false);
      ok(hex(rec2.written[0]!.key) !== hex(rec.written[1]!.key));
      equal(sharedMaskKeyPool(), sharedMaskKeyPool());
    } finally {
      if (standIn) delete g.crypto;
    }
  });
  it('a missing crypto gives WS_ERR_NO_RANDOM_SOURCE', () => {
    const g = globalThis as { crypto?: unknown };
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    if (desc !== undefined && !desc.configurable) {
      // Some engines pin `crypto`; then the default source is at least present.
      ok(typeof defaultRandom() === 'function');
      return;
    }
    // Absent already (Node 18 in modules), or made absent here.
    if (desc !== undefined) Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true, writable: true });
    try {
      throws(() => defaultRandom(), ErrorCodes.NO_RANDOM_SOURCE);
      // A pool that has not resolved its source yet fails on its first key.
      throws(() => new MaskKeyPool().next(new Uint8Array(4), 0), ErrorCodes.NO_RANDOM_SOURCE);
    } finally {
      if (desc !== undefined) Object.defineProperty(globalThis, 'crypto', desc);
    }
    ok(desc === undefined || g.crypto);
  });
});

describe('serializer: maskInPlace', () => {
  const naive = (b: Uint8Array, start: number, end: number, key: Uint8Array) => {
    for (let i = start; i < end; i++) b[i] = b[i]! ^ key[(i - start) & 3]!;
  };
  it('equals the byte-wise definition at every offset 0..7 and many lengths, and is an involution', () => {
    const rnd = prng(5);
    const backing = new Uint8Array(2000);
    for (let off = 0; off < 8; off++) {
      for (const len of [0, 1, 2, 3, 4, 5, 7, 8, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 1500]) {
        const buf = backing.subarray(off, off + 8 + len + 8);
        for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
        const key = Uint8Array.from({ length: 4 }, () => Math.floor(rnd() * 256));
        const start = (off * 3) % 8;
        const a = buf.slice();
        naive(a, start, start + len, key);
        const orig = buf.slice();
        maskInPlace(buf, start, start + len, key);
        equal(hex(buf), hex(a), `off ${off} len ${len}`);
        maskInPlace(buf, start, start + len, key);
        equal(hex(buf), hex(orig));
      }
    }
  });
  it('reads the key at an offset', () => {
    const key = Uint8Array.from([9, 9, 1, 2, 3, 4]);
    const b = new Uint8Array(100);
    maskInPlace(b, 0, 100, key, 2);
    deepEqual(Array.from(b.subarray(0, 8)), [1, 2, 3, 4, 1, 2, 3, 4]);
  });
});

describe('serializer: trace hook', () => {
  it('reports every frame in and out with its header facts', () => {
    const rec = new TracingRecorder();
    const p = new Protocol(rec, { random: fixedRandom });
    p.send('hi', false);
    p.receive(frame(1, 'a', { fin: false }));
    p.receive(frame(9, 'pp'));
    p.receive(frame(0, 'b'.repeat(200)));
    p.receive(frame(8, closePayload(1000)));
    deepEqual(
      rec.traces.map((t) => [t.direction, t.opcode, t.fin, t.masked, t.length, t.rsv1, t.compressed]),
      [
        ['out', 1, true, true, 2, false, false],
        ['in', 1, false, false, 1, false, false],
        ['in', 9, true, false, 2, false, false],
        ['out', 10, true, true, 2, false, false],
        ['in', 0, true, false, 200, false, false],
        ['in', 8, true, false, 2, false, false],
        ['out', 8, true, true, 2, false, false],
      ],
    );
  });
  it('decodeClientFrame (test helper) rejects trailing bytes', () => {
    throws(() => decodeClientFrame(new Uint8Array([0x81, 0x80, 0, 0, 0, 0, 1])));
  });
});
