import { describe, it, equal, throws, deepEqual, ok } from '../support/harness.js';
import { next, table, type State, type Transition } from '../../src/client/state.js';
import { rig, names } from './fakes.js';

const STATES: State[] = ['connecting', 'open', 'closing', 'waiting', 'closed'];
const EVENTS: Transition[] = ['dial', 'opened', 'lost', 'close', 'end'];
// The whole table, written out independently of src/client/state.ts.
const EXPECTED: Record<State, Partial<Record<Transition, State>>> = {
  closed: { dial: 'connecting' },
  connecting: { dial: 'connecting', opened: 'open', lost: 'waiting', end: 'closed' },
  open: { dial: 'connecting', lost: 'waiting', close: 'closing', end: 'closed' },
  closing: { dial: 'connecting', end: 'closed' },
  waiting: { dial: 'connecting', end: 'closed' },
};

describe('client state table', () => {
  it('has exactly the expected transitions (all 25 cells)', () => {
    let cells = 0;
    for (const s of STATES) {
      for (const e of EVENTS) {
        cells++;
        const want = EXPECTED[s][e];
        if (want) equal(next(s, e), want, `${s} --${e}->`);
        else {
          const err = throws(() => next(s, e), Error);
          ok(err.message.includes(`'${s}'`) && err.message.includes(`'${e}'`), `error names both: ${err.message}`);
        }
      }
    }
    equal(cells, 25);
    deepEqual(Object.keys(table).sort(), [...STATES].sort());
  });

  it('walks every state through the client, with a state event per change', async () => {
    const r = rig({ minDelay: 10, maxDelay: 10 });
    equal(r.conn.state, 'connecting');
    await r.openNow();
    equal(r.conn.state, 'open');
    r.sock.end({ code: 1006 });
    equal(r.conn.state, 'waiting');
    r.clock.advance(10);
    equal(r.conn.state, 'connecting');
    await r.openNow();
    r.conn.close(1000, 'bye');
    equal(r.conn.state, 'closing');
    r.sock.end({ code: 1000, wasClean: true });
    equal(r.conn.state, 'closed');
    r.conn.reconnect();
    equal(r.conn.state, 'connecting');
    const states = r.events.filter((e) => e[0] === 'state').map((e) => `${(e[1] as { from: string }).from}>${(e[1] as { to: string }).to}`);
    deepEqual(states, ['connecting>open', 'open>waiting', 'waiting>connecting', 'connecting>open', 'open>closing', 'closing>closed', 'closed>connecting']);
  });

  it('emits state after the client is consistent (a handler sees the new state and can act)', async () => {
    const r = rig();
    const seen: string[] = [];
    r.conn.on('state', ({ to }) => {
      seen.push(`${to}:${r.conn.state}`);
      if (to === 'waiting') r.conn.close(); // acting from a handler is safe
    });
    await r.openNow();
    r.sock.end();
    deepEqual(seen, ['open:open', 'waiting:waiting', 'closed:closed']);
    equal(r.conn.state, 'closed');
    equal(r.clock.pending, 0, 'no backoff timer left behind');
    deepEqual(names(r.events, ['end']), ['end']);
  });
});
