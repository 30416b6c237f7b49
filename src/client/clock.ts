/**
 * The clock the client runs on, injected so tests drive time with a fake
 * clock. `now()` is wall-clock time (Date.now): a jump between two timer
 * callbacks larger than the timer asked for is how the heartbeat notices a
 * suspended laptop. The entry points inject `realClock`.
 *
 * Owns: the Clock seam. Imports: TIMER_MAX from the input rules.
 */
import { TIMER_MAX } from '../protocol/input.js';

/** Opaque timer handle. */
export type TimerHandle = unknown;

/** Time source and one-shot timers. */
export interface Clock {
  /** Wall-clock milliseconds (like Date.now()). */
  now(): number;
  /** Run `fn` once after `ms`. */
  set(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer from `set` (ignores undefined and fired timers). */
  clear(handle: TimerHandle): void;
}

/**
 * The platform's clock (setTimeout / clearTimeout / Date.now), called
 * unbound so browsers accept it. Delays are clamped to TIMER_MAX: options
 * are range-checked at the call, but a timer fed a longer delay would fire
 * at once instead (defence in depth).
 */
export const realClock: Clock = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, Math.min(ms, TIMER_MAX)),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
