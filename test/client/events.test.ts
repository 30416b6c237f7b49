import { describe, it, equal, ok, deepEqual } from '../support/harness.js';
import { rig, names, NODE_CAPS, settle } from './fakes.js';
import type { TransportConnectOptions, TransportHandlers } from '../../src/transport/types.js';

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
    const { FakeClock, FakeSocket, BROWSER_CAPS } = await import('./fakes.js');
    let sock: InstanceType<typeof FakeSocket> | undefined;
    const factory = Object.assign((u: string, o: TransportConnectOptions, h: TransportHandlers) => (sock = new FakeSocket(BROWSER_CAPS, u, o, h)), { capabilities: BROWSER_CAPS });
    const c = connectWith(factory, 'ws://x.invalid', {}, { clock: new FakeClock(), random: Math.random });
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
    deepEqual(names(r.events, ['open', 'close', 'state', 'reconnecting']), ['state', 'open', 'close', 'state', 'reconnecting']);
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

describe('async iterator', () => {
  it('yields messages in order and ends when the client ends', async () => {
    const r = rig();
    const s = await r.openNow();
    const out: unknown[] = [];
    const done = (async () => {
      for await (const m of r.conn) out.push(m);
    })();
    await settle();
    s.message('a');
    s.message('b');
    await settle();
    s.message('c');
    r.conn.close();
    s.end({ code: 1000, wasClean: true });
    await done;
    deepEqual(out, ['a', 'b', 'c']);
  });

  it('pauses the transport when the consumer lags, resumes when it catches up (Node)', async () => {
    const r = rig({ receiveHighWaterMark: 8 }, { caps: NODE_CAPS });
    const s = await r.openNow();
    const it = r.conn[Symbol.asyncIterator]();
    const first = it.next(); // subscribe
    for (let i = 0; i < 10; i++) s.message(String(i));
    equal((await first).value, '0');
    equal(s.paused, true, 'paused above the mark');
    for (let i = 1; i < 8; i++) equal((await it.next()).value, String(i));
    equal(s.paused, false, 'resumed at a quarter of the mark');
    await it.return!();
    equal(s.paused, false);
    s.message('after');
    equal(r.conn.stats.messagesIn, 11);
  });

  it('breaking out of the loop unsubscribes', async () => {
    const r = rig();
    const s = await r.openNow();
    const p = (async () => {
      for await (const m of r.conn) if (m === 'stop') break;
    })();
    await settle();
    s.message('x');
    s.message('stop');
    await p;
    for (let i = 0; i < 100; i++) s.message('more'); // nothing buffers them now
    ok(true);
  });
});
