// Limits (RFC 6455 §10.4, §7.4.1 code 1009): maxPayload and maxFrameSize
// enforced from the header, before the payload is buffered.
import { describe, it, equal, deepEqual, throws } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { Protocol, DEFAULT_MAX_PAYLOAD } from '../../src/protocol/protocol.js';
import { frame, concat, run, Recorder } from './helpers.js';

const zeros = (n: number) => new Uint8Array(n);

describe('limits: maxPayload', () => {
  for (const limit of [1, 125, 126, 1000, 65536, 70000]) {
    it(`maxPayload ${limit}: a message of exactly ${limit} bytes passes`, () => {
      const r = run(frame(2, zeros(limit)), { maxPayload: limit });
      equal(r.events.length, 1);
      equal(r.events[0]![0], 'message');
    });
    it(`maxPayload ${limit}: ${limit + 1} bytes fail with 1009 from the header alone`, () => {
      const f = frame(2, zeros(limit + 1));
      const hdr = limit + 1 < 126 ? 2 : limit + 1 < 65536 ? 4 : 10;
      const r = run(f.subarray(0, hdr), { maxPayload: limit });
      deepEqual(r.events, [['error', ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
      equal(r.closeWritten, 1009);
    });
    it(`maxPayload ${limit}: fragments adding up to ${limit + 1} fail at the fragment that crosses`, () => {
      const a = Math.ceil(limit / 2);
      const stream = concat(frame(2, zeros(a), { fin: false }), frame(0, zeros(limit - a), { fin: false }), frame(0, zeros(1)));
      const r = run(stream, { maxPayload: limit });
      deepEqual(r.events, [['error', ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
      // Up to the limit in fragments is fine.
      const ok = run(concat(frame(2, zeros(a), { fin: false }), frame(0, zeros(limit - a))), { maxPayload: limit });
      equal(ok.events.length, 1);
    });
  }
  it('control frames are not counted against maxPayload', () => {
    const r = run(concat(frame(2, zeros(3), { fin: false }), frame(9, zeros(100)), frame(0, zeros(1))), { maxPayload: 4 });
    equal(r.events.length, 2);
    equal(r.events[1]![0], 'message');
  });
  it('a message at the limit after a large one resets the count', () => {
    const r = run(concat(frame(2, zeros(10)), frame(2, zeros(10))), { maxPayload: 10 });
    equal(r.events.length, 2);
  });
  it('default is 100 MiB: 100 MiB + 1 announced fails, 100 MiB announced waits for bytes', () => {
    equal(DEFAULT_MAX_PAYLOAD, 100 * 1024 * 1024);
    const over = frame(2, zeros(0), { lenBits: 64 });
    const hdr = (n: number) => {
      const h = over.slice(0, 10);
      h[6] = (n >>> 24) & 255;
      h[7] = (n >>> 16) & 255;
      h[8] = (n >>> 8) & 255;
      h[9] = n & 255;
      return h;
    };
    deepEqual(run(hdr(DEFAULT_MAX_PAYLOAD + 1)).events, [['error', ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
    deepEqual(run(hdr(DEFAULT_MAX_PAYLOAD)).events, []);
  });
});

describe('limits: maxFrameSize', () => {
  it('a frame over maxFrameSize fails with 1009 even when the message limit allows it', () => {
    const r = run(frame(2, zeros(101)).subarray(0, 2), { maxPayload: 1000, maxFrameSize: 100 });
    deepEqual(r.events, [['error', ErrorCodes.FRAME_TOO_BIG, 1009]]);
    equal(r.closeWritten, 1009);
  });
  it('many frames each within maxFrameSize make a larger message', () => {
    const stream = concat(...Array.from({ length: 10 }, (_v, i) => frame(i === 0 ? 2 : 0, zeros(100), { fin: i === 9 })));
    const r = run(stream, { maxPayload: 1000, maxFrameSize: 100 });
    equal(r.events.length, 1);
    equal(r.events[0]![0], 'message');
  });
});

describe('limits: option validation', () => {
  for (const bad of [0, -1, NaN, '5' as unknown as number]) {
    it(`maxPayload ${String(bad)} throws RangeError`, () => {
      throws(() => new Protocol(new Recorder(), { maxPayload: bad }), RangeError);
      throws(() => new Protocol(new Recorder(), { maxFrameSize: bad }), RangeError);
    });
  }
  it('Infinity disables the limit', () => {
    const r = run(frame(2, zeros(70000)), { maxPayload: Infinity });
    equal(r.events.length, 1);
  });
});
