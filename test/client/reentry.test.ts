/**
 * The application's code runs in the middle of the client's work (event
 * handlers, shouldReconnect, codecs) and may call back into it. Whatever it
 * calls, from wherever, the client must not throw, must end in a consistent
 * state, must settle every send() once, and must leave no timer behind when
 * it ends. These tests sweep the public calls across states and callbacks.
 */
import { describe, it, equal, ok, deepEqual, rejects } from '../support/harness.js';
import { rig, names, NODE, settle } from './fakes.js';
import type { Connection } from '../../src/client/client.js';

type Call = 'open' | 'close' | 'terminate' | 'reconnect';
const CALLS: Call[] = ['open', 'close', 'terminate', 'reconnect'];
const call = (conn: Connection, what: Call) => (what === 'close' ? conn.close() : conn[what]());

describe('re-entry: the application calls back into the client', () => {
  for (const what of CALLS) {
    it(`shouldReconnect that calls ${what}() after a lost connection: no throw, a consistent state`, async () => {
      let once = true;
      const r = rig({
        minDelay: 1,
        shouldReconnect: () => {
          if (once) {
            once = false;
            call(r.conn, what);
          }
          return true;
        },
      });
      const s = await r.openNow();
      s.end({ code: 1011 });
      ok(['closed', 'connecting', 'waiting'].includes(r.conn.state), r.conn.state);
      if (what === 'terminate' || what === 'close') {
        equal(r.conn.state, 'closed');
        equal(r.clock.pending, 0, 'nothing left armed');
        deepEqual(names(r.events, ['end']), ['end']);
      }
      if (what === 'reconnect') equal(r.conn.state, 'connecting', 'the new attempt is not abandoned');
      r.conn.terminate();
      equal(r.clock.pending, 0);
    });
  }

  it('every public call, in every state, from inside every event handler: no throw, and terminate() then leaves no timer', async () => {
    const kinds = ['state', 'open', 'close', 'reconnecting', 'drop', 'message', 'end'] as const;
    for (const kind of kinds) {
      for (const what of CALLS) {
        const r = rig({ minDelay: 1, maxDelay: 1, maxQueued: 1 });
        let fired = 0;
        let acting = true;
        r.conn.on(kind, () => {
          if (acting && fired++ < 3) call(r.conn, what);
        });
        const s = await r.openNow();
        void r.conn.send('a');
        void r.conn.send('b');
        s.message('m');
        s.end({ code: 1011 });
        r.clock.advance(5);
        await settle();
        r.sock.open();
        r.conn.close();
        r.sock.end({ code: 1000, wasClean: true });
        acting = false;
        r.conn.terminate();
        equal(r.conn.state, 'closed', `${kind} → ${what}`);
        equal(r.clock.pending, 0, `${kind} → ${what}: no timer left`);
      }
    }
  });

  it('state comes first: lost() reports state, then error, drop and close; reconnect() reports state, then close', async () => {
    const r = rig({ minDelay: 1 });
    const s = await r.openNow();
    void r.conn.send('x', { dropOnReconnect: true });
    s.bufferedAmount = 0;
    r.events.length = 0;
    s.end({ code: 1006, error: new Error('network') });
    deepEqual(names(r.events), ['state', 'error', 'close', 'reconnecting']);
    r.clock.advance(1);
    await r.openNow();
    r.events.length = 0;
    r.conn.reconnect();
    deepEqual(names(r.events, ['state', 'close']), ['state', 'close']);
  });

  it('reconnect() while open rejects the messages marked dropOnReconnect (WS_ERR_SEND_DROPPED)', async () => {
    const r = rig();
    const s = await r.openNow();
    s.refuseSend = true; // keep them queued
    const kept = r.conn.send('kept');
    const dropped = r.conn.send('dropped', { dropOnReconnect: true });
    r.conn.reconnect();
    await rejects(dropped, 'WS_ERR_SEND_DROPPED');
    const s2 = await r.openNow();
    await kept;
    deepEqual(s2.sent, ['kept']);
  });

  it('close() while the providers are still pending: no transport is ever created', async () => {
    let release!: (url: string) => void;
    const r = rig({}, { url: () => new Promise<string>((resolve) => (release = resolve)) });
    await settle();
    r.conn.close();
    release('ws://late.invalid/');
    await settle();
    equal(r.sockets.length, 0);
    equal(r.conn.state, 'closed');
  });

  it('a Blob still being read when close() is called rejects with WS_ERR_CLIENT_CLOSED and is never sent', async () => {
    const r = rig();
    const s = await r.openNow();
    const sent = r.conn.send(new Blob(['late']));
    r.conn.close();
    s.end({ code: 1000, wasClean: true });
    await rejects(sent, 'WS_ERR_CLIENT_CLOSED');
    await new Promise((resolve) => setTimeout(resolve, 20));
    deepEqual(s.sent, []);
  });

  it('a codec that closes the client while encoding: that send is rejected, nothing stays queued', async () => {
    let r!: ReturnType<typeof rig>;
    const closing = { encode: (v: unknown) => (r.conn.close(), String(v)), decode: (d: unknown) => d };
    r = rig({ codec: closing });
    await r.settle();
    await rejects(r.conn.send('x'), 'WS_ERR_CLIENT_CLOSED');
    equal(r.conn.stats.queued, 0);
  });

  it('once(h) then off(h): h never runs', async () => {
    const r = rig();
    let calls = 0;
    const h = () => calls++;
    r.conn.once('open', h);
    r.conn.off('open', h);
    await r.openNow();
    equal(calls, 0);
  });

  it('no drain event after close(), even when the socket drains while closing', async () => {
    const r = rig({ highWaterMark: 10, lowWaterMark: 0, heartbeat: false }, { platform: NODE });
    const s = await r.openNow();
    s.bufferedAmount = 100;
    await r.conn.send('over the mark');
    r.conn.close();
    s.bufferedAmount = 0;
    s.onDrain?.();
    equal(names(r.events, ['drain']).length, 0);
  });

  it('ping() with more than 125 bytes rejects with WS_ERR_CONTROL_PAYLOAD_TOO_LONG (RFC 6455 §5.5)', async () => {
    const r = rig({ heartbeat: false }, { platform: NODE });
    await r.openNow();
    const e = await rejects(r.conn.ping(new Uint8Array(126)), 'WS_ERR_CONTROL_PAYLOAD_TOO_LONG');
    equal(e.name, 'RangeError');
  });

  it('ping() with a payload that is neither text nor bytes rejects with a TypeError, WS_ERR_INVALID_DATA', async () => {
    const r = rig({ heartbeat: false }, { platform: NODE });
    await r.openNow();
    const e = await rejects(r.conn.ping(5 as never), 'WS_ERR_INVALID_DATA');
    equal(e.name, 'TypeError');
    ok(/a ping payload must be a string, an ArrayBuffer or a view of one .*, got 5/.test(e.message), e.message);
  });
});
