/**
 * The resilient client's Node features (see ./features.ts), which the Node
 * entry injects and the browser entry never imports:
 * - the heartbeat sends protocol pings (RFC 6455 §5.5.2), on by default;
 * - the async iterator pauses reading from the network when it lags;
 * - the send path waits for the socket's drain event instead of polling;
 * - the server's Retry-After sets the least delay before the next attempt,
 *   capped by `maxRetryAfter`;
 * - the Node-only options: `headers`, `socket`, `maxRetryAfter`.
 * Everything here goes through the transport seam (the Node transport's
 * optional methods and CloseInfo fields), never a concrete transport.
 *
 * Owns: `nodeFeatures`, `DEFAULT_MAX_RETRY_AFTER`.
 * Imports: the feature seam.
 */
import type { Transport } from '../transport/types.js';
import type { ClientFeatures } from './features.js';
import { heartbeat } from './heartbeat.js';

/** The longest delay a server's Retry-After can impose by default (10 minutes); `maxRetryAfter` changes it. */
export const DEFAULT_MAX_RETRY_AFTER = 600_000;

/** Waits for the transport's drain callback, re-arming while the buffer is still above the low-water mark. */
function watchDrain(transport: Transport, lowWaterMark: number, _clock: unknown, drained: () => void): () => void {
  transport.onDrain = () => {
    if (transport.bufferedAmount > lowWaterMark) return;
    transport.onDrain = undefined;
    drained();
  };
  return () => {
    transport.onDrain = undefined;
  };
}

export const nodeFeatures: ClientFeatures = {
  options: {
    defaults: { maxRetryAfter: DEFAULT_MAX_RETRY_AFTER },
    types: { headers: 'any', socket: 'object' },
  },
  defaultHeartbeat: () => heartbeat(),
  watchDrain,
  ping: (transport, data) => transport.ping!(data),
  pauseReading: (transport, paused) => (paused ? transport.pause?.() : transport.resume?.()),
  serverDelay: (info, options) =>
    info.retryAfterMs === undefined ? undefined : Math.min(info.retryAfterMs, options['maxRetryAfter'] as number),
};
