// The client implementations the benchmark compares, and one small adapter
// per implementation, so every scenario drives them the same way.
//
// | name      | what                                                            |
// |-----------|-----------------------------------------------------------------|
// | lifeline  | this package's Node `WebSocket` (dist/, via LIFELINE_DIST)        |
// | ws        | ws, pure JS: WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE set        |
// | ws-native | ws with its native addons (bufferutil, utf-8-validate)           |
// | undici    | undici's `WebSocket` (the package; the one Node ships from 22)   |
// | node      | Node's global `WebSocket` (Node 20: --experimental-websocket)    |
//
// Each adapter uses the library's idiomatic fast path: ws's 'message' event
// (text decoded to a string, since a user needs the string; binary left as
// the Buffer ws gives), and for the WHATWG classes `onmessage` with
// `event.data`, binaryType 'nodebuffer' for lifeline (as ws) and
// 'arraybuffer' for undici (it has no Buffer type).
//
// `IMPLS` (plain data) is read by the runner; `loadImpl()` only by
// client.mjs, inside a trial's child process, whose environment the runner
// sets from `IMPLS[name].env` (ws reads its WS_NO_* switches when loaded).
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The runner points LIFELINE_DIST at a snapshot of dist/ so rebuilds during a run cannot break trials. */
export const LIFELINE_NODE = process.env.LIFELINE_DIST
  ? join(process.env.LIFELINE_DIST, 'node.mjs')
  : fileURLToPath(new URL('../../dist/node.mjs', import.meta.url));

/**
 * Every implementation the runner knows. `env`: set in the trial's process;
 * `sendsCompressed`: it compresses what it sends (permessage-deflate on the
 * send side; undici and Node's own only inflate); `nodeArgs`: flags for the
 * trial's process.
 */
export const IMPLS = {
  lifeline: { env: {}, nodeArgs: [], sendsCompressed: true },
  ws: { env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' }, nodeArgs: [], sendsCompressed: true },
  'ws-native': { env: { WS_NO_BUFFER_UTIL: '', WS_NO_UTF_8_VALIDATE: '' }, nodeArgs: [], sendsCompressed: true },
  undici: { env: {}, nodeArgs: [], sendsCompressed: false },
  node: { env: {}, nodeArgs: [], sendsCompressed: false },
};

/**
 * Checks that a ws trial runs the variant its name says: ws picks its addons
 * up when they load, unless the WS_NO_* variables are set (non-empty).
 */
function checkWsVariant(name) {
  const require = createRequire(import.meta.url);
  const wantAddons = name === 'ws-native';
  const disabled = !!process.env.WS_NO_BUFFER_UTIL || !!process.env.WS_NO_UTF_8_VALIDATE;
  if (wantAddons === disabled) throw new Error(`${name}: WS_NO_BUFFER_UTIL/WS_NO_UTF_8_VALIDATE are ${disabled ? 'set' : 'unset'}`);
  if (wantAddons) {
    // Loading them proves the prebuilt binaries work on this machine (ws would silently fall back to JS).
    const mask = require('bufferutil').mask;
    if (!/\[native code\]/.test(Function.prototype.toString.call(mask))) throw new Error('bufferutil loaded its JS fallback, not the native addon');
    require('utf-8-validate');
  }
}

/** @returns {Promise<{open(url: string, o: {deflate: boolean}): Promise<Conn>}>} */
export async function loadImpl(name) {
  if (name === 'ws' || name === 'ws-native') {
    checkWsVariant(name);
    const { default: WS } = await import('ws');
    return {
      open(url, { deflate }) {
        return new Promise((resolve, reject) => {
          const ws = new WS(url, { perMessageDeflate: deflate });
          const conn = {
            send: (d) => ws.send(d),
            get bufferedAmount() {
              return ws.bufferedAmount;
            },
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
  } else if (name === 'undici') {
    WS = (await import('undici')).WebSocket;
  } else if (name === 'node') {
    WS = globalThis.WebSocket;
    if (typeof WS !== 'function') throw new Error('this Node has no global WebSocket');
  } else throw new Error(`unknown impl ${name}`);
  return {
    open(url, { deflate }) {
      return new Promise((resolve, reject) => {
        // undici and Node's own always offer permessage-deflate; servers that do not want it leave it out.
        const ws = name === 'lifeline' ? new WS(url, undefined, { perMessageDeflate: deflate }) : new WS(url);
        // Buffers like ws's default where the class offers them (no copy to
        // a fresh ArrayBuffer); the standard 'arraybuffer' otherwise.
        ws.binaryType = name === 'lifeline' ? 'nodebuffer' : 'arraybuffer';
        let closed;
        const conn = {
          send: (d) => ws.send(d),
          get bufferedAmount() {
            return ws.bufferedAmount;
          },
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
