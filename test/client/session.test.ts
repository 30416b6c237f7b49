/**
 * The client end of the session (src/client/session.ts) on the fake
 * transport and clock, against a server scripted here in the protocol's
 * own frames (src/session/wire.ts): negotiation and fallback, acks, resume
 * with replay, loss, the buffer bound, probes, the end, violations.
 */
import { describe, it, equal, ok, deepEqual, rejects, throws } from '../support/harness.js';
import { rig, names, settle, type FakeSocket, type Rig } from './fakes.js';
import { session, type SessionEvent } from '../../src/client/session.js';
import { heartbeat } from '../../src/client/heartbeat.js';
import { json } from '../../src/client/codecs.js';
import { readControl, writeControl, type ControlFrame } from '../../src/session/wire.js';
import type { TransportData } from '../../src/transport/types.js';

const ID = 'session0000000001';
const TOKEN = 'token0000000000000000001';
const frame = (control: ControlFrame) => writeControl(control);
const welcome = (received = 0) => frame({ type: 'session', id: ID, token: TOKEN, received });
/** What the client wrote, control frames read back (data as it is). */
const wire = (socket: FakeSocket) => socket.sent.map((data: TransportData) => (typeof data === 'string' && data.charCodeAt(0) === 0x10 && data.charCodeAt(1) !== 0x10 ? readControl(data) ?? data : data));
const sessionEvents = <T>(r: Rig<T>) => r.events.filter((e) => e[0] === 'session').map((e) => e[1] as SessionEvent);
const codeOf = (error: unknown) => (error as { code?: string }).code;

/** A client with a session, opened and answered as a new session. */
async function started(options: Parameters<typeof session>[0] = {}, connect: Parameters<typeof rig>[0] = {}) {
  const r = rig({ session: session(options), minDelay: 1, maxDelay: 1, ...connect });
  const s = await r.openNow('lifeline.s1');
  s.message(welcome());
  return { r, s };
}

describe('session: negotiation', () => {
  it('offers lifeline.s1 alone, or after the application’s subprotocols a variant of each', async () => {
    const plain = rig({ session: session() });
    await plain.settle();
    deepEqual(plain.sock.options.protocols, ['lifeline.s1']);
    const app = rig({ session: session(), protocols: ['json', 'chat'], codecs: { json } });
    await app.settle();
    deepEqual(app.sock.options.protocols, ['json', 'chat', 'lifeline.s1+json', 'lifeline.s1+chat']);
  });

  it('holds the open until the server answers new with session; then opens with the application subprotocol', async () => {
    const r = rig<unknown>({ session: session(), protocols: ['json'], codecs: { json } });
    const s = await r.openNow('lifeline.s1+json');
    deepEqual(wire(s), [{ type: 'new' }]);
    equal(r.conn.state, 'connecting');
    s.message(welcome());
    equal(r.conn.state, 'open');
    equal(r.conn.protocol, 'json');
    deepEqual(sessionEvents(r), [{ type: 'started', id: ID, replayed: 0, rejected: 0 }]);
    deepEqual(names(r.events, ['session', 'open']), ['session', 'open']);
    s.message('{"a":1}');
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), [{ a: 1 }]);
  });

  it('a server that selects no session subprotocol: a plain connection, reported as unsupported', async () => {
    const r = rig({ session: session(), protocols: ['json'] });
    const s = await r.openNow('json');
    equal(r.conn.state, 'open');
    deepEqual(sessionEvents(r), [{ type: 'unsupported', id: '', replayed: 0, rejected: 0 }]);
    await r.conn.send('\u0010raw');
    deepEqual(s.sent, ['\u0010raw'], 'sent as it is, no hello, no escape');
    s.message('\u0010A1');
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), ['\u0010A1'], 'delivered as it is');
  });

  it('required: a server without sessions fails the attempt (1002, not retried by default, WS_ERR_SESSION_UNSUPPORTED)', async () => {
    const r = rig({ session: session({ required: true }) });
    const s = await r.openNow('');
    equal(s.terminated, true);
    equal(r.conn.state, 'closed');
    const end = r.events.find((e) => e[0] === 'end')![1] as { reason: string; close: { code: number; error: unknown } };
    deepEqual([end.reason, end.close.code, codeOf(end.close.error)], ['noRetry', 1002, 'WS_ERR_SESSION_UNSUPPORTED']);
  });

  it('a server that selected lifeline.s1 without speaking it: our hello echoed, its own message first, or silence → plain', async () => {
    const echo = rig({ session: session() });
    const s1 = await echo.openNow('lifeline.s1');
    s1.message(s1.sent[0] as string); // an echo server sends our `new` back
    equal(echo.conn.state, 'open');
    deepEqual(names(echo.events, ['message']), [], 'the echoed hello is not delivered');
    equal(sessionEvents(echo)[0]!.type, 'unsupported');

    const talker = rig({ session: session() });
    const s2 = await talker.openNow('lifeline.s1');
    s2.message('welcome!');
    equal(talker.conn.state, 'open');
    deepEqual(talker.events.filter((e) => e[0] === 'message').map((e) => e[1]), ['welcome!'], 'its message is delivered after open');
    deepEqual(names(talker.events, ['open', 'message']), ['open', 'message']);

    const silent = rig({ session: session({ handshakeTimeout: 500 }) });
    await silent.openNow('lifeline.s1');
    silent.clock.advance(499);
    equal(silent.conn.state, 'connecting');
    silent.clock.advance(1);
    equal(silent.conn.state, 'open');
    equal(sessionEvents(silent)[0]!.type, 'unsupported');
  });
});

describe('session: sending and acknowledgements', () => {
  it('data goes as it is (text starting with U+0010 gets one more); send() resolves when the server acknowledged it', async () => {
    const { r, s } = await started();
    const done: number[] = [];
    const bytes = new Uint8Array([1, 2]);
    const sends = ['a', bytes, '\u0010x'].map((data, index) => r.conn.send(data).then(() => done.push(index)));
    await settle();
    deepEqual(s.sent.slice(1), ['a', bytes, '\u0010\u0010x']);
    deepEqual(done, [], 'none acknowledged yet');
    s.message(frame({ type: 'ack', received: 2 }));
    await settle();
    deepEqual(done, [0, 1]);
    s.message(frame({ type: 'ack', received: 3 }));
    await Promise.all(sends);
    equal(r.conn.stats.messagesOut, 3);
  });

  it("resolveOn: 'send' resolves when handed to the socket; the message is still sent again until acknowledged", async () => {
    const { r, s } = await started({ resolveOn: 'send' });
    await r.conn.send('a');
    s.end();
    r.clock.advance(5);
    await r.settle();
    r.sock.open('lifeline.s1');
    r.sock.message(welcome(0));
    deepEqual(r.sock.sent.slice(1), ['a'], 'replayed');
    equal(sessionEvents(r)[1]!.replayed, 1);
  });

  it('received data is delivered once and acknowledged after ackEvery messages, or ackDelay after the first unacknowledged one', async () => {
    const { r, s } = await started({ ackEvery: 3, ackDelay: 50 });
    s.message('one');
    r.clock.advance(49);
    deepEqual(wire(s).slice(1), []);
    r.clock.advance(1);
    deepEqual(wire(s).slice(1), [{ type: 'ack', received: 1 }]);
    s.message('two');
    s.message('\u0010\u0010three');
    s.message(new Uint8Array([4]));
    deepEqual(wire(s).slice(2), [{ type: 'ack', received: 4 }], 'by count, at once');
    r.clock.advance(100);
    equal(wire(s).length, 3, 'nothing more owed');
    deepEqual(
      r.events.filter((e) => e[0] === 'message').map((e) => e[1]),
      ['one', 'two', '\u0010three', new Uint8Array([4])],
    );
  });

  it('a full buffer keeps sends in the send queue until acks make room', async () => {
    const { r, s } = await started({ maxBuffered: 2 });
    for (const data of ['a', 'b', 'c', 'd']) void r.conn.send(data);
    await settle();
    deepEqual(s.sent.slice(1), ['a', 'b']);
    equal(r.conn.stats.queued, 2);
    s.message(frame({ type: 'ack', received: 1 }));
    deepEqual(s.sent.slice(1), ['a', 'b', 'c']);
    s.message(frame({ type: 'ack', received: 3 }));
    deepEqual(s.sent.slice(1), ['a', 'b', 'c', 'd']);
    equal(r.conn.stats.queued, 0);
  });
});

describe('session: resume and loss', () => {
  it('resumes with id, token and what it received; sends again, in order, what the server lacks, then what was queued', async () => {
    const { r, s } = await started();
    const sends = ['a', 'b', 'c'].map((data) => r.conn.send(data));
    await settle();
    s.message('from server');
    s.message(frame({ type: 'ack', received: 1 }));
    s.end(); // the connection dies with b and c unacknowledged
    void r.conn.send('d');
    r.clock.advance(5);
    await r.settle();
    const s2 = r.sock;
    s2.open('lifeline.s1');
    deepEqual(wire(s2), [{ type: 'resume', id: ID, token: TOKEN, received: 1 }]);
    equal(r.conn.state, 'connecting');
    s2.message(welcome(2)); // it had b, not c
    await sends[1];
    deepEqual(s2.sent.slice(1), ['c', 'd'], 'c again, then d');
    deepEqual(sessionEvents(r).map((event) => [event.type, event.replayed]), [['started', 0], ['resumed', 1]]);
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), ['from server']);
  });

  it('lost: unacknowledged sends are rejected (WS_ERR_SESSION_LOST, each a drop), lost then started are reported, queued sends go into the new session', async () => {
    const { r, s } = await started();
    const held = ['a', 'b'].map((data) => r.conn.send(data));
    await settle();
    s.end();
    const queued = r.conn.send('c');
    r.clock.advance(5);
    await r.settle();
    const s2 = r.sock;
    s2.open('lifeline.s1');
    s2.message(frame({ type: 'lost' }));
    for (const promise of held) equal(codeOf(await rejects(promise)), 'WS_ERR_SESSION_LOST');
    equal(r.events.filter((e) => e[0] === 'drop').length, 2);
    s2.message(frame({ type: 'session', id: 'another0000000001', token: TOKEN, received: 0 }));
    deepEqual(
      sessionEvents(r).map((event) => [event.type, event.id, event.rejected]),
      [['started', ID, 0], ['lost', ID, 2], ['started', 'another0000000001', 0]],
    );
    deepEqual(s2.sent.slice(1), ['c']);
    s2.message(frame({ type: 'ack', received: 1 }));
    await queued;
  });
});

describe('session: probes, the end, violations', () => {
  it('the heartbeat probes with the session ping; the session answers the server’s ping', async () => {
    const { r, s } = await started({}, { heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping' }) });
    r.clock.advance(1000);
    deepEqual(wire(s).slice(1), [{ type: 'ping' }]);
    r.clock.advance(20);
    s.message(frame({ type: 'pong' }));
    await settle();
    equal((r.events.find((e) => e[0] === 'heartbeat')![1] as { rtt: number }).rtt, 20);
    s.message(frame({ type: 'ping' }));
    deepEqual(wire(s).slice(2), [{ type: 'pong' }]);
    deepEqual(names(r.events, ['message']), [], 'none of it reaches the application');
  });

  it('a silent server is found by the heartbeat over session pings', async () => {
    const { r, s } = await started({}, { heartbeat: heartbeat({ interval: 1000, timeout: 500 }) });
    r.clock.advance(1500);
    equal(s.terminated, true);
    equal(codeOf((r.events.find((e) => e[0] === 'close')![1] as { error: unknown }).error), 'WS_ERR_HEARTBEAT_TIMEOUT');
  });

  it('close(): end goes out; the server’s last ack resolves what it had, the rest is rejected when the client ends', async () => {
    const { r, s } = await started();
    const first = r.conn.send('a');
    const second = r.conn.send('b');
    await settle();
    r.conn.close();
    deepEqual(wire(s).slice(-1), [{ type: 'end' }]);
    s.message(frame({ type: 'ack', received: 1 }));
    await first;
    s.end({ code: 1000, wasClean: true });
    equal(codeOf(await rejects(second)), 'WS_ERR_CLIENT_CLOSED');
    r.conn.open();
    await r.settle();
    r.sock.open('lifeline.s1');
    deepEqual(wire(r.sock), [{ type: 'new' }], 'after the end, a new session');
  });

  it('a malformed frame, an impossible ack or a frame out of place: close 1002 (WS_ERR_SESSION_PROTOCOL), not retried', async () => {
    for (const bad of ['\u0010Z', frame({ type: 'ack', received: 5 }), frame({ type: 'new' }), welcome()]) {
      const { r, s } = await started();
      s.message(bad);
      equal(s.terminated, true, JSON.stringify(bad));
      const end = r.events.find((e) => e[0] === 'end')![1] as { close: { code: number; error: unknown } };
      deepEqual([end.close.code, codeOf(end.close.error)], [1002, 'WS_ERR_SESSION_PROTOCOL'], JSON.stringify(bad));
    }
  });

  it('an answer that claims more than was sent, or another session without lost, is a violation', async () => {
    const r = rig({ session: session() });
    const s = await r.openNow('lifeline.s1');
    s.message(welcome(3));
    equal(codeOf((r.events.find((e) => e[0] === 'end')![1] as { close: { error: unknown } }).close.error), 'WS_ERR_SESSION_PROTOCOL');
    const { r: r2, s: s2 } = await started();
    s2.end();
    r2.clock.advance(5);
    await r2.settle();
    r2.sock.open('lifeline.s1');
    r2.sock.message(frame({ type: 'session', id: 'another0000000001', token: TOKEN, received: 0 }));
    ok(r2.sock.terminated);
  });

  it('options are checked at the call', () => {
    throws(() => session({ ackEvery: 0 }), 'WS_ERR_INVALID_OPTION');
    throws(() => session({ resolveOn: 'never' as 'ack' }), 'WS_ERR_INVALID_OPTION');
    throws(() => session({ maxbuffered: 1 } as object), 'WS_ERR_INVALID_OPTION');
    throws(() => rig({ session: 'yes' as never }), 'WS_ERR_INVALID_OPTION');
  });
});
