// One small adapter per client implementation, so every scenario drives
// lifeline, ws and Node's own WebSocket the same way. Each adapter uses the
// library's idiomatic fast path: ws's 'message' event (text decoded to a
// string, since a user needs the string; binary left as the Buffer ws gives),
// and for the WHATWG classes `onmessage` with `event.data`, binaryType
// 'nodebuffer' for lifeline (as ws) and 'arraybuffer' for Node's own. Imported only by client.mjs (inside a child process).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The runner points LIFELINE_DIST at a snapshot of dist/ so rebuilds during a run cannot break trials. */
export const LIFELINE_NODE = process.env.LIFELINE_DIST
  ? join(process.env.LIFELINE_DIST, 'node.mjs')
  : fileURLToPath(new URL('../../dist/node.mjs', import.meta.url));

/** @returns {Promise<{open(url: string, o: {deflate: boolean}): Promise<Conn>}>} */
export async function loadImpl(name) {
  if (name === 'ws') {
    const { default: WS } = await import('ws');
    return {
      open(url, { deflate }) {
        return new Promise((resolve, reject) => {
          const ws = new WS(url, { perMessageDeflate: deflate });
          const conn = {
            send: (d) => ws.send(d),
            onMessage(cb) {
              ws.on('message', (data, isBinary) => cb(isBinary ? data : data.toString()));
            },
            close: () =>
              new Promise((r) => {
                ws.once('close', r);
                ws.close(1000);
              }),
          };
          ws.once('open', () => {
            ws.off('error', reject);
            ws.on('error', (e) => fail(e));
            resolve(conn);
          });
          ws.once('error', reject);
        });
      },
    };
  }
  let WS;
  if (name === 'lifeline') {
    const mod = await import(LIFELINE_NODE);
    WS = mod.WebSocket;
    if (typeof WS !== 'function') throw new Error('dist/node.mjs does not export WebSocket yet');
  } else if (name === 'native') {
    WS = globalThis.WebSocket;
    if (typeof WS !== 'function') throw new Error('this Node has no global WebSocket');
  } else throw new Error(`unknown impl ${name}`);
  return {
    open(url, { deflate }) {
      return new Promise((resolve, reject) => {
        const ws = name === 'lifeline' ? new WS(url, undefined, { perMessageDeflate: deflate }) : new WS(url);
        // Buffers like ws's default where the class offers them (no copy to
        // a fresh ArrayBuffer); the standard 'arraybuffer' otherwise.
        ws.binaryType = name === 'lifeline' ? 'nodebuffer' : 'arraybuffer';
        let closed;
        const conn = {
          send: (d) => ws.send(d),
          onMessage(cb) {
            ws.onmessage = (e) => cb(e.data);
          },
          close: () =>
            new Promise((r) => {
              closed = r;
              ws.close(1000);
            }),
        };
        ws.onopen = () => {
          ws.onerror = (e) => fail(e.error ?? new Error(e.message ?? 'error event'));
          resolve(conn);
        };
        ws.onerror = (e) => reject(e.error ?? new Error(e.message ?? 'error event before open'));
        ws.onclose = (e) => closed?.(e);
      });
    },
  };
}

function fail(err) {
  process.stderr.write(`client error: ${err?.stack ?? err}\n`);
  process.exit(1);
}
