/**
 * The browser transport: one native WebSocket per connection attempt, mapped
 * onto the seam in ./types.ts. Binary arrives as Uint8Array (binaryType
 * 'arraybuffer', viewed without copying); `bufferedAmount` is the native
 * one (the client samples it for backpressure: browsers have no drain
 * event). Browsers expose no protocol ping, no handshake status, no request
 * headers and no receive backpressure, hence the capabilities.
 *
 * Owns: native WebSocket event mapping. Must not import node:*, the protocol
 * frame layer or fflate (it ships in the browser bundle).
 */
import type { CloseInfo, Transport, TransportFactory } from './types.js';

/** Opens a native WebSocket (the global one unless `WS` is given, e.g. in tests). */
export const browserTransport: TransportFactory = Object.assign(
  (url: string, o: { protocols: readonly string[] }, h: Parameters<TransportFactory>[2]): Transport => {
    const ws = new WebSocket(url, o.protocols as string[]);
    // The error event carries no detail (by design, WHATWG HTML §9.3); the close event that follows says enough.
    const end = (e: CloseInfo) => {
      ws.onmessage = ws.onclose = null; // exactly one close, nothing after it
      h.close({ code: e.code, reason: e.reason, wasClean: e.wasClean });
    };
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => h.open(ws); // the client reads protocol and extensions from it at once
    ws.onmessage = (e) => h.message(typeof e.data == 'string' ? e.data : new Uint8Array(e.data));
    ws.onclose = end;
    return {
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      send(d) {
        // A CLOSING socket would swallow the data silently (WHATWG: it only grows bufferedAmount): refuse, so it stays queued.
        if (ws.readyState != 1) throw Error();
        ws.send(d as string | Blob | BufferSource);
      },
      close: (code, reason) => ws.close(code, reason),
      terminate() {
        ws.onopen = null;
        ws.close();
        end({ code: 1006, reason: '', wasClean: false });
      },
    };
  },
  // None of the extras: no protocol ping, handshake status, receive pause or request headers.
  { capabilities: {} },
);
