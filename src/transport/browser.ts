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
import { utf8Length } from '../protocol/input.js';
import type { CloseInfo, Transport, TransportFactory } from './types.js';

const OPEN = 1;

/** A character outside ASCII, where UTF-8 takes more than one byte per UTF-16 unit. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Whether a user agent is Gecko (Firefox), whose encoder turns long ASCII
 * text into UTF-8 with SIMD, faster than Gecko runs a regular expression
 * over it (Blink and WebKit are the other way round). Gecko's user agent has
 * a `Gecko/<digits>` token (a frozen date on desktop, the version on
 * Android); Blink's and WebKit's, Firefox for iOS's included, say "like
 * Gecko". Only speed depends on it: both ways count the same bytes.
 */
export function encoderScansFaster(userAgent: string): boolean {
  return / Gecko\/\d/.test(userAgent);
}

const ENCODER_SCANS_FASTER = typeof navigator === 'object' && encoderScansFaster(navigator.userAgent);

/** From this many UTF-16 units up, Gecko counts with its encoder (below, a call costs more than the scan). */
const ENCODER_FROM = 1024;

/**
 * UTF-8 bytes of a received text message (the browser does not say how long
 * the frame was): for ASCII text, one scan of the whole string, with the
 * primitive each engine runs fastest. Most messages are ASCII (JSON), where
 * the byte count is the string's length, so the usual route is a regular
 * expression that looks for a character outside ASCII, with the exact count
 * (`utf8Length`, `TextEncoder#encodeInto`) only for text that has one. In
 * Firefox, text of 1 KiB or more goes straight to the encoder.
 *
 * Measured per ASCII message on this project's 2-core VM (2026-12-07,
 * strings received over a WebSocket), regular expression / encodeInto, at
 * 64 KiB: Chromium 1.4 / 30 µs, WebKit 19 / 74 µs, Firefox 19 / 10 µs; at
 * 1 KiB: Chromium 0.05 / 0.9 µs, WebKit 0.34 / 1.3 µs, Firefox 0.35 / 0.31
 * µs; Firefox at 16 B: 0.02 / 0.15 µs. Node is different again (V8's
 * encodeInto is SIMD there), but Node's transport knows each frame's length
 * and counts nothing.
 */
function textBytes(text: string): number {
  if (ENCODER_SCANS_FASTER && text.length >= ENCODER_FROM) return utf8Length(text);
  return NON_ASCII.test(text) ? utf8Length(text) : text.length;
}

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
    if (typeof data === 'string') handlers.message(data, textBytes(data));
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
