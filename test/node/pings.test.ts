/**
 * The ping registry of the Node connection (src/transport/node/pings.ts),
 * on a fake clock: a pong resolves its ping with the round trip and every
 * ping before it (RFC 6455 §5.5.3: a peer may answer only the latest), an
 * unsolicited pong answers nothing, at most MAX_PENDING_PINGS wait (the
 * oldest is given up with WS_ERR_PING_UNANSWERED), and the end of the
 * connection rejects what still waits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PENDING_PINGS, PingRegistry, nextPingPayload } from '../../src/transport/node/pings.js';

function fakeClock(): { now: () => number; advance(ms: number): void } {
  let time = 1000;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** Settles `promise` into a value or an error code, for assertions. */
function outcome(promise: Promise<number>): { value?: number | string } {
  const result: { value?: number | string } = {};
  promise.then(
    (rtt) => (result.value = rtt),
    (error: Error & { code?: string }) => (result.value = error.code ?? error.message),
  );
  return result;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PingRegistry', () => {
  it('resolves a ping with its round trip when the pong with its payload arrives', async () => {
    const clock = fakeClock();
    const pings = new PingRegistry(clock.now);
    const rtt = outcome(pings.add(Uint8Array.of(1, 2)));
    clock.advance(42);
    assert.equal(pings.answered(Uint8Array.of(1, 2)), 42);
    await settle();
    assert.equal(rtt.value, 42);
    assert.equal(pings.size, 0);
  });

  it('a pong for a later ping answers the ones before it; later pings keep waiting', async () => {
    const clock = fakeClock();
    const pings = new PingRegistry(clock.now);
    const first = outcome(pings.add(Uint8Array.of(1)));
    clock.advance(10);
    const second = outcome(pings.add(Uint8Array.of(2)));
    clock.advance(5);
    const third = outcome(pings.add(Uint8Array.of(3)));
    clock.advance(1);
    assert.equal(pings.answered(Uint8Array.of(2)), 6);
    await settle();
    assert.equal(first.value, 16);
    assert.equal(second.value, 6);
    assert.equal(third.value, undefined);
    assert.equal(pings.size, 1);
  });

  it('an unsolicited pong, or one with another payload, answers nothing', () => {
    const pings = new PingRegistry(fakeClock().now);
    assert.equal(pings.answered(Uint8Array.of(9)), undefined, 'no ping sent');
    void pings.add(Uint8Array.of(1, 2));
    assert.equal(pings.answered(Uint8Array.of(1)), undefined, 'a prefix is another payload');
    assert.equal(pings.answered(Uint8Array.of(1, 2, 3)), undefined);
    assert.equal(pings.size, 1);
  });

  it('keeps its own copy of the payload', () => {
    const pings = new PingRegistry(fakeClock().now);
    const payload = Uint8Array.of(5, 6);
    void pings.add(payload);
    payload.fill(0);
    assert.equal(pings.answered(Uint8Array.of(0, 0)), undefined);
    assert.equal(pings.answered(Uint8Array.of(5, 6)), 0);
  });

  it(`past ${MAX_PENDING_PINGS} waiting, the oldest is given up with WS_ERR_PING_UNANSWERED`, async () => {
    const pings = new PingRegistry(fakeClock().now);
    const results = Array.from({ length: MAX_PENDING_PINGS + 2 }, (_, i) => outcome(pings.add(Uint8Array.of(i))));
    await settle();
    assert.deepEqual(
      results.map((r) => r.value),
      ['WS_ERR_PING_UNANSWERED', 'WS_ERR_PING_UNANSWERED', ...Array(MAX_PENDING_PINGS).fill(undefined)],
    );
    assert.equal(pings.size, MAX_PENDING_PINGS);
  });

  it('rejectAll() rejects every waiting ping with the error given', async () => {
    const pings = new PingRegistry(fakeClock().now);
    const results = [outcome(pings.add(Uint8Array.of(1))), outcome(pings.add(Uint8Array.of(2)))];
    pings.rejectAll(Object.assign(new Error('closed'), { code: 'WS_ERR_INVALID_STATE' }));
    await settle();
    assert.deepEqual(results.map((r) => r.value), ['WS_ERR_INVALID_STATE', 'WS_ERR_INVALID_STATE']);
    assert.equal(pings.size, 0);
    assert.equal(pings.answered(Uint8Array.of(1)), undefined);
  });

  it('nextPingPayload() gives 4 bytes that differ from call to call', () => {
    const first = nextPingPayload();
    const second = nextPingPayload();
    assert.equal(first.length, 4);
    assert.notDeepEqual([...first], [...second]);
  });
});
