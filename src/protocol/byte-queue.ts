/**
 * The received bytes the core has not consumed yet, kept as views of the
 * chunks they arrived in: zero-copy until a frame needs to be contiguous.
 *
 * The queue is only used when a frame straddles reads: while nothing is
 * queued, the core parses frames straight out of each incoming chunk and
 * never touches it (see protocol.ts). A connection that has never had a
 * frame straddle reads holds no array at all.
 *
 * Owns: the chunk list and its read position, consuming from the front
 * (`take`, `skip`, `peek`), the reused buffer a straddling frame is copied
 * into, walking the bytes queued after a point one span at a time (`mark`,
 * `nextSpan`: checks that run before a frame is complete), and whether a
 * region of memory is still referenced (`retains`). Imports nothing.
 */

const EMPTY = new Uint8Array(0);
/** Shared empty list, never pushed to: no array until a frame straddles reads. */
const NO_CHUNKS: Uint8Array[] = [];
/** The reused frame buffer is dropped after a frame larger than this (memory per idle connection). */
export const RETAIN_MAX = 1024 * 1024;

/**
 * A position in the queue (chunk `index`, byte `offset`) from which
 * `nextSpan` hands out the bytes that arrived since, and where the last
 * span it found starts and ends. Valid until bytes are consumed from the
 * front: place it again with `mark` after that.
 */
export class QueueCursor {
  index = 0;
  offset = 0;
  start = 0;
  end = 0;
}

export class ByteQueue {
  /** Bytes queued and not yet consumed. */
  length = 0;
  private chunks: Uint8Array[] = NO_CHUNKS;
  /** Where in `chunks[0]` the unconsumed bytes start. */
  private pos = 0;
  /** Reused for frames that straddle reads (allocating 64 KiB per frame costs more than copying it). */
  private frameBuf: Uint8Array = EMPTY;

  /** @param alloc where a buffer the caller keeps (`take(n, true)`) comes from. */
  constructor(private readonly alloc: (n: number) => Uint8Array) {}

  /** Appends a chunk; the queue keeps a view of it until its bytes are consumed. */
  push(chunk: Uint8Array): void {
    if (this.chunks === NO_CHUNKS) this.chunks = [chunk];
    else this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The chunk the next unconsumed byte is in (valid while `length > 0`). */
  get first(): Uint8Array {
    return this.chunks[0]!;
  }

  /** Where in `first` the next unconsumed byte is. */
  get offset(): number {
    return this.pos;
  }

  /** True when the next `n` bytes sit in one chunk (`take(n)` then returns a view, not a copy). */
  holdsInFirst(n: number): boolean {
    return this.chunks[0]!.length - this.pos >= n;
  }

  /**
   * Consumes the next `n` bytes: a view when they sit in one chunk, else a
   * copy into the reused frame buffer (valid until the next take), or into
   * a fresh `alloc(n)` buffer when `fresh`.
   */
  take(n: number, fresh = false): Uint8Array {
    if (n === 0) return EMPTY;
    const head = this.chunks[0]!;
    const start = this.pos;
    this.length -= n;
    if (head.length - start >= n) {
      this.pos = start + n;
      if (this.pos === head.length) {
        this.chunks.shift();
        this.pos = 0;
      }
      return head.subarray(start, start + n);
    }
    return this.gather(n, fresh);
  }

  /**
   * `take` for bytes that span chunks: copies them out. Kept apart so that
   * `take`'s common case (a view) stays small enough to be inlined into the
   * core's read loop.
   */
  private gather(n: number, fresh: boolean): Uint8Array {
    const chunks = this.chunks;
    const start = this.pos;
    let out: Uint8Array;
    if (fresh) {
      out = this.alloc(n);
    } else {
      if (this.frameBuf.length < n) this.frameBuf = new Uint8Array(n);
      out = n === this.frameBuf.length ? this.frameBuf : this.frameBuf.subarray(0, n);
      if (n > RETAIN_MAX) this.frameBuf = EMPTY;
    }
    let copied = 0;
    let index = 0;
    let at = start;
    while (copied < n) {
      const chunk = chunks[index]!;
      const count = Math.min(chunk.length - at, n - copied);
      out.set(chunk.subarray(at, at + count), copied);
      copied += count;
      at += count;
      if (at === chunk.length) {
        index++;
        at = 0;
      }
    }
    chunks.splice(0, index);
    this.pos = at;
    return out;
  }

  /** Consumes the next `n` bytes without reading them. */
  skip(n: number): void {
    const chunks = this.chunks;
    this.length -= n;
    let at = this.pos + n;
    let index = 0;
    while (index < chunks.length && at >= chunks[index]!.length) {
      at -= chunks[index]!.length;
      index++;
    }
    if (index > 0) chunks.splice(0, index);
    this.pos = at;
  }

  /** Copies the next `n` bytes (at most `length`) into `out` without consuming them. */
  peek(out: Uint8Array, n: number): void {
    let copied = 0;
    let at = this.pos;
    for (let index = 0; copied < n; index++) {
      const chunk = this.chunks[index]!;
      while (at < chunk.length && copied < n) out[copied++] = chunk[at++]!;
      at = 0;
    }
  }

  /** Places `cursor` at the next unconsumed byte (or where the next pushed chunk will start). */
  mark(cursor: QueueCursor): void {
    cursor.index = 0;
    cursor.offset = this.pos;
  }

  /**
   * The next span after `cursor`, at most `max` bytes (`max` > 0: the
   * caller stops once it has what it wanted) and within one chunk: returns
   * that chunk with the span in `cursor.start`..`cursor.end`, and moves the
   * cursor past it; undefined when nothing more is queued.
   */
  nextSpan(cursor: QueueCursor, max: number): Uint8Array | undefined {
    const chunks = this.chunks;
    while (cursor.index < chunks.length) {
      const chunk = chunks[cursor.index]!;
      const start = cursor.offset;
      const end = Math.min(chunk.length, start + max);
      if (end === chunk.length) {
        cursor.index++;
        cursor.offset = 0;
      } else {
        cursor.offset = end;
      }
      if (end > start) {
        cursor.start = start;
        cursor.end = end;
        return chunk;
      }
    }
    return undefined;
  }

  /**
   * Whether a queued chunk is a view of `memory`. A caller that reads into
   * memory it recycles asks this before writing there again.
   */
  retains(memory: ArrayBufferLike): boolean {
    // Linear, but the queue holds one entry per read a frame spans: a few at most.
    const chunks = this.chunks;
    for (let i = 0; i < chunks.length; i++) if (chunks[i]!.buffer === memory) return true;
    return false;
  }

  /** Drops everything queued and the reused frame buffer. */
  clear(): void {
    this.chunks = NO_CHUNKS;
    this.pos = 0;
    this.length = 0;
    this.frameBuf = EMPTY;
  }
}
