/**
 * Streaming, fatal UTF-8 validation (RFC 3629 §4, Unicode Table 3-7) for text
 * messages and close reasons (RFC 6455 §5.6, §8.1).
 *
 * A small DFA: the state after each byte says how many continuation bytes
 * are still owed and which range the next one must fall in, so a fragment
 * (or a TCP read) may end in the middle of a sequence and validation resumes
 * with the next one. Overlong forms, surrogates (U+D800..DFFF) and code
 * points above U+10FFFF reach the REJECT state on the first byte that
 * proves them wrong, which is what lets the core fail with 1007 as soon as
 * bad bytes arrive (Autobahn 6.4.x "fail fast").
 *
 * Owns: the tables, `utf8Step`, and `Utf8Stream`: the check of one text
 * message as it arrives, with an optional native shortcut. Imports nothing.
 */

/** The validator is at a code point boundary: everything so far is complete, valid UTF-8. */
export const UTF8_ACCEPT = 0;
/** An invalid sequence was seen; the state never leaves REJECT. */
export const UTF8_REJECT = 1;

// States (after ACCEPT/REJECT): what the next byte must be.
const NEED1 = 2; // one more 80..BF
const NEED2 = 3; // two more 80..BF
const NEED3 = 4; // three more 80..BF
const E0 = 5; // after E0: A0..BF (no overlong 3-byte forms)
const ED = 6; // after ED: 80..9F (no surrogates)
const F0 = 7; // after F0: 90..BF (no overlong 4-byte forms)
const F4 = 8; // after F4: 80..8F (nothing above U+10FFFF)
const STATES = 9;

// Byte classes.
const C_ASCII = 0; // 00..7F
const C_80_8F = 1;
const C_90_9F = 2;
const C_A0_BF = 3;
const C_BAD = 4; // C0, C1, F5..FF: never valid
const C_LEAD2 = 5; // C2..DF
const C_E0 = 6;
const C_LEAD3 = 7; // E1..EC, EE..EF
const C_ED = 8;
const C_F0 = 9;
const C_LEAD4 = 10; // F1..F3
const C_F4 = 11;
const CLASSES = 12;

function classOf(byte: number): number {
  if (byte < 0x80) return C_ASCII;
  if (byte < 0x90) return C_80_8F;
  if (byte < 0xa0) return C_90_9F;
  if (byte < 0xc0) return C_A0_BF;
  if (byte < 0xc2) return C_BAD;
  if (byte < 0xe0) return C_LEAD2;
  if (byte === 0xe0) return C_E0;
  if (byte === 0xed) return C_ED;
  if (byte < 0xf0) return C_LEAD3;
  if (byte === 0xf0) return C_F0;
  if (byte < 0xf4) return C_LEAD4;
  if (byte === 0xf4) return C_F4;
  return C_BAD;
}

/** byte -> class */
const CLASS = new Uint8Array(256);
/** state * CLASSES + class -> state */
const NEXT = new Uint8Array(STATES * CLASSES).fill(UTF8_REJECT);

(function buildTables() {
  for (let byte = 0; byte < 256; byte++) CLASS[byte] = classOf(byte);
  const set = (from: number, byteClass: number, to: number) => {
    NEXT[from * CLASSES + byteClass] = to;
  };
  // From ACCEPT: lead bytes (Unicode Table 3-7, first column).
  set(UTF8_ACCEPT, C_ASCII, UTF8_ACCEPT);
  set(UTF8_ACCEPT, C_LEAD2, NEED1);
  set(UTF8_ACCEPT, C_E0, E0);
  set(UTF8_ACCEPT, C_LEAD3, NEED2);
  set(UTF8_ACCEPT, C_ED, ED);
  set(UTF8_ACCEPT, C_F0, F0);
  set(UTF8_ACCEPT, C_LEAD4, NEED3);
  set(UTF8_ACCEPT, C_F4, F4);
  // Continuation bytes.
  for (const byteClass of [C_80_8F, C_90_9F, C_A0_BF]) {
    set(NEED1, byteClass, UTF8_ACCEPT);
    set(NEED2, byteClass, NEED1);
    set(NEED3, byteClass, NEED2);
  }
  set(E0, C_A0_BF, NEED1);
  set(ED, C_80_8F, NEED1);
  set(ED, C_90_9F, NEED1);
  set(F0, C_90_9F, NEED2);
  set(F0, C_A0_BF, NEED2);
  set(F4, C_80_8F, NEED2);
})();

/** Below this many bytes, creating a word view costs more than it saves. */
const WORD_SCAN_MIN = 64;

/**
 * Whether the ASCII scan reads 64-bit words (BigUint64Array). V8 from 11.3
 * (Node 20+) compiles `BigInt.asUintN(64, (a | b) & m)` on typed-array loads
 * to plain machine-word operations, so 8 bytes cost one load: measured 18
 * GB/s against 10.5 GB/s for 32-bit words on a 64 KiB ASCII run (Node 20,
 * 2-core EPYC). Where that lowering is absent (older V8, other engines)
 * every BigInt operation allocates and the scan would be several times
 * slower (1.7-3.4 GB/s measured without asUintN), so those keep 32-bit
 * words. Browsers take the 32-bit path: they expose no reliable engine
 * version. Bun (JavaScriptCore) is excluded by name in case it reports a
 * `process.versions.v8`.
 */
const WIDE = ((): boolean => {
  const globals = globalThis as { process?: { versions?: { v8?: unknown } }; Bun?: unknown };
  if (typeof BigUint64Array !== 'function' || globals.Bun !== undefined) return false;
  const version = globals.process?.versions?.v8;
  if (typeof version !== 'string') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 11 || (major === 11 && minor >= 3);
})();
const HIGH64 = 0x8080808080808080n;
/** Spans shorter than this keep 32-bit words even when WIDE: the 64-bit setup (up to 7 bytes to align) did not pay off at 1 KiB. */
const WIDE_SCAN_MIN = 2048;

/** Returns the index of the first non-ASCII byte in the aligned middle of bytes[position..end), or where the word scan stopped. */
function skipAscii(bytes: Uint8Array, position: number, end: number): number {
  if (WIDE && end - position >= WIDE_SCAN_MIN) return skipAscii64(bytes, position, end);
  while (((bytes.byteOffset + position) & 3) !== 0) {
    if (bytes[position]! >= 0x80) return position;
    position++;
  }
  const words = (end - position) >>> 2;
  const view32 = wordView(bytes.buffer);
  const first = (bytes.byteOffset + position) >>> 2;
  const last = first + words;
  let word = first;
  const unrolled = first + (words & ~7);
  while (word < unrolled && ((view32[word]! | view32[word + 1]! | view32[word + 2]! | view32[word + 3]! | view32[word + 4]! | view32[word + 5]! | view32[word + 6]! | view32[word + 7]!) & 0x80808080) === 0) word += 8;
  while (word < last && (view32[word]! & 0x80808080) === 0) word++;
  return position + ((word - first) << 2);
}

/** `skipAscii` over 64-bit words (see WIDE); the caller guarantees end - position >= WORD_SCAN_MIN. */
function skipAscii64(bytes: Uint8Array, position: number, end: number): number {
  while (((bytes.byteOffset + position) & 7) !== 0) {
    if (bytes[position]! >= 0x80) return position;
    position++;
  }
  const words = (end - position) >>> 3;
  const view64 = wideView(bytes.buffer);
  const first = (bytes.byteOffset + position) >>> 3;
  const last = first + words;
  let word = first;
  // 4 words per test: measured faster than 8 (and than 1) with this lowering.
  const unrolled = first + (words & ~3);
  while (word < unrolled && BigInt.asUintN(64, (view64[word]! | view64[word + 1]! | view64[word + 2]! | view64[word + 3]!) & HIGH64) === 0n) word += 4;
  while (word < last && BigInt.asUintN(64, view64[word]! & HIGH64) === 0n) word++;
  return position + ((word - first) << 3);
}

// One word view per underlying buffer, reused while messages come from the
// same read (creating a typed array costs more than scanning 1 KiB). Only
// buffers up to 1 MiB are remembered, so at most that much stays referenced.
let viewOf: ArrayBufferLike | undefined;
let view: Int32Array<ArrayBufferLike> = new Int32Array(0);
function wordView(buf: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  if (buf === viewOf) return view;
  const created = new Int32Array(buf, 0, buf.byteLength >>> 2);
  if (buf.byteLength <= 1024 * 1024) {
    viewOf = buf;
    view = created;
  }
  return created;
}
let wideOf: ArrayBufferLike | undefined;
let wide: BigUint64Array<ArrayBufferLike> | undefined; // not created unless WIDE (BigUint64Array may be missing)
function wideView(buf: ArrayBufferLike): BigUint64Array<ArrayBufferLike> {
  if (buf === wideOf && wide !== undefined) return wide;
  const created = new BigUint64Array(buf, 0, buf.byteLength >>> 3);
  if (buf.byteLength <= 1024 * 1024) {
    wideOf = buf;
    wide = created;
  }
  return created;
}

/**
 * Feeds `bytes[start..end)` to the validator in `state` and returns the new
 * state: `UTF8_ACCEPT` at a boundary, `UTF8_REJECT` on the first invalid
 * byte (it stops there), anything else in the middle of a sequence.
 */
export function utf8Step(state: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let position = start;
  while (position < end) {
    if (state === UTF8_ACCEPT) {
      // ASCII runs are the common case for text protocols: skip them a word at a time.
      if (end - position >= WORD_SCAN_MIN) position = skipAscii(bytes, position, end);
      while (position < end && bytes[position]! < 0x80) position++;
      if (position === end) break;
    }
    state = NEXT[state * CLASSES + CLASS[bytes[position]!]!]!;
    if (state === UTF8_REJECT) return UTF8_REJECT;
    position++;
  }
  return state;
}

/** Like `utf8Step` but returns the index of the first byte that made the input invalid, or -1. */
export function utf8FirstInvalid(state: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  for (let i = start; i < end; i++) {
    state = NEXT[state * CLASSES + CLASS[bytes[i]!]!]!;
    if (state === UTF8_REJECT) return i;
  }
  return -1;
}

/** True when `bytes` is complete, valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return utf8Step(UTF8_ACCEPT, bytes) === UTF8_ACCEPT;
}

/** Below this size the DFA beats a call into a native whole-buffer check. */
export const NATIVE_UTF8_MIN = 256;

/**
 * Where the last complete UTF-8 character of bytes[..end) ends: `end`,
 * unless the last (at most 4) bytes are the start of an unfinished
 * multi-byte sequence, then the index of its lead byte. Only a hint: bytes
 * that are invalid anyway are left for the checks to reject. The caller
 * guarantees end >= 4 bytes past its start.
 */
function lastBoundary(bytes: Uint8Array, end: number): number {
  let at = end - 1;
  const stop = end - 4;
  // Back up over continuation bytes (10xxxxxx) to the lead of the last sequence.
  while (at > stop && (bytes[at]! & 0xc0) === 0x80) at--;
  const lead = bytes[at]!;
  if (lead < 0xc0) return end;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return end - at < need ? at : end;
}

/**
 * The UTF-8 check of one text message as its bytes arrive (RFC 6455 §8.1:
 * fail as soon as invalid bytes arrive, even inside an unfinished frame),
 * with an optional native whole-buffer check as a shortcut.
 *
 * With a shortcut (e.g. Node's SIMD `buffer.isUtf8`) and at least 256
 * bytes at a code point boundary, the span up to its last complete
 * character goes to the shortcut and only the tail (at most 3 bytes of an
 * unfinished character) to the DFA. The shortcut is only trusted when it
 * says "valid": otherwise the DFA reads the whole span again, so a failure
 * is still found at the exact first bad byte (Autobahn 6.4.x). The shortcut
 * must implement strict UTF-8 (no surrogates, overlongs or code points
 * above U+10FFFF).
 */
export class Utf8Stream {
  /** The DFA state: UTF8_ACCEPT at a boundary, UTF8_REJECT once invalid. */
  state = UTF8_ACCEPT;

  constructor(private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined) {}

  /** Starts a new message. */
  reset(): void {
    this.state = UTF8_ACCEPT;
  }

  /** Feeds bytes[start..end); false once the message is invalid. */
  push(bytes: Uint8Array, start: number, end: number): boolean {
    let from = start;
    if (this.isUtf8 !== undefined && end - start >= NATIVE_UTF8_MIN) {
      let state = this.state;
      // A character left unfinished by the previous push: finish it with the DFA (at most 3 bytes).
      while (state > UTF8_REJECT && from - start < 3) state = utf8Step(state, bytes, from, ++from);
      this.state = state;
      if (state !== UTF8_ACCEPT) return state !== UTF8_REJECT;
      const cut = lastBoundary(bytes, end);
      if (cut - from >= NATIVE_UTF8_MIN && this.isUtf8(from === 0 && cut === bytes.length ? bytes : bytes.subarray(from, cut))) from = cut;
    }
    if (from < end) this.state = utf8Step(this.state, bytes, from, end);
    return this.state !== UTF8_REJECT;
  }

  /** True at a code point boundary: the text so far is complete, valid UTF-8. */
  get complete(): boolean {
    return this.state === UTF8_ACCEPT;
  }
}
