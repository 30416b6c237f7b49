/**
 * A tiny HTTP CONNECT proxy (RFC 9110 §9.3.6) for proxy tests: answers
 * `CONNECT host:port` with 200 and splices the sockets; records every
 * CONNECT request head, target and Proxy-Authorization seen. Node-only.
 */
import * as net from 'node:net';

export interface ConnectProxy {
  port: number;
  url: string;
  /** `host:port` of every CONNECT, in order. */
  targets: string[];
  /** Proxy-Authorization values seen ('' when absent). */
  auth: string[];
  /** Every request head as received (request line and header lines). */
  heads: string[];
  /** Answer CONNECT with this status instead of 200 ... */
  refuseWith: number | undefined;
  /** ... and these header lines. */
  refuseHeaders: string[];
  /** Answer a successful CONNECT with this text instead of the plain 200, in two writes 20 ms apart (split reads). */
  answer: string | undefined;
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const state: ConnectProxy = {
    port: 0,
    url: '',
    targets: [],
    auth: [],
    heads: [],
    refuseWith: undefined,
    refuseHeaders: [],
    answer: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    track(client);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.removeListener('data', onData);
      state.heads.push(buf.toString('latin1', 0, end));
      const head = buf.toString('latin1', 0, end).split('\r\n');
      const [method, target] = head[0]!.split(' ');
      const auth = head.find((l) => /^proxy-authorization:/i.test(l));
      state.auth.push(auth ? auth.slice(auth.indexOf(':') + 1).trim() : '');
      if (method !== 'CONNECT' || target === undefined) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      state.targets.push(target);
      if (state.refuseWith !== undefined) {
        client.end(`HTTP/1.1 ${state.refuseWith} Refused\r\n${state.refuseHeaders.map((h) => h + '\r\n').join('')}Content-Length: 0\r\n\r\n`);
        return;
      }
      const i = target.lastIndexOf(':');
      const host = target.slice(0, i).replace(/^\[|\]$/g, '');
      const splice = () => {
        const rest = buf.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      };
      const answer = state.answer;
      const upstream = net.connect(Number(target.slice(i + 1)), host, () => {
        if (answer === undefined) {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          return splice();
        }
        client.write(answer.slice(0, 10));
        setTimeout(() => {
          client.write(answer.slice(10));
          splice();
        }, 20);
      });
      track(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
