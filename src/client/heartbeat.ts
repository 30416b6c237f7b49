/**
 * Liveness of one open connection: probe after `interval` of inbound
 * silence, declare the peer dead when nothing arrives within `timeout` of a
 * probe. One timer, re-armed lazily from the time of the last inbound
 * traffic (a busy connection costs no timer churn per message), at most
 * STEP ms apart so a wall-clock jump (laptop sleep: monotonic timers stop,
 * Date.now() does not) is seen within STEP and answered with a fresh probe
 * rather than a verdict on a deadline that slept through.
 *
 * Owns: probe timing, deadline, RTT of probes. Does not know how a probe is
 * sent (the client passes `probe`), nor what "dead" does (`dead`).
 * Imports: the Clock type only.
 */
import type { Clock, TimerHandle } from './clock.js';

/** Timer granularity and wall-clock jump threshold, ms. */
const STEP = 5e3;
const JUMP = 3e3;

/**
 * The heartbeat's controls, as a tuple of functions (local names minify; a
 * method name would survive in the browser bundle):
 * `[start, stop, seen, probe]` — start on a fresh connection; stop; inbound
 * traffic arrived (with `pong`, it answers a probe: returns the RTT if that
 * probe was still outstanding); probe now (wake-up, wall-clock jump).
 */
export type Heartbeat = [start: () => void, stop: () => void, seen: (pong?: boolean) => number | undefined, probe: () => void];

export function createHeartbeat(
  o: { interval: number; timeout: number; whileHidden: boolean },
  clock: Clock,
  probe: () => void,
  dead: () => void,
  hidden: () => boolean,
): Heartbeat {
  let h: TimerHandle;
  let at = 0; // wall time the timer is due
  let last = 0; // last inbound traffic
  let sent = 0; // probe outstanding since (0 = none); cleared by any traffic
  // Never called with a negative delay: every caller passes a positive remainder or an option (>= 1).
  const arm = (ms: number) => {
    clock.clear(h);
    ms = Math.min(ms, STEP);
    at = clock.now() + ms;
    h = clock.set(tick, ms);
  };
  const tick = () => {
    const n = clock.now();
    // Time left until the probe's deadline, or (none outstanding) until the next probe is due.
    const left = (sent ? sent + o.timeout : last + o.interval) - n;
    // Slept (n - at > JUMP): probe instead of judging a stale deadline.
    if (n - at > JUMP || (!sent && left <= 0)) send();
    else if (left > 0) arm(left);
    // Deadlines are not enforced while the page is hidden (throttled timers), unless asked.
    else if (o.whileHidden || !hidden()) dead();
    else arm(STEP);
  };
  const send = () => {
    sent = clock.now();
    arm(o.timeout);
    probe();
  };
  return [
    () => {
      last = clock.now();
      sent = 0;
      arm(o.interval);
    },
    () => clock.clear(h),
    (pong) => {
      last = clock.now();
      const rtt = pong && sent ? last - sent : undefined;
      // An answered probe: the timer still points at its deadline, which can be
      // later than the next probe is due (timeout > interval). Re-arm from now,
      // so a peer that falls silent after this is judged within interval + timeout.
      if (sent) (sent = 0), arm(o.interval);
      return rtt;
    },
    send,
  ];
}
