/**
 * writer.ts on its own: what the core puts on the wire, as bytes. The client
 * role masks every frame with the next key from the pool (§5.3), the server
 * role never masks (§5.1); text is sent as UTF-8; data messages go through
 * the agreed extensions in order, with their RSV bits on the frame (§9,
 * RFC 7692 §6); every frame is reported to the trace hook with its payload
 * length on the wire.
 */
import { describe, it, equal, deepEqual, hex, fromHex } from '../support/harness.js';
import { MaskKeyPool } from '../../src/protocol/mask.js';
import type { Extension, FrameTrace, ProtocolSink } from '../../src/protocol/types.js';
import { FrameWriter } from '../../src/protocol/writer.js';
import { decodeClientFrame, te } from './helpers.js';

/** Keys 01 02 03 04, 05 06 07 08, ...: each frame's key is predictable. */
function countingPool(): MaskKeyPool {
  let next = 1;
  return new MaskKeyPool((buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = next++ & 255;
  }, 16);
}

function writerWith(options: { server?: boolean; extensions?: Extension[]; trace?: boolean } = {}) {
  const written: Uint8Array[] = [];
  const traces: FrameTrace[] = [];
  const sink: ProtocolSink = {
    write(bytes) {
      written.push(bytes);
    },
    message() {},
    close() {},
    error() {},
  };
  const record = (frame: FrameTrace): void => {
    traces.push(frame);
  };
  const trace = options.trace ? record : undefined;
  const writer = new FrameWriter(sink, options.server ?? false, countingPool(), options.extensions ?? [], trace);
  return { writer, written, traces };
}

describe('FrameWriter: client role (§5.3)', () => {
  it('writes a masked text frame: header, the pool\'s key, the payload XOR the key', () => {
    const { writer, written } = writerWith();
    writer.message('Hello', false, undefined);
    equal(written.length, 1);
    // 0x81: FIN + text; 0x85: MASK + 5; key 01 02 03 04; 'Hello' = 48 65 6c 6c 6f masked.
    equal(hex(written[0]!), '818501020304' + '49676f686e');
  });

  it('each frame takes the next key from the pool', () => {
    const { writer, written } = writerWith();
    writer.message(fromHex('00'), true, undefined);
    writer.message(fromHex('00'), true, undefined);
    equal(hex(decodeClientFrame(written[0]!).key), '01020304');
    equal(hex(decodeClientFrame(written[1]!).key), '05060708');
  });

  it('sends bytes given for a text message as they are, and a binary message with opcode 2', () => {
    const { writer, written } = writerWith();
    writer.message(te.encode('€'), false, undefined);
    writer.message(fromHex('ff 00'), true, undefined);
    const text = decodeClientFrame(written[0]!);
    deepEqual([text.opcode, text.fin, hex(text.payload)], [1, true, 'e282ac']);
    const binary = decodeClientFrame(written[1]!);
    deepEqual([binary.opcode, binary.masked, hex(binary.payload)], [2, true, 'ff00']);
  });

  it('uses the 16- and 64-bit length forms at 126 and 65,536 bytes', () => {
    const { writer, written } = writerWith();
    writer.message(new Uint8Array(126), true, undefined);
    writer.message(new Uint8Array(65_536), true, undefined);
    equal(hex(written[0]!.subarray(0, 4)), '82fe007e');
    equal(hex(written[1]!.subarray(0, 10)), '82ff0000000000010000');
    equal(decodeClientFrame(written[1]!).payload.length, 65_536);
  });

  it('frame() writes a control frame with the first byte given', () => {
    const { writer, written } = writerWith();
    writer.frame(0x89, fromHex('01 02'), false);
    const ping = decodeClientFrame(written[0]!);
    deepEqual([ping.opcode, ping.fin, ping.masked, hex(ping.payload)], [9, true, true, '0102']);
  });
});

describe('FrameWriter: server role (§5.1)', () => {
  it('never masks: RFC 6455 §5.7 "Hello" as a single unmasked frame', () => {
    const { writer, written } = writerWith({ server: true });
    writer.message('Hello', false, undefined);
    equal(hex(written[0]!), '810548656c6c6f');
  });

  it('an unmasked binary frame and an unmasked pong', () => {
    const { writer, written } = writerWith({ server: true });
    writer.message(fromHex('01 02 03'), true, undefined);
    writer.frame(0x8a, fromHex('aa'), false);
    deepEqual(written.map(hex), ['8203010203', '8a01aa']);
  });
});

describe('FrameWriter: extensions', () => {
  const upper = (rsvMask: number, seen: string[]): Extension => ({
    name: `x${rsvMask}`,
    rsvMask,
    decode: (data) => data,
    encode(payload, compress) {
      seen.push(`${rsvMask}:${String(compress)}`);
      if (compress === false) return null;
      return payload.map((byte) => byte + 1);
    },
    dispose() {},
  });

  it('runs a message through the extensions in order and sets the RSV bits of those that encoded it', () => {
    const seen: string[] = [];
    const { writer, written } = writerWith({ server: true, extensions: [upper(0x40, seen), upper(0x20, seen)] });
    writer.message(fromHex('01'), true, undefined);
    deepEqual(seen, ['64:undefined', '32:undefined']);
    // 0x80 FIN | 0x40 RSV1 | 0x20 RSV2 | 0x2 binary; the byte went through both (+2).
    equal(hex(written[0]!), 'e20103');
  });

  it('an extension that declines (null) leaves its RSV bit clear; `compress` is passed on', () => {
    const seen: string[] = [];
    const { writer, written } = writerWith({ server: true, extensions: [upper(0x40, seen)] });
    writer.message('a', false, false);
    deepEqual(seen, ['64:false']);
    equal(hex(written[0]!), '810161');
  });
});

describe('FrameWriter: trace', () => {
  it('reports each frame with its first-byte fields and its payload length on the wire', () => {
    // Stands in for a compressor: 300 bytes become 2.
    const compressing: Extension = { name: 'x', rsvMask: 0x40, decode: (data) => data, encode: (payload) => payload.subarray(0, 2), dispose() {} };
    const { writer, traces } = writerWith({ trace: true, extensions: [compressing] });
    writer.message(new Uint8Array(300), true, undefined);
    writer.frame(0x89, new Uint8Array(3), false);
    deepEqual(traces, [
      { direction: 'out', opcode: 2, fin: true, rsv1: true, rsv2: false, rsv3: false, masked: true, length: 2, compressed: true },
      { direction: 'out', opcode: 9, fin: true, rsv1: false, rsv2: false, rsv3: false, masked: true, length: 3, compressed: false },
    ]);
  });

  it('reports the extended lengths of frames without extensions', () => {
    const { writer, traces } = writerWith({ trace: true, server: true });
    writer.message(new Uint8Array(200), true, undefined);
    writer.message('x'.repeat(70_000), false, undefined);
    deepEqual(
      traces.map((trace) => [trace.opcode, trace.length, trace.masked]),
      [
        [2, 200, false],
        [1, 70_000, false],
      ],
    );
  });
});
