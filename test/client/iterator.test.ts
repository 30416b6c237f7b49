import { describe, it, equal, deepEqual, throws } from '../support/harness.js';
import { rig, NODE, settle } from './fakes.js';
import { messages } from '../../src/client/iterator.js';

/** What `promise` settled with before the next macrotask, or 'still pending': a hang fails the test instead of stalling it. */
const settledOrPending = <T>(promise: Promise<T>) => Promise.race([promise, new Promise<string>((resolve) => setTimeout(() => resolve('still pending'), 0))]);

describe('messages(): async iteration', () => {
  it('yields messages in order and ends when the client ends', async () => {
    const r = rig();
    const s = await r.openNow();
    const out: unknown[] = [];
    const done = (async () => {
      for await (const m of messages(r.conn)) out.push(m);
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
    const r = rig({}, { platform: NODE });
    const s = await r.openNow();
    const it = messages(r.conn, { highWaterMark: 8 });
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
    const r = rig({}, { platform: NODE });
    const s = await r.openNow();
    const p = (async () => {
      for await (const m of messages(r.conn, { highWaterMark: 2 })) if (m === 'stop') break;
    })();
    await settle();
    s.message('x');
    s.message('stop');
    await p;
    for (let i = 0; i < 100; i++) s.message('more');
    equal(s.paused, false, 'nothing buffers them now (a listener would have paused at the mark)');
  });

  it('return() while a next() waits on a quiet connection: both settle at once, the next() done, the listeners gone', async () => {
    const r = rig({}, { platform: NODE });
    const s = await r.openNow();
    const it = messages(r.conn, { highWaterMark: 1 });
    const waiting = it.next();
    await settle();
    const returned = it.return!();
    deepEqual(await settledOrPending(Promise.all([waiting, returned])), [
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
    s.message('late');
    equal(s.paused, false, 'no listener took it (one message reaches the mark)');
    deepEqual(await it.next(), { done: true, value: undefined });
  });

  it('throw() while a next() waits: settles at once with its error, the next() done', async () => {
    const r = rig();
    await r.openNow();
    const it = messages(r.conn);
    const waiting = it.next();
    await settle();
    const error = new Error('cancelled');
    const thrown = it.throw!(error).then(
      () => 'resolved',
      (reason: unknown) => reason,
    );
    deepEqual(await settledOrPending(Promise.all([waiting, thrown])), [{ done: true, value: undefined }, error]);
  });

  it('a for await loop on a quiet connection ends when an AbortSignal calls return()', async () => {
    const r = rig();
    const s = await r.openNow();
    const it = messages(r.conn);
    const out: unknown[] = [];
    const loop = (async () => {
      for await (const m of it) out.push(m);
      return 'loop ended';
    })();
    await settle();
    s.message('a');
    await settle();
    const abort = new AbortController();
    abort.signal.addEventListener('abort', () => void it.return!());
    abort.abort();
    equal(await settledOrPending(loop), 'loop ended');
    deepEqual(out, ['a']);
  });

  it('a loop waiting on a quiet connection ends when the client ends', async () => {
    const r = rig();
    const s = await r.openNow();
    const loop = (async () => {
      for await (const _ of messages(r.conn));
      return 'loop ended';
    })();
    await settle();
    r.conn.close();
    s.end({ code: 1000, wasClean: true });
    equal(await settledOrPending(loop), 'loop ended');
  });

  it('return() with messages buffered above the mark resumes reading (Node)', async () => {
    const r = rig({}, { platform: NODE });
    const s = await r.openNow();
    const it = messages(r.conn, { highWaterMark: 2 });
    const first = it.next();
    for (let i = 0; i < 3; i++) s.message(String(i));
    equal((await first).value, '0');
    equal(s.paused, true);
    await it.return!();
    equal(s.paused, false);
  });

  it('pauses a transport that opens while an iterator lags (Node)', async () => {
    const r = rig({ minDelay: 1 }, { platform: NODE });
    const s1 = await r.openNow();
    const it = messages(r.conn, { highWaterMark: 2 });
    const first = it.next();
    for (let i = 0; i < 3; i++) s1.message(String(i));
    await first;
    equal(s1.paused, true);
    s1.end();
    r.clock.advance(1);
    const s2 = await r.openNow();
    equal(s2.paused, true, 'the new transport starts paused');
    await it.next();
    await it.next();
    equal(s2.paused, false);
    await it.return!();
  });

  it('ends at once when started on a closed client', async () => {
    const r = rig({ startClosed: true });
    const out: unknown[] = [];
    for await (const m of messages(r.conn)) out.push(m);
    deepEqual(out, []);
  });

  it('pause()/resume() on the connection stop and restart reading (Node); a bad highWaterMark throws at the call', async () => {
    const r = rig({}, { platform: NODE });
    const s = await r.openNow();
    r.conn.pause();
    equal(s.paused, true);
    r.conn.resume();
    equal(s.paused, false);
    const e = throws(() => messages(r.conn, { highWaterMark: 0 }), 'WS_ERR_INVALID_OPTION');
    equal(e.name, 'RangeError');
  });
});
