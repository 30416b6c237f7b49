import { describe, it, equal, ok, deepEqual, rejects, throws } from '../support/harness.js';
import { utf8Length, sizeOf, json } from '../../src/client/codecs.js';
import { rig, names, NODE_CAPS, settle } from './fakes.js';

const codeOf = (e: unknown) => (e as { code?: string }).code;

describe('utf8Length', () => {
  it('counts UTF-8 bytes, not UTF-16 units', () => {
    const cases = ['', 'a', 'é', '€', '😀', 'a😀é€', '\ud800', '\udc00x', 'x'.repeat(1000) + '😀'];
    for (const s of cases) equal(utf8Length(s), new TextEncoder().encode(s).length, JSON.stringify(s));
    equal(sizeOf(new Uint8Array(7)), 7);
    equal(sizeOf(new ArrayBuffer(9)), 9);
    equal(sizeOf(new Uint16Array(3)), 6);
    equal(sizeOf(new Blob(['abc'])), 3);
    throws(() => sizeOf(42), TypeError);
    throws(() => sizeOf({}), TypeError);
    throws(() => sizeOf(null), TypeError);
  });
});

describe('send queue', () => {
  it('queues while connecting, flushes in order on open before anything newer', async () => {
    const r = rig();
    const ps = ['a', 'b', 'c'].map((m) => r.conn.send(m));
    equal(r.conn.stats.queued, 3);
    await settle();
    r.conn.on('open', () => void r.conn.send('from-open'));
    r.sock.open();
    r.conn.send('d');
    await Promise.all(ps);
    deepEqual(r.sock.sent, ['a', 'b', 'c', 'from-open', 'd']);
    equal(r.conn.stats.queued, 0);
    equal(r.conn.stats.messagesOut, 5);
  });

  it('send() resolves only when handed to the socket', async () => {
    const r = rig();
    let done = false;
    const p = r.conn.send('x').then(() => (done = true));
    await settle();
    equal(done, false);
    r.sock.open();
    await p;
    equal(done, true);
  });

  it('bounds by count: reject policy rejects the new send with WS_ERR_QUEUE_FULL and a drop event', async () => {
    const r = rig({ maxQueued: 2 });
    r.conn.send('1');
    r.conn.send('2');
    await rejects(r.conn.send('3'), 'WS_ERR_QUEUE_FULL');
    const drop = r.events.find((e) => e[0] === 'drop')![1] as { data: unknown; error: unknown };
    equal(drop.data, '3');
    equal(codeOf(drop.error), 'WS_ERR_QUEUE_FULL');
    await r.openNow();
    deepEqual(r.sock.sent, ['1', '2']);
  });

  it('bounds by UTF-8 bytes, not string length', async () => {
    const r = rig({ maxQueuedBytes: 10 });
    r.conn.send('éééé'); // 8 bytes, 4 chars
    await rejects(r.conn.send('ééé'), 'WS_ERR_QUEUE_FULL'); // 6 more bytes
    r.conn.send('é'); // 2 more: exactly 10
    equal(r.conn.stats.queuedBytes, 10);
    await rejects(r.conn.send(new Uint8Array(1)), 'WS_ERR_QUEUE_FULL');
  });

  it('drop-oldest evicts from the head, each eviction rejected', async () => {
    const r = rig({ maxQueued: 3, overflow: 'drop-oldest' });
    const ps = ['1', '2', '3', '4', '5'].map((m) => r.conn.send(m));
    await rejects(ps[0]!, 'WS_ERR_SEND_DROPPED');
    await rejects(ps[1]!, 'WS_ERR_SEND_DROPPED');
    deepEqual(r.events.filter((e) => e[0] === 'drop').map((e) => (e[1] as { data: string }).data), ['1', '2']);
    await r.openNow();
    deepEqual(r.sock.sent, ['3', '4', '5']);
  });

  it('drop-newest keeps the queue and rejects the newcomer with WS_ERR_SEND_DROPPED', async () => {
    const r = rig({ maxQueued: 2, overflow: 'drop-newest' });
    r.conn.send('1');
    r.conn.send('2');
    await rejects(r.conn.send('3'), 'WS_ERR_SEND_DROPPED');
    await r.openNow();
    deepEqual(r.sock.sent, ['1', '2']);
  });

  it('ttl: a message still queued after ttl ms is rejected and never sent', async () => {
    const r = rig();
    const p1 = r.conn.send('stale', { ttl: 1000 });
    const p2 = r.conn.send('fresh', { ttl: 5000 });
    r.clock.advance(1000);
    await rejects(p1, 'WS_ERR_SEND_EXPIRED');
    await r.openNow();
    await p2;
    deepEqual(r.sock.sent, ['fresh']);
    equal(r.clock.pending, 0, 'ttl timer of a sent message is cleared');
  });

  it('dropOnReconnect: queued messages flagged so are rejected when the connection is lost', async () => {
    const r = rig({ highWaterMark: 10, lowWaterMark: 0 });
    const s = await r.openNow();
    s.bufferedAmount = 100; // above the high mark after the next send
    await r.conn.send('first');
    const keep = r.conn.send('keep');
    const flagged = r.conn.send('cursor-position', { dropOnReconnect: true });
    equal(r.conn.stats.queued, 2);
    s.end();
    await rejects(flagged, 'WS_ERR_SEND_DROPPED');
    r.clock.advance(2000);
    const s2 = await r.openNow();
    await keep;
    deepEqual(s2.sent, ['keep']);
  });

  it('close() rejects what is still queued with WS_ERR_CLIENT_CLOSED; send after close rejects', async () => {
    const r = rig();
    const p = r.conn.send('never');
    r.conn.close();
    await rejects(p, 'WS_ERR_CLIENT_CLOSED');
    await rejects(r.conn.send('late'), 'WS_ERR_CLIENT_CLOSED');
    equal(names(r.events, ['drop']).length, 2, 'nothing dropped silently');
  });

  it('a socket that refuses the send keeps the message queued for the next connection', async () => {
    const r = rig();
    const s = await r.openNow();
    s.refuseSend = true; // e.g. native socket already CLOSING
    const p = r.conn.send('survives');
    equal(r.conn.stats.queued, 1);
    s.end();
    r.clock.advance(2000);
    const s2 = await r.openNow();
    await p;
    deepEqual(s2.sent, ['survives']);
  });

  it('an unawaited rejected send does not raise an unhandled rejection', async () => {
    const r = rig({ maxQueued: 0 });
    void r.conn.send('x'); // rejected at once; the drop event reports it
    await settle();
    equal(names(r.events, ['drop']).length, 1);
  });

  it('per-send compress is passed to the transport', async () => {
    const r = rig({}, { caps: NODE_CAPS });
    await r.openNow();
    await r.conn.send('z', { compress: false });
    equal((r.sock.sendOptions[0] as { compress: boolean }).compress, false);
  });
});

describe('backpressure', () => {
  it('above highWaterMark new sends wait; drain below lowWaterMark (sampled without onDrain)', async () => {
    const r = rig({ highWaterMark: 100, lowWaterMark: 20 });
    const s = await r.openNow();
    s.bufferedAmount = 150;
    await r.conn.send('a'); // goes out, then the buffer is over the mark
    const pb = r.conn.send('b');
    deepEqual(s.sent, ['a']);
    s.bufferedAmount = 50; // still above low
    r.clock.advance(200);
    deepEqual(s.sent, ['a']);
    equal(names(r.events, ['drain']).length, 0);
    s.bufferedAmount = 20;
    r.clock.advance(50);
    await pb;
    deepEqual(s.sent, ['a', 'b']);
    equal(names(r.events, ['drain']).length, 1);
    equal(r.clock.pending, 0, 'sampling stopped');
  });

  it('uses transport.onDrain where present (no sampling timer)', async () => {
    const r = rig({ highWaterMark: 100, lowWaterMark: 20 }, { caps: NODE_CAPS });
    const s = await r.openNow();
    s.bufferedAmount = 500;
    await r.conn.send('a');
    const pb = r.conn.send('b');
    ok(typeof s.onDrain === 'function');
    equal(r.clock.pending, 1, 'only the heartbeat timer');
    s.bufferedAmount = 0;
    s.onDrain!();
    await pb;
    deepEqual(s.sent, ['a', 'b']);
    equal(names(r.events, ['drain']).length, 1);
  });
});

describe('codecs and subprotocols', () => {
  it('encodes and decodes with the negotiated subprotocol codec', async () => {
    const r = rig<{ n: number }>({ protocols: ['json', 'raw'], codecs: { json } });
    const p = r.conn.send({ n: 1 });
    const s = await r.openNow('json');
    await p;
    equal(r.conn.protocol, 'json');
    deepEqual(s.sent, ['{"n":1}']);
    s.message('{"n":2}');
    s.message(new TextEncoder().encode('{"n":3}'));
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), [{ n: 2 }, { n: 3 }]);
    s.message('not json');
    ok(r.events.some((e) => e[0] === 'error' && e[1] instanceof SyntaxError), 'decode failure is an error event');
    equal(r.conn.stats.messagesIn, 3);
  });

  it('re-encodes queued messages when the server picks another subprotocol than guessed', async () => {
    const up = { encode: (v: unknown) => String(v).toUpperCase(), decode: (d: unknown) => d };
    const r = rig({ protocols: ['json', 'upper'], codecs: { json, upper: up } });
    const p = r.conn.send('hi'); // guessed json: '"hi"'
    equal(r.conn.stats.queuedBytes, 4);
    const s = await r.openNow('upper');
    await p;
    deepEqual(s.sent, ['HI']);
    equal(r.conn.stats.bytesOut, 2);
  });

  it('requireProtocol fails the attempt with 1002 when the server selects none (not retried by default)', async () => {
    const r = rig({ protocols: ['json'], requireProtocol: true });
    const s = await r.openNow('');
    equal(s.terminated, true);
    equal(r.conn.state, 'closed');
    const end = r.events.find((e) => e[0] === 'end')![1] as { close: { code: number; error: { code: string } } };
    equal(end.close.code, 1002);
    equal(end.close.error.code, 'WS_ERR_HANDSHAKE_PROTOCOL');
  });

  it('counts stats: messages and bytes in/out, uptime, queue depth', async () => {
    const r = rig();
    r.conn.send('é');
    equal(r.conn.stats.queuedBytes, 2);
    const s = await r.openNow();
    s.message('😀');
    s.message(new Uint8Array(5));
    r.clock.advance(1234);
    const st = r.conn.stats;
    deepEqual([st.messagesOut, st.bytesOut, st.messagesIn, st.bytesIn, st.uptime, st.queued], [1, 2, 2, 9, 1234, 0]);
  });
});
