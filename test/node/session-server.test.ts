/**
 * The session adapter for `ws` servers (src/session-server/) on loopback, against
 * lifeline's own client with `session()` and against `ws` clients speaking
 * the frames by hand: negotiation beside the application's subprotocols,
 * plain clients, resume and take-over, lost answers, expiry, the client's
 * end, the server's close, the buffer bound, violations, ping rounds.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WsClient } from 'ws';
import { startSessionServer, type SessionTestServer } from '../support/session-server.js';
import { connect, heartbeat, json, session, type Connection, type SessionEvent } from '../../src/node.js';
import type { ServerSession } from '../../src/session-server/session.js';
import { sessionServer } from '../../src/session-server/ws.js';
import { readControl, writeControl, type ControlFrame } from '../../src/session/wire.js';

const servers: SessionTestServer[] = [];
const clients: Connection<any>[] = [];
const raws: WsClient[] = [];
after(async () => {
  for (const client of clients) client.terminate();
  for (const raw of raws) raw.terminate();
  for (const server of servers) await server.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function serve(config: Parameters<typeof startSessionServer>[0] = {}): Promise<SessionTestServer> {
  const server = await startSessionServer(config);
  servers.push(server);
  return server;
}

function client<T = string | Uint8Array>(...args: Parameters<typeof connect>): Connection<T> {
  const connection = connect(...args) as unknown as Connection<T>;
  clients.push(connection);
  return connection;
}

/** A `ws` client that speaks the session frames by hand. */
class Raw {
  readonly socket: WsClient;
  readonly inbox: (ControlFrame | string | Uint8Array)[] = [];
  closed: { code: number; reason: string } | undefined;
  constructor(url: string, protocols: string[]) {
    this.socket = new WsClient(url, protocols, { autoPong: false });
    raws.push(this.socket);
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? undefined : data.toString();
      this.inbox.push(text === undefined ? new Uint8Array(data) : text.charCodeAt(0) === 0x10 && text.charCodeAt(1) !== 0x10 ? (readControl(text) ?? text) : text);
    });
    this.socket.on('close', (code: number, reason: Buffer) => (this.closed = { code, reason: reason.toString() }));
    this.socket.on('error', () => {});
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('close', () => reject(new Error('closed before open')));
    });
  }
  send(frame: ControlFrame | string): void {
    this.socket.send(typeof frame === 'string' ? frame : writeControl(frame));
  }
  async next(count = 1): Promise<(ControlFrame | string | Uint8Array)[]> {
    await waitFor(() => this.inbox.length >= count, `${count} message(s)`);
    return this.inbox.splice(0, count);
  }
}

describe('session server (ws adapter) with lifeline clients', () => {
  it('one session per client; messages both ways in order, text and binary keep their type; send() resolves on the ack', async () => {
    const got: unknown[] = [];
    const server = await serve({
      onSession(serverSession) {
        serverSession.on('message', (data) => {
          got.push(data);
          void serverSession.send(data);
        });
      },
    });
    const conn = client(server.url(), { session: session() });
    const echoed: unknown[] = [];
    conn.on('message', (data) => echoed.push(data));
    const sent = ['one', new Uint8Array([1, 2, 3]), '\u0010starts with the mark', ''];
    await Promise.all(sent.map((data) => conn.send(data)));
    await waitFor(() => echoed.length === sent.length, 'echoes');
    assert.deepEqual(got.map((data) => (typeof data === 'string' ? data : [...(data as Uint8Array)])), ['one', [1, 2, 3], '\u0010starts with the mark', '']);
    assert.deepEqual(echoed.map((data) => (typeof data === 'string' ? data : [...(data as Uint8Array)])), ['one', [1, 2, 3], '\u0010starts with the mark', '']);
    assert.equal(server.started.length, 1);
    assert.equal(server.started[0]!.reliable, true);
    assert.equal(server.started[0]!.state, 'attached');
    conn.close();
    await waitFor(() => server.started[0]!.state === 'closed', 'the session to end');
    assert.equal(server.sessions.store.size, 0, 'an ended session is forgotten');
  });

  it('subprotocols: the application still selects; the session variant goes with it; codecs follow the application subprotocol', async () => {
    const selected: string[][] = [];
    const server = await serve({
      handleProtocols(offered) {
        selected.push([...offered]);
        return offered.has('chat') ? 'chat' : false;
      },
      onSession: (serverSession) => serverSession.on('message', (data) => void serverSession.send(data)),
    });
    const conn = client<unknown>(server.url(), { session: session(), protocols: ['json', 'chat'], codecs: { json, chat: json } });
    const reply = new Promise((resolve) => conn.once('message', resolve));
    await conn.send({ hello: 1 });
    assert.deepEqual(await reply, { hello: 1 });
    assert.deepEqual(selected, [['json', 'chat']], 'the application sees only its own subprotocols');
    assert.equal(conn.protocol, 'chat');
    assert.equal(server.started[0]!.protocol, 'chat');
    assert.equal([...server.sockets][0]!.protocol, 'lifeline.s1+chat');
  });

  it('a client without sessions gets a plain session that ends with its connection', async () => {
    const got: unknown[] = [];
    const server = await serve({
      onSession(serverSession) {
        serverSession.on('message', (data) => got.push(data));
        void serverSession.send('welcome'); // before its connection is attached: goes out first
      },
    });
    const plain = new Raw(server.url(), ['json']);
    await plain.opened();
    assert.deepEqual(await plain.next(), ['welcome']);
    await waitFor(() => server.started.length === 1, 'the session');
    const serverSession = server.started[0]!;
    assert.equal(serverSession.reliable, false);
    assert.equal(serverSession.protocol, 'json');
    plain.send('\u0010N looks like a frame, is data here');
    await waitFor(() => got.length === 1, 'a message');
    assert.deepEqual(got, ['\u0010N looks like a frame, is data here']);
    await serverSession.send('hi');
    assert.deepEqual(await plain.next(), ['hi']);
    const closed = new Promise<{ reason: string }>((resolve) => serverSession.once('close', resolve));
    plain.socket.close();
    assert.equal((await closed).reason, 'disconnected');
    assert.equal(server.sessions.store.size, 0);
  });

  it('a lifeline client resumes its session after a server-side drop: same session object, nothing lost or repeated', async () => {
    const got: string[] = [];
    const server = await serve({ onSession: (serverSession) => serverSession.on('message', (data) => got.push(data as string)) });
    const conn = client(server.url(), { session: session(), minDelay: 1, maxDelay: 5 });
    const events: SessionEvent[] = [];
    conn.on('session', (event) => events.push(event));
    await Promise.all(['a', 'b'].map((data) => conn.send(data)));
    server.drop();
    const later = ['c', 'd'].map((data) => conn.send(data));
    await Promise.all(later);
    await server.started[0]!.send('from the server');
    assert.deepEqual(got, ['a', 'b', 'c', 'd']);
    assert.equal(server.started.length, 1, 'one session');
    assert.deepEqual(events.map((event) => event.type), ['started', 'resumed']);
  });

  it('a client that paused reading (a lagging messages() loop) resumes its session on a new connection: not lost, nothing lost or repeated', async () => {
    const got: string[] = [];
    const server = await serve({ onSession: (serverSession) => serverSession.on('message', (data) => got.push(data as string)) });
    const conn = client<string>(server.url(), { session: session(), minDelay: 1, maxDelay: 5 });
    const events: SessionEvent[] = [];
    conn.on('session', (event) => events.push(event));
    const received: string[] = [];
    conn.on('message', (message) => received.push(message));
    await conn.send('a');
    conn.pause();
    const sent = conn.send('b');
    conn.reconnect();
    await waitFor(() => events.length === 2, 'the session to be resumed or lost', 3000);
    assert.deepEqual(events.map((event) => event.type), ['started', 'resumed'], 'the answer to the hello is read while paused');
    await sent;
    conn.resume();
    await server.started[0]!.send('from the server');
    await waitFor(() => received.length === 1, 'the server message');
    assert.deepEqual(received, ['from the server'], 'no session frame reaches the application');
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(server.started.length, 1, 'one session');
  });
});

describe('session server with hand-driven frames', () => {
  it('new → session frame with id, token and 0; a resume on a second connection takes over (the first is dropped)', async () => {
    const attaches: unknown[] = [];
    const server = await serve({ onSession: (serverSession) => serverSession.on('attach', (event) => attaches.push(event)) });
    const first = new Raw(server.url(), ['lifeline.s1']);
    await first.opened();
    first.send({ type: 'new' });
    const [answer] = (await first.next()) as [ControlFrame & { type: 'session' }];
    assert.equal(answer.type, 'session');
    assert.equal(answer.received, 0);
    assert.match(answer.id, /^[A-Za-z0-9_-]{16}$/);
    assert.match(answer.token, /^[A-Za-z0-9_-]{24}$/);
    first.send('m1');
    await waitFor(() => server.started[0]!.received === 1, 'm1');
    void server.started[0]!.send('s1');
    await first.next();
    const second = new Raw(server.url(), ['lifeline.s1']);
    await second.opened();
    second.send({ type: 'resume', id: answer.id, token: answer.token, received: 0 }); // s1 "lost in flight"
    assert.deepEqual(await second.next(2), [{ type: 'session', id: answer.id, token: answer.token, received: 1 }, 's1']);
    await waitFor(() => first.closed !== undefined, 'the first connection to be dropped');
    assert.equal(first.closed!.code, 1006);
    assert.deepEqual(attaches, [{ resumed: false, replayed: 0 }, { resumed: true, replayed: 1 }]);
  });

  it('an unknown id or a wrong token is answered lost, then a new session; the real one is untouched', async () => {
    const server = await serve();
    const owner = new Raw(server.url(), ['lifeline.s1']);
    await owner.opened();
    owner.send({ type: 'new' });
    const [answer] = (await owner.next()) as [ControlFrame & { type: 'session' }];
    for (const claim of [{ id: answer.id, token: 'wrongtokenwrongtokenwron' }, { id: 'unknownunknown00', token: answer.token }]) {
      const thief = new Raw(server.url(), ['lifeline.s1']);
      await thief.opened();
      thief.send({ type: 'resume', ...claim, received: 0 });
      const [lost, fresh] = (await thief.next(2)) as [ControlFrame, ControlFrame & { type: 'session' }];
      assert.deepEqual(lost, { type: 'lost' });
      assert.equal(fresh.type, 'session');
      assert.notEqual(fresh.id, answer.id);
    }
    assert.equal(server.started[0]!.state, 'attached', 'the owner keeps its session and its connection');
    assert.equal(owner.closed, undefined);
  });

  it('a detached session expires after expireAfter: close (expired), its unacknowledged sends rejected, a resume learns it was lost', async () => {
    const server = await serve({ options: { expireAfter: 100 } });
    const raw = new Raw(server.url(), ['lifeline.s1']);
    await raw.opened();
    raw.send({ type: 'new' });
    const [answer] = (await raw.next()) as [ControlFrame & { type: 'session' }];
    const serverSession = server.started[0]!;
    const pending = serverSession.send('never acknowledged');
    const closed = new Promise<{ reason: string }>((resolve) => serverSession.once('close', resolve));
    raw.socket.terminate();
    assert.equal((await closed).reason, 'expired');
    await assert.rejects(pending, { code: 'WS_ERR_SESSION_LOST' });
    await assert.rejects(serverSession.send('after'), { code: 'WS_ERR_SESSION_LOST' });
    const back = new Raw(server.url(), ['lifeline.s1']);
    await back.opened();
    back.send({ type: 'resume', id: answer.id, token: answer.token, received: 0 });
    assert.deepEqual((await back.next(2))[0], { type: 'lost' });
  });

  it('end: the server answers with a last ack and the session is over (reason ended)', async () => {
    const server = await serve();
    const raw = new Raw(server.url(), ['lifeline.s1']);
    await raw.opened();
    raw.send({ type: 'new' });
    await raw.next();
    raw.send('one');
    raw.send('two');
    raw.send({ type: 'end' });
    assert.deepEqual(await raw.next(), [{ type: 'ack', received: 2 }]);
    await waitFor(() => server.started[0]!.state === 'closed', 'the end');
  });

  it('the server’s buffer is bounded: send() rejects WS_ERR_QUEUE_FULL, writable says so, drain follows the ack', async () => {
    const server = await serve({ options: { maxBuffered: 2 } });
    const raw = new Raw(server.url(), ['lifeline.s1']);
    await raw.opened();
    raw.send({ type: 'new' });
    await raw.next();
    const serverSession = server.started[0]!;
    const first = serverSession.send('a');
    void serverSession.send('b');
    assert.equal(serverSession.writable, false);
    await assert.rejects(serverSession.send('c'), { code: 'WS_ERR_QUEUE_FULL' });
    const drained = new Promise((resolve) => serverSession.once('drain', resolve));
    await raw.next(2);
    raw.send({ type: 'ack', received: 1 });
    await first;
    await drained;
    assert.equal(serverSession.writable, true);
    assert.equal(serverSession.buffered, 1);
  });

  it('violations close the connection with 1002: a first message that is not a hello; a malformed frame or impossible ack later', async () => {
    const server = await serve();
    const noHello = new Raw(server.url(), ['lifeline.s1']);
    await noHello.opened();
    noHello.send('data first');
    await waitFor(() => noHello.closed !== undefined, 'the close');
    assert.equal(noHello.closed!.code, 1002);
    for (const bad of ['\u0010Q', writeControl({ type: 'ack', received: 9 })]) {
      const raw = new Raw(server.url(), ['lifeline.s1']);
      await raw.opened();
      raw.send({ type: 'new' });
      await raw.next();
      raw.send(bad);
      await waitFor(() => raw.closed !== undefined, 'the close');
      assert.equal(raw.closed!.code, 1002, JSON.stringify(bad));
      assert.match(raw.closed!.reason, /^session protocol: /);
      assert.equal(server.started.at(-1)!.state, 'detached', 'the session waits for a resume');
    }
  });

  it('ping rounds drop a connection that shows no sign of life; its session detaches', async () => {
    const server = await serve({ options: { pingInterval: 30 } });
    const mute = new Raw(server.url(), ['lifeline.s1']); // autoPong off: never answers
    await mute.opened();
    mute.send({ type: 'new' });
    await mute.next();
    await waitFor(() => mute.closed !== undefined, 'the drop', 3000);
    assert.equal(mute.closed!.code, 1006);
    assert.equal(server.started[0]!.state, 'detached');
  });

  it('options are checked at the call; close() gives the server its own handleProtocols back', async () => {
    const { WebSocketServer } = await import('ws');
    const own = (offered: Set<string>) => offered.values().next().value ?? false;
    const wss = new WebSocketServer({ noServer: true, handleProtocols: own });
    assert.throws(() => sessionServer(wss, { expireAfter: -1 }), { code: 'WS_ERR_INVALID_OPTION' });
    assert.throws(() => sessionServer(wss, { expireafter: 1 } as object), { code: 'WS_ERR_INVALID_OPTION' });
    const sessions = sessionServer(wss);
    assert.notEqual(wss.options.handleProtocols, own);
    sessions.close();
    assert.equal(wss.options.handleProtocols, own);
    wss.close();
  });
});

describe('session server: lifeline client and server restart', () => {
  it('a server restart ends in an explicit lost: unacknowledged sends rejected (each a drop), the rest delivered, a new session', async () => {
    const delivered: string[] = [];
    // The server acknowledges late (300 ms) on purpose: a, b and c are delivered but unacknowledged when it dies.
    const server = await serve({ options: { ackDelay: 300, ackEvery: 1000 }, onSession: (serverSession) => serverSession.on('message', (data) => delivered.push(data as string)) });
    const conn = client(server.url(), { session: session(), minDelay: 5, maxDelay: 20, heartbeat: false });
    const events: SessionEvent[] = [];
    conn.on('session', (event) => events.push(event));
    const drops: unknown[] = [];
    conn.on('drop', ({ data }) => drops.push(data));
    await new Promise((resolve) => conn.once('open', resolve));
    const outcomes = new Map<string, string>();
    const sendOne = (data: string) => conn.send(data).then(() => outcomes.set(data, 'acked'), (error: { code: string }) => outcomes.set(data, error.code));
    const before = ['a', 'b', 'c'].map(sendOne);
    await waitFor(() => delivered.length === 3, 'delivery');
    await server.restart(30);
    const afterLoss = ['d', 'e'].map(sendOne);
    await Promise.all([...before, ...afterLoss].map((promise) => promise.catch(() => {})));
    await waitFor(() => outcomes.size === 5, 'every send settled', 8000);
    assert.deepEqual(events.map((event) => event.type), ['started', 'lost', 'started']);
    assert.equal(events[1]!.rejected, 3);
    assert.deepEqual([...outcomes].filter(([, outcome]) => outcome === 'WS_ERR_SESSION_LOST').map(([data]) => data), ['a', 'b', 'c']);
    assert.deepEqual(drops, ['a', 'b', 'c'], 'each rejection also a drop: nothing lost silently');
    await waitFor(() => delivered.length === 5, 'd and e in the new session');
    assert.deepEqual(delivered.slice(3), ['d', 'e']);
  });

  it('with a heartbeat, a session ping keeps an idle session resumable and answers are counted', async () => {
    const server = await serve();
    const conn = client(server.url(), { session: session(), heartbeat: heartbeat({ interval: 20, timeout: 500 }) });
    const rtts: number[] = [];
    conn.on('heartbeat', ({ rtt }) => rtts.push(rtt));
    await waitFor(() => rtts.length >= 2, 'two answered probes');
    assert.ok(server.started[0]!.state === 'attached');
    assert.equal(conn.stats.messagesIn, 0, 'pongs are not application messages');
  });
});

// ServerSession is a class other adapters construct through the hub; its type is part of the API.
const typed: ((session: ServerSession) => string) | undefined = (serverSession) => serverSession.id;
void typed;
