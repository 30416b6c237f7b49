/**
 * Raw `node:net` (or `node:tls`) WebSocket "servers" for hostile-peer tests: they read the
 * upgrade request, then the test writes whatever bytes it wants (a correct
 * 101, a refusal, frames built by hand, partial writes, FIN without close).
 * Also a tiny decoder for the client's masked frames so tests can assert on
 * what the client put on the wire. Node-only.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { after } from 'node:test';
import { createHash } from 'node:crypto';

export interface RawConnection {
  socket: net.Socket;
  /** The request head as text. */
  request: string;
  /** Request line, e.g. `GET /path HTTP/1.1`. */
  requestLine: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Bytes that arrived after the request head (client frames), growing. */
  received(): Buffer;
  /** The standard 101 response for this request (optionally with more header lines). */
  accept(extra?: string[]): Buffer;
  /** Resolves when at least `n` bytes of frames have arrived. */
  waitBytes(n: number): Promise<Buffer>;
}

export interface RawServer {
  port: number;
  url(path?: string): string;
  connections: RawConnection[];
  close(): Promise<void>;
}

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

export function response101(key: string, extra: string[] = []): Buffer {
  return Buffer.from(
    ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`, ...extra, '', ''].join('\r\n'),
  );
}

/** A server frame (unmasked unless `mask` is given). */
export function frame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), opts: { fin?: boolean; rsv?: number; mask?: Uint8Array } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const fin = opts.fin ?? true;
  const head: number[] = [(fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode];
  const m = opts.mask ? 0x80 : 0;
  if (data.length < 126) head.push(m | data.length);
  else if (data.length < 65536) head.push(m | 126, data.length >> 8, data.length & 255);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    const n = data.length;
    head.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  }
  if (opts.mask) {
    head.push(...opts.mask);
    for (let i = 0; i < data.length; i++) data[i]! ^= opts.mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), data]);
}

export function closeFrame(code?: number, reason = ''): Buffer {
  if (code === undefined) return frame(0x8);
  const r = Buffer.from(reason);
  const p = Buffer.alloc(2 + r.length);
  p.writeUInt16BE(code, 0);
  r.copy(p, 2);
  return frame(0x8, p);
}

export interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Decodes complete (client, masked) frames from `buf`; ignores a trailing partial frame. */
export function decodeFrames(buf: Buffer): DecodedFrame[] {
  const out: DecodedFrame[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const b0 = buf[i]!;
    const b1 = buf[i + 1]!;
    let len = b1 & 127;
    let p = i + 2;
    if (len === 126) {
      if (p + 2 > buf.length) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (p + 8 > buf.length) break;
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? buf.subarray(p, p + 4) : undefined;
    if (masked) p += 4;
    if (p + len > buf.length) break;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (key) for (let j = 0; j < payload.length; j++) payload[j]! ^= key[j & 3]!;
    out.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 15, masked, payload });
    i = p + len;
  }
  return out;
}

/** The status code of the close frame the client sent on `conn` (waits for it); throws when the first frames it sent hold none. */
export async function closeCodeSent(conn: RawConnection): Promise<number> {
  const bytes = await conn.waitBytes(4);
  const close = decodeFrames(bytes).find((decoded) => decoded.opcode === 0x8);
  if (!close) throw new Error('the client sent no close frame');
  return close.payload.readUInt16BE(0);
}

/** Options of a raw server: `tls` makes it a wss: server with that key and certificate. */
export interface RawServerOptions {
  tls?: { key: string; cert: string };
}

/** Starts a raw server; `onConnection` runs once the request head has been read. */
export async function startRawServer(onConnection: (c: RawConnection) => void, options: RawServerOptions = {}): Promise<RawServer> {
  const connections: RawConnection[] = [];
  const sockets = new Set<net.Socket>();
  const handle = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let conn: RawConnection | undefined;
    let parts: Buffer[] = [];
    let total = 0;
    const joined = () => {
      if (parts.length > 1) parts = [Buffer.concat(parts, total)];
      return parts[0] ?? Buffer.alloc(0);
    };
    const waiters: { n: number; resolve: (b: Buffer) => void }[] = [];
    socket.on('data', (chunk: Buffer) => {
      if (conn) {
        // A list, joined on demand: concatenating per read is quadratic for MiB-sized tests.
        parts.push(chunk);
        total += chunk.length;
        for (const w of waiters.splice(0)) {
          if (total >= w.n) w.resolve(joined());
          else waiters.push(w);
        }
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const request = buf.toString('latin1', 0, end);
      const after = buf.subarray(end + 4);
      if (after.length > 0) {
        parts.push(after);
        total += after.length;
      }
      const lines = request.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const k = l.indexOf(':');
        headers[l.slice(0, k).trim().toLowerCase()] = l.slice(k + 1).trim();
      }
      conn = {
        socket,
        request,
        requestLine: lines[0]!,
        headers,
        received: joined,
        accept: (extra) => response101(headers['sec-websocket-key'] ?? '', extra),
        waitBytes: (n) => new Promise((resolve) => (total >= n ? resolve(joined()) : waiters.push({ n, resolve }))),
      };
      connections.push(conn);
      onConnection(conn);
    });
  };
  const server = options.tls ? tls.createServer(options.tls, handle) : net.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const scheme = options.tls ? 'wss' : 'ws';
  return {
    port,
    url: (path = '/') => `${scheme}://127.0.0.1:${port}${path}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * For one test file: a `serve(fn)` that starts raw servers and closes every
 * one of them after the file's tests (call it at the top level of the file).
 */
export function serveRaw(): (fn: (c: RawConnection) => void, options?: RawServerOptions) => Promise<RawServer> {
  const servers: RawServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  return async (fn, options) => {
    const s = await startRawServer(fn, options);
    servers.push(s);
    return s;
  };
}
