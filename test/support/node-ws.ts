/**
 * Small helpers for tests of the Node WebSocket class: wait for one event,
 * open a socket, collect N messages. Node-only.
 */
import { WebSocket, type WebSocketOptions } from '../../src/transport/node/websocket.js';
import { SocketReader } from '../../src/transport/node/reader.js';

// Every test file that uses these helpers runs with recycled read slabs
// poisoned (0xee) before reuse, so a view of a read kept by mistake shows.
SocketReader.poison = true;

type Target = { addEventListener(type: string, fn: (e: any) => void, o?: { once?: boolean }): void };

/** Resolves with the next event of `type`; rejects after `ms` (a hung test fails instead of stalling the run). */
export function next<T = any>(target: Target, type: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for '${type}'`)), ms);
    target.addEventListener(type, (e: T) => {
      clearTimeout(t);
      resolve(e);
    }, { once: true });
  });
}

export async function openWs(url: string, protocols?: string | string[], options?: WebSocketOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  const failed = next(ws, 'close').then((e) => {
    throw new Error(`closed before open: ${e.code}`);
  });
  await Promise.race([next(ws, 'open'), failed]);
  failed.catch(() => {});
  return ws;
}

/** Collects the data of the next `n` messages. */
export function messages(ws: WebSocket, n: number, ms = 10000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    const t = setTimeout(() => reject(new Error(`got ${out.length}/${n} messages`)), ms);
    const fn = (e: { data: unknown }) => {
      out.push(e.data);
      if (out.length === n) {
        clearTimeout(t);
        ws.removeEventListener('message', fn);
        resolve(out);
      }
    };
    ws.addEventListener('message', fn);
  });
}

/** Closes (if needed) and waits for the close event. */
export async function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const done = next(ws, 'close', 15000);
  if (ws.readyState !== WebSocket.CLOSING) ws.close();
  await done;
}
