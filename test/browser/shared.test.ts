/**
 * `shared()` in one page of each engine, on the shipped dist/browser.mjs:
 * two connections of the same (url, key) in one page share one socket
 * (the page's two BroadcastChannel objects talk like two tabs), other keys
 * do not, without Web Locks each connection runs alone and says why, and a
 * reliable session in the leader carries both (against the session fault
 * server, test/support/session-fault-server.ts, with its cuts off).
 * Several tabs are tested from Node in test/node/shared-tabs.suite.ts.
 */
import { describe, it, before, afterEach, equal, ok, deepEqual, sleep } from '../support/harness.js';
import { streamMessage } from '../support/session-stream.js';
import type { Connection, RoleInfo } from '../../src/index.js';

const SHIPPED = '/dist/browser.mjs';
const { connect, shared, session } = (await import(SHIPPED)) as typeof import('../../src/index.js');

let port = 0;
const stats = async (): Promise<{ connections: number; total: number; received: string[] }> =>
  (await fetch(`http://127.0.0.1:${port}/control/stats`, { cache: 'no-store' })).json();
const live: Connection<any>[] = [];
const open = (key: string, roles: RoleInfo[]) => {
  const conn = connect(`ws://127.0.0.1:${port}/echo`, { shared: shared({ key, onRole: (info) => roles.push(info) }) });
  live.push(conn);
  return conn;
};
async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('shared connection in one page (real Web Locks and BroadcastChannel)', () => {
  let config: { wsPort: number; sessionProxyPort: number; sessionControlPort: number };
  before(async () => {
    config = await (await fetch('/__lifeline/config.json')).json();
    port = config.wsPort;
    await fetch(`http://127.0.0.1:${port}/control/reset`);
  });
  afterEach(async () => {
    for (const conn of live.splice(0)) conn.terminate();
    await until(async () => (await stats()).connections === 0, 'the sockets closed');
  });

  it('two connections of one key share one socket; another key has its own', async () => {
    const before = (await stats()).total;
    const rolesA: RoleInfo[] = [];
    const rolesB: RoleInfo[] = [];
    const rolesC: RoleInfo[] = [];
    const a = open('one', rolesA);
    const b = open('one', rolesB);
    const c = open('two', rolesC);
    await until(() => a.state === 'open' && b.state === 'open' && c.state === 'open', 'all open');
    deepEqual([rolesA[0]?.role, rolesB[0]?.role, rolesC[0]?.role], ['leader', 'follower', 'leader']);
    equal((await stats()).total - before, 2);
    const got: unknown[] = [];
    a.on('message', (message) => got.push(message));
    await b.send('through the leader');
    await until(() => got.length === 1, 'the echo in the leading connection');
    deepEqual(got, ['through the leader']);
  });

  it('without Web Locks each connection runs alone, with its own socket, and says why', async () => {
    const before = (await stats()).total;
    Object.defineProperty(navigator, 'locks', { configurable: true, get: () => undefined });
    const roles: RoleInfo[] = [];
    const others: RoleInfo[] = [];
    try {
      open('alone', roles);
      open('alone', others);
    } finally {
      delete (navigator as { locks?: unknown }).locks; // back to the prototype's getter
    }
    ok(navigator.locks, 'restored');
    await until(() => live.every((conn) => conn.state === 'open'), 'both open');
    deepEqual(roles, [{ role: 'alone', reason: 'Web Locks (navigator.locks) missing' }]);
    equal(others[0]?.role, 'alone');
    equal((await stats()).total - before, 2, 'one socket each');
  });
  it('a session in the leader: one session for both connections, every send acknowledged once and in order, a new session after the hand-over', async () => {
    const control = async (path: string) => (await fetch(`http://127.0.0.1:${config.sessionControlPort}/control/session/${path}`, { cache: 'no-store' })).json();
    // The server reads the messages of every session as one numbered stream; it sends none and cuts nothing.
    await control('start?count=0&cuts=0');
    const url = `ws://127.0.0.1:${config.sessionProxyPort}/`;
    const roles: RoleInfo[] = [];
    const leader = connect(url, { session: session(), shared: shared({ key: 'session' }) });
    const follower = connect(url, { session: session(), shared: shared({ key: 'session', onRole: (info) => roles.push(info) }) });
    live.push(leader, follower);
    const sessions: string[] = [];
    follower.on('session', (event) => sessions.push(event.type));
    await until(() => leader.state === 'open' && follower.state === 'open', 'both open');
    const sendRange = (from: number, to: number) => Promise.all(Array.from({ length: to - from }, (_, index) => follower.send(streamMessage('c', from + index))));
    // Each send resolves when the server acknowledged it.
    await sendRange(0, 30);
    const first = await control('stats');
    deepEqual([first.received, first.problems, first.sessions], [30, [], 1]);
    leader.close();
    await until(() => roles.at(-1)?.role === 'leader' && follower.state === 'open', 'the other connection leads, open');
    await sendRange(30, 60);
    const second = await control('stats');
    deepEqual([second.received, second.problems, second.sessions], [60, [], 2]);
    deepEqual(sessions, ['started', 'started'], 'the hand-over starts a new session');
  });
});
