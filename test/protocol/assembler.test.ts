/**
 * assembler.ts on its own: the frames of one data message in, the whole
 * message out to the sink (RFC 6455 §5.4, §5.6, §8.1; RFC 7692 §6.2).
 * Single frames pass through as the same view; fragments are joined in
 * order; text is checked as UTF-8 as it arrives (also ahead of a frame's
 * end) and fails with 1007 at the first bad fragment; extensions decode
 * last agreed first, their errors become violations, and the decoded size
 * is checked against maxPayload (1009).
 */
import { describe, it, equal, deepEqual, ok, hex, fromHex } from '../support/harness.js';
import { MessageAssembler } from '../../src/protocol/assembler.js';
import { ErrorCodes, ProtocolError } from '../../src/protocol/errors.js';
import type { Extension, ProtocolSink } from '../../src/protocol/types.js';
import { te } from './helpers.js';

const OP_CONTINUATION = 0;
const OP_TEXT = 1;
const OP_BINARY = 2;

interface Delivered {
  data: Uint8Array;
  binary: boolean;
  owned: boolean;
}

function sinkInto(delivered: Delivered[]): ProtocolSink {
  return {
    write() {},
    message(data, binary, owned) {
      delivered.push({ data, binary, owned });
    },
    close() {},
    error() {},
  };
}

function assemblerWith(options: { extensions?: Extension[]; maxPayload?: number; isUtf8?: (bytes: Uint8Array) => boolean } = {}) {
  const delivered: Delivered[] = [];
  const assembler = new MessageAssembler(sinkInto(delivered), options.extensions ?? [], options.maxPayload ?? Infinity, options.isUtf8);
  return { assembler, delivered };
}

/** One frame: its header passed (startFrame), then its whole payload. */
function feed(assembler: MessageAssembler, opcode: number, payload: Uint8Array, fin: boolean, rsv = 0): ProtocolError | undefined {
  assembler.startFrame(opcode, rsv);
  return assembler.frame(payload, fin, false);
}

describe('MessageAssembler: whole messages', () => {
  it('passes a single-frame message on as the same view, without a copy', () => {
    const { assembler, delivered } = assemblerWith();
    const memory = fromHex('00 01 02 03 00');
    const payload = memory.subarray(1, 4);
    equal(feed(assembler, OP_BINARY, payload, true), undefined);
    equal(delivered.length, 1);
    equal(delivered[0]!.data, payload);
    deepEqual([delivered[0]!.binary, delivered[0]!.owned], [true, false]);
    equal(assembler.opcode, 0, 'no message in progress after it');
  });

  it('joins fragments in order (§5.4) and counts the length in progress', () => {
    const { assembler, delivered } = assemblerWith();
    feed(assembler, OP_BINARY, fromHex('01 02'), false);
    deepEqual([assembler.opcode, assembler.length], [OP_BINARY, 2]);
    feed(assembler, OP_CONTINUATION, fromHex(''), false);
    feed(assembler, OP_CONTINUATION, fromHex('03'), false);
    equal(assembler.length, 3);
    feed(assembler, OP_CONTINUATION, fromHex('04 05'), true);
    equal(delivered.length, 1);
    equal(hex(delivered[0]!.data), '0102030405');
    equal(delivered[0]!.binary, true);
    deepEqual([assembler.opcode, assembler.length], [0, 0]);
  });

  it('keeps O(1) work per fragment: 65,536 fragments of 64 bytes make one 4 MiB message', () => {
    const { assembler, delivered } = assemblerWith();
    const fragment = new Uint8Array(64);
    const count = 65_536;
    for (let i = 0; i < count; i++) {
      fragment[0] = i & 255;
      feed(assembler, i === 0 ? OP_BINARY : OP_CONTINUATION, fragment, i === count - 1);
    }
    equal(delivered.length, 1);
    equal(delivered[0]!.data.length, 64 * count);
    equal(delivered[0]!.data[64 * 300], 300 & 255);
  });

  it('passes `owned` on for a fresh buffer that holds the whole message', () => {
    const { assembler, delivered } = assemblerWith();
    assembler.startFrame(OP_BINARY, 0);
    assembler.frame(fromHex('0a'), true, true);
    equal(delivered[0]!.owned, true);
  });
});

describe('MessageAssembler: UTF-8 (§8.1)', () => {
  it('delivers text split inside a multi-byte character', () => {
    const { assembler, delivered } = assemblerWith();
    const bytes = te.encode('h€llo');
    feed(assembler, OP_TEXT, bytes.subarray(0, 2), false);
    feed(assembler, OP_CONTINUATION, bytes.subarray(2), true);
    equal(new TextDecoder().decode(delivered[0]!.data), 'h€llo');
    equal(delivered[0]!.binary, false);
  });

  it('fails at the first fragment with invalid bytes, before the message ends: 1007', () => {
    const { assembler, delivered } = assemblerWith();
    equal(feed(assembler, OP_TEXT, te.encode('ok'), false), undefined);
    const violation = feed(assembler, OP_CONTINUATION, fromHex('c0 af'), false);
    ok(violation !== undefined);
    deepEqual([violation.code, violation.closeCode], [ErrorCodes.INVALID_UTF8, 1007]);
    equal(delivered.length, 0);
  });

  it('fails a text message that ends inside a character: 1007', () => {
    const { assembler } = assemblerWith();
    const violation = feed(assembler, OP_TEXT, fromHex('e2 82'), true);
    deepEqual([violation?.code, violation?.closeCode], [ErrorCodes.INVALID_UTF8, 1007]);
  });

  it('checkAhead checks the part of a frame that arrived; the rest is checked when the frame completes', () => {
    const { assembler, delivered } = assemblerWith();
    const whole = te.encode('abc€');
    assembler.startFrame(OP_TEXT, 0);
    ok(assembler.checkText);
    equal(assembler.checkAhead(whole, 0, 4), undefined);
    equal(assembler.checked, 4);
    equal(assembler.frame(whole, true, false), undefined);
    equal(new TextDecoder().decode(delivered[0]!.data), 'abc€');
  });

  it('checkAhead fails on bad bytes before the frame is complete', () => {
    const { assembler } = assemblerWith();
    assembler.startFrame(OP_TEXT, 0);
    const violation = assembler.checkAhead(fromHex('61 ff'), 0, 2);
    equal(violation?.code, ErrorCodes.INVALID_UTF8);
  });

  it('binary is not checked as UTF-8', () => {
    const { assembler, delivered } = assemblerWith();
    assembler.startFrame(OP_BINARY, 0);
    equal(assembler.checkText, false);
    assembler.frame(fromHex('ff fe'), true, false);
    equal(delivered.length, 1);
  });

  it('uses the native shortcut for long spans and still finds the exact bad byte when it says invalid', () => {
    const asked: number[] = [];
    const { assembler } = assemblerWith({
      isUtf8: (bytes) => {
        asked.push(bytes.length);
        return false;
      },
    });
    const bytes = new Uint8Array(300).fill(0x61);
    bytes[299] = 0xff;
    const violation = feed(assembler, OP_TEXT, bytes, true);
    ok(asked.length > 0, 'the shortcut was asked');
    equal(violation?.code, ErrorCodes.INVALID_UTF8);
  });
});

describe('MessageAssembler: extensions (RFC 7692 §6.2, RFC 6455 §9)', () => {
  /** An extension that reverses the bytes (a stand-in for a codec), on RSV bit `rsvMask`. */
  function reversing(rsvMask: number, order: string[], name: string): Extension {
    return {
      name,
      rsvMask,
      encode: () => null,
      decode(data) {
        order.push(name);
        return data.slice().reverse();
      },
      dispose() {},
    };
  }

  it('decodes a message whose first frame had the RSV bit, last agreed extension first', () => {
    const order: string[] = [];
    const { assembler, delivered } = assemblerWith({ extensions: [reversing(0x40, order, 'first'), reversing(0x20, order, 'second')] });
    feed(assembler, OP_BINARY, fromHex('01 02'), false, 0x60);
    equal(assembler.rsv, 0x60);
    feed(assembler, OP_CONTINUATION, fromHex('03'), true);
    deepEqual(order, ['second', 'first']);
    equal(hex(delivered[0]!.data), '010203', 'reversed twice');
  });

  it('leaves a message without the RSV bit alone', () => {
    const order: string[] = [];
    const { assembler, delivered } = assemblerWith({ extensions: [reversing(0x40, order, 'only')] });
    feed(assembler, OP_BINARY, fromHex('01 02'), true);
    deepEqual(order, []);
    equal(hex(delivered[0]!.data), '0102');
  });

  it('checks decoded text as UTF-8 (1007) and the decoded size against maxPayload (1009)', () => {
    const bad: Extension = { name: 'x', rsvMask: 0x40, encode: () => null, decode: () => fromHex('ff'), dispose() {} };
    const text = assemblerWith({ extensions: [bad] });
    deepEqual([feed(text.assembler, OP_TEXT, fromHex('00'), true, 0x40)?.closeCode], [1007]);
    const grow: Extension = { name: 'x', rsvMask: 0x40, encode: () => null, decode: () => new Uint8Array(11), dispose() {} };
    const big = assemblerWith({ extensions: [grow], maxPayload: 10 });
    const violation = feed(big.assembler, OP_BINARY, fromHex('00'), true, 0x40);
    deepEqual([violation?.code, violation?.closeCode], [ErrorCodes.MESSAGE_TOO_BIG, 1009]);
    equal(big.delivered.length, 0);
  });

  it('passes an extension\'s ProtocolError on, and maps any other throw to WS_ERR_INFLATE_FAILED (1007)', () => {
    const own = new ProtocolError(ErrorCodes.MESSAGE_TOO_BIG, 'inflated past the limit', 1009);
    const refusing: Extension = {
      name: 'x',
      rsvMask: 0x40,
      encode: () => null,
      decode: () => {
        throw own;
      },
      dispose() {},
    };
    equal(feed(assemblerWith({ extensions: [refusing] }).assembler, OP_BINARY, fromHex('00'), true, 0x40), own);
    const broken: Extension = {
      name: 'x',
      rsvMask: 0x40,
      encode: () => null,
      decode: () => {
        throw new Error('invalid distance');
      },
      dispose() {},
    };
    const violation = feed(assemblerWith({ extensions: [broken] }).assembler, OP_BINARY, fromHex('00'), true, 0x40);
    deepEqual([violation?.code, violation?.closeCode], [ErrorCodes.INFLATE_FAILED, 1007]);
    ok(violation?.message.includes('invalid distance'));
  });
});
