/**
 * A shared connection's stats (src/client/shared/stats.ts): how a leading
 * tab adds its own client's counters to those of the leaders before it, and
 * what a following tab reports from the last snapshot it heard. The same
 * stats across tabs are tested in shared.test.ts ("state, events and stats
 * of the socket are mirrored").
 */
import { describe, it, deepEqual } from '../support/harness.js';
import { followerStats, leaderStats, type SocketStats } from '../../src/client/shared/stats.js';
import type { Snapshot } from '../../src/client/shared/wire.js';

const counters = (values: Partial<SocketStats> = {}): SocketStats => ({
  messagesIn: 0,
  messagesOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  reconnects: 0,
  rtt: undefined,
  rttAvg: undefined,
  uptime: 0,
  ...values,
});

/** A snapshot as a leader posts it; its queue is the leader's own and must not show in another tab. */
const snapshot = (stats: Partial<SocketStats>, more: Partial<Snapshot> = {}): Snapshot => ({
  state: 'open',
  protocol: '',
  extensions: '',
  stats: { ...counters(stats), queued: 7, queuedBytes: 700 },
  at: 10_000,
  opened: true,
  ...more,
});

describe('shared connection stats', () => {
  it('the first leader reports its own client', () => {
    const own = counters({ messagesIn: 3, bytesIn: 30, rtt: 5, rttAvg: 6, uptime: 100 });
    deepEqual(leaderStats(own, true, undefined), own);
  });

  it('a later leader adds its counters to those before it; its open after an earlier one is a reconnect', () => {
    const before = snapshot({ messagesIn: 10, messagesOut: 4, bytesIn: 100, bytesOut: 40, reconnects: 2, rtt: 8, rttAvg: 9, uptime: 500 });
    const own = counters({ messagesIn: 1, messagesOut: 2, bytesIn: 11, bytesOut: 22, reconnects: 1, uptime: 50 });
    deepEqual(leaderStats(own, true, before), counters({
      messagesIn: 11,
      messagesOut: 6,
      bytesIn: 111,
      bytesOut: 62,
      reconnects: 2 + 1 + 1,
      rtt: 8, // its client has measured none yet: the earlier one stands
      rttAvg: 9,
      uptime: 50, // its own socket's
    }));
  });

  it('no reconnect counted until both the earlier and this leader have opened; its own round trip replaces the earlier', () => {
    const own = counters({ rtt: 3, rttAvg: 4 });
    deepEqual(leaderStats(own, false, snapshot({ rtt: 8 })), counters({ rtt: 3, rttAvg: 4 }), 'this leader has not opened yet');
    deepEqual(leaderStats(own, true, snapshot({ rtt: 8 }, { opened: false })), counters({ rtt: 3, rttAvg: 4 }), 'no connection was open before it');
  });

  it('a follower reports zeros before it has heard a leader', () => {
    deepEqual(followerStats(undefined, false, 0), counters());
  });

  it("a follower reports the leader's counters, without the leader's queue, and advances uptime while open", () => {
    const before = snapshot({ messagesIn: 5, bytesIn: 50, reconnects: 1, rtt: 7, uptime: 2_000 }, { at: 10_000 });
    deepEqual(followerStats(before, true, 10_250), counters({ messagesIn: 5, bytesIn: 50, reconnects: 1, rtt: 7, uptime: 2_250 }));
    deepEqual(followerStats(before, false, 10_250).uptime, 0, 'not open in this tab (it lost its leader)');
    deepEqual(followerStats({ ...before, state: 'connecting' }, true, 10_250).uptime, 0, 'not open in the snapshot');
  });
});
