import { describe, it, equal, ok, deepEqual, rejects, throws } from '../support/harness.js';
import { sizeOf, json } from '../../src/client/codecs.js';
import { createSendQueue, type Delivery, type QueuedMessage } from '../../src/client/send-queue.js';
import { rig, names, NODE, settle, FakeClock } from './fakes.js';
import { HandshakeError, LifelineError } from '../../src/protocol/errors.js';

const codeOf = (e: unknown) => (e as { code?: string }).code;

/** A Blob whose bytes cannot be read (a file removed under it, say). */
class UnreadableBlob extends Blob {
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('the file is gone'));
  }
}

describe('sizeOf', () => {
  it('counts payload bytes (UTF-8 for text) and refuses what a WebSocket cannot send', () => {
    equal(sizeOf('a😀é€'), 10);
    equal(sizeOf(new Uint8Array(7)), 7);
    equal(sizeOf(new ArrayBuffer(9)), 9);
    equal(sizeOf(new Uint16Array(3)), 6);
    equal(sizeOf(new Blob(['abc'])), 3);
    for (const bad of [42, {}, null]) {
      const e = throws(() => sizeOf(bad), 'WS_ERR_INVALID_DATA');
      ok(e instanceof TypeError && e.message.startsWith('send() data must be a string'), e.message);
    }
  });
});

describe('SendQueue (the module, on a fake clock)', () => {
  const make = (limits: Partial<{ maxQueued: number; maxQueuedBytes: number; overflow: 'reject' | 'drop-oldest' | 'drop-newest' }> = {}) => {
    const clock = new FakeClock();
    const dropped: [unknown, string][] = [];
    let readable = 0;
    let onReadable = (): void => {};
    const queue = createSendQueue({ maxQueued: 10, maxQueuedBytes: 1000, overflow: 'reject', ...limits }, clock, {
      dropped: (value, error) => void dropped.push([value, codeOf(error)!]),
      readable: () => {
        readable++;
        onReadable();
      },
    });
    const sent: unknown[] = [];
    const deliverAll = (message: QueuedMessage): Delivery => (sent.push(message.data), 'sent');
    /** Resolves at the next `readable` (a Blob read finishing; browsers take a task or more). */
    const nextReadable = () => new Promise<void>((resolve) => (onReadable = resolve));
    return { clock, queue, dropped, sent, deliverAll, readable: () => readable, nextReadable };
  };

  it('delivers in order; a refused delivery keeps the message first in line', async () => {
    const q = make();
    const promises = ['a', 'b', 'c'].map((m) => q.queue.add(m, {}, undefined, true));
    let budget = 2;
    q.queue.flush(undefined, (m) => (budget-- > 0 ? (q.sent.push(m.data), 'sent') : 'wait'));
    deepEqual(q.sent, ['a', 'b']);
    equal(q.queue.length, 1);
    q.queue.flush(undefined, q.deliverAll);
    deepEqual(q.sent, ['a', 'b', 'c']);
    await Promise.all(promises);
    equal(q.queue.bytes, 0);
  });

  it('drop-oldest makes room; drop-newest and reject refuse the newcomer; each rejection reported once', async () => {
    const oldest = make({ maxQueued: 2, overflow: 'drop-oldest' });
    const first = oldest.queue.add('1', {}, undefined, true);
    oldest.queue.add('2', {}, undefined, true);
    oldest.queue.add('3', {}, undefined, true);
    await rejects(first, 'WS_ERR_SEND_DROPPED');
    deepEqual(oldest.dropped, [['1', 'WS_ERR_SEND_DROPPED']]);
    const newest = make({ maxQueued: 1, overflow: 'drop-newest' });
    newest.queue.add('1', {}, undefined, true);
    await rejects(newest.queue.add('2', {}, undefined, true), 'WS_ERR_SEND_DROPPED');
    const reject = make({ maxQueuedBytes: 3 });
    const e = await rejects(reject.queue.add('four', {}, undefined, true), 'WS_ERR_QUEUE_FULL');
    ok(e.message.includes('maxQueuedBytes 3'), e.message);
  });

  it('a message that need not wait is not counted against the bounds', async () => {
    const q = make({ maxQueued: 0 });
    const p = q.queue.add('straight through', {}, undefined, false);
    q.queue.flush(undefined, q.deliverAll);
    await p;
    deepEqual(q.sent, ['straight through']);
  });

  it('ttl expires a waiting message on the clock', async () => {
    const q = make();
    const p = q.queue.add('late', { ttl: 100 }, undefined, true);
    q.clock.advance(99);
    equal(q.queue.length, 1);
    q.clock.advance(1);
    const e = await rejects(p, 'WS_ERR_SEND_EXPIRED');
    ok(e.message.includes('ttl 100 ms'), e.message);
    equal(q.queue.length, 0);
    equal(q.clock.pending, 0);
  });

  it('a Blob is read first and keeps its place: nothing behind it is delivered before it', async () => {
    const q = make();
    const read = q.nextReadable();
    const blob = q.queue.add(new Blob(['blob']), {}, undefined, true);
    const text = q.queue.add('second', {}, undefined, true);
    q.queue.flush(undefined, q.deliverAll);
    deepEqual(q.sent, [], 'waits for the read');
    await read;
    equal(q.readable(), 1);
    q.queue.flush(undefined, q.deliverAll);
    equal(q.sent.length, 2);
    equal(new TextDecoder().decode(q.sent[0] as Uint8Array), 'blob');
    equal(q.sent[1], 'second');
    const order: string[] = [];
    await Promise.all([blob.then(() => order.push('blob')), text.then(() => order.push('second'))]);
    deepEqual(order, ['blob', 'second']);
  });

  it('an unreadable Blob rejects its own send (WS_ERR_BLOB_UNREADABLE) and the rest go on', async () => {
    const q = make();
    const bad = q.queue.add(new UnreadableBlob(['x']), {}, undefined, true);
    const next = q.queue.add('next', {}, undefined, true);
    const e = await rejects(bad, 'WS_ERR_BLOB_UNREADABLE');
    ok(e.message.includes('the file is gone'), e.message);
    q.queue.flush(undefined, q.deliverAll);
    await next;
    deepEqual(q.sent, ['next']);
    deepEqual(q.dropped.map((d) => d[1]), ['WS_ERR_BLOB_UNREADABLE']);
  });

  it('rejectAll and dropOnReconnect settle each message exactly once', async () => {
    const q = make();
    const keep = q.queue.add('keep', {}, undefined, true);
    const drop = q.queue.add('drop', { dropOnReconnect: true }, undefined, true);
    q.queue.dropOnReconnect();
    await rejects(drop, 'WS_ERR_SEND_DROPPED');
    q.queue.rejectAll('closing down');
    q.queue.rejectAll('again');
    await rejects(keep, 'WS_ERR_CLIENT_CLOSED');
    equal(q.dropped.length, 2);
  });
});

describe('Blob order in the client (regression: a Blob sent before a string arrives first)', () => {
  it('send(blob) then send(text): the socket gets the blob first, and its promise resolves first', async () => {
    const r = rig({}, { platform: NODE });
    const s = await r.openNow();
    const order: string[] = [];
    const a = r.conn.send(new Blob(['blob bytes'])).then(() => order.push('blob'));
    const b = r.conn.send('second').then(() => order.push('second'));
    equal(s.sent.length, 0, 'the string waits behind the Blob being read');
    await Promise.all([a, b]);
    equal(new TextDecoder().decode(s.sent[0] as Uint8Array), 'blob bytes');
    equal(s.sent[1], 'second');
    deepEqual(order, ['blob', 'second']);
  });

  it('a Blob whose read fails rejects its own send (no unhandled rejection) and the next one is sent', async () => {
    const r = rig();
    const s = await r.openNow();
    const bad = r.conn.send(new UnreadableBlob(['x']));
    const good = r.conn.send('after');
    await rejects(bad, 'WS_ERR_BLOB_UNREADABLE');
    await good;
    deepEqual(s.sent, ['after']);
    equal(codeOf((r.events.find((e) => e[0] === 'drop')![1] as { error: unknown }).error), 'WS_ERR_BLOB_UNREADABLE');
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

  it('startClosed: sends before the first open() are queued (bounds and ttl apply) and go out in order once open; after close() they are refused', async () => {
    const r = rig({ startClosed: true, maxQueued: 2 });
    const first = r.conn.send('a');
    const expiring = r.conn.send('b', { ttl: 1000 });
    await rejects(r.conn.send('c'), 'WS_ERR_QUEUE_FULL');
    equal(r.conn.stats.queued, 2);
    r.clock.advance(1000);
    await rejects(expiring, 'WS_ERR_SEND_EXPIRED');
    const later = r.conn.send('d');
    await r.settle();
    equal(r.sockets.length, 0, 'nothing dialled before open()');
    r.conn.open();
    const s = await r.openNow();
    await first;
    await later;
    deepEqual(s.sent, ['a', 'd']);
    r.conn.close();
    await rejects(r.conn.send('late'), 'WS_ERR_CLIENT_CLOSED');
  });

  it('startClosed: close() or terminate() before the first open() rejects what was queued, and later sends', async () => {
    for (const end of ['close', 'terminate'] as const) {
      const r = rig({ startClosed: true });
      const queued = r.conn.send('never');
      r.conn[end]();
      await rejects(queued, 'WS_ERR_CLIENT_CLOSED');
      await rejects(r.conn.send('late'), 'WS_ERR_CLIENT_CLOSED');
      equal(r.conn.stats.queued, 0, end);
      equal(names(r.events, ['drop']).length, 2, 'each reported as a drop');
    }
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
    const r = rig({}, { platform: NODE });
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
    const r = rig({ highWaterMark: 100, lowWaterMark: 20, heartbeat: false }, { platform: NODE });
    const s = await r.openNow();
    s.bufferedAmount = 500;
    await r.conn.send('a');
    const pb = r.conn.send('b');
    ok(typeof s.onDrain === 'function');
    equal(r.clock.pending, 0, 'no sampling timer');
    s.bufferedAmount = 0;
    s.onDrain!();
    await pb;
    deepEqual(s.sent, ['a', 'b']);
    equal(names(r.events, ['drain']).length, 1);
  });
});

describe('codecs and subprotocols', () => {
  it('a default codec (codec option) is used when no subprotocol is negotiated; messages follow it', async () => {
    const r = rig<unknown>({ codec: json });
    const p = r.conn.send({ hello: 1 });
    const s = await r.openNow();
    await p;
    deepEqual(s.sent, ['{"hello":1}']);
    s.message('{"n":2}');
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), [{ n: 2 }]);
  });

  it('a subprotocol without its own codec falls back to the default codec', async () => {
    const upper = { encode: (v: unknown) => String(v).toUpperCase(), decode: (d: unknown) => `<${String(d)}>` };
    const r = rig({ protocols: ['v1', 'v2'], codecs: { v2: upper }, codec: json });
    const s = await r.openNow('v1');
    await r.conn.send('x');
    s.message('"y"');
    deepEqual(s.sent, ['"x"']);
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), ['y']);
  });

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
    const failed = r.events.find((e) => e[0] === 'error')?.[1] as LifelineError;
    ok(failed instanceof LifelineError, 'decode failure is an error event');
    equal(failed.code, 'WS_ERR_DECODE_FAILED');
    ok(failed.cause instanceof SyntaxError, "the codec's error is the cause");
    ok(failed.message.startsWith('lifeline: the codec for subprotocol "json" could not decode a message (SyntaxError: '), failed.message);
    equal(r.conn.stats.messagesIn, 3, 'counted: it arrived');
    s.message('{"n":4}');
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), [{ n: 2 }, { n: 3 }, { n: 4 }], 'skipped; the next one is delivered');
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
    ok(end.close.error instanceof LifelineError && !(end.close.error instanceof HandshakeError), "a LifelineError: the handshake was valid, the application's rule refused it");
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
