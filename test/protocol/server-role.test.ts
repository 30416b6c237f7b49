// The core's server role (RFC 6455 §5.1, §5.3): client frames must be masked
// and are unmasked in place, whatever the read boundaries (the key phase
// carries across reads); unmasked client frames fail with 1002; everything
// the server writes is unmasked; a server may close with any wire code.
// Frames are built by hand, masked with keys chosen to exercise every byte.
import { describe, it, equal, deepEqual, prng, throwsInput, throws } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { Protocol } from '../../src/protocol/protocol.js';
import type { FrameTrace } from '../../src/protocol/types.js';
import { frame, concat, run, te, closePayload, digest, bytewise, splitAt, Recorder, TracingRecorder, type FrameSpec } from './helpers.js';

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const SERVER = { role: 'server' } as const;

/** A client frame: masked with `key` (default KEY). */
function masked(opcode: number, payload: Uint8Array | string = new Uint8Array(0), spec: FrameSpec = {}): Uint8Array {
  return frame(opcode, payload, { mask: KEY, ...spec });
}

/** A strict UTF-8 check, as the `isUtf8` shortcut must be. */
function strictUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const pattern = (n: number, seed = 3) => Uint8Array.from({ length: n }, (_v, i) => (i * 7 + seed) & 255);

describe('server role: receiving masked client frames (§5.3)', () => {
  it('a masked text message is unmasked and delivered (the RFC §5.7 "Hello" example)', () => {
    // RFC 6455 §5.7: 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 contains "Hello".
    const bytes = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    const { events, closeWritten } = run(bytes, SERVER);
    deepEqual(events, [['message', 'Hello', false]]);
    equal(closeWritten, null);
  });

  for (const size of [0, 1, 3, 125, 126, 65535, 65536, 70_001]) {
    it(`a masked binary frame of ${size} bytes, whole and split at every key phase`, () => {
      const payload = pattern(size);
      const bytes = masked(2, payload);
      // The core unmasks in place: each run gets its own copy.
      deepEqual(run(bytes.slice(), SERVER).events, [['message', digest(payload), true]]);
      if (size > 8) {
        // Cuts at header+1..header+4 put the read boundary at each of the four key phases.
        const start = bytes.length - size;
        const parts = splitAt(bytes, [start + 1, start + 6, start + 11, start + size - 1].filter((c) => c < bytes.length));
        deepEqual(run(parts, SERVER).events, [['message', digest(payload), true]]);
      }
    });
  }

  it('fragments with their own keys, a masked ping in between, byte by byte', () => {
    const stream = concat(
      frame(1, 'héllo ', { mask: new Uint8Array([1, 2, 3, 4]), fin: false }),
      frame(9, 'mid', { mask: new Uint8Array([9, 9, 9, 9]) }),
      frame(0, 'wörld', { mask: new Uint8Array([0xff, 0, 0xff, 0]) }),
    );
    for (const input of [stream.slice(), bytewise(stream.slice())]) {
      const { events, rec } = run(input, SERVER);
      deepEqual(events, [
        ['ping', '6d6964'],
        ['message', 'héllo wörld', false],
      ]);
      // §5.5.2: the pong carries the ping's (unmasked) payload, and a server does not mask it.
      equal(rec.written.length, 1);
      equal(rec.written[0]!.opcode, 10);
      equal(rec.written[0]!.masked, false);
      deepEqual(Array.from(rec.written[0]!.payload), Array.from(te.encode('mid')));
    }
  });

  it('invalid UTF-8 in a masked text frame fails with 1007 before the frame is complete (fail fast)', () => {
    const payload = concat(te.encode('x'.repeat(300)), new Uint8Array([0xc0, 0xaf]), te.encode('y'.repeat(300)));
    const bytes = masked(1, payload);
    // With the JS validator alone, and with a (correct) native shortcut injected.
    for (const options of [SERVER, { ...SERVER, isUtf8: strictUtf8 }]) {
      const rec = new Recorder();
      const p = new Protocol(rec, options);
      // Only the first 320 payload bytes arrive (the header is 4 bytes, the key 4 more): the bad byte is among them.
      p.receive(bytes.subarray(0, 10));
      p.receive(bytes.subarray(10, 8 + 320));
      deepEqual(rec.events, [['error', ErrorCodes.INVALID_UTF8, 1007]]);
      equal(rec.closeWritten(), 1007);
    }
  });

  it('a large masked text frame across reads, with the native UTF-8 shortcut, arrives intact', () => {
    const text = 'ü€👋'.repeat(20_000);
    const bytes = masked(1, text);
    const rnd = prng(7);
    const cuts = Array.from({ length: 25 }, () => Math.floor(rnd() * bytes.length));
    const { events } = run(splitAt(bytes, cuts), { ...SERVER, isUtf8: strictUtf8 });
    deepEqual(events, [['message', text, false]]);
  });

  it('a whole binary message spanning reads is assembled in a buffer from `alloc`, unmasked', () => {
    const payload = pattern(50_000, 11);
    const bytes = masked(2, payload);
    let allocated = 0;
    const owned: boolean[] = [];
    const rec = new Recorder();
    const sink = Object.assign(Object.create(rec) as Recorder, {
      message(data: Uint8Array, binary: boolean, own: boolean) {
        owned.push(own);
        rec.message(data, binary);
      },
    });
    const p = new Protocol(sink, {
      ...SERVER,
      alloc: (n) => {
        allocated += n;
        return new Uint8Array(n);
      },
    });
    for (const part of splitAt(bytes, [100, 20_000, 40_000])) p.receive(part);
    deepEqual(rec.events, [['message', digest(payload), true]]);
    deepEqual(owned, [true]);
    equal(allocated, 50_000);
  });

  it('random streams of masked frames give the same events however they are split (seeded)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) {
        const key = Uint8Array.from({ length: 4 }, () => Math.floor(rnd() * 256));
        const r = rnd();
        if (r < 0.2) parts.push(frame(9, `p${i}`, { mask: key }));
        else if (r < 0.6) parts.push(frame(1, 'é'.repeat(Math.floor(rnd() * 400)), { mask: key }));
        else parts.push(frame(2, pattern(Math.floor(rnd() * 3000), i), { mask: key }));
      }
      parts.push(frame(8, closePayload(1000, 'bye'), { mask: KEY }));
      const stream = concat(...parts);
      const whole = run(stream.slice(), SERVER).events;
      const cuts = Array.from({ length: 30 }, () => Math.floor(rnd() * stream.length));
      deepEqual(run(splitAt(stream.slice(), cuts), SERVER).events, whole, `seed ${seed}`);
      deepEqual(run(bytewise(stream.slice()), SERVER).events, whole, `seed ${seed} byte by byte`);
      deepEqual(whole.at(-1), ['close', 1000, 'bye']);
    }
  });
});

describe('server role: unmasked client frames are refused (§5.1)', () => {
  for (const [name, bytes] of [
    ['a text frame', frame(1, 'hi')],
    ['a ping', frame(9, 'x')],
    ['a close', frame(8, closePayload(1000))],
    ['a continuation after a masked first fragment', concat(masked(1, 'a', { fin: false }), frame(0, 'b'))],
  ] as const) {
    it(`${name}: 1002 WS_ERR_EXPECTED_MASK, an unmasked close frame is written, input after it is ignored`, () => {
      const { events, rec, p } = run(concat(bytes, masked(1, 'after')), SERVER);
      deepEqual(events, [['error', ErrorCodes.UNMASKED_FRAME, 1002]]);
      equal(rec.closeWritten(), 1002);
      equal(rec.written.at(-1)!.masked, false);
      equal(p.state, 'closed');
    });
  }

  it('the client role still refuses masked frames from a server (WS_ERR_UNEXPECTED_MASK)', () => {
    deepEqual(run(masked(1, 'hi')).events, [['error', ErrorCodes.MASKED_FRAME, 1002]]);
  });

  it('the header check runs before the mask key is needed: two bytes of an unmasked frame are enough', () => {
    const { events } = run(frame(2, pattern(10)).subarray(0, 2), SERVER);
    deepEqual(events, [['error', ErrorCodes.UNMASKED_FRAME, 1002]]);
  });

  it('unmasks in place: the payload bytes of the chunk given to receive() are plain afterwards', () => {
    const bytes = masked(2, pattern(40));
    run(bytes, SERVER);
    deepEqual(Array.from(bytes.subarray(6)), Array.from(pattern(40)));
  });

  it('a masked header waits for its key: nothing happens until the key bytes arrive', () => {
    const bytes = masked(1, 'ok');
    const rec = new Recorder();
    const p = new Protocol(rec, SERVER);
    p.receive(bytes.subarray(0, 5));
    deepEqual(rec.events, []);
    p.receive(bytes.subarray(5));
    deepEqual(rec.events, [['message', 'ok', false]]);
  });
});

describe('server role: what the server writes is unmasked', () => {
  const written = (fn: (p: Protocol) => void) => {
    const rec = new Recorder();
    const p = new Protocol(rec, SERVER);
    fn(p);
    return rec.written;
  };

  for (const size of [0, 5, 125, 126, 65535, 65536, 100_000]) {
    it(`text and binary messages of ${size} bytes, with the length encoding §5.2 asks for`, () => {
      const text = 'a'.repeat(size);
      const [t, b] = written((p) => {
        p.send(text, false);
        p.send(pattern(size), true);
      });
      for (const w of [t!, b!]) {
        equal(w.masked, false);
        equal(w.fin, true);
        equal(w.raw.length, (size < 126 ? 2 : size < 65536 ? 4 : 10) + size);
      }
      equal(t!.opcode, 1);
      equal(new TextDecoder().decode(t!.payload), text);
      equal(b!.opcode, 2);
      equal(digest(b!.payload), digest(pattern(size)));
    });
  }

  it('non-ASCII text is encoded as UTF-8 (short strings and strings past the direct-encoding size)', () => {
    for (const text of ['héllo 👋', 'ü'.repeat(20_000)]) {
      const [w] = written((p) => p.send(text, false));
      equal(new TextDecoder().decode(w!.payload), text);
      equal(w!.masked, false);
    }
  });

  it('ping, pong and close are unmasked; a server may close with 1001, 1011, 1012, 1013', () => {
    const frames = written((p) => {
      p.ping(te.encode('hb'));
      p.pong();
      p.close(1012, 'restarting');
    });
    deepEqual(
      frames.map((w) => [w.opcode, w.masked]),
      [
        [9, false],
        [10, false],
        [8, false],
      ],
    );
    deepEqual(Array.from(frames[2]!.payload), Array.from(closePayload(1012, 'restarting')));
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1013, 1014, 3000, 4999]) {
      const [c] = written((p) => p.close(code));
      equal((c!.payload[0]! << 8) | c!.payload[1]!, code);
    }
  });

  it('a server close with a code that cannot go on the wire is a RangeError (WS_ERR_INVALID_CLOSE_CODE); a long reason too', () => {
    for (const code of [999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5]) {
      throwsInput(() => new Protocol(new Recorder(), SERVER).close(code), 'RangeError', ErrorCodes.INVALID_CLOSE_CODE);
    }
    throwsInput(() => new Protocol(new Recorder(), SERVER).close(1000, 'x'.repeat(124)), 'RangeError', ErrorCodes.CLOSE_REASON_TOO_LONG);
    // The client role keeps the browsers' rule (1000 or 3000-4999).
    throwsInput(() => new Protocol(new Recorder()).close(1012), 'InvalidAccessError', ErrorCodes.INVALID_CLOSE_CODE);
  });

  it('a received close is echoed unmasked with its code and reason (§5.5.1)', () => {
    const { events, rec } = run(masked(8, closePayload(1001, 'away')), SERVER);
    deepEqual(events, [['close', 1001, 'away']]);
    equal(rec.closeWritten(), 1001);
    equal(rec.written[0]!.masked, false);
    deepEqual(Array.from(rec.written[0]!.payload), Array.from(closePayload(1001, 'away')));
    // The client role echoes the code alone.
    const client = run(frame(8, closePayload(1001, 'away')));
    deepEqual(Array.from(client.rec.written[0]!.payload), [0x03, 0xe9]);
  });

  it('an unknown role is a TypeError', () => {
    throws(() => new Protocol(new Recorder(), { role: 'proxy' as 'server' }), TypeError);
  });
});

describe('server role: the trace hook', () => {
  it('reports incoming frames as masked and outgoing ones as unmasked, with payload lengths', () => {
    const rec = new TracingRecorder();
    const p = new Protocol(rec, SERVER);
    p.receive(masked(1, 'x'.repeat(300)));
    p.send('y'.repeat(70_000), false);
    const pick = (t: FrameTrace) => [t.direction, t.opcode, t.masked, t.length];
    deepEqual(rec.traces.map(pick), [
      ['in', 1, true, 300],
      ['out', 1, false, 70_000],
    ]);
    // The client role: the mirror image.
    const crec = new TracingRecorder();
    const c = new Protocol(crec, { random: (b) => b.fill(1) });
    c.receive(frame(1, 'z'.repeat(200)));
    c.send('w'.repeat(130), false);
    deepEqual(crec.traces.map(pick), [
      ['in', 1, false, 200],
      ['out', 1, true, 130],
    ]);
  });
});
