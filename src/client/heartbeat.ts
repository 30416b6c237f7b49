/**
 * The heartbeat: liveness of one open connection, as a part
 * (./part.ts) created by `heartbeat()`. Probe after `interval` of inbound
 * silence, declare the peer dead when nothing arrives within `timeout` of a
 * probe. One timer, re-armed lazily from the time of the last inbound
 * traffic (a busy connection costs no timer churn per message), at most
 * STEP ms apart so that a wall-clock jump (laptop sleep: monotonic timers
 * stop, Date.now() does not) is seen within STEP and answered with a fresh
 * probe rather than a verdict on a deadline that slept through. A deadline
 * reached late because the page or process was busy is judged only after
 * the traffic had as long again to arrive: a long task is not a dead peer.
 *
 * A probe is a part's own where one offers it (a session's ping, answered
 * by the peer's session layer: inside a session every message belongs to
 * the session, so an app-level message would not do); else a protocol
 * ping (RFC 6455 §5.5.2) where the platform can send one (Node) and no
 * `message` is given; with `message`, an app-level heartbeat (the only
 * kind browsers can send on their own); with none of these, nothing is
 * sent and it is an idle timeout.
 *
 * Owns: `heartbeat()` and its options, probe timing (`createHeartbeat`, the
 * timer logic on its own), the deadline, the round trip of answered probes.
 * Imports: the input rules, errors, the part seam, clock and transport types.
 */
import { checkOptions, invalid, type OptionSpec } from '../protocol/input.js';
import type { IncomingData, TransportData } from '../transport/types.js';
import type { Clock, TimerHandle } from './clock.js';
import { ErrorCodes, LifelineError } from '../protocol/errors.js';
import type { Part } from './part.js';

/** Options of `heartbeat()`. */
export interface HeartbeatOptions {
  /** Probe after this much inbound silence, ms. Default 30,000. */
  interval?: number;
  /**
   * Drop the connection (at once, no close handshake) and reconnect when
   * nothing arrives this long after a probe, ms. Default 10,000. A deadline
   * reached while the page or process was stalled waits as long again, once.
   */
  timeout?: number;
  /** App-level heartbeat message (or a function making one). Default: none (protocol pings where the platform can send them, else an idle timeout). */
  message?: TransportData | (() => TransportData);
  /** Recognises the reply to `message`; matches are not delivered as messages. Default: `data === 'pong'`. */
  isPong?: (data: IncomingData) => boolean;
  /** Enforce the timeout while the page is hidden (browsers throttle timers there). Default false. */
  whileHidden?: boolean;
}

const HEARTBEAT_OPTIONS: OptionSpec = {
  defaults: { interval: 30_000, timeout: 10_000, isPong: (data: IncomingData) => data === 'pong', whileHidden: false },
  types: { message: 'any' },
  least: { interval: 1, timeout: 1 },
};

/** Timer granularity and the wall-clock jump that counts as a sleep, ms. */
const STEP = 5_000;
const JUMP = 3_000;
/** A timer this late, ms, found the page or process busy (a long task, a loaded machine): see `tick`. */
const STALL = 50;

/** What the heartbeat needs from its owner. */
export interface HeartbeatHooks {
  /** Send a probe (a protocol ping or an app-level heartbeat message); false when nothing was sent (an idle timeout, no socket, or a `message` factory that threw). */
  probe(): boolean;
  /** Nothing arrived within `timeout` of a probe: the peer is gone. */
  dead(): void;
  /** True while the page is hidden (deadlines are then not enforced unless `whileHidden`). */
  hidden(): boolean;
}

/** The timing knobs (see `HeartbeatOptions` for their defaults). */
export interface HeartbeatTiming {
  readonly interval: number;
  readonly timeout: number;
  readonly whileHidden: boolean;
}

/** The controls of one connection's heartbeat. */
export interface Heartbeat {
  /** A connection opened, or reading resumed: start watching it afresh. */
  start(): void;
  stop(): void;
  /**
   * Inbound traffic arrived. With `answer`, it is the reply to a probe:
   * returns the round trip in ms when a probe was outstanding.
   */
  seen(answer?: boolean): number | undefined;
  /**
   * The page woke up (online, visible, restored): probe now, so that a
   * connection that died meanwhile is found out within `timeout`. When
   * nothing can be sent (an idle timeout), nothing changes: silence is
   * judged from the last traffic, as ever, and a quiet but live connection
   * is not dropped for want of an answer nobody was asked for.
   */
  wake(): void;
}

export function createHeartbeat(timing: HeartbeatTiming, clock: Clock, hooks: HeartbeatHooks): Heartbeat {
  let timer: TimerHandle;
  /** Wall-clock time the timer is due. */
  let dueAt = 0;
  /** Last inbound traffic. */
  let lastSeen = 0;
  /** When the outstanding probe was sent; 0 when none is outstanding (any traffic clears it). */
  let probeSentAt = 0;
  /** The outstanding probe's deadline was put off once for a stall. */
  let extended = false;
  /** Between start() and stop(): traffic or a probe request outside that time arms nothing. */
  let running = false;

  /** Callers pass a positive remainder or an option (>= 1), never a negative delay. */
  const arm = (ms: number): void => {
    clock.clear(timer);
    const delay = Math.min(ms, STEP);
    dueAt = clock.now() + delay;
    timer = clock.set(tick, delay);
  };

  const probe = (): void => {
    if (!running) return;
    probeSentAt = clock.now();
    extended = false;
    arm(timing.timeout);
    hooks.probe();
  };

  function tick(): void {
    const now = clock.now();
    const late = now - dueAt;
    // Time left until the probe's deadline, or (none outstanding) until the next probe is due.
    const left = probeSentAt ? probeSentAt + timing.timeout - now : lastSeen + timing.interval - now;
    // After a sleep, probe instead of judging a deadline that slept through.
    if (late > JUMP || (!probeSentAt && left <= 0)) probe();
    else if (left > 0) arm(left);
    // A deadline reached late found this page or process busy, and an
    // answer may be queued behind that work, not yet seen: judge once the
    // traffic has had as long again to come in (once per probe). Time we
    // were stalled does not count against the peer.
    else if (late > STALL && !extended) {
      extended = true;
      arm(late);
    }
    // Deadlines are not enforced while the page is hidden (throttled timers), unless asked.
    else if (timing.whileHidden || !hooks.hidden()) hooks.dead();
    else arm(STEP);
  }

  return {
    start() {
      running = true;
      lastSeen = clock.now();
      probeSentAt = 0;
      arm(timing.interval);
    },
    stop() {
      running = false;
      probeSentAt = 0;
      clock.clear(timer);
    },
    seen(answer = false) {
      const now = clock.now();
      lastSeen = now;
      if (!running || !probeSentAt) return undefined;
      const roundTrip = answer ? now - probeSentAt : undefined;
      probeSentAt = 0;
      // The timer still points at the probe's deadline, which can be later than
      // the next probe is due (timeout > interval): re-arm from now, so a peer
      // that falls silent after this is judged within interval + timeout.
      arm(timing.interval);
      return roundTrip;
    },
    wake() {
      if (!running) return;
      const sentAt = clock.now();
      // The probe runs application code (a `message` factory) that may have stopped the heartbeat (pause(), close()).
      if (!hooks.probe() || !running) return;
      probeSentAt = sentAt;
      extended = false;
      arm(timing.timeout);
    },
  };
}

/**
 * A heartbeat for `connect()`'s `heartbeat` option. Options are checked
 * here, at the call (TypeError / RangeError, `WS_ERR_INVALID_OPTION`).
 */
export function heartbeat(options?: HeartbeatOptions): Part {
  const { interval, timeout, message, isPong, whileHidden } = checkOptions<Required<Omit<HeartbeatOptions, 'message'>> & HeartbeatOptions>(options, HEARTBEAT_OPTIONS, 'heartbeat():');
  if (message !== undefined && typeof message !== 'function' && typeof message !== 'string' && !(message instanceof ArrayBuffer) && !ArrayBuffer.isView(message)) {
    throw invalid('TypeError', ErrorCodes.INVALID_OPTION, 'heartbeat(): option message', 'a string, an ArrayBuffer or view, or a function making one', message);
  }
  return (host) => {
    const timer = createHeartbeat({ interval, timeout, whileHidden }, host.clock, {
      probe() {
        const transport = host.transport;
        if (!transport) return false;
        const partProbe = host.ping();
        if (!partProbe && message !== undefined) {
          let probeMessage: TransportData;
          try {
            probeMessage = typeof message === 'function' ? message() : message;
          } catch (error) {
            host.error(error); // the application's message factory threw: no probe this time
            return false;
          }
          // If the socket is going away, send() says false and its close follows.
          host.send(probeMessage);
          return true;
        }
        // Without a message and without pings, this is an idle timeout: nothing to send.
        const answer = partProbe ?? host.features.ping?.(transport);
        answer?.then(
          (roundTrip) => {
            if (host.transport !== transport) return;
            timer.seen(true);
            host.answered(roundTrip);
          },
          () => {}, // the connection closed first; its close is handled
        );
        return answer !== undefined;
      },
      dead: () => host.lost(new LifelineError(ErrorCodes.HEARTBEAT_TIMEOUT, `lifeline: no answer ${timeout} ms after a heartbeat probe`)),
      hidden: host.hidden,
    });
    /** The connection is open, and read: only then can the peer's silence be judged. */
    let open = false;
    let reading = true;
    const ended = (): void => {
      open = false;
      reading = true; // every connection opens reading
      timer.stop();
    };
    return {
      opened() {
        open = true;
        if (reading) timer.start();
      },
      // No probing during our closing handshake: its own deadline (connectTimeout) covers it.
      closing: ended,
      closed: ended,
      // While the application does not read, answers cannot arrive: the watch starts afresh when it reads again.
      reading(resumed) {
        reading = resumed;
        if (!resumed) timer.stop();
        else if (open) timer.start();
      },
      received(data) {
        if (message === undefined || !isPong(data)) {
          timer.seen();
          return data;
        }
        const roundTrip = timer.seen(true);
        if (roundTrip !== undefined) host.answered(roundTrip);
        return undefined;
      },
      activity: () => void timer.seen(),
      wake: timer.wake,
    };
  };
}
