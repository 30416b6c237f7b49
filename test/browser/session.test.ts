/**
 * The session in real browsers (Chromium, Firefox, WebKit) through the
 * browser transport, as shipped (dist/browser.mjs), against the session
 * fault server (test/support/session-fault-server.ts: the ws adapter behind
 * a blackholing proxy). 10,000 messages each way while the connection is
 * cut at random points of the stream: by the server (its socket destroyed,
 * or the proxy blackholing both ways so that only the heartbeat's session
 * pings notice) and by the page (`reconnect()`, which drops whatever the
 * old socket still delivers). Then a server restart, which must end in an
 * explicit `lost`.
 */
import { describe, it, before, afterEach, equal, ok, deepEqual, prng, sleep } from '../support/harness.js';
import { FAULT_RUN_SESSION, StreamReader, faultRunOptions, streamMessage } from '../support/session-stream.js';
import type { Connection, SessionEvent } from '../../src/index.js';

const SHIPPED = '/dist/browser.mjs';
const { connect, session, heartbeat } = (await import(SHIPPED)) as typeof import('../../src/index.js');

const COUNT = 10_000;
let url = '';
let control = '';
const live: Connection<any>[] = [];

/** A control request; retried while the server restarts. */
async function ctl(path: string): Promise<any> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(`${control}/control/session/${path}`, { cache: 'no-store' })).json();
    } catch (error) {
      if (attempt > 80) throw error;
      await sleep(25);
    }
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: () => string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(20);
  }
}

describe('session in the browser (native WebSocket, ws adapter behind a blackholing proxy)', () => {
  before(async () => {
    const config = await (await fetch('/__lifeline/config.json')).json();
    url = `ws://127.0.0.1:${config.sessionProxyPort}/`;
    control = `http://127.0.0.1:${config.sessionControlPort}`;
  });
  afterEach(() => {
    for (const conn of live.splice(0)) conn.terminate();
  });

  it(`${COUNT.toLocaleString('en-US')} messages each way across at least 100 cuts: none lost, none duplicated, in order`, async function (this: unknown) {
    // 20,000 messages as separate browser tasks take a few seconds, many more on a loaded machine: this test's own limit.
    (this as { timeout?: (ms: number) => void }).timeout?.(120_000);
    await ctl(`start?count=${COUNT}&seed=23`);
    const started = Date.now();
    const random = prng(99);
    const conn = connect(url, {
      session: session(FAULT_RUN_SESSION),
      heartbeat: heartbeat({ interval: 30, timeout: 150 }),
      ...faultRunOptions(COUNT),
    });
    live.push(conn);
    const reader = new StreamReader('s');
    const events: SessionEvent[] = [];
    let acknowledged = 0;
    const rejected: string[] = [];
    let pageCuts = 0;
    let carrying = false;
    let nextCutAt = 0;
    const schedule = () => (nextCutAt = reader.next + acknowledged + 40 + Math.floor(random() * 160));
    schedule();
    conn.on('session', (event) => {
      events.push(event);
      carrying = true;
    });
    conn.on('message', (data) => {
      reader.take(data);
      // The page's own cut, once per connection: drop the socket and dial again; what it still had in flight is dropped.
      if (carrying && reader.next + acknowledged >= nextCutAt) {
        carrying = false;
        schedule();
        pageCuts++;
        conn.reconnect();
      }
    });
    for (let index = 0; index < COUNT; index++) {
      conn.send(streamMessage('c', index)).then(
        () => acknowledged++,
        (error: { code?: string }) => rejected.push(error.code ?? String(error)),
      );
    }
    let stats: any;
    await waitFor(
      async () => {
        stats = await ctl('stats');
        ok(stats.problems.length === 0 && reader.problems.length === 0, `out of order: ${JSON.stringify([...stats.problems, ...reader.problems])}`);
        return reader.next === COUNT && stats.received === COUNT && acknowledged === COUNT && stats.acknowledged === COUNT;
      },
      () => `the streams (page has ${reader.next}, server has ${stats?.received}; acknowledged ${acknowledged} / ${stats?.acknowledged}; ${JSON.stringify(stats)}, page cuts ${pageCuts}, events ${events.length}, state ${conn.state})`,
      110_000,
    );
    const cuts = stats.cuts.server + stats.cuts.blackhole + pageCuts;
    console.log(`session: ${COUNT} each way in ${((Date.now() - started) / 1000).toFixed(1)} s; cuts: ${stats.cuts.server} server-side destroys, ${stats.cuts.blackhole} blackholes, ${pageCuts} page reconnects; ${stats.resumes} resumes`);
    deepEqual([...stats.problems, ...reader.problems], []);
    deepEqual([rejected, stats.rejected], [[], []], 'every send acknowledged, none rejected');
    equal(stats.sessions, 1, 'one session');
    ok(cuts >= 100, `${cuts} cuts`);
    ok(stats.resumes >= 100, `${stats.resumes} resumes`);
    ok(stats.cuts.blackhole >= 3 && stats.cuts.server >= 5 && pageCuts >= 50, `every kind of cut: ${JSON.stringify(stats.cuts)}, page ${pageCuts}`);
    deepEqual([...new Set(events.map((event) => event.type))], ['started', 'resumed']);
  });

  it('a server restart ends in an explicit lost: unacknowledged sends rejected, reported, a new session', async () => {
    await ctl('start?count=0');
    const conn = connect(url, { session: session({ maxBuffered: 64 }), minDelay: 5, maxDelay: 20 });
    live.push(conn);
    const events: SessionEvent[] = [];
    conn.on('session', (event) => events.push(event));
    await conn.send('before');
    const restarted = ctl('restart');
    await restarted;
    await waitFor(() => events.length >= 3, () => `lost and a new session (${JSON.stringify(events)})`, 10_000);
    deepEqual(events.map((event) => event.type), ['started', 'lost', 'started']);
    ok(events[2]!.id !== events[0]!.id, 'a new session id');
    await conn.send('after');
  });
});
