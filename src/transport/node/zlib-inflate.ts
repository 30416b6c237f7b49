/**
 * node:zlib's synchronous raw inflater in the shape permessage-deflate's
 * `PerMessageDeflatePlatform.inflateRaw` takes: the Node transport passes it
 * so large compressed messages (≥ 2 KiB of payload) inflate natively instead
 * of in pure JS (fflate keeps the small ones, where its reused buffer wins).
 *
 * Also the synchronous raw compressor (`deflateRaw`), with which
 * permessage-deflate compresses every message it sends (one
 * `deflateRawSync` per message, the history as its dictionary: zlib's ratio,
 * zlib's speed, and no thread-pool hand-off per message as in ws).
 *
 * And the asynchronous raw inflater (`inflateRawAsync`): large messages
 * inflate on zlib's thread pool, so one 16 MiB message does not stall
 * every other connection and timer of the process for tens of ms (small
 * ones stay synchronous: a hand-off costs tens of µs).
 *
 * Owns nothing else. Imports node:zlib and protocol types only.
 */
import { constants, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AsyncInflate, NativeDeflate, NativeInflate } from '../../protocol/permessage-deflate.js';

const SYNC = constants.Z_SYNC_FLUSH;

/**
 * Inflates `data` (a message payload with 00 00 FF FF appended, RFC 7692
 * §7.2.2) with `dictionary` as the window. `maxOutputLength` makes zlib stop
 * and throw ERR_BUFFER_TOO_LARGE as soon as the output passes the limit, so a
 * bomb costs at most the limit in memory and time: reported as `null`.
 */
export const zlibInflateRaw: NativeInflate = (data, dictionary, maxLength) => {
  try {
    return inflateRawSync(data, {
      finishFlush: SYNC,
      // zlib wants >= 1; a 0-byte limit is checked by the caller on the result.
      maxOutputLength: Math.max(1, maxLength),
      ...(dictionary !== undefined && dictionary.length > 0 ? { dictionary } : {}),
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw error;
  }
};

/**
 * Compresses `data` ending in a sync flush (RFC 7692 §7.2.1: the caller
 * strips 00 00 FF FF). zlib refuses an 8-bit raw window; its 9-bit window
 * keeps every distance within 250 bytes (512 - MIN_LOOKAHEAD), inside the
 * 256 bytes client_max_window_bits=8 allows.
 */
export const zlibDeflateRaw: NativeDeflate = (data, dictionary, windowBits, level) =>
  deflateRawSync(data, {
    finishFlush: SYNC,
    windowBits: Math.max(9, windowBits),
    level,
    ...(dictionary !== undefined && dictionary.length > 0 ? { dictionary } : {}),
  });

/** 00 00 FF FF: the end of the sync flush the sender removed (RFC 7692 §7.2.2). */
const SYNC_TAIL = /* @__PURE__ */ Uint8Array.of(0x00, 0x00, 0xff, 0xff);
/** zlib's output buffer: at least this, at most the limit (+1 so that going past it shows). */
const OUT_MIN = 256 * 1024;
/** Output guessed per compressed byte (JSON and logs compress about 3-5:1). */
const OUT_PER_INPUT = 4;
/** When the output did come in several buffers, they are joined this many bytes per event-loop turn. */
const JOIN_SLICE = 1024 * 1024;

/**
 * `zlibInflateRaw` off the event loop, for large messages: zlib inflates on
 * the libuv thread pool, straight from `payload` (the core keeps it
 * unchanged until this settles, so it is not copied) with the sync flush's
 * tail written after it.
 *
 * What is left for the event loop is kept in short tasks: zlib writes into
 * one output buffer sized from a guess (4 bytes per compressed byte, within
 * the limit); when the guess holds, the message is a view of that buffer,
 * whose pages the thread pool touched first (no copy at all); when it does
 * not, the pieces are joined 1 MiB per event-loop turn. (Writing 16 MiB of
 * fresh memory in one go costs tens of ms where page faults are slow, as
 * on VMs: that join was the longest stall.)
 *
 * The limit: output past `maxLength` stops zlib and resolves `null`.
 * Invalid data rejects with zlib's error. zlib copies `dictionary` when it
 * starts.
 */
export const zlibInflateRawAsync: AsyncInflate = (payload, dictionary, maxLength) =>
  new Promise((resolve, reject) => {
    const chunkSize = Math.max(64, Math.min(maxLength + 1, Math.max(OUT_MIN, payload.length * OUT_PER_INPUT)));
    const inflater = createInflateRaw({
      finishFlush: SYNC,
      chunkSize,
      ...(dictionary !== undefined && dictionary.length > 0 ? { dictionary } : {}),
    });
    const pieces: Buffer[] = [];
    let total = 0;
    let over = false;
    inflater.on('data', (piece: Buffer) => {
      if (over) return;
      total += piece.length;
      if (total > maxLength) {
        // Stop zlib here: memory stays within the limit plus one buffer.
        over = true;
        pieces.length = 0;
        inflater.destroy();
        resolve(null);
        return;
      }
      pieces.push(piece);
    });
    inflater.on('error', (error) => {
      if (!over) reject(error);
    });
    inflater.on('end', () => {
      if (!over) join(pieces, total).then(resolve, reject);
    });
    inflater.write(payload);
    inflater.end(SYNC_TAIL);
  });

/** The pieces as one buffer: a view when they are adjacent in one buffer (zlib's output buffer), else joined in slices. */
function join(pieces: Buffer[], total: number): Promise<Uint8Array> {
  if (pieces.length === 0) return Promise.resolve(new Uint8Array(0));
  const first = pieces[0]!;
  let adjacent = true;
  for (let i = 1; i < pieces.length && adjacent; i++) {
    const prev = pieces[i - 1]!;
    const piece = pieces[i]!;
    adjacent = piece.buffer === first.buffer && piece.byteOffset === prev.byteOffset + prev.length;
  }
  if (adjacent) return Promise.resolve(Buffer.from(first.buffer, first.byteOffset, total));
  const out = Buffer.allocUnsafe(total);
  return new Promise((resolve) => {
    let index = 0;
    let offset = 0;
    const step = (): void => {
      let copied = 0;
      while (index < pieces.length && copied < JOIN_SLICE) {
        const piece = pieces[index++]!;
        out.set(piece, offset);
        offset += piece.length;
        copied += piece.length;
      }
      if (index < pieces.length) setImmediate(step);
      else resolve(out);
    };
    step();
  });
}
