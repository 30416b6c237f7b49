// Frames larger than 1 MiB arriving over many reads (the client role
// gathers them into one fresh buffer read by read, releasing each read at
// once): whatever the chunking, the same events as the whole stream in one
// piece; a whole uncompressed binary message is handed over as owned; a
// fragmented message, a compressed one (RSV1 through a test extension) and
// the frames that follow in the last read all come out right; the reads
// already gathered are no longer retained.
import { describe, it, equal, deepEqual, ok } from '../support/harness.js';
import type { Extension, ProtocolSink } from '../../src/protocol/types.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, run, digest, fixedRandom, type Event } from './helpers.js';

const MiB = 1024 * 1024;

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Cuts `bytes` into pieces of `size` (the last one shorter). */
function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
}

const flip = (b: Uint8Array) => b.map((x) => x ^ 0xff);
class FlipExtension implements Extension {
  readonly name = 'x-flip';
  readonly rsvMask = 0x40;
  decode(payload: Uint8Array): Uint8Array {
    return flip(payload);
  }
  encode(): Uint8Array | null {
    return null;
  }
  dispose(): void {}
}

const big = pattern(3 * MiB + 5, 1);
const stream = concat(
  frame(2, big),
  frame(1, 'after'),
  frame(2, pattern(2 * MiB, 2), { fin: false }),
  frame(9, 'ping'),
  frame(0, pattern(MiB + 3, 3)),
  frame(1, flip(new TextEncoder().encode('x'.repeat(2 * MiB))), { rsv: 0x40 }),
  frame(2, 'tail'),
);

describe('protocol: frames over 1 MiB across many reads', () => {
  const whole = run(stream, { extensions: [new FlipExtension()] }).events;

  it('the stream in one piece: the reference events', () => {
    equal(whole.length, 6);
    deepEqual(whole[0], ['message', digest(big), true]);
    deepEqual(whole[1], ['message', 'after', false]);
    deepEqual(whole[2], ['ping', '70696e67']);
    deepEqual(whole[3], ['message', digest(concat(pattern(2 * MiB, 2), pattern(MiB + 3, 3))), true]);
    equal((whole[4] as [string, string, boolean])[1].length, 2 * MiB);
  });

  for (const size of [65536, 131072, 100_003, 7]) {
    if (size === 7) {
      it('pieces of 7 bytes (headers and payloads split everywhere): the same events', () => {
        const events = run(pieces(stream.subarray(0, 4 * MiB), size).concat([stream.subarray(4 * MiB)]), { extensions: [new FlipExtension()] }).events;
        deepEqual(events as Event[], whole);
      });
      continue;
    }
    it(`pieces of ${size} bytes: the same events`, () => {
      const events = run(pieces(stream, size), { extensions: [new FlipExtension()] }).events;
      deepEqual(events as Event[], whole);
    });
  }

  it('a whole binary message gathered from many reads is handed over as owned, exactly its bytes; reads already gathered are released', () => {
    const got: { data: Uint8Array; owned: boolean }[] = [];
    const sink: ProtocolSink = {
      write() {},
      message: (data, _binary, owned) => got.push({ data, owned }),
      close() {},
      error() {},
    };
    const p = new Protocol(sink, { random: fixedRandom });
    const reads = pieces(concat(frame(2, big), frame(1, 'x')), 65536);
    p.receive(reads[0]!);
    p.receive(reads[1]!);
    ok(!p.retains(reads[0]!.buffer) && !p.retains(reads[1]!.buffer), 'gathered reads are not retained');
    for (const read of reads.slice(2)) p.receive(read);
    equal(got.length, 2);
    equal(got[0]!.owned, true);
    equal(got[0]!.data.length, big.length);
    equal(got[0]!.data.byteLength, got[0]!.data.buffer.byteLength, 'a buffer of exactly the message');
    equal(digest(got[0]!.data), digest(big));
  });
});
