/**
 * A follower's watch over its leader (./shared.ts): a leader that stops
 * answering without leaving (a hung main thread, a page stopped without a
 * `freeze` event) keeps its Web Lock, so the followers must notice and take
 * the lock from it.
 *
 * A follower looks every eighth of `leaderTimeout`: after a quarter of it
 * without a word from the leader it pings; a ping unanswered for half of it,
 * plus a random eighth (so that two followers rarely steal at once), and it
 * steals the lock. A leader is thus replaced between 3/4 and 9/8 of
 * `leaderTimeout` after it stopped answering; 0 never replaces it.
 *
 * Owns: when the leader was last heard from and pinged, the timer. Imports
 * only types.
 */
import type { Clock, TimerHandle } from '../clock.js';

/** What the watch asks of the tab. */
export interface WatchActions {
  /** The tab still follows and is in line for the lock (else the watch stops looking). */
  watching(): boolean;
  /** Ask the leader whether it is there; it answers by any message. */
  ping(): void;
  /** Take the lock from the silent leader. */
  steal(): void;
}

export interface LeaderWatch {
  /** The leader was heard from now: the silence starts again. */
  heard(): void;
  /** Starts looking (again, on a fresh timer); the silence counts from the last `heard()`. */
  start(): void;
  /** Stops looking. */
  stop(): void;
}

/** The watch over a leader, on `clock`; `random` in [0, 1) spreads the followers' steals. */
export function watchLeader(clock: Clock, random: () => number, leaderTimeout: number, actions: WatchActions): LeaderWatch {
  let heardAt = clock.now();
  /** When the unanswered ping went out; 0: none is. */
  let pingedAt = 0;
  /** The random part of the wait before stealing, drawn with each ping. */
  let stealAfter = 0;
  let timer: TimerHandle;

  const watch: LeaderWatch = {
    heard() {
      heardAt = clock.now();
      pingedAt = 0;
    },
    start() {
      clock.clear(timer);
      if (leaderTimeout) timer = clock.set(look, leaderTimeout / 8);
    },
    stop() {
      clock.clear(timer);
    },
  };

  function look(): void {
    if (!actions.watching()) return;
    const now = clock.now();
    if (pingedAt && heardAt < pingedAt) {
      if (now - pingedAt >= leaderTimeout / 2 + stealAfter) return actions.steal();
    } else if (now - heardAt >= leaderTimeout / 4) {
      pingedAt = now;
      stealAfter = (random() * leaderTimeout) / 8;
      actions.ping();
    }
    watch.start();
  }

  return watch;
}
