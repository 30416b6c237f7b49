/**
 * 1,000 reconnect cycles of the resilient client on the Node transport
 * (server-side drops and manual reconnects, heartbeat on) leave no timers,
 * sockets or listeners behind: the process's active resources after close
 * equal those before connect. And a `once()` subscription, however it ends,
 * or a message once handed out keeps nothing alive for the rest of the
 * connection's life.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { connect, heartbeat, json } from '../../src/node.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let server: TestServer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const resources = () => {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
};

describe('client leak check', () => {
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('1,000 reconnect cycles leave no timers, sockets or listeners behind', async () => {
    await sleep(50);
    const baseline = resources();
    const c = connect(server.url('/echo'), { minDelay: 0, maxDelay: 2, heartbeat: heartbeat({ interval: 5000, timeout: 1000 }) });
    let opens = 0;
    let wake: () => void = () => {};
    c.on('open', () => (opens++, wake()));
    const t0 = performance.now();
    const nextOpen = (n: number) => new Promise<void>((r) => (opens >= n ? r() : (wake = () => opens >= n && r())));
    await nextOpen(1);
    for (let i = 0; i < 1000; i++) {
      const reopened = nextOpen(opens + 1);
      if (i % 2) server.drop();
      else c.reconnect();
      await reopened;
    }
    const ms = performance.now() - t0;
    assert.equal(opens, 1001);
    assert.equal(c.stats.reconnects, 1000);
    c.close();
    for (let i = 0; i < 200 && c.state !== 'closed'; i++) await sleep(5);
    assert.equal(c.state, 'closed');
    await sleep(100); // let the sockets finish closing
    assert.equal(server.connections, 0);
    assert.deepEqual(resources(), baseline, 'active resources back to the baseline');
    console.log(`# 1,000 reconnect cycles in ${ms.toFixed(0)} ms (${(ms / 1000).toFixed(2)} ms each); resources after close: ${JSON.stringify(resources())}`);
  });

  it('a once() subscription ended by its returned function, by off() or by its event keeps no handler alive', async () => {
    const c = connect(server.url('/echo'), { startClosed: true });
    // Each handler is made in its own call, so that no register of this async function can still hold it.
    const subscribeAndEnd = (end: string): [string, WeakRef<() => void>] => {
      const handler = () => {};
      const unsubscribe = c.once('state', handler);
      if (end === 'returned function') unsubscribe();
      else if (end === 'off()') c.off('state', handler);
      return [end, new WeakRef(handler)];
    };
    const handlers = ['returned function', 'off()', 'event'].map(subscribeAndEnd);
    c.open(); // closed -> connecting: the third one's event
    c.close();
    for (let i = 0; i < 200 && c.state !== 'closed'; i++) await sleep(5);
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef holds its target until the job that made it ends
    gc();
    const alive = handlers.filter(([, handler]) => handler.deref() !== undefined).map(([end]) => end);
    assert.deepEqual(alive, [], `still reachable from the connection (state ${c.state})`);
  });
  it('a message handed to the handlers is not kept by the connection (the event queue reuses its entries, without their payloads)', async () => {
    const c = connect(server.url('/echo'), { codec: json });
    let received: WeakRef<object> | undefined;
    c.on('message', (message) => (received = new WeakRef(message as object)));
    await new Promise((resolve) => c.once('open', resolve));
    await c.send({ kept: 'no' });
    for (let i = 0; i < 200 && !received; i++) await sleep(5);
    assert.ok(received, 'the echo arrived');
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef holds its target until the job that made it ends
    gc();
    assert.equal(received.deref(), undefined, 'the decoded message is still reachable from the open connection');
    c.close();
    for (let i = 0; i < 200 && c.state !== 'closed'; i++) await sleep(5);
  });
});
