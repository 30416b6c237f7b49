/**
 * Liveness of one open connection: probe after `interval` of inbound
 * silence, declare the peer dead when nothing arrives within `timeout` of a
 * probe. One timer, re-armed lazily from the time of the last inbound
 * traffic (a busy connection costs no timer churn per message), at most
 * STEP ms apart so that a wall-clock jump (laptop sleep: monotonic timers
 * stop, Date.now() does not) is seen within STEP and answered with a fresh
 * probe rather than a verdict on a deadline that slept through.
 *
 * Owns: probe timing, the deadline, the round trip of answered probes. Does
 * not know how a probe is sent (`probe`), nor what "dead" does (`dead`).
 * Imports: the Clock type only.
 */
import type { Clock, TimerHandle } from './clock.js';

/** Timer granularity and the wall-clock jump that counts as a sleep, ms. */
const STEP = 5_000;
const JUMP = 3_000;

/** What the heartbeat needs from its owner. */
export interface HeartbeatHooks {
  /** Send a probe (a protocol ping or an app-level heartbeat message). */
  probe(): void;
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
  /** A connection opened: start watching it. */
  start(): void;
  stop(): void;
  /**
   * Inbound traffic arrived. With `answer`, it is the reply to a probe:
   * returns the round trip in ms when a probe was outstanding.
   */
  seen(answer?: boolean): number | undefined;
  /** Probe now (a wake-up, a wall-clock jump). */
  probe(): void;
}

export function createHeartbeat(timing: HeartbeatTiming, clock: Clock, hooks: HeartbeatHooks): Heartbeat {
  let timer: TimerHandle;
  /** Wall-clock time the timer is due. */
  let dueAt = 0;
  /** Last inbound traffic. */
  let lastSeen = 0;
  /** When the outstanding probe was sent; 0 when none is outstanding (any traffic clears it). */
  let probeSentAt = 0;

  /** Callers pass a positive remainder or an option (>= 1), never a negative delay. */
  const arm = (ms: number): void => {
    clock.clear(timer);
    const delay = Math.min(ms, STEP);
    dueAt = clock.now() + delay;
    timer = clock.set(tick, delay);
  };

  const probe = (): void => {
    probeSentAt = clock.now();
    arm(timing.timeout);
    hooks.probe();
  };

  function tick(): void {
    const now = clock.now();
    const slept = now - dueAt > JUMP;
    // Time left until the probe's deadline, or (none outstanding) until the next probe is due.
    const left = probeSentAt ? probeSentAt + timing.timeout - now : lastSeen + timing.interval - now;
    // After a sleep, probe instead of judging a deadline that slept through.
    if (slept || (!probeSentAt && left <= 0)) probe();
    else if (left > 0) arm(left);
    // Deadlines are not enforced while the page is hidden (throttled timers), unless asked.
    else if (timing.whileHidden || !hooks.hidden()) hooks.dead();
    else arm(STEP);
  }

  return {
    start() {
      lastSeen = clock.now();
      probeSentAt = 0;
      arm(timing.interval);
    },
    stop() {
      clock.clear(timer);
    },
    seen(answer = false) {
      const now = (lastSeen = clock.now());
      if (!probeSentAt) return undefined;
      const roundTrip = answer ? now - probeSentAt : undefined;
      probeSentAt = 0;
      // The timer still points at the probe's deadline, which can be later than
      // the next probe is due (timeout > interval): re-arm from now, so a peer
      // that falls silent after this is judged within interval + timeout.
      arm(timing.interval);
      return roundTrip;
    },
    probe,
  };
}
