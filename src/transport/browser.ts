/**
 * The browser transport: one native WebSocket per connection attempt, mapped
 * onto the seam in ./types.ts. Binary arrives as Uint8Array (binaryType
 * 'arraybuffer', viewed without copying); `bufferedAmount` is the native
 * one. Browsers expose no protocol ping, no handshake status, no request
 * headers and no receive backpressure, so this transport has none of the
 * seam's optional methods.
 *
 * Owns: native WebSocket event mapping. Must not import node:*, the protocol
 * frame layer or fflate (it ships in the browser bundle).
 */
import { ErrorCodes, LifelineError } from '../protocol/errors.js';
import type { CloseInfo, Transport, TransportFactory } from './types.js';

const OPEN = 1;

/** Opens a native WebSocket (the global one). */
export const browserTransport: TransportFactory = (url, options, handlers): Transport => {
  const socket = new WebSocket(url, options.protocols as string[]);
  let opened = false;
  /** Reports the close exactly once; nothing is reported after it. */
  const end = (close: CloseInfo): void => {
    socket.onopen = socket.onmessage = socket.onclose = null;
    handlers.close(close);
  };
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => {
    opened = true;
    handlers.open({ protocol: socket.protocol, extensions: socket.extensions });
  };
  socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
    const data = event.data;
    // The browser does not say how many bytes a text frame had. Its length (UTF-16 units) is the byte count for
    // ASCII text and an undercount otherwise; counting UTF-8 exactly takes a scan of every message: 9% of what a
    // 1 KiB message costs a page in WebKit, 13-14% at 64 KiB in WebKit and Firefox (README, Performance).
    if (typeof data === 'string') handlers.message(data, data.length);
    else handlers.message(new Uint8Array(data), data.byteLength);
  };
  socket.onclose = (event) => {
    const close: CloseInfo = { code: event.code, reason: event.reason, wasClean: event.wasClean };
    // The error event of a failed attempt carries no detail (by design, WHATWG HTML §9.3); say what we know.
    if (!opened) {
      // Origin and path only: a query string may carry a token and the userinfo a password, neither belongs in logs.
      const where = new URL(url);
      close.error = new LifelineError(ErrorCodes.CONNECT_FAILED, `lifeline: ${where.origin}${where.pathname} failed before opening (browsers do not say why)`);
    }
    end(close);
  };
  return {
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    send(data) {
      // A CLOSING socket would swallow the data silently (WHATWG: it only grows bufferedAmount): refuse, so it stays queued.
      if (socket.readyState !== OPEN) throw new LifelineError(ErrorCodes.INVALID_STATE, 'lifeline: socket not open');
      socket.send(data as string);
    },
    close: (code, reason) => socket.close(code, reason),
    terminate() {
      socket.close();
      end({ code: 1006, reason: '', wasClean: false });
    },
  };
};
