import { describe, it, equal, ok, deepEqual } from '../support/harness.js';
import { rig, names, settle } from './fakes.js';
import type { TransportFactory } from '../../src/transport/types.js';

describe('events', () => {
  it('on() returns an unsubscribe function', async () => {
    const r = rig();
    const got: unknown[] = [];
    const off = r.conn.on('message', (m) => got.push(m));
    const s = await r.openNow();
    s.message('a');
    off();
    s.message('b');
    deepEqual(got, ['a']);
  });

  it('a throwing handler: the client stays consistent, other handlers still run, the error goes to error listeners', async () => {
    const r = rig({ minDelay: 1 });
    const later: string[] = [];
    r.conn.on('close', () => {
      throw new Error('boom');
    });
    r.conn.on('close', () => later.push(r.conn.state));
    const s = await r.openNow();
    s.end();
    deepEqual(later, ['waiting']);
    equal(r.conn.state, 'waiting');
    ok(r.events.some((e) => e[0] === 'error' && (e[1] as Error).message === 'boom'));
    r.clock.advance(10);
    await r.settle();
    r.sock.open();
    equal(r.conn.state, 'open', 'still works');
  });

  it('with no error listener, a handler error is rethrown asynchronously (not swallowed)', async () => {
    const { connectWith } = await import('../../src/client/client.js');
    const { FakeClock, FakeSocket, BROWSER } = await import('./fakes.js');
    let sock: InstanceType<typeof FakeSocket> | undefined;
    const factory: TransportFactory = (u, o, h) => (sock = new FakeSocket(false, u, o, h));
    const c = connectWith(factory, 'ws://x.invalid', {}, { clock: new FakeClock(), random: Math.random, features: BROWSER.features });
    const order: string[] = [];
    c.on('open', () => {
      throw new Error('unheard');
    });
    c.on('open', () => order.push('second handler'));
    await settle();
    // Capture the rethrow scheduled with queueMicrotask (test runners treat a real one as a failure).
    const g = globalThis as { queueMicrotask: (f: () => void) => void };
    const real = g.queueMicrotask;
    const scheduled: (() => void)[] = [];
    g.queueMicrotask = (f) => void scheduled.push(f);
    try {
      sock!.open();
    } finally {
      g.queueMicrotask = real;
    }
    equal(c.state, 'open');
    deepEqual(order, ['second handler']);
    equal(scheduled.length, 1);
    let thrown: unknown;
    try {
      scheduled[0]!();
    } catch (e) {
      thrown = e;
    }
    equal((thrown as Error).message, 'unheard');
  });

  it('events are emitted after the operation completes, in order', async () => {
    const r = rig({ minDelay: 1 });
    const s = await r.openNow();
    s.end({ code: 1011, reason: 'oops' });
    // Each step's state event comes first, then its own events.
    deepEqual(names(r.events, ['open', 'close', 'state', 'reconnecting']), ['state', 'state', 'open', 'state', 'close', 'reconnecting']);
    const close = r.events.find((e) => e[0] === 'close')![1] as { code: number; willReconnect: boolean };
    equal(close.code, 1011);
    equal(close.willReconnect, true);
  });

  it('terminate() drops at once with 1006 and ends', async () => {
    const r = rig();
    const s = await r.openNow();
    r.conn.terminate();
    equal(s.terminated, true);
    equal(r.conn.state, 'closed');
    const close = r.events.find((e) => e[0] === 'close')![1] as { code: number };
    equal(close.code, 1006);
    equal(r.clock.pending, 0);
  });

  it('close() that the peer never answers is forced after connectTimeout', async () => {
    const r = rig({ connectTimeout: 2000 });
    const s = await r.openNow();
    r.conn.close();
    equal(r.conn.state, 'closing');
    r.clock.advance(2000);
    equal(s.terminated, true);
    equal(r.conn.state, 'closed');
  });

  it('messages from an abandoned socket are ignored', async () => {
    const r = rig();
    const s1 = await r.openNow();
    r.conn.reconnect();
    s1.message('stale');
    s1.open();
    equal(names(r.events, ['message']).length, 0);
    equal(r.conn.state, 'connecting');
  });
});

describe('events: order under re-entry (regression)', () => {
  it('a handler that calls terminate() on open: every other handler still gets open before close and end', async () => {
    const r = rig();
    const seen: string[] = [];
    r.conn.on('open', () => r.conn.terminate());
    r.conn.on('open', () => seen.push('open'));
    r.conn.on('close', () => seen.push('close'));
    r.conn.on('end', () => seen.push('end'));
    await r.openNow();
    deepEqual(seen, ['open', 'close', 'end']);
    equal(r.conn.state, 'closed');
    // The recorder subscribed first (before the terminating handler), so it saw the same order.
    deepEqual(names(r.events, ['open', 'close', 'end']), ['open', 'close', 'end']);
  });

  it('a handler that sends on open: the message goes after the queued ones, and events keep their order', async () => {
    const r = rig();
    void r.conn.send('queued');
    r.conn.on('open', () => void r.conn.send('from handler'));
    const s = await r.openNow();
    deepEqual(s.sent, ['queued', 'from handler']);
  });

  it('once() fires for the next event only; off() unsubscribes', async () => {
    const r = rig({ minDelay: 1 });
    const got: string[] = [];
    r.conn.once('open', () => got.push('once'));
    const handler = () => got.push('on');
    r.conn.on('open', handler);
    await r.openNow();
    r.conn.off('open', handler);
    r.sock.end();
    r.clock.advance(1);
    await r.openNow();
    deepEqual(got, ['once', 'on']);
  });
});
