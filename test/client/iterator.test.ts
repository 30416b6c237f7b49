import { describe, it, equal, ok, deepEqual, throws } from '../support/harness.js';
import { rig, NODE, settle } from './fakes.js';
import { messages } from '../../src/client/iterator.js';

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
    const r = rig();
    const s = await r.openNow();
    const p = (async () => {
      for await (const m of messages(r.conn)) if (m === 'stop') break;
    })();
    await settle();
    s.message('x');
    s.message('stop');
    await p;
    for (let i = 0; i < 100; i++) s.message('more'); // nothing buffers them now
    ok(true);
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
