import { describe, it, equal, throws, deepEqual, ok } from '../support/harness.js';
import { step, table, type Action, type State, type Transition } from '../../src/client/state.js';
import { rig, names } from './fakes.js';

const STATES: State[] = ['connecting', 'open', 'closing', 'waiting', 'closed'];
const EVENTS: Transition[] = ['connect', 'wake', 'opened', 'retry', 'giveUp', 'close', 'closed', 'terminate'];
// The whole table, written out independently of src/client/state.ts: `next state / action`.
const EXPECTED: Record<State, Partial<Record<Transition, `${State}/${Action}`>>> = {
  closed: { connect: 'connecting/dial', wake: 'closed/none', close: 'closed/none', terminate: 'closed/none' },
  connecting: {
    connect: 'connecting/redial',
    wake: 'connecting/none',
    opened: 'open/activate',
    retry: 'waiting/wait',
    giveUp: 'closed/finish',
    close: 'closed/finish',
    terminate: 'closed/finish',
  },
  open: {
    connect: 'connecting/redial',
    wake: 'open/probe',
    retry: 'waiting/wait',
    giveUp: 'closed/finish',
    close: 'closing/startClosing',
    terminate: 'closed/finish',
  },
  closing: { connect: 'connecting/redial', wake: 'closing/none', close: 'closing/none', closed: 'closed/finish', terminate: 'closed/finish' },
  waiting: { connect: 'connecting/dial', wake: 'connecting/dial', close: 'closed/finish', terminate: 'closed/finish' },
};

describe('client state table', () => {
  it('has exactly the expected cells, each naming the next state and the action (all 40)', () => {
    let cells = 0;
    for (const s of STATES) {
      for (const e of EVENTS) {
        cells++;
        const want = EXPECTED[s][e];
        if (want) {
          const got = step(s, e);
          equal(`${got.to}/${got.action}`, want, `${s} --${e}->`);
        } else {
          const err = throws(() => step(s, e), Error);
          ok(err.message.includes(`'${s}'`) && err.message.includes(`'${e}'`), `error names both: ${err.message}`);
        }
      }
    }
    equal(cells, 40);
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
    deepEqual(states, [
      'closed>connecting',
      'connecting>open',
      'open>waiting',
      'waiting>connecting',
      'connecting>open',
      'open>closing',
      'closing>closed',
      'closed>connecting',
    ]);
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

  it('startClosed: nothing happens until open(); open() while open is a no-op', async () => {
    const r = rig({ startClosed: true });
    await r.settle();
    equal(r.conn.state, 'closed');
    equal(r.sockets.length, 0);
    r.conn.open();
    equal(r.conn.state, 'connecting');
    await r.openNow();
    r.conn.open();
    equal(r.conn.state, 'open');
    equal(r.sockets.length, 1, 'no second socket');
  });

  it('open() while waiting out a backoff connects now', async () => {
    const r = rig({ minDelay: 60_000, maxDelay: 60_000 });
    const s = await r.openNow();
    s.end();
    equal(r.conn.state, 'waiting');
    r.conn.open();
    equal(r.conn.state, 'connecting');
    equal(r.clock.pending, 1, 'only the connect deadline; the backoff timer is gone');
  });
});
