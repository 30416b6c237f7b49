/**
 * How `--trace`, `--show-control` and close events look: frame lines with
 * opcode names and FIN/RSV/mask flags, handshake heads, close-code names.
 *
 * Owns: those formatters. Imports only types.
 */
import type { FrameTrace } from '../protocol/types.js';
import type { TraceRecord } from './socket.js';

export const OPCODE_NAMES: Record<number, string> = {
  0: 'CONT',
  1: 'TEXT',
  2: 'BINARY',
  8: 'CLOSE',
  9: 'PING',
  10: 'PONG',
};

/** Registered close codes (RFC 6455 §7.4.1, IANA registry) → short names. */
export const CLOSE_NAMES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status received',
  1006: 'abnormal closure, no close frame',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal server error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
  1015: 'TLS handshake failure',
};

export function closeName(code: number): string {
  return CLOSE_NAMES[code] ?? (code >= 4000 && code <= 4999 ? 'application code' : code >= 3000 && code <= 3999 ? 'registered library code' : 'unknown');
}

/** `→ TEXT fin rsv1 masked len=5 compressed` */
export function frameLine(frame: FrameTrace): string {
  const flags = [frame.fin ? 'fin' : 'nofin', frame.rsv1 ? 'rsv1' : '', frame.rsv2 ? 'rsv2' : '', frame.rsv3 ? 'rsv3' : '', frame.masked ? 'masked' : ''].filter(Boolean).join(' ');
  const name = OPCODE_NAMES[frame.opcode] ?? `0x${frame.opcode.toString(16)}`;
  return `${frame.direction === 'out' ? '→' : '←'} frame ${name.padEnd(6)} ${flags} len=${frame.length}${frame.compressed ? ' compressed' : ''}`;
}

/** Human lines for a trace record (a frame is one line; a handshake head is its start line plus headers). */
export function traceLines(record: TraceRecord): string[] {
  if ('opcode' in record) return [frameLine(record)];
  const arrow = record.direction === 'out' ? '→' : '←';
  return [`${arrow} ${record.startLine}`, ...record.headers.map(([name, value]) => `${arrow}   ${name}: ${value}`)];
}

/** JSON fields of a trace record. */
export function traceJson(record: TraceRecord): Record<string, unknown> {
  if ('opcode' in record) return { ...record, opcodeName: OPCODE_NAMES[record.opcode] ?? null };
  return { handshake: record.handshake, direction: record.direction, url: record.url, startLine: record.startLine, headers: record.headers };
}
