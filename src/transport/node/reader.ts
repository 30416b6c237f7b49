/**
 * Socket reads into memory the transport chooses (Node's `onread` option),
 * instead of Node's fresh 64 KiB allocation per read.
 *
 * Owns: where each read of one socket lands, and when that memory may be
 * read into again. Must not import the protocol core or the WebSocket
 * class: it hands bytes to whatever `target` is (the dial's response
 * parser, then the connection).
 *
 * Why: Node reads at most 64 KiB per syscall, into a fresh allocation (and
 * copies a short read once more, to fit). A firehose of 64 KiB messages then
 * costs a syscall and an allocation per message, and nearly every frame
 * straddles two reads, so the core copies it again to make it contiguous.
 *
 * The rules:
 * - A quiet socket reads into one region shared by every socket of the
 *   process, so an idle connection pins no read memory at all. What lands
 *   there is copied out before the callback returns; reads are synchronous,
 *   so no other socket can read in between. (Node pays that copy for every
 *   short read too.)
 * - A read that fills its region means more is waiting: the next read goes
 *   to a private SLAB (two of Node's reads per syscall, most frames whole
 *   inside one read, where the core parses them in place). A short read
 *   means the socket drained: back to the shared region, and private slabs
 *   are left to the GC. Netty's adaptive receive buffer works the same way:
 *   grow on full reads, shrink on short ones.
 * - Memory handed to `target` is not written again while anything may see
 *   it (the core's contract for `receive()`): a slab is read into again
 *   only when the target says it keeps nothing of it (the core has parsed
 *   all of it) and no view of it went out for good (`keep()`: a binary
 *   message handed to the user). A busy socket then alternates two slabs,
 *   warm in cache, with no allocation per read. Without reuse, a fresh
 *   128 KiB allocation per read costs more in malloc's mmap and trim churn
 *   (page faults: about 3x the CPU per message of a 64 KiB text firehose)
 *   than the larger reads save.
 */

/**
 * Whether this runtime's node:net honours `onread` as Node does (a factory
 * called after every read, reads bounded by the buffer it returned). Bun's
 * emulation did not (oven-sh/bun#33382: the factory is never called and the
 * callback gets Bun's own chunk), and Deno's is unverified: both keep the
 * 'data' events, which every runtime implements.
 */
export const readerSupported: boolean = typeof process.versions.bun !== 'string' && typeof process.versions.deno !== 'string';

/** The region shared by quiet sockets: Node's own read size. */
export const SHARED_READ = 64 * 1024;
/**
 * A busy socket's private slab: two of Node's reads per syscall. 256 KiB
 * measured slower for text firehoses (about 40k against 46k msg/s of 64 KiB
 * on a 2-core EPYC), though a little faster when the bytes are not read.
 */
export const SLAB = 128 * 1024;

/** Where reads go. */
export interface ReadTarget {
  /** One read: a view that stays valid until `releases` says otherwise. */
  readChunk(chunk: Uint8Array): void;
  /**
   * Whether the target keeps nothing of `memory` (an earlier read's slab)
   * any more, so it may be read into again. Absent: never reused.
   */
  releases?(memory: ArrayBufferLike): boolean;
}

const noTarget: ReadTarget = { readChunk() {} };

/** The one region quiet sockets read into (allocated on first use). */
let shared: Buffer | undefined;

/** Reports an error thrown by a target after the read returned (as an uncaught exception, like a throwing 'data' listener). */
function rethrowLater(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

export class SocketReader {
  /** @internal Tests set this: a slab is filled with 0xee before it is read into again, so a view kept by mistake shows. */
  static poison = false;
  /** @internal How many reads went into a reused slab (process-wide; tests assert reuse happens). */
  static reuses = 0;
  /** @internal Where an exception thrown by the target goes (tests replace it). */
  static report: (error: unknown) => void = rethrowLater;
  target: ReadTarget = noTarget;
  /** Hand the target Buffers (true) or plain Uint8Array views (cheaper to subarray). */
  buffers = false;
  /** The slab for the next read; undefined: the shared region. */
  private region: Buffer | undefined = undefined;
  /** The private slab the current or last read landed in, and whether a view of it was handed out for good. */
  private cur: Buffer | undefined = undefined;
  private kept = false;
  /** A slab nothing refers to any more, ready for the next read. */
  private spare: Buffer | undefined = undefined;

  /** Stop delivering and let go of the slabs: whatever the socket still reads is dropped. */
  detach(): void {
    this.target = noTarget;
    this.region = this.cur = this.spare = undefined;
  }

  /** The target handed out a view of the current read for good (e.g. a binary message): never reuse its slab. */
  keep(): void {
    this.kept = true;
  }

  /** True while the target handles a read that landed in a private slab (not a copy out of the shared region). */
  get inSlab(): boolean {
    return this.cur !== undefined;
  }

  /** net's `onread.buffer`: where the next read lands (Node calls it after every read). */
  readonly next = (): Buffer => this.region ?? (shared ??= Buffer.allocUnsafeSlow(SHARED_READ));

  /** net's `onread.callback`: `byteCount` bytes landed at the start of `region`. */
  readonly read = (byteCount: number, region: Uint8Array): boolean => {
    let chunk: Uint8Array;
    const prev = this.cur;
    const prevKept = this.kept;
    this.kept = false;
    if (region === shared) {
      // Copy out now: the next socket to read overwrites the shared region.
      // (allocUnsafe: a TLS socket reads every 16 KiB record here; no zero-fill.)
      const copy = Buffer.allocUnsafe(byteCount);
      copy.set(region.subarray(0, byteCount));
      chunk = this.buffers ? copy : new Uint8Array(copy.buffer, copy.byteOffset, byteCount);
      this.cur = undefined;
    } else {
      chunk = this.buffers ? Buffer.from(region.buffer, region.byteOffset, byteCount) : new Uint8Array(region.buffer, region.byteOffset, byteCount);
      this.cur = region as Buffer;
    }
    const target = this.target;
    try {
      target.readChunk(chunk);
    } catch (error) {
      // Node only asks for the next buffer when this callback returns: a throw
      // would make the next read land on bytes the target still holds.
      SocketReader.report(error);
    }
    // Detached while handling this read (terminate() in a handler): detach()
    // cleared the slabs, so a dead socket gets the shared region, not a fresh slab.
    if (this.target === noTarget) return true;
    // Now that the target has taken this read, the slab before it is free
    // unless a view of it went out or the target still holds its unparsed tail.
    if (prev !== undefined && prev !== region && !prevKept && target.releases?.(prev.buffer) === true) this.spare = prev;
    if (byteCount < region.length) {
      // Drained: the next read waits in the shared region, and a quiet
      // connection keeps no slab (the GC frees them once their views die).
      this.region = this.cur = this.spare = undefined;
    } else if (this.spare !== undefined) {
      // Filled: more is waiting. Read into the free slab (still warm in cache) ...
      this.region = this.spare;
      this.spare = undefined;
      SocketReader.reuses++;
      if (SocketReader.poison) this.region.fill(0xee);
    } else {
      // ... or a fresh one.
      this.region = Buffer.allocUnsafe(SLAB);
    }
    return true;
  };
}
