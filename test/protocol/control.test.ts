// Ping and pong (RFC 6455 §5.5.2, §5.5.3): payload sizes up to the 125-byte
// limit, fragmented control frames, the automatic pong, unsolicited pongs,
// and the application's ping()/pong().
import { describe, it, equal, deepEqual, hex, throws, ok } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, run, Recorder, fixedRandom } from './helpers.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_v, i) => (i * 13 + seed) & 255);

describe('control: ping payload sizes', () => {
  for (const size of [0, 1, 2, 3, 4, 5, 31, 32, 33, 63, 64, 100, 124, 125]) {
    it(`ping of ${size} bytes is reported and answered with an identical masked pong`, () => {
      const payload = bytes(size);
      const r = run(frame(9, payload));
      deepEqual(r.events, [['ping', hex(payload)]]);
      equal(r.rec.written.length, 1);
      const w = r.rec.written[0]!;
      equal(w.opcode, 0xa);
      equal(w.fin, true);
      equal(w.masked, true);
      equal(hex(w.payload), hex(payload));
    });
    it(`pong of ${size} bytes is reported and not answered`, () => {
      const payload = bytes(size, 7);
      const r = run(frame(10, payload));
      deepEqual(r.events, [['pong', hex(payload)]]);
      equal(r.rec.written.length, 0);
    });
  }
  for (const [size, bits] of [
    [126, 16],
    [127, 16],
    [200, 16],
    [65535, 16],
    [65536, 64],
    [126, 64],
  ] as const) {
    for (const opcode of [8, 9, 10]) {
      it(`control opcode ${opcode} with ${size} bytes (${bits}-bit length) fails with 1002 from the header`, () => {
        const f = frame(opcode, bytes(size), { lenBits: bits });
        const r = run(f.subarray(0, bits === 16 ? 4 : 10));
        deepEqual(r.events, [['error', ErrorCodes.CONTROL_TOO_LONG, 1002]]);
        equal(r.closeWritten, 1002);
      });
    }
  }
  it('a 125-byte payload announced with a 16-bit length is refused too (len7 > 125)', () => {
    const r = run(frame(9, bytes(125), { lenBits: 16 }));
    deepEqual(r.events, [['error', ErrorCodes.CONTROL_TOO_LONG, 1002]]);
  });
});

describe('control: fragmented control frames: 1002', () => {
  for (const opcode of [8, 9, 10]) {
    for (const size of [0, 5, 125]) {
      it(`opcode ${opcode}, ${size} bytes, FIN clear`, () => {
        const r = run(concat(frame(9, 'ok'), frame(opcode, bytes(size), { fin: false }), frame(0, 'x')));
        deepEqual(r.events, [
          ['ping', hex(new TextEncoder().encode('ok'))],
          ['error', ErrorCodes.CONTROL_FRAGMENTED, 1002],
        ]);
        equal(r.closeWritten, 1002);
      });
    }
  }
});

describe('control: many pings', () => {
  it('answers 1,000 pings in one read, in order', () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) parts.push(frame(9, bytes(i % 126, i)));
    const r = run(concat(...parts));
    equal(r.events.length, 1000);
    equal(r.rec.written.length, 1000);
    for (let i = 0; i < 1000; i += 37) equal(hex(r.rec.written[i]!.payload), hex(bytes(i % 126, i)));
  });
});

describe('control: ping() and pong() from the application', () => {
  it('ping(payload) writes a masked ping with that payload; default empty', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    p.ping(bytes(10));
    p.ping();
    p.pong(bytes(3));
    deepEqual(
      rec.written.map((w) => [w.opcode, w.fin, w.masked, hex(w.payload)]),
      [
        [9, true, true, hex(bytes(10))],
        [9, true, true, ''],
        [10, true, true, hex(bytes(3))],
      ],
    );
  });
  it('ping/pong with 126 bytes throw RangeError WS_ERR_CONTROL_PAYLOAD_TOO_LONG; 125 is fine', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    throws(() => p.ping(bytes(126)), RangeError);
    throws(() => p.pong(bytes(126)), ErrorCodes.CONTROL_TOO_LONG);
    p.ping(bytes(125));
    equal(rec.written.length, 1);
    ok(p.state === 'open');
  });
});
