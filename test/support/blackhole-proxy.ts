/**
 * A TCP proxy for session fault tests: forwards every connection to a
 * target port on loopback, byte for byte, and on request blackholes the
 * connections it carries: from then on it reads and drops everything in
 * both directions while both TCP connections stay open, so neither end
 * sees a close or a reset, only silence (what a dead NAT mapping or a
 * vanished Wi-Fi does). Only a heartbeat can notice. New connections are
 * forwarded normally. Node-only.
 */
import * as net from 'node:net';

export interface BlackholeProxy {
  readonly port: number;
  /** Connections forwarded so far. */
  readonly connections: number;
  /** Connections that are open and still forwarding. */
  readonly forwarding: number;
  /** Every connection now open stops forwarding (both ways) but stays open; returns how many. */
  blackhole(): number;
  /** Destroys every connection (both sides) and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
  dark: boolean;
}

export async function startBlackholeProxy(targetPort: number, host = '127.0.0.1'): Promise<BlackholeProxy> {
  const pairs = new Set<Pair>();
  let connections = 0;
  const listener = net.createServer((client) => {
    connections++;
    const server = net.connect(targetPort, host);
    const pair: Pair = { client, server, dark: false };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      from.setNoDelay(true);
      from.on('data', (chunk: Buffer) => {
        if (!pair.dark) to.write(chunk);
      });
      from.on('error', end);
      // A dark pair ignores closes too: the far end must not learn anything.
      from.on('close', () => {
        if (!pair.dark) end();
      });
    }
  });
  await new Promise<void>((resolve) => listener.listen(0, host, resolve));
  return {
    port: (listener.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    get forwarding() {
      return [...pairs].filter((pair) => !pair.dark).length;
    },
    blackhole() {
      let count = 0;
      for (const pair of pairs) {
        if (pair.dark) continue;
        pair.dark = true;
        count++;
      }
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.server.destroy();
        }
        pairs.clear();
        listener.close(() => resolve());
      }),
  };
}
