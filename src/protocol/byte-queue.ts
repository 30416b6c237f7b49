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
 * `nextSpan`: checks that run before a frame is complete), gathering a
 * large frame into its own buffer read by read (`gatherAhead`,
 * `gatherRest`), and whether a region of memory is still referenced
 * (`retains`). Imports nothing.
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
  /**
   * A frame larger than RETAIN_MAX is gathered here read by read as it
   * arrives (`gatherAhead`): the copy and the page faults of fresh memory
   * are spread over the reads instead of one long task when the frame
   * completes (about 40 ms for 5 MiB on a loaded VM), and each read's
   * memory is released at once.
   */
  private gatherBuf: Uint8Array = EMPTY;
  /** Bytes of the frame being gathered that are already in `gatherBuf` (no longer counted in `length`). */
  gathered = 0;

  /** @param alloc where a buffer the caller keeps (`take(byteCount, true)`) comes from. */
  constructor(private readonly alloc: (size: number) => Uint8Array) {}

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

  /** True when the next `byteCount` bytes sit in one chunk (`take(byteCount)` then returns a view, not a copy). */
  holdsInFirst(byteCount: number): boolean {
    return this.chunks[0]!.length - this.pos >= byteCount;
  }

  /**
   * Consumes the next `byteCount` bytes: a view when they sit in one chunk, else a
   * copy into the reused frame buffer (valid until the next take), or into
   * a fresh `alloc(byteCount)` buffer when `fresh`.
   */
  take(byteCount: number, fresh = false): Uint8Array {
    if (byteCount === 0) return EMPTY;
    const head = this.chunks[0]!;
    const start = this.pos;
    this.length -= byteCount;
    if (head.length - start >= byteCount) {
      this.pos = start + byteCount;
      if (this.pos === head.length) {
        this.chunks.shift();
        this.pos = 0;
      }
      return head.subarray(start, start + byteCount);
    }
    return this.gather(byteCount, fresh);
  }

  /**
   * `take` for bytes that span chunks: copies them out. Kept apart so that
   * `take`'s common case (a view) stays small enough to be inlined into the
   * core's read loop.
   */
  private gather(byteCount: number, fresh: boolean): Uint8Array {
    const chunks = this.chunks;
    const start = this.pos;
    let out: Uint8Array;
    if (fresh) {
      out = this.alloc(byteCount);
    } else {
      if (this.frameBuf.length < byteCount) this.frameBuf = new Uint8Array(byteCount);
      out = byteCount === this.frameBuf.length ? this.frameBuf : this.frameBuf.subarray(0, byteCount);
      if (byteCount > RETAIN_MAX) this.frameBuf = EMPTY;
    }
    let copied = 0;
    let index = 0;
    let at = start;
    while (copied < byteCount) {
      const chunk = chunks[index]!;
      const count = Math.min(chunk.length - at, byteCount - copied);
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

  /**
   * Moves every queued byte (all of them the current frame's, `frameLength`
   * bytes in all) into the frame's own buffer, a fresh `alloc(frameLength)`
   * that `gatherRest` fills in full.
   */
  gatherAhead(frameLength: number): void {
    if (this.gatherBuf === EMPTY) this.gatherBuf = this.alloc(frameLength);
    const chunks = this.chunks;
    while (chunks.length > 0) {
      const chunk = chunks.shift()!;
      const part = this.pos === 0 ? chunk : chunk.subarray(this.pos);
      this.gatherBuf.set(part, this.gathered);
      this.gathered += part.length;
      this.pos = 0;
    }
    this.length = 0;
  }

  /** The rest of a gathered frame (now all queued): the whole frame, in its fresh buffer, which the caller keeps. */
  gatherRest(frameLength: number): Uint8Array {
    const out = this.gatherBuf;
    const chunks = this.chunks;
    let need = frameLength - this.gathered;
    while (need > 0) {
      const chunk = chunks[0]!;
      const count = Math.min(chunk.length - this.pos, need);
      out.set(chunk.subarray(this.pos, this.pos + count), this.gathered);
      this.gathered += count;
      this.length -= count;
      need -= count;
      if (this.pos + count === chunk.length) {
        chunks.shift();
        this.pos = 0;
      } else {
        this.pos += count;
      }
    }
    this.gatherBuf = EMPTY;
    this.gathered = 0;
    return out;
  }

  /** Consumes the next `byteCount` bytes without reading them. */
  skip(byteCount: number): void {
    const chunks = this.chunks;
    this.length -= byteCount;
    let at = this.pos + byteCount;
    let index = 0;
    while (index < chunks.length && at >= chunks[index]!.length) {
      at -= chunks[index]!.length;
      index++;
    }
    if (index > 0) chunks.splice(0, index);
    this.pos = at;
  }

  /** Copies the next `byteCount` bytes (at most `length`) into `out` without consuming them. */
  peek(out: Uint8Array, byteCount: number): void {
    let copied = 0;
    let at = this.pos;
    for (let index = 0; copied < byteCount; index++) {
      const chunk = this.chunks[index]!;
      while (at < chunk.length && copied < byteCount) out[copied++] = chunk[at++]!;
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

  /** Drops everything queued, the reused frame buffer and a frame being gathered. */
  clear(): void {
    this.chunks = NO_CHUNKS;
    this.pos = 0;
    this.length = 0;
    this.frameBuf = EMPTY;
    this.gatherBuf = EMPTY;
    this.gathered = 0;
  }
}
