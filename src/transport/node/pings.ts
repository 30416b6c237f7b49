/**
 * The pings a Node connection sent and still waits a pong for, and the
 * round trip each one took (RFC 6455 §5.5.2, §5.5.3).
 *
 * Owns: the default ping payload (4 bytes of a process-wide counter, so
 * pongs can be told apart), the bound on waiting pings (a peer that never
 * answers must not make them pile up), matching a pong to its ping by
 * payload, and rejecting what still waits when the connection ends.
 *
 * Must not import the protocol core, the connection or the WebSocket class;
 * it does not send anything (the connection hands the payload to the core).
 */
import { ErrorCodes, LifelineError } from '../../protocol/errors.js';

/**
 * Most pings waiting for their pong. Past this, the oldest is given up
 * (WS_ERR_PING_UNANSWERED).
 */
export const MAX_PENDING_PINGS = 32;

interface PendingPing {
  payload: Uint8Array;
  sentAt: number;
  resolve: (rtt: number) => void;
  reject: (error: Error) => void;
}

let pingCounter = 0;

/** A payload no other ping of this process has now: a counter, big-endian, in 4 bytes. */
export function nextPingPayload(): Uint8Array {
  const payload = new Uint8Array(4);
  pingCounter = (pingCounter + 1) >>> 0;
  new DataView(payload.buffer).setUint32(0, pingCounter);
  return payload;
}

function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

/** The default clock: one function for every registry (a default written inline would be a closure per connection). */
const performanceNow = (): number => performance.now();

export class PingRegistry {
  /** Oldest first; undefined until the first ping (most connections never send one). */
  private waiting: PendingPing[] | undefined = undefined;

  /** `now`: the clock round trips are measured with, in ms. */
  constructor(private readonly now: () => number = performanceNow) {}

  /** How many pings wait for their pong. */
  get size(): number {
    return this.waiting === undefined ? 0 : this.waiting.length;
  }

  /**
   * A ping with `payload` is about to be sent: resolves with its round trip
   * in ms when its pong arrives. Keeps a copy of `payload`. Past
   * MAX_PENDING_PINGS, the oldest waiting ping is rejected.
   */
  add(payload: Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const waiting = (this.waiting ??= []);
      if (waiting.length >= MAX_PENDING_PINGS) {
        waiting.shift()!.reject(new LifelineError(ErrorCodes.PING_UNANSWERED, `More than ${MAX_PENDING_PINGS} pings wait for their pong: the oldest is given up`));
      }
      waiting.push({ payload: payload.slice(), sentAt: this.now(), resolve, reject });
    });
  }

  /**
   * A pong arrived. Returns the round trip of the ping it answers, or
   * undefined when it answers none we wait for (an unsolicited pong, which
   * RFC 6455 §5.5.3 says needs no reply). A peer may answer only the latest
   * of several pings; the ones before it were received too (TCP keeps
   * order), so they resolve now as well.
   */
  answered(payload: Uint8Array): number | undefined {
    const waiting = this.waiting;
    if (waiting === undefined) return undefined;
    const at = waiting.findIndex((ping) => equalBytes(ping.payload, payload));
    if (at < 0) return undefined;
    const now = this.now();
    const answered = waiting.splice(0, at + 1);
    for (const ping of answered) ping.resolve(now - ping.sentAt);
    return now - answered[at]!.sentAt;
  }

  /** The connection ended: every waiting ping is rejected with `error`. */
  rejectAll(error: Error): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    for (const ping of waiting) ping.reject(error);
  }
}
