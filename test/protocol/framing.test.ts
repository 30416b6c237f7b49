// Framing (RFC 6455 §5.2, §5.7): length encodings, boundary sizes, reserved
// bits and opcodes, masked server frames, the 64-bit length rule, and the
// RFC's own example frames as hex fixtures.
import { describe, it, equal, deepEqual, hex, fromHex, ok, throws } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { encodeFrame } from '../../src/protocol/frame.js';
import { MaskKeyPool } from '../../src/protocol/mask.js';
import { frame, concat, run, te, td, closePayload, digest, Recorder, TracingRecorder, fixedRandom } from './helpers.js';
import type { FrameTrace } from '../../src/protocol/types.js';
import { Protocol } from '../../src/protocol/protocol.js';

const pattern = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 255;
  return b;
};

describe('framing: payload length encodings (§5.2)', () => {
  const sizes = [0, 1, 2, 124, 125, 126, 127, 128, 255, 256, 1000, 65534, 65535, 65536, 65537, 200_000];
  for (const size of sizes) {
    for (const opcode of [1, 2]) {
      it(`${opcode === 1 ? 'text' : 'binary'} frame of ${size} bytes, natural encoding`, () => {
        const payload = opcode === 1 ? te.encode('x'.repeat(size)) : pattern(size);
        const { events, closeWritten } = run(frame(opcode, payload));
        equal(events.length, 1);
        deepEqual(events[0], ['message', opcode === 1 ? 'x'.repeat(size) : digest(payload), opcode === 2]);
        equal(closeWritten, null);
      });
    }
  }
  // Non-minimal encodings are a sender's MUST (§5.2); as a receiver we accept them, as ws and browsers do.
  for (const [size, bits] of [
    [0, 16],
    [5, 16],
    [125, 16],
    [0, 64],
    [5, 64],
    [300, 64],
  ] as const) {
    it(`accepts a ${size}-byte payload in a ${bits}-bit length`, () => {
      const { events } = run(frame(2, pattern(size), { lenBits: bits }));
      deepEqual(events, [['message', hex(pattern(size)), true]]);
    });
  }
  it('fails 64-bit lengths with the most significant bit set (1002) before any payload', () => {
    for (const top of [0x80, 0xff, 0xc0]) {
      const hdr = fromHex(`827f${top.toString(16)}00000000000005`);
      const { events, closeWritten } = run(hdr);
      deepEqual(events, [['error', ErrorCodes.INVALID_LENGTH, 1002]]);
      equal(closeWritten, 1002);
    }
  });
  it('fails a 64-bit length beyond 2^53 with 1009 from the header alone', () => {
    const { events, closeWritten } = run(fromHex('827f0020000000000000'));
    deepEqual(events, [['error', ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
    equal(closeWritten, 1009);
  });
  it('waits for every header byte (extended lengths split anywhere)', () => {
    const f = frame(2, pattern(70_000));
    for (let cut = 1; cut < 12; cut++) {
      const { events } = run([f.subarray(0, cut), f.subarray(cut)]);
      equal(events.length, 1, `cut ${cut}`);
    }
  });
});

describe('framing: RFC 6455 §5.7 examples (hex fixtures)', () => {
  it('a single-frame unmasked text message', () => {
    deepEqual(run(fromHex('81 05 48 65 6c 6c 6f')).events, [['message', 'Hello', false]]);
  });
  it('a single-frame masked text message is refused from a server (§5.1): 1002', () => {
    const r = run(fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58'));
    deepEqual(r.events, [['error', ErrorCodes.MASKED_FRAME, 1002]]);
    equal(r.closeWritten, 1002);
  });
  it('a fragmented unmasked text message', () => {
    deepEqual(run(fromHex('01 03 48 65 6c 80 02 6c 6f')).events, [['message', 'Hello', false]]);
  });
  it('an unmasked ping is answered with a masked pong carrying the same body', () => {
    const r = run(fromHex('89 05 48 65 6c 6c 6f'));
    deepEqual(r.events, [['ping', hex(te.encode('Hello'))]]);
    equal(r.rec.written.length, 1);
    equal(r.rec.written[0]!.opcode, 0xa);
    ok(r.rec.written[0]!.masked);
    equal(hex(r.rec.written[0]!.payload), hex(te.encode('Hello')));
  });
  it('our masked pong with key 37fa213d is byte-for-byte the RFC example', () => {
    const pool = new MaskKeyPool((b) => b.set(fromHex('37fa213d').length === 4 ? Array.from({ length: b.length }, (_v, i) => [0x37, 0xfa, 0x21, 0x3d][i & 3]!) : []));
    equal(hex(encodeFrame(0x8a, te.encode('Hello'), pool)), '8a8537fa213d7f9f4d5158');
    equal(hex(encodeFrame(0x81, te.encode('Hello'), pool)), '818537fa213d7f9f4d5158');
  });
  it('256 bytes binary in a single unmasked frame (16-bit length)', () => {
    const body = pattern(256);
    const f = concat(fromHex('82 7e 01 00'), body);
    deepEqual(run(f).events, [['message', digest(body), true]]);
  });
  it('64 KiB binary in a single unmasked frame (64-bit length)', () => {
    const body = pattern(65536);
    const f = concat(fromHex('82 7f 00 00 00 00 00 01 00 00'), body);
    deepEqual(run(f).events, [['message', digest(body), true]]);
  });
});

describe('framing: reserved bits without an extension (§5.2): 1002', () => {
  const kinds: [string, number][] = [
    ['text', 1],
    ['binary', 2],
    ['continuation', 0],
    ['close', 8],
    ['ping', 9],
    ['pong', 10],
  ];
  for (const rsv of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70]) {
    for (const [name, opcode] of kinds) {
      it(`RSV 0x${rsv.toString(16)} on ${name}`, () => {
        const before = frame(1, 'ok');
        const opener = opcode === 0 ? frame(1, 'a', { fin: false }) : new Uint8Array(0);
        const bad = frame(opcode, opcode === 8 ? closePayload(1000) : 'x', { rsv });
        const after = frame(1, 'never');
        const r = run(concat(before, opener, bad, after));
        deepEqual(r.events, [
          ['message', 'ok', false],
          ['error', ErrorCodes.RSV_NOT_NEGOTIATED, 1002],
        ]);
        equal(r.closeWritten, 1002);
        equal(r.p.state, 'closed');
      });
    }
  }
});

describe('framing: reserved opcodes (§5.2): 1002', () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    for (const fin of [true, false]) {
      for (const size of [0, 5, 125]) {
        it(`opcode 0x${opcode.toString(16)} fin=${fin} size ${size}`, () => {
          const r = run(concat(frame(2, new Uint8Array([1])), frame(opcode, new Uint8Array(size), { fin }), frame(1, 'never')));
          deepEqual(r.events, [
            ['message', '01', true],
            ['error', ErrorCodes.INVALID_OPCODE, 1002],
          ]);
          equal(r.closeWritten, 1002);
        });
      }
    }
  }
  it('a reserved opcode inside a fragmented message', () => {
    const r = run(concat(frame(1, 'a', { fin: false }), frame(5, 'x')));
    deepEqual(r.events, [['error', ErrorCodes.INVALID_OPCODE, 1002]]);
  });
});

describe('framing: masked server frames (§5.1): 1002', () => {
  for (const opcode of [0, 1, 2, 8, 9, 10]) {
    it(`masked frame with opcode ${opcode}`, () => {
      const opener = opcode === 0 ? frame(1, 'a', { fin: false }) : new Uint8Array(0);
      const r = run(concat(opener, frame(opcode, opcode === 8 ? closePayload(1000) : 'abc', { mask: fromHex('01020304') })));
      deepEqual(r.events, [['error', ErrorCodes.MASKED_FRAME, 1002]]);
      equal(r.closeWritten, 1002);
    });
  }
});

describe('framing: after a failure', () => {
  it('discards all further input and never throws', () => {
    const r = run([frame(3, ''), frame(1, 'late'), new Uint8Array([0xff, 0xff, 0xff])]);
    r.p.receive(frame(1, 'later'));
    r.p.receiveEof();
    deepEqual(r.events, [['error', ErrorCodes.INVALID_OPCODE, 1002]]);
    equal(r.rec.written.length, 1);
  });
});

/** A sink that records like `rec` and throws `error` from its first `message` call (after recording it). */
function throwingOnce(rec: Recorder, error: Error): Recorder {
  let thrown = false;
  return Object.assign(Object.create(rec) as Recorder, {
    message(data: Uint8Array, binary: boolean) {
      rec.message(data, binary);
      if (thrown) return;
      thrown = true;
      throw error;
    },
  });
}

describe('framing: a sink callback that throws', () => {
  it('propagates out of receive() and loses no bytes: the rest is parsed on the next receive()', () => {
    const rec = new Recorder();
    const sink = throwingOnce(rec, new Error('user handler'));
    const p = new Protocol(sink, { random: fixedRandom });
    throws(() => p.receive(concat(frame(1, 'one'), frame(1, 'two'), frame(1, 'thr'))), /user handler/);
    deepEqual(rec.events, [['message', 'one', false]]);
    p.receive(frame(1, 'four'));
    deepEqual(rec.events, [
      ['message', 'one', false],
      ['message', 'two', false],
      ['message', 'thr', false],
      ['message', 'four', false],
    ]);
  });

  it('a trace hook that throws changes nothing: with the next receive() the frame is traced and parsed again', () => {
    const rec = new TracingRecorder();
    let calls = 0;
    const sink = Object.assign(Object.create(rec) as TracingRecorder, {
      trace(f: FrameTrace) {
        rec.trace(f);
        // Throw on the first sight of the third frame, which starts a message.
        if (++calls === 3) throw new Error('trace hook');
      },
    });
    const p = new Protocol(sink, { random: fixedRandom });
    throws(() => p.receive(concat(frame(1, 'par', { fin: false }), frame(0, 'ts'), frame(1, 'b'))), /trace hook/);
    // The next bytes resume parsing at the header that was being traced.
    p.receive(frame(1, 'next'));
    deepEqual(rec.events, [
      ['message', 'parts', false],
      ['message', 'b', false],
      ['message', 'next', false],
    ]);
    deepEqual(
      rec.traces.map((t) => [t.opcode, t.fin, t.length]),
      [[1, false, 3], [0, true, 2], [1, true, 1], [1, true, 1], [1, true, 4]],
    );
  });
});

describe('framing: fault() after an unexpected exception', () => {
  it('fails with 1011 and WS_ERR_INTERNAL (the exception as cause), discarding the bytes it kept', () => {
    const rec = new Recorder();
    const sink = throwingOnce(rec, new TypeError('bug'));
    const p = new Protocol(sink, { random: fixedRandom });
    let caught: unknown;
    try {
      p.receive(concat(frame(1, 'one'), frame(1, 'two')));
    } catch (error) {
      caught = error;
    }
    p.fault(caught);
    p.receive(frame(1, 'three'));
    deepEqual(rec.events, [
      ['message', 'one', false],
      ['error', ErrorCodes.INTERNAL, 1011],
    ]);
    equal(rec.closeWritten(), 1011);
    equal(rec.errors[0]!.cause, caught);
    equal(p.state, 'closed');
  });
  it('is a no-op once the connection failed or the peer closed', () => {
    const failed = run([frame(3, '')]);
    failed.p.fault(new Error('late'));
    deepEqual(failed.events, [['error', ErrorCodes.INVALID_OPCODE, 1002]]);
    const closed = run([frame(8, closePayload(1000))]);
    closed.p.fault(new Error('late'));
    equal(closed.rec.errors.length, 0);
  });
});

describe('framing: receive state made when the first bytes arrive (memory per idle connection)', () => {
  // The header rules, the message assembler and the byte queue are private; what is asserted is
  // that a connection which has received nothing has not made them, and that
  // everything that can run before that works without them.
  const made = (p: Protocol) => {
    // The names must exist (as fields set to undefined), or a rename would make every `false` below pass for nothing.
    for (const name of ['header', 'assembler', 'queue', 'writer']) ok(name in p, `Protocol has a field ${name}`);
    const fields = p as unknown as { header?: unknown; assembler?: unknown; queue?: unknown };
    return [fields.header !== undefined, fields.assembler !== undefined, fields.queue !== undefined];
  };
  const hasWriter = (p: Protocol) => (p as unknown as { writer?: unknown }).writer !== undefined;

  it('a connection that only sends, then closes, never makes them', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    p.send('hello', false);
    p.send(pattern(300), true);
    p.ping(te.encode('p'));
    equal(p.retains(new ArrayBuffer(8)), false);
    p.close(1000, 'bye');
    deepEqual(made(p), [false, false, false]);
    deepEqual(rec.written.map((w) => w.opcode), [1, 2, 9, 8]);
    p.receiveEof();
    deepEqual(made(p), [false, false, false]);
    deepEqual(rec.events, [['error', ErrorCodes.UNEXPECTED_EOF, 1006]]);
  });

  it('the first bytes received make them; a message read one byte at a time is whole', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    const bytes = concat(frame(1, 'héllo', { fin: false }), frame(0, ' wörld'));
    deepEqual(made(p), [false, false, false]);
    p.receive(bytes.subarray(0, 1));
    deepEqual(made(p), [true, true, true]);
    for (let i = 1; i < bytes.length; i++) p.receive(bytes.subarray(i, i + 1));
    deepEqual(rec.events, [['message', 'héllo wörld', false]]);
  });

  it('frames that arrive whole never make the byte queue; the first split one does', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    p.receive(concat(frame(1, 'one'), frame(2, pattern(200))));
    p.receive(frame(9, 'ping'));
    deepEqual(made(p), [true, true, false]);
    const split = frame(1, 'x'.repeat(300));
    p.receive(split.subarray(0, 100));
    deepEqual(made(p), [true, true, true]);
    p.receive(split.subarray(100));
    equal(rec.events.length, 4);
    deepEqual(rec.events[3], ['message', 'x'.repeat(300), false]);
  });

  it('the frame writer is made with the first frame sent: a pong answering a ping, or a send', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    equal(hasWriter(p), false);
    p.receive(concat(frame(1, 'news'), frame(2, pattern(10))));
    equal(hasWriter(p), false);
    p.receive(frame(9, 'are you there'));
    equal(hasWriter(p), true);
    deepEqual(rec.written.map((w) => [w.opcode, td.decode(w.payload)]), [[10, 'are you there']]);
    const sender = new Protocol(new Recorder(), { random: fixedRandom });
    sender.send('first', false);
    equal(hasWriter(sender), true);
  });
});
