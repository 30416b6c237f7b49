/**
 * The follower's watch over its leader (src/client/shared/watchdog.ts), on
 * a fake clock: when it pings, when it steals, what resets it. The same
 * watch in the shared connection is tested in shared.test.ts ("a leader
 * that stops answering is replaced") and across real tabs.
 */
import { describe, it, equal, deepEqual } from '../support/harness.js';
import { watchLeader, type WatchActions } from '../../src/client/shared/watchdog.js';
import { FakeClock } from './fakes.js';

const TIMEOUT = 8000;

function watched(random = 0.5, watching = () => true) {
  const clock = new FakeClock();
  const start = clock.now();
  /** What the watch did, with the time since the start. */
  const did: string[] = [];
  const actions: WatchActions = {
    watching,
    ping: () => void did.push(`ping at ${clock.now() - start}`),
    steal: () => void did.push(`steal at ${clock.now() - start}`),
  };
  const watch = watchLeader(clock, () => random, TIMEOUT, actions);
  return { clock, watch, did };
}

describe('leader watch', () => {
  it('a silent leader: a ping after a quarter of leaderTimeout, the steal half of it later plus the random eighth', () => {
    const { clock, watch, did } = watched(0.5);
    watch.start();
    clock.advance(TIMEOUT * 2);
    // Looks every 1000 ms: pings at 2000 (silent >= 2000), steals when 4000 + 0.5 × 1000 passed since the ping (looked at 7000).
    deepEqual(did, ['ping at 2000', 'steal at 7000']);
    equal(clock.pending, 0, 'no more looking after the steal');
  });

  it('the steal comes between 3/4 and 9/8 of leaderTimeout after the leader went silent, whatever the draw', () => {
    for (const random of [0, 0.25, 0.999]) {
      const { clock, watch, did } = watched(random);
      watch.start();
      clock.advance(TIMEOUT * 2);
      const at = Number(did.at(-1)!.split(' ').at(-1));
      equal(did.at(-1)!.startsWith('steal'), true);
      equal(at >= (TIMEOUT * 3) / 4 && at <= (TIMEOUT * 9) / 8, true, `steal at ${at} with draw ${random}`);
    }
  });

  it('a leader heard from after the ping is not stolen from; the silence starts again', () => {
    const { clock, watch, did } = watched(0);
    watch.start();
    clock.advance(2500);
    deepEqual(did, ['ping at 2000']);
    watch.heard(); // the answer (any message of the leader)
    clock.advance(4000);
    deepEqual(did, ['ping at 2000', 'ping at 5000'], 'pinged again a quarter after it was last heard from, not stolen');
  });

  it('stop() stops looking; start() again starts from now', () => {
    const { clock, watch, did } = watched();
    watch.start();
    clock.advance(1500);
    watch.stop();
    equal(clock.pending, 0);
    clock.advance(TIMEOUT * 2);
    deepEqual(did, []);
    watch.heard();
    watch.start();
    clock.advance(2000);
    deepEqual(did, [`ping at ${1500 + TIMEOUT * 2 + 2000}`]);
  });

  it('a tab no longer watching (it leads, left, or is out of line) stops looking without pinging', () => {
    let watching = true;
    const { clock, watch, did } = watched(0.5, () => watching);
    watch.start();
    clock.advance(1000);
    watching = false;
    clock.advance(TIMEOUT * 2);
    deepEqual(did, []);
    equal(clock.pending, 0);
  });

  it('leaderTimeout 0: never looks', () => {
    const clock = new FakeClock();
    const did: string[] = [];
    const watch = watchLeader(clock, () => 0, 0, { watching: () => true, ping: () => void did.push('ping'), steal: () => void did.push('steal') });
    watch.start();
    equal(clock.pending, 0);
    clock.advance(1e9);
    deepEqual(did, []);
  });
});
