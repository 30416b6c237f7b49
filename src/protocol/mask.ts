/**
 * Client-to-server masking (RFC 6455 §5.3): XOR with a 4-byte key, applied
 * in place to buffers the core owns (the frame it just allocated), a 32-bit
 * word at a time over the aligned middle of the buffer, bytes at the ends.
 *
 * Also owns the mask-key pool: random bytes are drawn from the injected
 * source 8 KiB at a time and handed out 4 bytes per frame, so a frame costs
 * no call into the random source (crypto.getRandomValues is slow per call).
 *
 * Imports only types and errors; no platform APIs except the lazy default
 * `globalThis.crypto.getRandomValues`.
 */
import { ErrorCodes, LifelineError } from './errors.js';
import type { RandomSource } from './types.js';

/** Below this many bytes a plain byte loop beats creating a word view. */
const WORD_THRESHOLD = 32;

const keyBytes = new Uint8Array(4);
const keyWord = new Int32Array(keyBytes.buffer);

/**
 * XORs `buf[start..end)` in place with `key[keyOff..keyOff+4)`; byte
 * `start + i` uses key byte `i & 3`. Masking twice restores the input.
 */
export function maskInPlace(buf: Uint8Array, start: number, end: number, key: Uint8Array, keyOff = 0): void {
  const k0 = key[keyOff]!;
  const k1 = key[keyOff + 1]!;
  const k2 = key[keyOff + 2]!;
  const k3 = key[keyOff + 3]!;
  const len = end - start;
  if (len < WORD_THRESHOLD) {
    for (let i = 0; i < len; i++) {
      const keyByte = (i & 3) === 0 ? k0 : (i & 3) === 1 ? k1 : (i & 3) === 2 ? k2 : k3;
      buf[start + i]! ^= keyByte;
    }
    return;
  }
  // Bytes until the absolute address is 4-aligned.
  const lead = (4 - ((buf.byteOffset + start) & 3)) & 3;
  for (let i = 0; i < lead; i++) buf[start + i]! ^= key[keyOff + i]!;
  // The key as one word, rotated so it lines up with the aligned start,
  // in platform byte order (the word view uses the same order).
  keyBytes[0] = key[keyOff + (lead & 3)]!;
  keyBytes[1] = key[keyOff + ((lead + 1) & 3)]!;
  keyBytes[2] = key[keyOff + ((lead + 2) & 3)]!;
  keyBytes[3] = key[keyOff + ((lead + 3) & 3)]!;
  const rotatedKey = keyWord[0]!;
  const alignedStart = start + lead;
  const words = (end - alignedStart) >>> 2;
  const view = new Int32Array(buf.buffer, buf.byteOffset + alignedStart, words);
  let i = 0;
  const unrolled = words & ~3;
  for (; i < unrolled; i += 4) {
    view[i] = view[i]! ^ rotatedKey;
    view[i + 1] = view[i + 1]! ^ rotatedKey;
    view[i + 2] = view[i + 2]! ^ rotatedKey;
    view[i + 3] = view[i + 3]! ^ rotatedKey;
  }
  for (; i < words; i++) view[i] = view[i]! ^ rotatedKey;
  for (let j = alignedStart + (words << 2); j < end; j++) buf[j]! ^= key[keyOff + ((j - start) & 3)]!;
}

/** The default random source: Web Crypto, looked up when first needed. */
export function defaultRandom(): RandomSource {
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => Uint8Array } }).crypto;
  if (!webCrypto || typeof webCrypto.getRandomValues !== 'function') {
    throw new LifelineError(
      ErrorCodes.NO_RANDOM_SOURCE,
      'No secure random source: globalThis.crypto.getRandomValues is missing; pass options.random',
    );
  }
  return (buf) => {
    // getRandomValues fills at most 65536 bytes per call.
    for (let off = 0; off < buf.length; off += 65536) webCrypto.getRandomValues!(buf.subarray(off, Math.min(buf.length, off + 65536)));
  };
}

let shared: MaskKeyPool | undefined;

/**
 * The pool shared by every connection that uses the default random source
 * (as ws does): one 8 KiB buffer per process instead of one per connection.
 */
export function sharedMaskKeyPool(): MaskKeyPool {
  return (shared ??= new MaskKeyPool());
}

/** Hands out 4-byte mask keys from a pooled random buffer. */
export class MaskKeyPool {
  private readonly random: RandomSource | undefined;
  private source: RandomSource | undefined;
  /** Allocated on the first key, so a connection that never sends costs no pool (idle-connection memory). */
  private pool: Uint8Array | undefined;
  private readonly poolSize: number;
  private pos: number;

  /** `random` defaults to `globalThis.crypto.getRandomValues` (resolved on first use). */
  constructor(random?: RandomSource, poolSize = 8192) {
    this.random = random;
    this.poolSize = poolSize;
    this.pos = poolSize;
  }

  /** Writes the next key to `out[off..off+4)`. */
  next(out: Uint8Array, off: number): void {
    if (this.pos + 4 > this.poolSize) {
      this.source ??= this.random ?? defaultRandom();
      this.pool ??= new Uint8Array(this.poolSize);
      this.source(this.pool);
      this.pos = 0;
    }
    const pool = this.pool!;
    const position = this.pos;
    out[off] = pool[position]!;
    out[off + 1] = pool[position + 1]!;
    out[off + 2] = pool[position + 2]!;
    out[off + 3] = pool[position + 3]!;
    this.pos = position + 4;
  }
}
