/**
 * A raw `node:net` client for server tests: it writes whatever bytes the
 * test builds (a hand-made upgrade request, masked or unmasked frames,
 * partial writes) and decodes what the server sends back: the HTTP head,
 * then frames. Node-only; loopback only.
 */
import * as net from 'node:net';

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** A client frame: masked with `mask` unless `mask` is null (a bad client). */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  opts: { fin?: boolean; rsv?: number; mask?: Uint8Array | null } = {},
): Buffer {
  const data = Buffer.from(typeof payload === 'string' ? Buffer.from(payload) : payload);
  const mask = opts.mask === undefined ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : opts.mask;
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | (opts.rsv ?? 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (data.length < 126) head.push(m | data.length);
  else if (data.length < 65536) head.push(m | 126, data.length >> 8, data.length & 255);
  else head.push(m | 127, 0, 0, 0, 0, (data.length >>> 24) & 255, (data.length >>> 16) & 255, (data.length >>> 8) & 255, data.length & 255);
  if (mask) {
    head.push(...mask);
    for (let i = 0; i < data.length; i++) data[i]! ^= mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), data]);
}

export function upgradeRequest(path = '/', extra: string[] = []): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13', ...extra, '', ''].join('\r\n');
}

export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

export interface RawClient {
  socket: net.Socket;
  /** Our local port (the server's `remotePort` for this connection), kept after the socket closes. */
  port: number;
  write(bytes: string | Uint8Array): void;
  /** Everything received so far. */
  received(): Buffer;
  /** The HTTP head (status line and headers) once received. */
  head(): { status: number; headers: Record<string, string>; text: string; body: Buffer } | undefined;
  /** Frames after the head, decoded (complete ones only). */
  frames(): ServerFrame[];
  /** Resolves when `test()` holds (checked on every read and at the end); rejects after `ms`. */
  until(test: () => boolean, what: string, ms?: number): Promise<void>;
  /** Resolves when the server closed TCP (FIN seen: 'end'). */
  ended: Promise<void>;
  /** Resolves when the socket is fully closed (the client half-opens: after `ended`, call `socket.end()`). */
  closed: Promise<void>;
}

export function rawConnect(port: number, host = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, allowHalfOpen: true }, () => {
      client.port = socket.localPort ?? 0;
      resolve(client);
    });
    socket.setNoDelay(true);
    socket.once('error', reject);
    let buf = Buffer.alloc(0);
    const waiters = new Set<() => void>();
    const poke = () => {
      for (const w of [...waiters]) w();
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      poke();
    });
    let endedResolve!: () => void;
    const ended = new Promise<void>((r) => (endedResolve = r));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('end', () => {
      endedResolve();
      poke();
    });
    socket.on('close', poke);
    const headEnd = () => buf.indexOf('\r\n\r\n');
    const client: RawClient = {
      socket,
      port: 0,
      write: (bytes) => socket.write(bytes),
      received: () => buf,
      head() {
        const end = headEnd();
        if (end < 0) return undefined;
        const text = buf.subarray(0, end).toString('latin1');
        const lines = text.split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        return { status: Number(lines[0]!.split(' ')[1]), headers, text, body: buf.subarray(end + 4) };
      },
      frames() {
        const end = headEnd();
        if (end < 0) return [];
        const out: ServerFrame[] = [];
        let p = end + 4;
        for (;;) {
          if (buf.length - p < 2) break;
          const b0 = buf[p]!;
          const b1 = buf[p + 1]!;
          let len = b1 & 0x7f;
          let h = 2;
          if (len === 126) {
            if (buf.length - p < 4) break;
            len = buf.readUInt16BE(p + 2);
            h = 4;
          } else if (len === 127) {
            if (buf.length - p < 10) break;
            len = Number(buf.readBigUInt64BE(p + 2));
            h = 10;
          }
          const masked = (b1 & 0x80) !== 0;
          if (masked) h += 4;
          if (buf.length - p < h + len) break;
          const payload = Buffer.from(buf.subarray(p + h, p + h + len));
          if (masked) for (let i = 0; i < len; i++) payload[i]! ^= buf[p + h - 4 + (i & 3)]!;
          out.push({ fin: (b0 & 0x80) !== 0, rsv: b0 & 0x70, opcode: b0 & 0x0f, masked, payload });
          p += h + len;
        }
        return out;
      },
      until(test, what, ms = 5000) {
        return new Promise((res, rej) => {
          const check = () => {
            if (test()) {
              waiters.delete(check);
              clearTimeout(timer);
              res();
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`timed out waiting for ${what}; received ${JSON.stringify(buf.toString('latin1').slice(0, 400))}`));
          }, ms);
          waiters.add(check);
          check();
        });
      },
      ended,
      closed,
    };
  });
}
