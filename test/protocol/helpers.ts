/**
 * Test helpers for the protocol suite (Node and Chromium): build server
 * frames byte by byte, record everything a `Protocol` emits, and decode the
 * masked frames it writes. Imports only the core and the harness.
 */
import { Protocol, type ProtocolCoreOptions } from '../../src/protocol/protocol.js';
import type { FrameTrace, ProtocolError, ProtocolSink } from '../../src/protocol/index.js';
import { hex } from '../support/harness.js';

export const te = new TextEncoder();
export const td = new TextDecoder();

export interface FrameSpec {
  fin?: boolean;
  /** RSV bits as they sit in byte 0 (0x40 = RSV1). */
  rsv?: number;
  /** Mask key: a (bad) masked server frame. */
  mask?: Uint8Array;
  /** Force a length encoding: 7, 16 or 64 bits. */
  lenBits?: 7 | 16 | 64;
}

/** A server-to-client frame (RFC 6455 §5.2). */
export function frame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), spec: FrameSpec = {}): Uint8Array {
  const data = typeof payload === 'string' ? te.encode(payload) : payload;
  const n = data.length;
  const bits = spec.lenBits ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const h = bits === 7 ? 2 : bits === 16 ? 4 : 10;
  const m = spec.mask ? 4 : 0;
  const out = new Uint8Array(h + m + n);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv ?? 0) | opcode;
  out[1] = (spec.mask ? 0x80 : 0) | (bits === 7 ? n : bits === 16 ? 126 : 127);
  if (bits === 16) {
    out[2] = n >>> 8;
    out[3] = n & 255;
  } else if (bits === 64) {
    const hi = Math.floor(n / 2 ** 32);
    for (let i = 0; i < 4; i++) out[2 + i] = (hi >>> (24 - 8 * i)) & 255;
    for (let i = 0; i < 4; i++) out[6 + i] = (n >>> (24 - 8 * i)) & 255;
  }
  if (spec.mask) out.set(spec.mask, h);
  for (let i = 0; i < n; i++) out[h + m + i] = data[i]! ^ (spec.mask ? spec.mask[i & 3]! : 0);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function closePayload(code: number, reason: Uint8Array | string = ''): Uint8Array {
  const r = typeof reason === 'string' ? te.encode(reason) : reason;
  return concat(new Uint8Array([code >>> 8, code & 255]), r);
}

/** A frame the client wrote, unmasked. */
export interface Written {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  key: Uint8Array;
  payload: Uint8Array;
  /** The raw bytes. */
  raw: Uint8Array;
}

/** Decodes one client frame (must be exactly one frame). */
export function decodeClientFrame(raw: Uint8Array): Written {
  const b0 = raw[0]!;
  const b1 = raw[1]!;
  let n = b1 & 0x7f;
  let p = 2;
  if (n === 126) {
    n = (raw[2]! << 8) | raw[3]!;
    p = 4;
  } else if (n === 127) {
    n = 0;
    for (let i = 2; i < 10; i++) n = n * 256 + raw[i]!;
    p = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const key = masked ? raw.slice(p, p + 4) : new Uint8Array(4);
  if (masked) p += 4;
  if (raw.length !== p + n) throw new Error(`client frame length mismatch: ${raw.length} vs ${p + n}`);
  const payload = new Uint8Array(n);
  for (let i = 0; i < n; i++) payload[i] = raw[p + i]! ^ key[i & 3]!;
  return { fin: (b0 & 0x80) !== 0, rsv: b0 & 0x70, opcode: b0 & 0x0f, masked, key, payload, raw };
}

export type Event =
  | ['message', string, boolean]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', string, number];

/** Hex for payloads up to 4 KiB; for larger ones length + FNV-1a hash (keeps big tests fast). */
export function digest(data: Uint8Array): string {
  if (data.length <= 4096) return hex(data);
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return `len=${data.length} fnv=${(h >>> 0).toString(16)}`;
}

/** Records sink calls. Message data is stored as text (text messages) or hex (binary). */
export class Recorder implements ProtocolSink {
  events: Event[] = [];
  written: Written[] = [];
  traces: FrameTrace[] = [];
  errors: ProtocolError[] = [];
  keepTrace = false;
  write(bytes: Uint8Array): void {
    this.written.push(decodeClientFrame(bytes));
  }
  message(data: Uint8Array, binary: boolean): void {
    this.events.push(['message', binary ? digest(data) : td.decode(data), binary]);
  }
  ping(payload: Uint8Array): void {
    this.events.push(['ping', hex(payload)]);
  }
  pong(payload: Uint8Array): void {
    this.events.push(['pong', hex(payload)]);
  }
  close(code: number, reason: string): void {
    this.events.push(['close', code, reason]);
  }
  error(error: ProtocolError): void {
    this.errors.push(error);
    this.events.push(['error', error.code, error.closeCode]);
  }
  /** The code in the close frame the client wrote: null = none written, 1005 = empty close. */
  closeWritten(): number | null {
    const c = this.written.find((w) => w.opcode === 8);
    if (!c) return null;
    return c.payload.length >= 2 ? (c.payload[0]! << 8) | c.payload[1]! : 1005;
  }
}

export class TracingRecorder extends Recorder {
  trace(f: FrameTrace): void {
    this.traces.push(f);
  }
}

export const fixedRandom = (b: Uint8Array) => {
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 255;
};

/** Feeds `bytes` (in the given pieces) to a fresh Protocol and returns what it did. */
export function run(input: Uint8Array | Uint8Array[], options: ProtocolCoreOptions = {}, rec: Recorder = new Recorder()) {
  const p = new Protocol(rec, { random: fixedRandom, ...options });
  const parts = Array.isArray(input) ? input : [input];
  for (const part of parts) p.receive(part);
  return { rec, p, events: rec.events, closeWritten: rec.closeWritten() };
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Every byte on its own. */
export function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1));
}

export function fromHexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
