/**
 * Opens lifeline's Node `WebSocket` with the command-line connection flags
 * and records what the commands report: the handshake (status, response
 * headers, subprotocol, extensions with parameters, time to open) and, from
 * the transport's trace hook, the wire size of every data frame so the
 * compression ratio can be computed from real frames.
 *
 * Owns: flag → WebSocketOptions mapping, handshake/wire bookkeeping.
 * Imports the Node transport and the extension-header parser; no client.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket, type WebSocketOptions, type TraceRecord } from '../transport/node/websocket.js';
import { parseExtensionHeader } from '../protocol/extension-header.js';
import type { ExtensionParams, FrameTrace } from '../protocol/types.js';
import type { ConnectionArgs } from './args.js';

export type { TraceRecord };

export interface HandshakeInfo {
  /** The URL connected to: after redirects (`-L`), the last one. */
  url: string;
  /** HTTP status of the response (101 on success). */
  status: number | null;
  statusText: string;
  /** Negotiated subprotocol ('' for none). */
  protocol: string;
  /** Negotiated extensions with their parameters, in response order. */
  extensions: ExtensionParams[];
  /** Raw `Sec-WebSocket-Extensions` value. */
  extensionsHeader: string;
  /** Response headers (lower-case names; repeated ones joined with ", "). */
  headers: Record<string, string>;
  /** From constructing the socket to the open event, ms (DNS + TCP + TLS + upgrade). */
  openMs: number;
}

/** Byte counts of data messages: as given/received (`payload`) and as framed on the wire (`wire`, after compression). */
export interface WireCounters {
  payloadOut: number;
  payloadIn: number;
  wireOut: number;
  wireIn: number;
  framesOut: number;
  framesIn: number;
  compressedFramesOut: number;
  compressedFramesIn: number;
}

export interface OpenedSocket {
  ws: WebSocket;
  /** Resolves on open; rejects with the transport's error (with `code`) if the connection fails first. */
  opened: Promise<HandshakeInfo>;
  wire: WireCounters;
  /** Response head seen by the trace hook (also for refused handshakes). */
  response: { status: number | null; statusText: string; headers: Record<string, string> } | undefined;
}

/** Maps connection flags to the Node WebSocket's options. `closeTimeout` is short: a CLI should not hang 10 s on exit. */
export function socketOptions(args: ConnectionArgs, trace: ((record: TraceRecord) => void) | undefined): WebSocketOptions {
  const options: WebSocketOptions = {
    perMessageDeflate: args.deflate,
    handshakeTimeout: args.timeoutMs,
    closeTimeout: 3000,
    rejectUnauthorized: !args.insecure,
  };
  if (Object.keys(args.headers).length > 0) options.headers = args.headers;
  if (args.origin !== undefined) options.origin = args.origin;
  if (args.ca !== undefined) options.ca = args.ca;
  if (args.cert !== undefined && args.key !== undefined) {
    options.cert = args.cert;
    options.key = args.key;
    if (args.passphrase !== undefined) options.passphrase = args.passphrase;
  }
  if (args.followRedirects) {
    options.followRedirects = true;
    options.maxRedirects = args.maxRedirects;
  }
  // As given: the library reads a bare host[:port] as http:// (the rule args.ts checked it by).
  if (args.proxy !== undefined) options.proxy = args.proxy;
  if (trace !== undefined) options.trace = trace;
  return options;
}

const DATA_OPCODES = new Set([0, 1, 2]);

export function isFrame(record: TraceRecord): record is FrameTrace {
  return 'opcode' in record;
}

/** Parses a status line `HTTP/1.1 101 Switching Protocols`. */
function statusOf(line: string): { status: number | null; statusText: string } {
  const match = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(line);
  return match ? { status: Number(match[1]), statusText: match[2] ?? '' } : { status: null, statusText: '' };
}

export function headerRecord(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

/**
 * Parses the negotiated extensions for display. The transport already
 * validated the header (a bad one fails the handshake), so a parse error
 * here only hides parameters.
 */
export function describeExtensions(header: string): ExtensionParams[] {
  if (header.trim() === '') return [];
  try {
    return parseExtensionHeader(header).map((extension) => ({ name: extension.name, params: { ...extension.params } }));
  } catch {
    return header.split(',').map((item) => ({ name: item.trim().split(';')[0]!.trim(), params: {} }));
  }
}

/**
 * Opens a socket. `trace` (optional) sees every record too; when neither it
 * nor `record` is wanted the trace hook is not installed at all (zero cost).
 */
export function openSocket(
  args: ConnectionArgs,
  opts: { trace?: (record: TraceRecord) => void; record?: boolean; onOpen?: (info: HandshakeInfo) => void } = {},
): OpenedSocket {
  const wire: WireCounters = { payloadOut: 0, payloadIn: 0, wireOut: 0, wireIn: 0, framesOut: 0, framesIn: 0, compressedFramesOut: 0, compressedFramesIn: 0 };
  const result: { response: OpenedSocket['response'] } = { response: undefined };
  const user = opts.trace;
  const record = opts.record === true;
  const hook =
    user === undefined && !record
      ? undefined
      : (entry: TraceRecord) => {
          if (isFrame(entry)) {
            if (DATA_OPCODES.has(entry.opcode)) {
              if (entry.direction === 'out') {
                wire.wireOut += entry.length;
                wire.framesOut++;
                if (entry.compressed) wire.compressedFramesOut++;
              } else {
                wire.wireIn += entry.length;
                wire.framesIn++;
                if (entry.compressed) wire.compressedFramesIn++;
              }
            }
          } else if (entry.handshake === 'response') {
            result.response = { ...statusOf(entry.startLine), headers: headerRecord(entry.headers) };
          }
          user?.(entry);
        };
  const t0 = performance.now();
  const ws = new WebSocket(args.url, args.protocols, socketOptions(args, hook));
  ws.binaryType = 'nodebuffer';
  const opened = new Promise<HandshakeInfo>((resolve, reject) => {
    let failure: Error | undefined;
    const onError = (ev: { error?: unknown; message?: string }) => {
      failure ??= ev.error instanceof Error ? ev.error : new Error(ev.message ?? 'connection failed');
    };
    const onOpen = () => {
      ws.removeEventListener('error', onError);
      ws.removeEventListener('close', onClose);
      const response = result.response;
      const info: HandshakeInfo = {
        url: ws.url,
        status: response?.status ?? 101,
        statusText: response?.statusText ?? 'Switching Protocols',
        protocol: ws.protocol,
        extensions: describeExtensions(ws.extensions),
        extensionsHeader: ws.extensions,
        headers: response?.headers ?? {},
        openMs: Math.round((performance.now() - t0) * 1000) / 1000,
      };
      // Synchronous, so a caller sees `open` before any message that arrived in the same read.
      opts.onOpen?.(info);
      resolve(info);
    };
    const onClose = (ev: { code: number; reason: string }) => {
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('error', onError);
      if (failure === undefined) {
        failure = Object.assign(new Error(`closed before opening (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`), { code: 'WS_ERR_UNEXPECTED_EOF' });
      }
      reject(failure);
    };
    ws.addEventListener('open', onOpen, { once: true });
    ws.addEventListener('error', onError);
    ws.addEventListener('close', onClose, { once: true });
  });
  return {
    ws,
    opened,
    wire,
    get response() {
      return result.response;
    },
  };
}

/** Wire bytes / payload bytes of data messages, both directions; null when nothing was sent or received. */
export function compressionRatio(wire: WireCounters): number | null {
  const payload = wire.payloadOut + wire.payloadIn;
  if (payload === 0) return null;
  return Math.round(((wire.wireOut + wire.wireIn) / payload) * 1000) / 1000;
}
