/**
 * frame-header.ts on its own: one received header in bytes, its fields or
 * the rule it breaks (RFC 6455 §5.2-§5.5, RFC 7692 §6.1), before a payload
 * byte is buffered. Rules as a table of header bytes and the expected error
 * code and close code; "needs more bytes" (0) at every cut of an extended
 * header; the mask bit and key for either role; the limits (1009); and that
 * a refused or incomplete header leaves the fields as they were.
 */
import { describe, it, equal, deepEqual, ok, hex, fromHex } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { FrameHeader, type MessageInProgress } from '../../src/protocol/frame-header.js';

interface Setup {
  server?: boolean;
  extensionRsv?: number;
  maxPayload?: number;
  maxFrameSize?: number;
  /** The data message in progress (opcode 0: none). */
  message?: MessageInProgress;
}

function headerFor(setup: Setup = {}): FrameHeader {
  return new FrameHeader(setup.server ?? false, setup.extensionRsv ?? 0, setup.maxPayload ?? Infinity, setup.maxFrameSize ?? Infinity, setup.message ?? { opcode: 0, length: 0 });
}

/** Parses `bytes` (hex) whole: the header length, or the violation's codes. */
function parse(bytesHex: string, setup: Setup = {}): { length: number; fields?: unknown; violation?: [string, number] } {
  const header = headerFor(setup);
  const bytes = fromHex(bytesHex);
  const length = header.parse(bytes, 0, bytes.length);
  if (length < 0) return { length, violation: [header.violation!.code, header.violation!.closeCode] };
  return { length, fields: { fin: header.fin, rsv: header.rsv, opcode: header.opcode, length: header.length } };
}

describe('FrameHeader: fields', () => {
  const valid: [string, string, Setup, unknown][] = [
    ['a final text frame, 7-bit length', '81 05', {}, { fin: true, rsv: 0, opcode: 1, length: 5 }],
    ['a first fragment of binary', '02 7d', {}, { fin: false, rsv: 0, opcode: 2, length: 125 }],
    ['a 16-bit length', '82 7e 01 00', {}, { fin: true, rsv: 0, opcode: 2, length: 256 }],
    ['a 64-bit length', '82 7f 00 00 00 01 00 00 00 00', {}, { fin: true, rsv: 0, opcode: 2, length: 2 ** 32 }],
    ['a non-minimal 16-bit length (accepted, as ws and browsers do)', '82 7e 00 05', {}, { fin: true, rsv: 0, opcode: 2, length: 5 }],
    ['RSV1 when an extension owns it', 'c1 03', { extensionRsv: 0x40 }, { fin: true, rsv: 0x40, opcode: 1, length: 3 }],
    ['a continuation inside a message', '80 02', { message: { opcode: 1, length: 10 } }, { fin: true, rsv: 0, opcode: 0, length: 2 }],
    ['a ping between fragments', '89 00', { message: { opcode: 2, length: 10 } }, { fin: true, rsv: 0, opcode: 9, length: 0 }],
    ['a close of 125 bytes', '88 7d', {}, { fin: true, rsv: 0, opcode: 8, length: 125 }],
  ];
  for (const [what, bytes, setup, fields] of valid) {
    it(`reads ${what}`, () => {
      const result = parse(bytes, setup);
      equal(result.length, fromHex(bytes).length);
      deepEqual(result.fields, fields);
    });
  }

  it('reads a header in the middle of a buffer (offset and available bytes)', () => {
    const header = headerFor();
    const bytes = fromHex('ff ff 82 7e 01 00 ff');
    equal(header.parse(bytes, 2, 4), 4);
    equal(header.length, 256);
  });

  it('firstByte gives the header\'s first byte back for the trace', () => {
    const header = headerFor({ extensionRsv: 0x40 });
    header.parse(fromHex('41 00'), 0, 2);
    equal(header.firstByte, 0x41);
  });
});

describe('FrameHeader: rules (each a violation with its close code)', () => {
  const broken: [string, string, Setup, string, number][] = [
    ['reserved data opcode 0x3', '83 00', {}, ErrorCodes.INVALID_OPCODE, 1002],
    ['reserved control opcode 0xb', '8b 00', {}, ErrorCodes.INVALID_OPCODE, 1002],
    ['RSV1 without an extension', 'c1 00', {}, ErrorCodes.RSV_NOT_NEGOTIATED, 1002],
    ['RSV2 when only RSV1 is agreed', 'a1 00', { extensionRsv: 0x40 }, ErrorCodes.RSV_NOT_NEGOTIATED, 1002],
    ['RSV1 on a control frame, even with an extension', 'c9 00', { extensionRsv: 0x40 }, ErrorCodes.RSV_NOT_NEGOTIATED, 1002],
    ['RSV1 on a continuation (RFC 7692 §6.1)', 'c0 00', { extensionRsv: 0x40, message: { opcode: 1, length: 1 } }, ErrorCodes.RSV_NOT_NEGOTIATED, 1002],
    ['a fragmented control frame (§5.5)', '09 00', {}, ErrorCodes.CONTROL_FRAGMENTED, 1002],
    ['a control frame of 126 bytes (§5.5)', '89 7e 00 7e', {}, ErrorCodes.CONTROL_TOO_LONG, 1002],
    ['a continuation with no message in progress (§5.4)', '80 00', {}, ErrorCodes.UNEXPECTED_CONTINUATION, 1002],
    ['a new text frame inside a message (§5.4)', '81 00', { message: { opcode: 2, length: 3 } }, ErrorCodes.EXPECTED_CONTINUATION, 1002],
    ['a 64-bit length with its top bit set (§5.2)', '82 7f 80 00 00 00 00 00 00 00', {}, ErrorCodes.INVALID_LENGTH, 1002],
    ['a masked frame from a server (§5.1)', '82 80 01 02 03 04', {}, ErrorCodes.MASKED_FRAME, 1002],
    ['an unmasked frame from a client (§5.1)', '82 00', { server: true }, ErrorCodes.UNMASKED_FRAME, 1002],
    ['a frame over maxPayload (§7.4.1)', '82 7e 01 00', { maxPayload: 255 }, ErrorCodes.MESSAGE_TOO_BIG, 1009],
    ['a continuation that takes the message over maxPayload', '80 0a', { maxPayload: 100, message: { opcode: 2, length: 91 } }, ErrorCodes.MESSAGE_TOO_BIG, 1009],
    ['a frame over maxFrameSize', '82 0a', { maxFrameSize: 9 }, ErrorCodes.FRAME_TOO_BIG, 1009],
  ];
  for (const [what, bytes, setup, code, closeCode] of broken) {
    it(`refuses ${what}: ${code}, ${closeCode}`, () => {
      const result = parse(bytes, setup);
      equal(result.length, -1);
      deepEqual(result.violation, [code, closeCode]);
    });
  }

  it('accepts a continuation that ends exactly at maxPayload', () => {
    equal(parse('80 09', { maxPayload: 100, message: { opcode: 2, length: 91 } }).length, 2);
  });

  it('refuses an over-long frame from the header alone (no payload byte present)', () => {
    // 2^40 bytes announced, none sent: the rule does not wait for them.
    deepEqual(parse('82 7f 00 00 01 00 00 00 00 00', { maxPayload: 2 ** 30 }).violation, [ErrorCodes.MESSAGE_TOO_BIG, 1009]);
  });

  it('leaves the fields of the previous header untouched when refusing one', () => {
    const header = headerFor();
    header.parse(fromHex('82 05'), 0, 2);
    equal(header.parse(fromHex('83 00'), 0, 2), -1);
    deepEqual([header.fin, header.opcode, header.length], [true, 2, 5]);
  });
});

describe('FrameHeader: incomplete headers', () => {
  it('returns 0 at every cut of a 64-bit length header and changes nothing', () => {
    const bytes = fromHex('82 7f 00 00 00 00 00 01 00 00');
    for (let cut = 2; cut < bytes.length; cut++) {
      const header = headerFor();
      equal(header.parse(bytes, 0, cut), 0, `cut at ${cut}`);
      equal(header.opcode, 0);
    }
    equal(headerFor().parse(bytes, 0, bytes.length), 10);
  });

  it('returns 0 at every cut of a 16-bit length header', () => {
    const bytes = fromHex('81 7e 00 80');
    for (let cut = 2; cut < bytes.length; cut++) equal(headerFor().parse(bytes, 0, cut), 0, `cut at ${cut}`);
  });

  it('server role: waits for the whole masking key, then reads it', () => {
    const bytes = fromHex('81 85 37 fa 21 3d');
    for (let cut = 2; cut < bytes.length; cut++) equal(headerFor({ server: true }).parse(bytes, 0, cut), 0, `cut at ${cut}`);
    const header = headerFor({ server: true });
    equal(header.parse(bytes, 0, bytes.length), 6);
    equal(hex(header.key), '37fa213d');
    equal(header.length, 5);
  });

  it('the client role reads no key', () => {
    const header = headerFor();
    equal(header.parse(fromHex('81 05'), 0, 2), 2);
    equal(header.key.length, 0);
  });

  it('a violation found before the extended length arrives is reported at once', () => {
    // A reserved opcode with a 64-bit length: refused from the first two bytes.
    const header = headerFor();
    equal(header.parse(fromHex('83 7f'), 0, 2), -1);
    ok(header.violation !== undefined);
    equal(header.violation.code, ErrorCodes.INVALID_OPCODE);
  });
});
