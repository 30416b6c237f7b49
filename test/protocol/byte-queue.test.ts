/**
 * byte-queue.ts on its own: the received bytes the core has not consumed,
 * as views of the chunks they came in. Views while the bytes sit in one
 * chunk, copies (into the reused frame buffer, or a fresh `alloc` buffer)
 * across chunks; `skip` and `peek` over chunk boundaries; the cursor walk
 * (`mark`, `nextSpan`) the core uses to check and unmask a frame before it
 * is complete; `retains`, which says whether recycled memory is still read.
 */
import { describe, it, equal, deepEqual, ok, hex, fromHex } from '../support/harness.js';
import { ByteQueue, QueueCursor, RETAIN_MAX } from '../../src/protocol/byte-queue.js';

const zeroed = (n: number) => new Uint8Array(n);

/** A queue holding `parts` (hex strings), each pushed as its own chunk. */
function queueOf(...parts: string[]): ByteQueue {
  const queue = new ByteQueue(zeroed);
  for (const part of parts) queue.push(fromHex(part));
  return queue;
}

describe('ByteQueue: take', () => {
  it('hands out a view of the chunk when the bytes sit in one chunk (no copy)', () => {
    const chunk = fromHex('01 02 03 04 05');
    const queue = new ByteQueue(zeroed);
    queue.push(chunk);
    const taken = queue.take(3);
    equal(hex(taken), '010203');
    equal(taken.buffer, chunk.buffer, 'a view of the chunk');
    equal(queue.length, 2);
    equal(queue.offset, 3);
    equal(hex(queue.take(2)), '0405');
    equal(queue.length, 0);
  });

  it('copies bytes that span chunks, in order, and continues mid-chunk after them', () => {
    const queue = queueOf('01 02', '03', '04 05 06');
    equal(hex(queue.take(4)), '01020304');
    equal(queue.length, 2);
    equal(hex(queue.first.subarray(queue.offset)), '0506');
    equal(hex(queue.take(2)), '0506');
  });

  it('reuses one frame buffer for copies: a copy is valid until the next take', () => {
    const queue = queueOf('01 02', '03 04', '05 06', '07 08');
    const first = queue.take(3);
    equal(hex(first), '010203');
    const second = queue.take(3);
    equal(hex(second), '040506');
    equal(first.buffer, second.buffer, 'the same reused buffer');
    equal(hex(first), '040506', 'the first copy was overwritten');
  });

  it('copies into a fresh buffer from `alloc` when asked (a buffer the caller keeps)', () => {
    const allocated: Uint8Array[] = [];
    const queue = new ByteQueue((n) => {
      const out = new Uint8Array(n);
      allocated.push(out);
      return out;
    });
    queue.push(fromHex('aa bb'));
    queue.push(fromHex('cc'));
    queue.push(fromHex('dd ee'));
    const kept = queue.take(3, true);
    equal(hex(kept), 'aabbcc');
    equal(allocated.length, 1);
    equal(kept, allocated[0]);
    // The next copy does not touch the kept buffer.
    queue.push(fromHex('ff'));
    equal(hex(queue.take(3)), 'ddeeff');
    equal(hex(kept), 'aabbcc');
  });

  it('does not keep a frame buffer larger than RETAIN_MAX (idle connection memory)', () => {
    const half = RETAIN_MAX / 2 + 1;
    const queue = new ByteQueue(zeroed);
    queue.push(new Uint8Array(half).fill(1));
    queue.push(new Uint8Array(half).fill(2));
    queue.push(fromHex('03'));
    queue.push(fromHex('04'));
    const big = queue.take(2 * half);
    equal(big.length, 2 * half);
    equal(big[half - 1], 1);
    equal(big[half], 2);
    // The next straddling take gets a new small buffer: the big one was let go.
    const small = queue.take(2);
    equal(hex(small), '0304');
    ok(small.buffer !== big.buffer, 'the big buffer is not reused');
  });

  it('take(0) consumes nothing', () => {
    const queue = queueOf('01');
    equal(queue.take(0).length, 0);
    equal(queue.length, 1);
  });
});

describe('ByteQueue: skip, peek, holdsInFirst', () => {
  it('skip crosses chunk boundaries, including exactly at their ends', () => {
    const queue = queueOf('01 02', '03 04 05', '06');
    queue.skip(2);
    equal(hex(queue.first.subarray(queue.offset)), '030405');
    queue.skip(4);
    equal(queue.length, 0);
    queue.push(fromHex('07'));
    equal(hex(queue.take(1)), '07');
  });

  it('peek copies the next bytes across chunks without consuming them', () => {
    const queue = queueOf('01', '02 03', '04 05 06');
    const out = new Uint8Array(14);
    queue.peek(out, 5);
    equal(hex(out.subarray(0, 5)), '0102030405');
    equal(queue.length, 6);
    equal(hex(queue.take(6)), '010203040506');
  });

  it('holdsInFirst says whether take(n) can return a view', () => {
    const queue = queueOf('01 02 03', '04');
    queue.skip(1);
    ok(queue.holdsInFirst(2));
    ok(!queue.holdsInFirst(3));
  });
});

describe('ByteQueue: cursor walk (mark, nextSpan)', () => {
  it('hands out the bytes queued after the mark one span per chunk, bounded by max, and resumes after later pushes', () => {
    const queue = queueOf('00 00 01 02');
    queue.skip(2);
    const cursor = new QueueCursor();
    queue.mark(cursor);
    const spans: string[] = [];
    const walk = (max: number) => {
      while (max > 0) {
        const chunk = queue.nextSpan(cursor, max);
        if (chunk === undefined) return;
        spans.push(hex(chunk.subarray(cursor.start, cursor.end)));
        max -= cursor.end - cursor.start;
      }
    };
    walk(5);
    deepEqual(spans, ['0102']);
    queue.push(fromHex('03 04 05 06'));
    walk(3);
    deepEqual(spans, ['0102', '030405'], 'stops at max within the chunk');
    walk(10);
    deepEqual(spans, ['0102', '030405', '06']);
    equal(queue.length, 6, 'walking consumes nothing');
  });

  it('a mark on an empty queue starts at the next pushed chunk', () => {
    const queue = new ByteQueue(zeroed);
    const cursor = new QueueCursor();
    queue.mark(cursor);
    equal(queue.nextSpan(cursor, 10), undefined);
    queue.push(fromHex('0a 0b'));
    const chunk = queue.nextSpan(cursor, 10);
    ok(chunk !== undefined);
    equal(hex(chunk.subarray(cursor.start, cursor.end)), '0a0b');
  });
});

describe('ByteQueue: retains, clear', () => {
  it('retains is true while a view of the memory is queued, false once consumed', () => {
    const memory = new Uint8Array(8);
    const other = new Uint8Array(8);
    const queue = new ByteQueue(zeroed);
    queue.push(memory.subarray(2, 6));
    ok(queue.retains(memory.buffer));
    ok(!queue.retains(other.buffer));
    queue.skip(4);
    ok(!queue.retains(memory.buffer));
  });

  it('clear drops everything', () => {
    const memory = new Uint8Array(4);
    const queue = new ByteQueue(zeroed);
    queue.push(memory);
    queue.clear();
    equal(queue.length, 0);
    ok(!queue.retains(memory.buffer));
    queue.push(fromHex('01'));
    equal(hex(queue.take(1)), '01');
  });
});
