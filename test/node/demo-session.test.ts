/**
 * The demo server's session endpoint (demo/server.mjs, path /session) with
 * lifeline's Node client and `session()`: ticks numbered per session arrive
 * with no gap or repeat across drops, chat messages are acknowledged once
 * and in order, a half-open (silent) server is found by the session ping,
 * and a restart ends in an explicit lost. The page's session mode is
 * covered by the demo page suite.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect, heartbeat, json, session, type Connection, type SessionEvent } from '../../src/node.js';

const root = resolve(import.meta.dirname, '../../..');

interface DemoServer {
  wsUrl: string;
  drop(): string;
  silent(seconds?: number): string;
  restart(seconds?: number): Promise<string>;
  stats(): { chats: { from: string; text: string; session?: string }[]; sessions: { id: string; name: string; reliable: boolean }[] };
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('demo server: the session endpoint', () => {
  let server: DemoServer;
  let conn: Connection<any>;
  const events: SessionEvent[] = [];
  const ticks: number[] = [];

  before(async () => {
    const mod = await import(pathToFileURL(join(root, 'demo/server.mjs')).href);
    server = await mod.startDemoServer({ port: 0, tickMs: 20 });
    conn = connect(`${server.wsUrl}session?client=node-test`, {
      protocols: ['ticker.v2', 'ticker.v1'],
      codec: json,
      session: session(),
      heartbeat: heartbeat({ interval: 100, timeout: 300 }),
      minDelay: 5,
      maxDelay: 50,
    }) as Connection<any>;
    conn.on('session', (event) => events.push(event));
    conn.on('message', (message: { type: string; n?: number }) => {
      if (message.type === 'tick') ticks.push(message.n!);
    });
    await waitFor(() => events.length === 1, 'the session');
  });

  after(async () => {
    conn?.terminate();
    await server?.close();
  });

  it('ticks carry the session’s own count and none is missing or repeated across drops; chat is acknowledged once, in order', async () => {
    assert.equal(events[0]!.type, 'started');
    assert.equal(conn.protocol, 'ticker.v2');
    const sends: Promise<void>[] = [];
    for (let round = 0; round < 4; round++) {
      sends.push(conn.send({ type: 'chat', id: `m${round}`, text: `message ${round}` }));
      await waitFor(() => ticks.length >= (round + 1) * 5, 'ticks');
      server.drop();
    }
    await Promise.all(sends);
    await waitFor(() => events.filter((event) => event.type === 'resumed').length >= 4, 'four resumes');
    const count = ticks.length;
    await waitFor(() => ticks.length >= count + 5, 'more ticks');
    assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, index) => index + 1), 'ticks 1, 2, 3, … with no gap and no repeat');
    const mine = server.stats().chats.filter((chat) => chat.from === 'node-test').map((chat) => chat.text);
    assert.deepEqual(mine, ['message 0', 'message 1', 'message 2', 'message 3']);
    assert.equal(server.stats().sessions.filter((entry) => entry.name === 'node-test').length, 1, 'one session all along');
  });

  it('a silent (half-open) server is found by the session ping; the session resumes', async () => {
    const resumed = events.filter((event) => event.type === 'resumed').length;
    const closed = new Promise<unknown>((done) => conn.once('close', (event) => done((event.error as { code?: string } | undefined)?.code)));
    server.silent();
    assert.equal(await closed, 'WS_ERR_HEARTBEAT_TIMEOUT');
    await waitFor(() => events.filter((event) => event.type === 'resumed').length > resumed, 'a resume');
    const count = ticks.length;
    await waitFor(() => ticks.length >= count + 3, 'ticks again');
    assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, index) => index + 1));
  });

  it('a restart forgets the sessions: the client is told its session was lost, and a new one starts', async () => {
    await server.restart(0);
    await waitFor(() => events.at(-1)?.type === 'started' && events.at(-2)?.type === 'lost', 'lost, then a new session');
    assert.notEqual(events.at(-1)!.id, events[0]!.id);
  });
});
