import { describe, it, equal, ok, deepEqual, throws } from '../support/harness.js';
import { rig, names, NODE, BROWSER } from './fakes.js';
import { createHeartbeat, heartbeat } from '../../src/client/heartbeat.js';
import { FakeClock } from './fakes.js';

const closeErr = (events: [string, unknown][]) => ((events.find((e) => e[0] === 'close')?.[1] as { error?: { code: string } }) ?? {}).error?.code;

describe('heartbeat: protocol pings (transport can ping)', () => {
  it('pings after interval of silence; no pong within timeout → terminate at once and reconnect', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }), minDelay: 1 }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(999);
    equal(s.pings.length, 0);
    r.clock.advance(1);
    equal(s.pings.length, 1, 'probe at interval');
    r.clock.advance(499);
    equal(r.conn.state, 'open');
    r.clock.advance(1);
    equal(s.terminated, true, 'dropped without a close handshake');
    equal(s.closedWith, undefined);
    equal(r.conn.state, 'waiting');
    equal(closeErr(r.events), 'WS_ERR_HEARTBEAT_TIMEOUT');
  });

  it('a peer that falls silent right after answering is dropped within interval + timeout, even when timeout > interval', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 2000 }), minDelay: 1 }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(1000); // probe at +1000
    equal(s.pings.length, 1);
    r.clock.advance(10);
    s.pings[0]!.resolve(10); // answered at +1010
    await r.settle();
    r.clock.advance(490);
    s.message('last words'); // last traffic at +1500; silence from here
    r.clock.advance(1000); // +2500: next probe due (interval after the last traffic)
    equal(s.pings.length, 2, 'probed interval after the last traffic, not at the old deadline');
    r.clock.advance(1999);
    equal(r.conn.state, 'open');
    r.clock.advance(1); // +4500 = last traffic + interval + timeout
    equal(r.conn.state, 'waiting');
    equal(closeErr(r.events), 'WS_ERR_HEARTBEAT_TIMEOUT');
  });

  it('heartbeat() defaults: 30 s interval, 10 s timeout, protocol pings where the platform can ping', async () => {
    const r = rig({ heartbeat: heartbeat() }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(30_000);
    equal(s.pings.length, 1);
    r.clock.advance(10_000);
    equal(r.conn.state, 'waiting');
  });

  it('a pong reports the RTT (heartbeat event, stats) and keeps the connection', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }) }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(1000);
    s.pings[0]!.resolve(12);
    await r.settle();
    r.clock.advance(1000);
    s.pings[1]!.resolve(20);
    await r.settle();
    r.clock.advance(900);
    deepEqual(r.events.filter((e) => e[0] === 'heartbeat').map((e) => (e[1] as { rtt: number }).rtt), [12, 20]);
    equal(r.conn.stats.rtt, 20);
    equal(r.conn.stats.rttAvg, 16);
    equal(r.conn.state, 'open');
  });

  it('timers are armed from inbound traffic: a busy connection is never probed', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }) }, { platform: NODE });
    const s = await r.openNow();
    for (let i = 0; i < 50; i++) {
      r.clock.advance(900);
      s.message('tick');
    }
    equal(s.pings.length, 0);
    equal(r.conn.state, 'open');
    ok(r.clock.pending <= 1, 'one heartbeat timer, not one per message');
  });

  it('activity from the transport (e.g. a pong or ping frame) counts as life', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }) }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(1000);
    equal(s.pings.length, 1);
    r.clock.advance(400);
    s.h.control!('pong', new Uint8Array(0));
    r.clock.advance(400);
    equal(r.conn.state, 'open');
  });

  it('after a wall-clock jump (sleep) it probes at once instead of judging a stale deadline', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 10_000, timeout: 2_000 }) }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(9_000);
    equal(s.pings.length, 0);
    r.clock.jump(3_600_000); // an hour asleep
    r.clock.advance(0);
    equal(s.pings.length, 0, 'no timer due yet (monotonic timers froze)');
    r.clock.advance(1_000); // first tick after waking
    equal(s.pings.length, 1, 'probed at once');
    equal(r.conn.state, 'open', 'not declared dead on wake');
    r.clock.advance(2_000);
    equal(r.conn.state, 'waiting', 'but dead if the probe goes unanswered');
  });

  it('a deadline reached late (a long task held the page) waits once for the traffic queued behind it: the answer keeps the connection', async () => {
    const setup = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }), minDelay: 1 }, { platform: NODE });
    const socket = await setup.openNow();
    setup.clock.advance(1000);
    equal(socket.pings.length, 1, 'probe at interval');
    // A long task: 1.3 s pass with no timer run; the deadline (at +500) is reached 800 ms late.
    setup.clock.stall(1300);
    setup.clock.advance(0);
    equal(setup.conn.state, 'open', 'not judged in the task right after the stall');
    // What arrived during the stall is dispatched next: the peer is alive.
    socket.message('queued during the long task');
    setup.clock.advance(999);
    equal(setup.conn.state, 'open');
    equal(socket.pings.length, 1);
    setup.clock.advance(1);
    equal(socket.pings.length, 2, 'the next probe interval after that traffic, as usual');
  });

  it('a deadline reached late is put off once, by the stall: a peer that stays silent is still dropped', async () => {
    const setup = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }), minDelay: 1 }, { platform: NODE });
    const socket = await setup.openNow();
    setup.clock.advance(1000);
    setup.clock.stall(1300); // the deadline is reached 800 ms late
    setup.clock.advance(0);
    equal(setup.conn.state, 'open');
    setup.clock.advance(799);
    equal(setup.conn.state, 'open');
    setup.clock.advance(1);
    equal(setup.conn.state, 'waiting', 'dropped as long again after the late deadline');
    equal(closeErr(setup.events), 'WS_ERR_HEARTBEAT_TIMEOUT');
    equal(socket.pings.length, 1);
  });

  it('a timer a few ms late (timer resolution, not a stall) is judged at once', async () => {
    const setup = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }), minDelay: 1 }, { platform: NODE });
    await setup.openNow();
    setup.clock.advance(1000);
    setup.clock.stall(520); // 20 ms late
    setup.clock.advance(0);
    equal(setup.conn.state, 'waiting');
  });

  it('while reading is paused nothing is probed or judged (answers cannot arrive); on resume the watch starts afresh', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }), minDelay: 1 }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(1000);
    equal(s.pings.length, 1, 'a probe is out when reading pauses');
    r.conn.pause();
    equal(s.paused, true);
    r.clock.advance(60_000);
    equal(s.pings.length, 1, 'no probe while paused');
    equal(r.conn.state, 'open', 'the unanswered probe is not judged');
    r.conn.resume();
    r.clock.advance(999);
    equal(s.pings.length, 1, 'interval counted from the resume');
    r.clock.advance(1);
    equal(s.pings.length, 2);
    r.clock.advance(500);
    equal(r.conn.state, 'waiting', 'a peer silent after the resume is still found out');
    equal(closeErr(r.events), 'WS_ERR_HEARTBEAT_TIMEOUT');
  });

  it('a connection that opens while the application has paused reading is not watched until it resumes', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }), minDelay: 1 }, { platform: NODE });
    r.conn.pause();
    const s = await r.openNow();
    equal(s.paused, true, 'paused once open');
    r.clock.advance(10_000);
    equal(s.pings.length, 0);
    s.end(); // dropped while paused: the next connection opens paused too
    r.clock.advance(10);
    const next = await r.openNow();
    equal(next.paused, true);
    r.clock.advance(10_000);
    equal(next.pings.length, 0);
    r.conn.resume();
    r.clock.advance(1000);
    equal(next.pings.length, 1, 'watched from the resume');
  });

  it('heartbeat: false disables it', async () => {
    const r = rig({ heartbeat: false }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(1e6);
    equal(s.pings.length, 0);
    equal(r.conn.state, 'open');
  });
});

describe('heartbeat: app-level and idle timeout (browsers)', () => {
  it('off by default without ping capability', async () => {
    const r = rig();
    await r.openNow();
    r.clock.advance(1e6);
    equal(r.conn.state, 'open');
    equal(r.clock.pending, 0);
  });

  it('sends the message, swallows the matched pong, reports RTT', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: () => '{"t":"ping"}', isPong: (d) => d === '{"t":"pong"}' }) });
    const s = await r.openNow();
    r.clock.advance(1000);
    deepEqual(s.sent, ['{"t":"ping"}']);
    r.clock.advance(30);
    s.message('{"t":"pong"}');
    deepEqual(names(r.events, ['message', 'heartbeat']), ['heartbeat']);
    equal((r.events.find((e) => e[0] === 'heartbeat')![1] as { rtt: number }).rtt, 30);
    equal(r.conn.stats.rtt, 30);
    r.clock.advance(1000);
    equal(s.sent.length, 2, 'next probe one interval after the last traffic');
    equal(r.conn.stats.messagesOut, 0, 'heartbeats are not counted as app messages');
  });

  it('unanswered app-level heartbeat: dead within interval + timeout', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping' }), minDelay: 1 });
    const s = await r.openNow();
    r.clock.advance(1499);
    equal(r.conn.state, 'open');
    r.clock.advance(1);
    equal(r.conn.state, 'waiting');
    equal(s.terminated, true);
  });

  it('pause() cannot stop a browser from reading, so the heartbeat keeps watching', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping' }), minDelay: 1 });
    const s = await r.openNow();
    r.conn.pause();
    r.clock.advance(1000);
    deepEqual(s.sent, ['ping']);
    r.clock.advance(500);
    equal(r.conn.state, 'waiting');
  });

  it('idle timeout: no message configured, any inbound traffic keeps it alive', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500 }) });
    const s = await r.openNow();
    r.clock.advance(1400);
    s.message('data');
    r.clock.advance(1400);
    equal(r.conn.state, 'open');
    r.clock.advance(100);
    equal(r.conn.state, 'waiting');
    deepEqual(s.sent, [], 'idle mode sends nothing');
  });

  it('deadlines are not enforced while the page is hidden (unless whileHidden)', async () => {
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const { browserLifecycle } = await import('../../src/client/lifecycle.js');
    const lc = browserLifecycle(win, doc);
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping' }) }, { lifecycle: lc, platform: BROWSER });
    const s = await r.openNow();
    r.clock.advance(60_000);
    equal(r.conn.state, 'open', 'hidden: no verdict');
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    const probes = s.sent.length;
    ok(probes >= 2, 'probed on becoming visible');
    r.clock.advance(500);
    equal(r.conn.state, 'waiting', 'visible: the fresh probe deadline is enforced');
    const r2 = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping', whileHidden: true }) }, { lifecycle: browserLifecycle(win, Object.assign(new EventTarget(), { visibilityState: 'hidden' })) });
    await r2.openNow();
    r2.clock.advance(1500);
    equal(r2.conn.state, 'waiting', 'whileHidden: enforced');
  });
});

describe("heartbeat: the application's code and the connection's end", () => {
  it('an isPong that throws: reported as an error event, and the message still reaches the application', async () => {
    const r = rig({ heartbeat: heartbeat({ message: 'ping', isPong: () => { throw new SyntaxError('bad pong check'); } }) });
    const s = await r.openNow();
    s.message('hello');
    deepEqual(names(r.events, ['error', 'message']), ['error', 'message']);
    equal((r.events.find((e) => e[0] === 'error')![1] as Error).message, 'bad pong check');
  });

  it('a message factory that throws: reported as an error event, no probe sent, the connection lives', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: () => { throw new Error('no token'); } }) });
    const s = await r.openNow();
    r.clock.advance(1000);
    deepEqual(s.sent, []);
    ok(r.events.some((e) => e[0] === 'error' && (e[1] as Error).message === 'no token'));
  });

  it('after close(): no heartbeat timer, even with a probe outstanding and a message arriving while closing', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping' }), connectTimeout: 0 });
    const s = await r.openNow();
    r.clock.advance(1000); // probe outstanding
    r.conn.close();
    s.message('late');
    equal(r.clock.pending, 0);
  });

  it('a protocol-ping answer that arrives after a reconnect is not reported for the new connection', async () => {
    const r = rig({ heartbeat: heartbeat({ interval: 1000, timeout: 5000 }), minDelay: 1 }, { platform: NODE });
    const s1 = await r.openNow();
    r.clock.advance(1000);
    equal(s1.pings.length, 1);
    r.conn.reconnect();
    await r.openNow();
    s1.pings[0]!.resolve(5);
    await r.settle();
    deepEqual(names(r.events, ['heartbeat']), []);
  });

  it('heartbeat() refuses a message that is not text or bytes (or a function): WS_ERR_INVALID_OPTION', () => {
    for (const message of [42, {}, new Blob(['x'])]) throws(() => heartbeat({ message: message as never }), 'WS_ERR_INVALID_OPTION');
  });
});

describe('createHeartbeat (the timer logic on its own, fake clock)', () => {
  const make = (timing = { interval: 1000, timeout: 500, whileHidden: false }, hidden = false) => {
    const clock = new FakeClock();
    const log: string[] = [];
    const hb = createHeartbeat(timing, clock, { probe: () => log.push(`probe@${clock.now() - 1_000_000}`) > 0, dead: () => log.push(`dead@${clock.now() - 1_000_000}`), hidden: () => hidden });
    return { clock, log, hb };
  };

  it('probes after interval of silence and is dead timeout later', () => {
    const { clock, log, hb } = make();
    hb.start();
    clock.advance(2000);
    deepEqual(log, ['probe@1000', 'dead@1500']);
  });

  it('an answer returns the round trip and re-arms from now', () => {
    const { clock, log, hb } = make();
    hb.start();
    clock.advance(1000);
    clock.advance(40);
    equal(hb.seen(true), 40);
    equal(hb.seen(true), undefined, 'no probe outstanding any more');
    clock.advance(999);
    deepEqual(log, ['probe@1000']);
    clock.advance(1);
    deepEqual(log, ['probe@1000', 'probe@2040']);
  });

  it('stop() leaves no timer; while hidden the deadline waits (unless whileHidden)', () => {
    const a = make();
    a.hb.start();
    a.hb.stop();
    equal(a.clock.pending, 0);
    const b = make(undefined, true);
    b.hb.start();
    b.clock.advance(60_000);
    ok(!b.log.some((l) => l.startsWith('dead')), 'hidden: no verdict');
    const c = make({ interval: 1000, timeout: 500, whileHidden: true }, true);
    c.hb.start();
    c.clock.advance(1500);
    ok(c.log.includes('dead@1500'));
  });

  it('heartbeat() checks its options at the call', () => {
    throws(() => heartbeat({ interval: 0 }), 'WS_ERR_INVALID_OPTION');
    throws(() => heartbeat({ timeout: 2 ** 31 }), 'WS_ERR_INVALID_OPTION');
    throws(() => heartbeat({ isPong: 'pong' as never }), 'WS_ERR_INVALID_OPTION');
  });
});
