// The extension seam (RFC 6455 §5.2, §9; RFC 7692 §6): RSV bits owned by an
// agreed extension, decode once per message at FIN, errors mapped to close
// codes, encode on send with the RSV bit on the first frame. Uses a tiny
// test extension (bytes XOR 0xFF under RSV1) so the seam is tested on its own.
import { describe, it, equal, deepEqual, hex, ok } from '../support/harness.js';
import { ErrorCodes, ProtocolError } from '../../src/protocol/errors.js';
import type { Extension } from '../../src/protocol/types.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, run, te, Recorder, fixedRandom } from './helpers.js';

const flip = (b: Uint8Array) => b.map((x) => x ^ 0xff);

class FlipExtension implements Extension {
  readonly name = 'x-flip';
  readonly rsvMask: number;
  decoded: number[] = [];
  disposed = false;
  failWith: Error | undefined;
  grow = 0;
  constructor(rsvMask = 0x40) {
    this.rsvMask = rsvMask;
  }
  decode(payload: Uint8Array, maxLength: number): Uint8Array {
    this.decoded.push(payload.length);
    if (this.failWith) throw this.failWith;
    const out = flip(payload);
    if (this.grow) return concat(out, new Uint8Array(this.grow));
    ok(maxLength > 0);
    return out;
  }
  encode(payload: Uint8Array, compress: boolean | undefined): Uint8Array | null {
    return compress === false ? null : flip(payload);
  }
  dispose(): void {
    this.disposed = true;
  }
}

const flipped = (s: string) => flip(te.encode(s));

describe('extensions: receiving', () => {
  it('an RSV1 message is decoded by the extension that owns RSV1', () => {
    const ext = new FlipExtension();
    const r = run(frame(1, flipped('hello'), { rsv: 0x40 }), { extensions: [ext] });
    deepEqual(r.events, [['message', 'hello', false]]);
    deepEqual(ext.decoded, [5]);
  });
  it('messages without the bit pass through untouched', () => {
    const ext = new FlipExtension();
    const r = run(concat(frame(1, 'plain'), frame(2, new Uint8Array([1, 2]))), { extensions: [ext] });
    deepEqual(r.events, [
      ['message', 'plain', false],
      ['message', '0102', true],
    ]);
    deepEqual(ext.decoded, []);
  });
  it('a fragmented RSV1 message is decoded once, at FIN, with all fragments joined', () => {
    const ext = new FlipExtension();
    const body = flipped('fragmented message');
    const stream = concat(frame(1, body.subarray(0, 4), { fin: false, rsv: 0x40 }), frame(9, 'x'), frame(0, body.subarray(4, 9), { fin: false }), frame(0, body.subarray(9)));
    const r = run(stream, { extensions: [ext] });
    deepEqual(r.events, [
      ['ping', hex(te.encode('x'))],
      ['message', 'fragmented message', false],
    ]);
    deepEqual(ext.decoded, [body.length]);
  });
  it('RSV1 on a continuation frame fails with 1002', () => {
    const r = run(concat(frame(1, 'a', { fin: false, rsv: 0x40 }), frame(0, 'b', { rsv: 0x40 })), { extensions: [new FlipExtension()] });
    deepEqual(r.events, [['error', ErrorCodes.RSV_NOT_NEGOTIATED, 1002]]);
  });
  for (const rsv of [0x20, 0x10, 0x60, 0x50]) {
    it(`RSV 0x${rsv.toString(16)} (not owned) fails with 1002`, () => {
      const r = run(frame(1, 'a', { rsv }), { extensions: [new FlipExtension()] });
      deepEqual(r.events, [['error', ErrorCodes.RSV_NOT_NEGOTIATED, 1002]]);
      equal(r.closeWritten, 1002);
    });
  }
  for (const op of [8, 9, 10]) {
    it(`RSV1 on control opcode ${op} fails with 1002 even with the extension`, () => {
      const r = run(frame(op, '', { rsv: 0x40 }), { extensions: [new FlipExtension()] });
      deepEqual(r.events, [['error', ErrorCodes.RSV_NOT_NEGOTIATED, 1002]]);
    });
  }
  it('text is validated after decoding: invalid -> 1007', () => {
    const r = run(frame(1, flip(new Uint8Array([0x61, 0xff])), { rsv: 0x40 }), { extensions: [new FlipExtension()] });
    deepEqual(r.events, [['error', ErrorCodes.INVALID_UTF8, 1007]]);
  });
  it('compressed text bytes are not validated before decoding', () => {
    // flip('é') is not valid UTF-8 on the wire; decoded it is.
    const r = run(frame(1, flipped('é'), { rsv: 0x40 }), { extensions: [new FlipExtension()] });
    deepEqual(r.events, [['message', 'é', false]]);
  });
  const failures: [string, Error, string, number][] = [
    ['ProtocolError 1009', new ProtocolError(ErrorCodes.MESSAGE_TOO_BIG, 'too big', 1009), ErrorCodes.MESSAGE_TOO_BIG, 1009],
    ['ProtocolError 1007', new ProtocolError(ErrorCodes.INFLATE_FAILED, 'bad data', 1007), ErrorCodes.INFLATE_FAILED, 1007],
    ['ProtocolError 1002', new ProtocolError(ErrorCodes.INFLATE_FAILED, 'bad', 1002), ErrorCodes.INFLATE_FAILED, 1002],
    ['any other error', new TypeError('boom'), ErrorCodes.INFLATE_FAILED, 1007],
  ];
  for (const [name, err, code, close] of failures) {
    it(`decode throwing ${name} fails with ${close} (${code})`, () => {
      const ext = new FlipExtension();
      ext.failWith = err;
      const r = run(concat(frame(2, 'x', { rsv: 0x40 }), frame(2, 'never')), { extensions: [ext] });
      deepEqual(r.events, [['error', code, close]]);
      equal(r.closeWritten, close);
    });
  }
  it('a decoded message over maxPayload fails with 1009 even if the extension let it through', () => {
    const ext = new FlipExtension();
    ext.grow = 100;
    const r = run(frame(2, 'x', { rsv: 0x40 }), { extensions: [ext], maxPayload: 50 });
    deepEqual(r.events, [['error', ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
  });
  it('two extensions: each decodes the messages with its bit, last agreed first', () => {
    const a = new FlipExtension(0x40);
    const b = new FlipExtension(0x20);
    const r = run(concat(frame(1, flipped('A'), { rsv: 0x40 }), frame(1, flipped('B'), { rsv: 0x20 }), frame(1, te.encode('C'), { rsv: 0x60 })), {
      extensions: [a, b],
    });
    deepEqual(r.events, [
      ['message', 'A', false],
      ['message', 'B', false],
      ['message', 'C', false],
    ]);
    deepEqual([a.decoded, b.decoded], [[1, 1], [1, 1]]);
  });
});

describe('extensions: sending and lifetime', () => {
  it('send() encodes and sets the RSV bit; compress=false sends plain', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom, extensions: [new FlipExtension()] });
    p.send('abc', false);
    p.send(new Uint8Array([1]), true, false);
    p.ping(te.encode('p'));
    deepEqual(
      rec.written.map((w) => [w.opcode, w.rsv, hex(w.payload)]),
      [
        [1, 0x40, hex(flipped('abc'))],
        [2, 0, '01'],
        [9, 0, hex(te.encode('p'))],
      ],
    );
  });
  it('dispose() releases the extensions', () => {
    const ext = new FlipExtension();
    const p = new Protocol(new Recorder(), { extensions: [ext] });
    p.dispose();
    ok(ext.disposed);
  });
});
