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
 * Owns nothing else. Imports node:zlib and protocol types only.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { NativeDeflate, NativeInflate } from '../../protocol/permessage-deflate.js';

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
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw e;
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
