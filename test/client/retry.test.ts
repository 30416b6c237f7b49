import { describe, it, equal, ok, deepEqual } from '../support/harness.js';
import { defaultShouldReconnect, retryDelay, type RetryInfo } from '../../src/client/retry.js';
import { rig, names, NODE } from './fakes.js';

const O = { minDelay: 1000, maxDelay: 30000, factor: 2 };

describe('default retry rules', () => {
  const info = (x: Partial<RetryInfo>): RetryInfo => ({ code: 1006, reason: '', wasClean: false, attempt: 0, ...x });
  it('no retry after 1002/1003/1007/1008/1009/1010 and 4400-4499; retry after others', () => {
    for (const code of [1002, 1003, 1007, 1008, 1009, 1010, 4400, 4401, 4406, 4499]) equal(defaultShouldReconnect(info({ code })), false, String(code));
    for (const code of [1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014, 4000, 4399, 4500, 4999]) equal(defaultShouldReconnect(info({ code })), true, String(code));
  });
  it('no retry after 4xx handshake statuses except 408 and 429; retry after 5xx', () => {
    for (const status of [400, 401, 403, 404, 407, 426, 499]) equal(defaultShouldReconnect(info({ status })), false, String(status));
    for (const status of [408, 429, 500, 502, 503, 504, 301]) equal(defaultShouldReconnect(info({ status })), true, String(status));
  });
  it('no retry after a redirect the transport refused (downgrade, a Location that is no WebSocket URL), though its status is 3xx', () => {
    for (const code of ['WS_ERR_HANDSHAKE_DOWNGRADE', 'WS_ERR_HANDSHAKE_LOCATION']) {
      equal(defaultShouldReconnect(info({ status: 302, error: Object.assign(new Error('redirect'), { code }) })), false, code);
    }
    equal(defaultShouldReconnect(info({ status: 302, error: Object.assign(new Error('redirect'), { code: 'WS_ERR_HANDSHAKE_REDIRECTS' }) })), true);
  });
  it('retryDelay: the backoff, raised to what the server asked for', () => {
    equal(retryDelay(0, O, () => 0.5, undefined), 500);
    equal(retryDelay(0, O, () => 0.5, 7000), 7000);
    equal(retryDelay(3, O, () => 0.5, 10), 4000);
  });
});

describe('reconnect policy in the client', () => {
  it('schedules retries with growing jittered delays, reconnecting event per retry', async () => {
    const r = rig({ minDelay: 100, maxDelay: 1000 }, { random: () => 0.999 });
    for (let i = 0; i < 6; i++) {
      await r.settle();
      r.sock.end();
      const ev = r.events.filter((e) => e[0] === 'reconnecting').pop()![1] as { attempt: number; delay: number };
      equal(ev.attempt, i + 1);
      const bound = Math.min(1000, 100 * 2 ** i);
      ok(ev.delay < bound && ev.delay > bound * 0.99, `delay ${ev.delay} bound ${bound}`);
      ok(Math.abs(r.clock.nextIn! - ev.delay) < 1e-6, 'timer armed for the delay');
      r.clock.advance(ev.delay);
      equal(r.conn.state, 'connecting');
    }
    await r.settle();
    equal(r.sockets.length, 7);
  });

  it('resets the attempt counter only after a stable period', async () => {
    const r = rig({ minDelay: 100, maxDelay: 100000, stableAfter: 5000 }, { random: () => 0.5 });
    const delays = () => r.events.filter((e) => e[0] === 'reconnecting').map((e) => (e[1] as { delay: number }).delay);
    await r.settle();
    r.sock.end(); // attempt 0 -> 50
    r.clock.advance(50);
    await r.openNow();
    r.clock.advance(4999); // open but not stable
    r.sock.end(); // attempt 1 -> 100
    r.clock.advance(100);
    await r.openNow();
    r.clock.advance(5000); // stable
    r.sock.end(); // reset: attempt 0 -> 50
    deepEqual(delays(), [50, 100, 50]);
  });

  it('maxAttempts gives up with a terminal end event', async () => {
    const r = rig({ minDelay: 10, maxAttempts: 2 });
    for (let i = 0; i < 3; i++) {
      await r.settle();
      r.sock.end({ code: 1006 });
      r.clock.advance(100);
    }
    equal(r.conn.state, 'closed');
    const end = r.events.filter((e) => e[0] === 'end');
    equal(end.length, 1);
    equal((end[0]![1] as { reason: string }).reason, 'maxAttempts');
    equal(r.sockets.length, 3, 'first try + 2 retries');
    equal(r.clock.pending, 0);
  });

  it('shouldReconnect=false ends with noRetry; its info carries code, status and attempt', async () => {
    const seen: RetryInfo[] = [];
    const r = rig({ shouldReconnect: (i) => (seen.push(i), i.code !== 4001) }, { platform: NODE });
    await r.settle();
    r.sock.end({ code: 1006, status: 503 });
    r.clock.advance(2000);
    await r.settle();
    r.sock.end({ code: 4001, reason: 'banned', wasClean: true });
    equal(r.conn.state, 'closed');
    deepEqual(seen.map((i) => [i.code, i.status, i.attempt]), [[1006, 503, 0], [4001, undefined, 1]]);
    const end = r.events.find((e) => e[0] === 'end')![1] as { reason: string; close: { code: number; reason: string } };
    equal(end.reason, 'noRetry');
    equal(end.close.reason, 'banned');
  });

  it('default rules end the client after 1008 and after a 401 handshake', async () => {
    const a = rig({}, { platform: NODE });
    await a.openNow();
    a.sock.end({ code: 1008, wasClean: true });
    equal(a.conn.state, 'closed');
    const b = rig({}, { platform: NODE });
    await b.settle();
    b.sock.end({ code: 1006, status: 401 });
    equal(b.conn.state, 'closed');
    const c = rig({}, { platform: NODE });
    await c.settle();
    c.sock.end({ code: 1006, status: 429 });
    equal(c.conn.state, 'waiting', '429 is retried');
  });

  it('a server that accepts, then closes with 4406 at once, is not retried (4400-4499 are client errors)', async () => {
    const r = rig({ minDelay: 1 });
    await r.openNow();
    r.sock.end({ code: 4406, reason: 'subprotocol not acceptable', wasClean: true });
    equal(r.conn.state, 'closed');
    equal((r.events.find((e) => e[0] === 'end')![1] as { reason: string }).reason, 'noRetry');
    equal(r.sockets.length, 1);
  });

  it('an open shorter than stableAfter never resets the backoff: a server that accepts and drops at once is backed off', async () => {
    const r = rig({ minDelay: 100, maxDelay: 100_000, stableAfter: 5000 }, { random: () => 0.5 });
    for (let i = 0; i < 6; i++) {
      await r.openNow();
      r.clock.advance(10);
      r.sock.end({ code: 1011, wasClean: true });
      r.clock.advance(r.clock.nextIn!);
    }
    const delays = r.events.filter((e) => e[0] === 'reconnecting').map((e) => (e[1] as { delay: number }).delay);
    deepEqual(delays, [50, 100, 200, 400, 800, 1600]);
  });

  it("caps a server's Retry-After at maxRetryAfter (default 10 minutes): a year-long 503 is no reconnect storm", async () => {
    const r = rig({ minDelay: 100 }, { platform: NODE });
    await r.settle();
    r.sock.end({ code: 1006, status: 503, retryAfterMs: 365 * 86_400_000 });
    equal(r.clock.nextIn, 600_000);
    const s = rig({ minDelay: 100, maxRetryAfter: 5_000 } as never, { platform: NODE });
    await s.settle();
    s.sock.end({ code: 1006, status: 503, retryAfterMs: 365 * 86_400_000 });
    equal(s.clock.nextIn, 5_000);
  });

  it('browsers never see Retry-After: the browser features ignore it', async () => {
    const r = rig({ minDelay: 100, maxDelay: 100 }, { random: () => 0.5 });
    await r.settle();
    r.sock.end({ code: 1006, retryAfterMs: 7000 });
    equal(r.clock.nextIn, 50);
  });

  it('honours Retry-After (retryAfterMs) as a lower bound of the delay', async () => {
    const r = rig({ minDelay: 100 }, { platform: NODE });
    await r.settle();
    r.sock.end({ code: 1006, status: 503, retryAfterMs: 7000 });
    equal(r.clock.nextIn, 7000);
    r.clock.advance(6999);
    equal(r.conn.state, 'waiting');
    r.clock.advance(1);
    equal(r.conn.state, 'connecting');
  });

  it('never retries after our own close, and close() while waiting cancels the retry', async () => {
    const r = rig();
    await r.openNow();
    r.conn.close(4000, 'done');
    deepEqual(r.sock.closedWith, [4000, 'done']);
    r.sock.end({ code: 4000, reason: 'done', wasClean: true });
    equal(r.conn.state, 'closed');
    deepEqual(names(r.events, ['close', 'end']), ['close', 'end']);
    equal((r.events.find((e) => e[0] === 'close')![1] as { willReconnect: boolean }).willReconnect, false);
    const w = rig();
    await w.settle();
    w.sock.end();
    equal(w.conn.state, 'waiting');
    w.conn.close();
    equal(w.conn.state, 'closed');
    equal(w.clock.pending, 0);
    w.clock.advance(1e6);
    equal(w.sockets.length, 1);
  });

  it('manual reconnect() closes the current socket politely and dials at once, resetting attempts', async () => {
    const r = rig();
    const s1 = await r.openNow();
    r.conn.reconnect();
    deepEqual(s1.closedWith, [1000, '']);
    await r.settle();
    equal(r.sockets.length, 2);
    s1.end({ code: 1000, wasClean: true }); // late close of the old socket is ignored
    equal(r.conn.state, 'connecting');
    r.sock.open();
    equal(r.conn.state, 'open');
    equal(r.conn.stats.reconnects, 1);
  });

  it('connect timeout drops a hanging attempt and retries', async () => {
    const r = rig({ connectTimeout: 3000, minDelay: 10 });
    await r.settle();
    const s1 = r.sock;
    r.clock.advance(2999);
    equal(r.conn.state, 'connecting');
    r.clock.advance(1);
    equal(s1.terminated, true);
    equal(r.conn.state, 'waiting');
    const close = r.events.find((e) => e[0] === 'close')![1] as { error: { code: string } };
    equal(close.error.code, 'WS_ERR_CONNECT_TIMEOUT');
  });

  it("connect timeout: a transport that knows what it waited on (timedOut) names it; the client's error is its cause", async () => {
    const r = rig({ connectTimeout: 3000, minDelay: 10 });
    await r.settle();
    let asked: Error | undefined;
    r.sock.timedOut = (timeout) => {
      asked = timeout;
      return new Error('the proxy p:3128 did not answer CONNECT', { cause: timeout });
    };
    r.clock.advance(3000);
    equal((asked as { code?: string } | undefined)?.code, 'WS_ERR_CONNECT_TIMEOUT');
    equal(r.sock.terminated, true);
    const close = r.events.find((e) => e[0] === 'close')![1] as { error: Error & { cause?: unknown } };
    equal(close.error.message, 'the proxy p:3128 did not answer CONNECT');
    equal(close.error.cause, asked);
    const reported = r.events.filter((e) => e[0] === 'error').map((e) => e[1]);
    deepEqual(reported, [close.error]);
  });

  it('evaluates URL, protocols and headers providers on every attempt', async () => {
    let n = 0;
    const r = rig(
      { protocols: () => [`v${n}`], headers: async () => ({ authorization: `token-${n}` }), minDelay: 1 } as never,
      { platform: NODE, url: async () => `ws://h.invalid/?t=${++n}` },
    );
    await r.settle();
    r.sock.end();
    r.clock.advance(1);
    await r.settle();
    deepEqual(r.sockets.map((s) => [s.url, s.options.protocols, s.options.headers]), [
      ['ws://h.invalid/?t=1', ['v1'], { authorization: 'token-1' }],
      ['ws://h.invalid/?t=2', ['v2'], { authorization: 'token-2' }],
    ]);
  });

  it('a failing provider counts as a failed attempt (error event, retry)', async () => {
    const r = rig({ minDelay: 1 }, { url: () => Promise.reject(new Error('token service down')) });
    await r.settle();
    equal(r.conn.state, 'waiting');
    equal(r.sockets.length, 0);
    equal(((r.events.find((e) => e[0] === 'error')![1]) as Error).message, 'token service down');
  });

  it('invalid provider output (URL, subprotocols) ends the client with that error instead of retrying forever', async () => {
    for (const [options, url, code] of [
      [{}, () => 'ftp://nope', 'WS_ERR_INVALID_URL'],
      [{ protocols: () => ['a b'] }, 'ws://h.invalid/', 'WS_ERR_INVALID_SUBPROTOCOL'],
    ] as const) {
      const r = rig({ minDelay: 1, ...options }, { url });
      await r.settle();
      equal(r.conn.state, 'closed', code);
      equal(r.sockets.length, 0);
      const end = r.events.find((e) => e[0] === 'end')![1] as { reason: string; close: { error: { code: string } } };
      equal(end.reason, 'error');
      equal(end.close.error.code, code);
      ok(r.events.some((e) => e[0] === 'error' && (e[1] as { code: string }).code === code), 'reported as an error event too');
      r.clock.advance(60_000);
      equal(r.sockets.length, 0, 'never retried');
    }
  });

  it('a transport factory that refuses its input (bad headers) ends the client with that error', async () => {
    const r = rig({ minDelay: 1 }, { platform: NODE });
    r.factoryThrows = Object.assign(new TypeError('header x must be Latin-1'), { code: 'WS_ERR_INVALID_HEADER' });
    await r.settle(); // the first attempt's providers settle, then the factory throws
    equal(r.conn.state, 'closed');
    equal((r.events.find((e) => e[0] === 'end')![1] as { reason: string }).reason, 'error');
  });
});
