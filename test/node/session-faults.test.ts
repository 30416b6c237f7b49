/**
 * The session's promise under real faults (issue #17): 10,000 messages each
 * way between lifeline's Node client with `session()` and a `ws` server
 * with the session adapter, through a TCP proxy, while the connection is
 * cut at random points of the stream (each cut right after the n-th
 * message, n drawn from a seeded generator) in three ways:
 * - server-side destroy: the server's socket is destroyed (no close frame);
 * - client-side destroy: the client's socket is destroyed (its transport
 *   terminated, as a dying network interface would);
 * - blackhole: the proxy keeps both TCP connections open and silently drops
 *   everything, so that only the client's heartbeat can notice.
 * At least 100 cuts; then both sides must have received every message
 * exactly once and in order, text as text and binary as binary, and every
 * `send()` on both sides must have resolved (acknowledged).
 *
 * Timing does not decide the outcome: a cut at any moment, and any extra
 * drop a loaded machine adds (a heartbeat that times out under load), is
 * just another fault the session must survive.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectWith, type Connection } from '../../src/client/client.js';
import { realClock } from '../../src/client/clock.js';
import { heartbeat } from '../../src/client/heartbeat.js';
import { nodeFeatures } from '../../src/client/node-features.js';
import { session, type SessionEvent } from '../../src/client/session.js';
import type { ServerSession } from '../../src/session-server/session.js';
import { nodeTransport } from '../../src/transport/node/index.js';
import type { Transport, TransportFactory } from '../../src/transport/types.js';
import { startBlackholeProxy, type BlackholeProxy } from '../support/blackhole-proxy.js';
import { prng } from '../support/harness.js';
import { startSessionServer, type SessionTestServer } from '../support/session-server.js';
import { FAULT_RUN_SESSION, StreamReader, faultRunOptions, streamMessage } from '../support/session-stream.js';

const COUNT = 10_000;
const MIN_CUTS = 100;

let server: SessionTestServer | undefined;
let proxy: BlackholeProxy | undefined;
let conn: Connection | undefined;
after(async () => {
  conn?.terminate();
  await proxy?.close();
  await server?.close();
});

describe('session under faults (Node client, ws server, proxy)', () => {
  it(`${COUNT.toLocaleString('en-US')} messages each way, at least ${MIN_CUTS} cuts of three kinds: none lost, none duplicated, in order`, { timeout: 180_000 }, async () => {
    const started = Date.now();
    const random = prng(1717);
    const toServer = new StreamReader('c');
    const toClient = new StreamReader('s');
    const cuts = { server: 0, client: 0, blackhole: 0 };
    let nextCutAt = 0;
    /** A connection carries the session (the client heard `session`) and has not been cut yet: only such a cut counts. */
    let carrying = false;
    let clientTransport: Transport | undefined;
    let serverSession: ServerSession | undefined;
    const serverSends: Promise<void>[] = [];

    /** Draws where the next cut goes: after 40-220 more messages (either way). */
    const schedule = (): void => {
      nextCutAt = toServer.next + toClient.next + 40 + Math.floor(random() * 180);
    };
    /**
     * Called on every message either side takes: cuts the connection when
     * the stream has passed the drawn point and the connection carrying the
     * session was not cut yet (else the cut waits for the next connection).
     */
    const maybeCut = (): void => {
      if (!carrying || toServer.next + toClient.next < nextCutAt) return;
      carrying = false;
      schedule();
      const roll = random();
      // Blackholes are rarer: each costs the heartbeat's interval + timeout to notice.
      if (roll < 0.07) {
        proxy!.blackhole();
        cuts.blackhole++;
      } else if (roll < 0.53) {
        server!.drop();
        cuts.server++;
      } else {
        clientTransport!.terminate();
        cuts.client++;
      }
    };

    /** The server application: counts what arrives, streams its 10,000 messages as fast as the session's buffer allows. */
    const pump = async (current: ServerSession): Promise<void> => {
      for (let index = 0; index < COUNT; ) {
        if (!current.writable) {
          await new Promise((resolve) => current.once('drain', resolve));
          continue;
        }
        serverSends.push(current.send(streamMessage('s', index)));
        index++;
        // Give the event loop a turn now and then, so the stream interleaves with everything else.
        if (index % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // Small buffers (64 messages unacknowledged at most) keep each connection's share of the stream short, so that the cuts land all along it.
    server = await startSessionServer({
      options: { maxBuffered: 64, ackEvery: 16 },
      onSession(current) {
        assert.equal(serverSession, undefined, 'one session for the whole run');
        serverSession = current;
        current.on('message', (data) => {
          toServer.take(data);
          maybeCut();
        });
        void pump(current);
      },
    });
    proxy = await startBlackholeProxy(server.port);

    // connect() with a factory that remembers the client's transport, so the test can destroy it.
    const factory: TransportFactory = (url, options, handlers) => (clientTransport = nodeTransport(url, options, handlers));
    conn = connectWith(
      factory,
      `ws://127.0.0.1:${proxy.port}/`,
      {
        session: session(FAULT_RUN_SESSION),
        heartbeat: heartbeat({ interval: 30, timeout: 100 }),
        ...faultRunOptions(COUNT),
      },
      { clock: realClock, random, features: nodeFeatures },
    );
    const events: SessionEvent[] = [];
    // What the client went through, for the message of a stall: its last closes and ends, and every error.
    const history: string[] = [];
    conn.on('close', (close) => void history.push(`close ${close.code}${close.error ? ` (${(close.error as { code?: string }).code ?? close.error})` : ''}`));
    conn.on('end', (end) => void history.push(`end ${end.reason}`));
    conn.on('error', (error) => void history.push(`error ${(error as { code?: string }).code ?? error}`));
    conn.on('session', (event) => {
      events.push(event);
      carrying = true;
    });
    conn.on('message', (data) => {
      toClient.take(data);
      maybeCut();
    });
    const clientSends = Array.from({ length: COUNT }, (_, index) => conn!.send(streamMessage('c', index)));
    schedule();

    const settled = (promises: Promise<void>[]) => Promise.all(promises.map((promise) => promise.then(() => 'acknowledged', (error: { code?: string }) => error.code ?? String(error))));
    const deadline = Date.now() + 150_000;
    while (toServer.next < COUNT || toClient.next < COUNT || serverSends.length < COUNT) {
      assert.ok(
        Date.now() < deadline,
        `stalled: server has ${toServer.next}, client has ${toClient.next}; cuts ${JSON.stringify(cuts)}; problems ${[...toServer.problems, ...toClient.problems]}; ` +
          `client ${conn.state}, ${conn.stats.reconnects} reconnects, sessions ${JSON.stringify(events.map((event) => event.type))}, server sessions ${server.started.length}; last: ${history.slice(-12).join(', ')}`,
      );
      assert.deepEqual([...toServer.problems, ...toClient.problems], []);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const clientOutcomes = await settled(clientSends);
    const serverOutcomes = await settled(serverSends);
    const seconds = (Date.now() - started) / 1000;
    const total = cuts.server + cuts.client + cuts.blackhole;
    console.log(
      `# ${COUNT} messages each way in ${seconds.toFixed(1)} s through ${total} cuts (${cuts.server} server-side destroys, ${cuts.client} client-side destroys, ${cuts.blackhole} blackholes found by the heartbeat); ` +
        `${conn.stats.reconnects} reconnects, ${events.filter((event) => event.type === 'resumed').reduce((sum, event) => sum + event.replayed, 0)} messages replayed by the client`,
    );

    assert.deepEqual([...toServer.problems, ...toClient.problems], [], 'every message in order, of its type');
    assert.equal(toServer.next, COUNT, 'the server has every message of the client, once');
    assert.equal(toClient.next, COUNT, 'the client has every message of the server, once');
    assert.equal(serverSession!.received, COUNT, 'no more arrived than were sent');
    assert.deepEqual(new Set(clientOutcomes), new Set(['acknowledged']), 'every client send acknowledged');
    assert.deepEqual(new Set(serverOutcomes), new Set(['acknowledged']), 'every server send acknowledged');
    assert.ok(total >= MIN_CUTS, `${total} cuts, at least ${MIN_CUTS}`);
    assert.ok(cuts.server >= 30 && cuts.client >= 30 && cuts.blackhole >= 5, `each kind of cut happened: ${JSON.stringify(cuts)}`);
    assert.equal(events[0]!.type, 'started');
    assert.deepEqual(new Set(events.slice(1).map((event) => event.type)), new Set(['resumed']), 'every reconnect resumed; none lost');
    assert.equal(server.started.length, 1, 'one session on the server');
  });
});
