// Ownership of received binary messages (ProtocolSink.message `owned`): a
// whole, uncompressed binary message whose frame spans reads is assembled in
// a fresh buffer the sink may keep; every other message is a view the core
// may reuse, and says so.
import { describe, it, equal, ok, deepEqual, seededRandom } from '../support/harness.js';
import { Protocol, type ProtocolCoreOptions } from '../../src/protocol/protocol.js';
import type { ProtocolError, ProtocolSink } from '../../src/protocol/index.js';
import { frame, concat } from './helpers.js';

interface Got {
  data: Uint8Array;
  /** A copy taken at delivery: what the bytes were then. */
  snapshot: Uint8Array;
  binary: boolean;
  owned: boolean;
}

class Keeper implements ProtocolSink {
  got: Got[] = [];
  errors: ProtocolError[] = [];
  write(): void {}
  message(data: Uint8Array, binary: boolean, owned: boolean): void {
    this.got.push({ data, snapshot: data.slice(), binary, owned });
  }
  close(): void {}
  error(e: ProtocolError): void {
    this.errors.push(e);
  }
}

function filled(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

/** Feeds `bytes` in pieces of `step` bytes. */
function feed(p: Protocol, bytes: Uint8Array, step: number): void {
  for (let i = 0; i < bytes.length; i += step) p.receive(bytes.slice(i, i + step));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('protocol: owned binary messages', () => {
  for (const withAlloc of [false, true]) {
    it(`a binary frame spanning reads is delivered owned, never overwritten by the next (${withAlloc ? 'injected alloc' : 'default alloc'})`, () => {
      const sink = new Keeper();
      const sizes: number[] = [];
      const opts: ProtocolCoreOptions = {};
      if (withAlloc) {
        // Dirty memory, as an allocator without zero-fill would give: the core must overwrite every byte.
        opts.alloc = (n) => {
          sizes.push(n);
          return new Uint8Array(n).fill(0xee);
        };
      }
      const p = new Protocol(sink, opts);
      const a = filled(3000, 1);
      const b = filled(3000, 2);
      const c = filled(70_000, 3);
      feed(p, concat(frame(2, a), frame(2, b), frame(2, c)), 1000);
      equal(sink.errors.length, 0);
      equal(sink.got.length, 3);
      for (const g of sink.got) {
        ok(g.binary);
        ok(g.owned, 'a frame spanning reads is handed over');
      }
      ok(sameBytes(sink.got[0]!.data, a), 'first message intact after the later ones arrived');
      ok(sameBytes(sink.got[1]!.data, b));
      ok(sameBytes(sink.got[2]!.data, c));
      ok(sink.got[0]!.data.buffer !== sink.got[1]!.data.buffer, 'distinct memory per message');
      equal(sink.got[0]!.data.length, 3000);
      if (withAlloc) deepEqual(sizes, [3000, 3000, 70_000]);
    });
  }

  it('a binary frame inside one read is a view, not owned', () => {
    const sink = new Keeper();
    let allocs = 0;
    const p = new Protocol(sink, { alloc: (n) => (allocs++, new Uint8Array(n)) });
    const chunk = concat(frame(2, filled(500, 4)), frame(2, filled(10, 5)));
    p.receive(chunk);
    deepEqual(
      sink.got.map((g) => g.owned),
      [false, false],
    );
    equal(sink.got[0]!.data.buffer, chunk.buffer);
    equal(allocs, 0);
  });

  it('a frame completed within the last read after a split header is a view, not owned', () => {
    const sink = new Keeper();
    const p = new Protocol(sink);
    const f = frame(2, filled(300, 6));
    p.receive(f.slice(0, 1)); // half the header
    const rest = f.slice(1);
    p.receive(rest);
    equal(sink.got.length, 1);
    ok(!sink.got[0]!.owned);
    ok(sameBytes(sink.got[0]!.data, filled(300, 6)));
  });

  it('text, fragmented binary and control frames spanning reads are not owned and use no allocation', () => {
    const sink = new Keeper();
    let allocs = 0;
    // The ping is answered, so the pong needs a mask key: an explicit source (Node 18 has no Web Crypto global).
    const p = new Protocol(sink, { alloc: (n) => (allocs++, new Uint8Array(n)), random: seededRandom(5) });
    const text = 'x'.repeat(2000);
    const part1 = filled(1500, 7);
    const part2 = filled(1500, 8);
    feed(p, concat(frame(1, text), frame(2, part1, { fin: false }), frame(0, part2), frame(9, filled(100, 9))), 300);
    equal(sink.errors.length, 0);
    equal(sink.got.length, 2);
    ok(!sink.got[0]!.binary && !sink.got[0]!.owned);
    ok(sink.got[1]!.binary && !sink.got[1]!.owned);
    ok(sameBytes(sink.got[1]!.snapshot, concat(part1, part2)));
    equal(allocs, 0);
  });

  it('a message that is not owned may be reused: the next straddling text frame overwrites the frame buffer', () => {
    // Documents why the flag matters: the core's reused buffer is only valid during the call.
    const sink = new Keeper();
    const p = new Protocol(sink);
    feed(p, concat(frame(1, 'a'.repeat(1000)), frame(1, 'b'.repeat(1000))), 100);
    equal(sink.got.length, 2);
    ok(!sink.got[0]!.owned);
    equal(sink.got[0]!.snapshot[0], 0x61);
    equal(sink.got[0]!.data.buffer, sink.got[1]!.data.buffer);
  });
});
