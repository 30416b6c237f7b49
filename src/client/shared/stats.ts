/**
 * The stats a tab of a shared connection reports (./shared.ts). The socket
 * lives in one tab at a time, yet every tab sees one connection: counters
 * go on across leaders, and a hand-over counts as a reconnect, as a
 * dropped socket does for a client of its own. `queued` and `queuedBytes`
 * are each tab's own (what waits for that tab), so the caller adds them.
 *
 * Owns: how a leader's counters and the last snapshot it heard combine.
 * Imports only types.
 */
import type { Stats } from '../stats.js';
import type { Snapshot } from './wire.js';

/** The stats without the queue, which each tab counts itself. */
export type SocketStats = Omit<Stats, 'queued' | 'queuedBytes'>;

/** The counters that add up across leaders. */
const COUNTERS = ['messagesIn', 'messagesOut', 'bytesIn', 'bytesOut', 'reconnects'] as const;

/**
 * A leading tab: its own client's counters on top of those in `before`, the
 * last snapshot it heard from an earlier leader (none: it is the first).
 * Its own client's open after an earlier leader's is one more reconnect;
 * until its client measures a round trip, the earlier one stands.
 */
export function leaderStats(own: SocketStats, ownOpened: boolean, before: Snapshot | undefined): SocketStats {
  if (!before) return { ...own };
  const merged: SocketStats = { ...own, rtt: own.rtt ?? before.stats.rtt, rttAvg: own.rttAvg ?? before.stats.rttAvg };
  for (const counter of COUNTERS) merged[counter] = before.stats[counter] + own[counter];
  if (before.opened && ownOpened) merged.reconnects++;
  return merged;
}

/**
 * A following tab: the leader's counters as its last snapshot gave them
 * (zeros before it heard one; the snapshot's queue is the leader's own),
 * with `uptime` advanced to `now` while the connection is open here and was
 * open in the snapshot.
 */
export function followerStats(before: Snapshot | undefined, open: boolean, now: number): SocketStats {
  if (!before) {
    return { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, reconnects: 0, rtt: undefined, rttAvg: undefined, uptime: 0 };
  }
  const { messagesIn, messagesOut, bytesIn, bytesOut, reconnects, rtt, rttAvg, uptime } = before.stats;
  const stillOpen = open && before.state === 'open';
  return { messagesIn, messagesOut, bytesIn, bytesOut, reconnects, rtt, rttAvg, uptime: stillOpen ? uptime + now - before.at : 0 };
}
