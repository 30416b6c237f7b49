// Benchmark payloads and server-side frames (RFC 6455 §5.2), built once per
// server so the server only copies bytes. Owns: payload generation, frame
// headers, the looping permessage-deflate stream. Imports only node:*.
import { createHash } from 'node:crypto';
import { createDeflateRaw, constants as Z } from 'node:zlib';

/** Deterministic PRNG (mulberry32) so every run sends the same bytes. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['price', 'symbol', 'user', 'id', 'status', 'ok', 'update', 'channel', 'ts', 'seq', 'value', 'delta', 'room', 'text'];

/**
 * ASCII JSON-like text of exactly `size` bytes: what chat/ticker traffic looks
 * like, so compression ratios are realistic (neither random nor constant).
 */
export function jsonLike(size, rand) {
  let s = '{';
  while (s.length < size) {
    const w = WORDS[(rand() * WORDS.length) | 0];
    s += `"${w}":${(rand() * 100000) | 0},`;
  }
  s = s.slice(0, Math.max(0, size - 1)) + '}';
  return s.slice(0, size);
}

/** Unmasked server frame header (§5.2): FIN set; RSV1 when compressed (RFC 7692 §6). */
export function frameHeader(opcode, length, rsv1 = false) {
  const b0 = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) return Buffer.from([b0, length]);
  if (length < 65536) {
    const h = Buffer.alloc(4);
    h[0] = b0; h[1] = 126; h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.alloc(10);
  h[0] = b0; h[1] = 127; h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

export function frame(opcode, payload, rsv1 = false) {
  return Buffer.concat([frameHeader(opcode, payload.length, rsv1), payload]);
}

/** Sec-WebSocket-Accept for a key (§4.2.2 step 5.4). */
export function acceptKey(key) {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** `count` distinct messages of `size` bytes. */
export function messages(size, count, seed = 1) {
  const rand = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) out.push(Buffer.from(jsonLike(size, rand)));
  return out;
}

/**
 * Repeats `frames` until the chunk is at least `min` bytes, so one write()
 * carries many messages and the server is never the bottleneck.
 */
export function repeatToChunk(frames, min = 256 * 1024) {
  const one = Buffer.concat(frames);
  const n = Math.max(1, Math.ceil(min / one.length));
  return { chunk: Buffer.concat(Array(n).fill(one)), perChunk: n * frames.length };
}

async function deflateEach(msgs, deflate) {
  const out = [];
  for (const m of msgs) {
    const parts = [];
    const onData = (c) => parts.push(c);
    deflate.on('data', onData);
    deflate.write(m);
    await new Promise((resolve) => deflate.flush(Z.Z_SYNC_FLUSH, resolve));
    deflate.off('data', onData);
    const all = Buffer.concat(parts);
    // RFC 7692 §7.2.1: drop the trailing 00 00 FF FF of the sync flush.
    out.push(all.subarray(0, all.length - 4));
  }
  return out;
}

/**
 * A permessage-deflate stream with context takeover (RFC 7692 §7.2.3) that can
 * be replayed forever: the same message cycle (>= 32 KiB of plain text) is
 * compressed twice by one zlib stream. `prefix` (pass 1) brings the client's
 * window to the state it has at the end of every cycle, so `loop` (pass 2) is
 * valid to send again and again after it.
 */
export async function deflateLoop(size, opcode, seed = 7) {
  // At least 64 KiB of plain text per cycle (two windows); large messages
  // need only two per cycle (the window after a message is its own tail).
  const count = size >= 1024 * 1024 ? 2 : Math.max(4, Math.ceil((64 * 1024) / size));
  const msgs = messages(size, count, seed);
  const deflate = createDeflateRaw({ level: Z.Z_DEFAULT_COMPRESSION, windowBits: 15, memLevel: 8 });
  const pass1 = await deflateEach(msgs, deflate);
  const pass2 = await deflateEach(msgs, deflate);
  deflate.close();
  const plainBytes = msgs.reduce((n, m) => n + m.length, 0);
  const wireBytes = pass2.reduce((n, m) => n + m.length, 0);
  return {
    prefix: Buffer.concat(pass1.map((p) => frame(opcode, p, true))),
    loopFrames: pass2.map((p) => frame(opcode, p, true)),
    ratio: wireBytes / plainBytes,
  };
}
