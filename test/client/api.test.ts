/**
 * The members the Connection shares with the WebSocket: extensions,
 * bufferedAmount, ping() with its round trip, ping/pong events, and
 * `supports`, which says what the platform can do (Node: ping and pause;
 * browsers: neither).
 */
import { describe, it, equal, deepEqual, rejects } from '../support/harness.js';
import { rig, NODE } from './fakes.js';

describe('connection: what it shares with the WebSocket', () => {
  it('extensions and bufferedAmount follow the open transport', async () => {
    const r = rig();
    equal(r.conn.extensions, '');
    equal(r.conn.bufferedAmount, 0);
    await r.settle();
    r.sock.h.open({ protocol: '', extensions: 'permessage-deflate; client_max_window_bits=15' });
    equal(r.conn.extensions, 'permessage-deflate; client_max_window_bits=15');
    r.sock.bufferedAmount = 123;
    equal(r.conn.bufferedAmount, 123);
    r.conn.terminate();
    equal(r.conn.extensions, '');
    equal(r.conn.bufferedAmount, 0);
  });

  it('Node: ping() resolves with the round trip; ping and pong frames come as events with their payload', async () => {
    const r = rig({}, { platform: NODE });
    deepEqual({ ...r.conn.supports }, { ping: true, pause: true });
    await rejects(r.conn.ping(), 'WS_ERR_INVALID_STATE');
    const s = await r.openNow();
    const rtt = r.conn.ping('hi');
    s.pings[0]!.resolve(7);
    equal(await rtt, 7);
    const got: string[] = [];
    r.conn.on('ping', (d) => got.push(`ping:${new TextDecoder().decode(d)}`));
    r.conn.on('pong', (d) => got.push(`pong:${d.length}`));
    const payload = new TextEncoder().encode('abc');
    s.h.control!('ping', payload);
    payload.fill(0); // the transport reuses its memory: the event kept a copy
    s.h.control!('pong', new Uint8Array(2));
    deepEqual(got, ['ping:abc', 'pong:2']);
  });

  it('pause() stops reading an open connection only: an attempt reads its handshake, a polite close (reconnect(), close()) reads the answer', async () => {
    const r = rig({ minDelay: 1 }, { platform: NODE });
    r.conn.pause();
    await r.settle();
    const first = r.sock;
    equal(first.paused, false, 'the opening handshake is read');
    first.open();
    equal(first.paused, true, 'paused once open');
    r.conn.reconnect();
    deepEqual(first.closedWith, [1000, '']);
    equal(first.paused, false, "the old socket reads the server's close frame (RFC 6455 §7.1.1)");
    const second = await r.openNow();
    equal(second.paused, true);
    r.conn.close();
    equal(second.paused, false, 'and so does a closing one');
    r.conn.resume();
    equal(second.paused, false);
  });

  it('browsers: the same members exist; ping() says clearly that it is unavailable', async () => {
    const r = rig();
    deepEqual({ ...r.conn.supports }, { ping: false, pause: false });
    await r.openNow();
    const e = await rejects(r.conn.ping(), 'WS_ERR_UNSUPPORTED');
    equal(e.message, 'lifeline: ping() needs protocol pings, which browsers cannot send');
    r.conn.pause(); // nothing to pause in a browser: no error
    r.conn.resume();
  });
});
