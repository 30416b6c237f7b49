/**
 * The tab-shared connection's logic (src/client/shared/), on fakes: one
 * browser with several tabs (tab-fakes.ts: Web Locks, BroadcastChannel,
 * page events), fake sockets and a fake clock. Real browsers run the same
 * guarantees with real pages in test/node/shared-tabs.suite.ts.
 */
import { describe, it, equal, ok, deepEqual, rejects } from '../support/harness.js';
import { json } from '../../src/client/codecs.js';
import { heartbeat } from '../../src/client/heartbeat.js';
import { shared } from '../../src/client/shared/shared.js';
import { connectWith } from '../../src/client/client.js';
import { browserFeatures } from '../../src/client/features.js';
import { FakeBrowser, type FakeTab } from './tab-fakes.js';
import { FakeClock } from './fakes.js';

/** Three tabs of one browser on one open shared socket. */
async function threeTabs(options = {}, sharing = {}) {
  const browser = new FakeBrowser();
  const tabs = [browser.tab(options, sharing), browser.tab(options, sharing), browser.tab(options, sharing)];
  const socket = await browser.openSocket();
  return { browser, tabs, socket };
}

/**
 * A pagehide whose listener is cut short where leave() first uses the clock (after the tab's last word, as it takes out the
 * messages it passed on, or before it steps down), as Firefox may cut one while it closes a tab; here the clock throws.
 */
function pagehideCutShort(browser: FakeBrowser, tab: FakeTab): void {
  const clear = browser.clock.clear;
  browser.clock.clear = () => {
    throw new Error('cut short');
  };
  try {
    tab.pagehide();
    ok(false, 'the cut reached leave()');
  } catch (error) {
    equal((error as Error).message, 'cut short');
  } finally {
    browser.clock.clear = clear;
  }
}

/** Three tabs whose leader holds two messages of its own (`own:0`, `own:1`): its socket takes nothing. */
async function leaderHoldingOwn() {
  const { browser, tabs, socket } = await threeTabs();
  const [leader, second] = tabs as [FakeTab, FakeTab];
  socket.refuseSend = true;
  void leader.conn.send('own:0');
  void leader.conn.send('own:1');
  await browser.settle();
  return { browser, leader, second };
}

/**
 * Three tabs whose leader crashed while the third tab's messages (sent by `send`) were out with it: the second tab leads on
 * a new socket (`next`, nothing sent on it yet), and the third waits for the crashed leader's bye (BYE_GRACE).
 */
async function followerWaitingForBye(send: (tab: FakeTab) => void) {
  const { browser, tabs, socket } = await threeTabs();
  const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
  socket.refuseSend = true;
  send(third);
  await browser.settle();
  leader.crash();
  await browser.settle();
  equal(second.role, 'leader');
  const next = await browser.openSocket();
  deepEqual(next.sent, [], 'waiting for a bye that may still come');
  return { browser, third, next };
}

const states = (tab: FakeTab) => tab.payloads<{ from: string; to: string }>('state').map((change) => change.to);

describe('shared connection: one socket for every tab', () => {
  it('the first tab leads and opens the only socket; the others follow and mirror its state and open', async () => {
    const { browser, tabs } = await threeTabs();
    equal(browser.sockets.length, 1);
    deepEqual(tabs.map((tab) => tab.role), ['leader', 'follower', 'follower']);
    deepEqual(tabs.map((tab) => tab.roles[0]!.reason), ['elected', 'joined', 'joined']);
    for (const tab of tabs) {
      equal(tab.conn.state, 'open');
      deepEqual(states(tab), ['connecting', 'open']);
      equal(tab.names(['open']).length, 1);
    }
  });

  it('every inbound message reaches every tab, decoded by its own codec, and a filter keeps only what a tab wants', async () => {
    const browser = new FakeBrowser();
    const raw = browser.tab();
    const decoded = browser.tab<{ topic: string }>({ codec: json });
    const filtered = browser.tab<{ topic: string }>({ codec: json }, { filter: (message: { topic: string }) => message.topic === 'b' });
    const socket = await browser.openSocket();
    socket.message('{"topic":"a"}');
    socket.message('{"topic":"b"}');
    await browser.settle();
    deepEqual(raw.payloads('message'), ['{"topic":"a"}', '{"topic":"b"}']);
    deepEqual(decoded.payloads('message'), [{ topic: 'a' }, { topic: 'b' }]);
    deepEqual(filtered.payloads('message'), [{ topic: 'b' }]);
    // The socket's counters are every tab's.
    for (const tab of [raw, decoded, filtered]) equal(tab.conn.stats.messagesIn, 2);
  });

  it("a follower's sends go out on the leader's socket, in order, and resolve when the socket took them", async () => {
    const { browser, tabs, socket } = await threeTabs({ codec: json });
    const follower = tabs[2]!;
    let resolved = 0;
    const sends = [1, 2, 3].map((n) => follower.conn.send({ n }).then(() => resolved++));
    equal(follower.conn.stats.queued, 3, 'waiting for the leader');
    await Promise.all(sends);
    equal(resolved, 3);
    deepEqual(socket.sent, ['{"n":1}', '{"n":2}', '{"n":3}']);
    equal(follower.conn.stats.queued, 0);
    await browser.settle();
    for (const tab of tabs) equal(tab.conn.stats.messagesOut, 3);
  });

  it('startClosed: a tab holds what it sends before open() and hands it to the leader once it joins; after close() it refuses', async () => {
    const { browser, socket } = await threeTabs();
    const late = browser.tab({ startClosed: true });
    const sent = late.conn.send('before open');
    await browser.settle();
    deepEqual(socket.sent, [], 'held while the tab takes no part');
    equal(late.conn.stats.queued, 1);
    late.conn.open();
    await sent;
    deepEqual(socket.sent, ['before open']);
    late.conn.close();
    await rejects(late.conn.send('after close'), 'WS_ERR_CLIENT_CLOSED');
  });

  it('startClosed: close() or terminate() before the tab ever opened rejects what it held, and later sends', async () => {
    const browser = new FakeBrowser();
    for (const end of ['close', 'terminate'] as const) {
      const tab = browser.tab({ startClosed: true });
      const held = tab.conn.send('never');
      tab.conn[end]();
      await rejects(held, 'WS_ERR_CLIENT_CLOSED');
      await rejects(tab.conn.send('late'), 'WS_ERR_CLIENT_CLOSED');
      equal(tab.conn.stats.queued, 0, end);
    }
  });

  it('a send the leader refuses (its queue is full) rejects in the tab that sent it, with the code, and fires drop there', async () => {
    const browser = new FakeBrowser();
    const leader = browser.tab({ maxQueued: 1 });
    const follower = browser.tab({ maxQueued: 1 });
    await browser.settle(); // not open: messages wait in the leader's queue
    const first = follower.conn.send('a');
    const second = follower.conn.send('b');
    await rejects(second, 'WS_ERR_QUEUE_FULL');
    equal(follower.payloads('drop').length, 1);
    equal(leader.payloads('drop').length, 0);
    await browser.openSocket();
    await first;
    deepEqual(browser.sockets[0]!.sent, ['a']);
  });

  it('state, events and stats of the socket are mirrored: a drop and a retry look the same in every tab', async () => {
    const { browser, tabs, socket } = await threeTabs({ minDelay: 100 });
    socket.end({ code: 1006 });
    await browser.settle();
    for (const tab of tabs) {
      equal(tab.conn.state, 'waiting');
      deepEqual(tab.names(['close', 'reconnecting']), ['close', 'reconnecting']);
      equal(tab.payloads<{ willReconnect: boolean }>('close')[0]!.willReconnect, true);
    }
    browser.clock.advance(200);
    await browser.openSocket();
    for (const tab of tabs) {
      equal(tab.conn.state, 'open');
      equal(tab.conn.stats.reconnects, 1);
      deepEqual(states(tab), ['connecting', 'open', 'waiting', 'connecting', 'open']);
    }
    equal(browser.sockets.length, 2);
  });

  it('the heartbeat runs once, in the leader: one probe on the socket for three tabs, its answer reported in every tab', async () => {
    const { browser, tabs, socket } = await threeTabs({ heartbeat: heartbeat({ interval: 10_000, timeout: 5_000, message: 'ping' }) });
    // A second at a time, so that the tabs' channel messages (real tasks) keep up with the fake clock.
    for (let second = 0; second < 10; second++) {
      browser.clock.advance(1000);
      await browser.settle();
    }
    deepEqual(socket.sent, ['ping'], 'one probe');
    browser.clock.advance(40);
    socket.message('pong');
    await browser.settle();
    for (const tab of tabs) {
      deepEqual(tab.payloads<{ rtt: number }>('heartbeat').map((beat) => beat.rtt), [40]);
      deepEqual(tab.payloads('message'), [], 'the pong is the heartbeat’s own');
      equal(tab.conn.stats.rtt, 40);
    }
    equal(browser.sockets.length, 1);
  });

  it('an attempt failure reaches followers as an error with its code', async () => {
    const browser = new FakeBrowser();
    browser.tab({ connectTimeout: 50, minDelay: 1000 });
    const follower = browser.tab();
    await browser.settle();
    browser.clock.advance(60);
    await browser.settle();
    const errors = follower.payloads<Error & { code?: string }>('error');
    equal(errors.length, 1);
    equal(errors[0]!.code, 'WS_ERR_CONNECT_TIMEOUT');
    const close = follower.payloads<{ error?: Error & { code?: string } }>('close')[0]!;
    equal(close.error?.code, 'WS_ERR_CONNECT_TIMEOUT');
  });

  it('a follower that joins late gets the state as it is: open, with its subprotocol', async () => {
    const browser = new FakeBrowser();
    browser.tab({ protocols: ['chat'] });
    await browser.openSocket('chat');
    const late = browser.tab({ protocols: ['chat'] });
    await browser.settle();
    equal(late.conn.state, 'open');
    equal(late.conn.protocol, 'chat');
    deepEqual(late.payloads('open'), [{ protocol: 'chat', extensions: '' }]);
    equal(browser.sockets.length, 1);
  });

  it('tabs share only within one url and key', async () => {
    const browser = new FakeBrowser();
    browser.tab({}, { key: 'a' });
    browser.tab({}, { key: 'a' });
    browser.tab({}, { key: 'b' });
    browser.tab({ url: 'ws://test.invalid/other' }, { key: 'a' });
    await browser.settle();
    equal(browser.sockets.length, 3);
  });

  it('reconnect() and open() in a follower act on the shared socket', async () => {
    const { browser, tabs } = await threeTabs();
    tabs[1]!.conn.reconnect();
    await browser.settle();
    equal(browser.sockets.length, 2);
    ok(browser.sockets[0]!.closedWith, 'the old socket was closed politely');
    await browser.openSocket();
    for (const tab of tabs) equal(tab.conn.state, 'open');
  });
});

describe("shared connection: stats of the leader tab's own sends", () => {
  it('reach every tab, once for a burst, and go on at the next leader after an orderly hand-over', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    const posted = browser.bus.log.length;
    await Promise.all(['a', 'bb', 'ccc'].map((data) => leader.conn.send(data)));
    browser.clock.advance(0);
    await browser.settle();
    deepEqual(socket.sent, ['a', 'bb', 'ccc']);
    for (const tab of [leader, second, third]) deepEqual([tab.conn.stats.messagesOut, tab.conn.stats.bytesOut], [3, 6], `tab ${tab.id}`);
    equal(browser.bus.log.slice(posted).filter((entry) => entry.message.type === 'stats').length, 1, 'one post for the burst');
    void leader.conn.send('dddd');
    await browser.settle();
    leader.pagehide(); // before the stats post is due: the bye carries the counters
    await browser.settle();
    equal(second.role, 'leader');
    const next = await browser.openSocket();
    await second.conn.send('e');
    deepEqual(next.sent, ['e']);
    deepEqual([second.conn.stats.messagesOut, second.conn.stats.bytesOut, second.conn.stats.reconnects], [5, 11, 1], 'counted on from the leader that left');
  });
});

describe('shared connection: hand-over', () => {
  it('leader tab closed mid-stream: the next tab takes over at once; nothing queued is lost or sent twice', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    const sent: Promise<void>[] = [];
    for (let n = 0; n < 5; n++) for (const tab of [second, third]) sent.push(tab.conn.send(`${tab.id}:${n}`));
    await browser.settle();
    equal(socket.sent.length, 10, 'the open socket took the first messages');
    // The socket stops taking messages (buffer full, say), more are sent, then the leader's tab goes.
    socket.refuseSend = true;
    for (let n = 5; n < 10; n++) for (const tab of [second, third]) sent.push(tab.conn.send(`${tab.id}:${n}`));
    sent.push(leader.conn.send('leader:own'));
    await browser.settle();
    equal(socket.sent.length, 10);
    leader.pagehide();
    await browser.settle();
    equal(second.role, 'leader', 'the next tab in line leads');
    equal(second.roles.at(-1)!.reason, 'took over');
    const next = await browser.openSocket();
    await Promise.all(sent.slice(0, 20)); // every follower send settles (resolved)
    const all = [...socket.sent, ...next.sent].map(String);
    const expected = [second, third].flatMap((tab) => Array.from({ length: 10 }, (_, n) => `${tab.id}:${n}`));
    deepEqual([...all].sort(), [...expected, 'leader:own'].sort(), 'each message exactly once, the departed leader tab’s own included');
    for (const tab of [second, third]) {
      const mine = all.filter((message) => message.startsWith(`${tab.id}:`));
      deepEqual(mine, Array.from({ length: 10 }, (_, n) => `${tab.id}:${n}`), 'in order');
    }
    // Followers saw the socket go (1001: the leader's tab left) and come back.
    const close = third.payloads<{ code: number; willReconnect: boolean }>('close')[0]!;
    deepEqual([close.code, close.willReconnect], [1001, true]);
    equal(third.conn.state, 'open');
    equal(third.conn.stats.reconnects, 1);
    equal(browser.live.length, 1);
  });

  it('pagehide reaching leave() twice (tabs.ts calls it from a second listener), the first cut short after the bye: the second finishes stepping down, nothing is said twice', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    socket.refuseSend = true;
    const sent = [leader.conn.send('leader:0'), leader.conn.send('leader:1'), third.conn.send('third:0')];
    await browser.settle();
    pagehideCutShort(browser, leader);
    equal(leader.role, 'leader', 'cut before stepping down');
    leader.pagehide(); // the second listener
    await browser.settle();
    equal(second.role, 'leader', 'the lock was let go by the second call');
    const next = await browser.openSocket();
    await Promise.all(sent.slice(2));
    deepEqual(next.sent, ['leader:0', 'leader:1', 'third:0'], "the departed tab's own messages, then the follower's, each once");
    equal(browser.bus.log.filter((entry) => entry.tab === leader.id && entry.message.type === 'bye').length, 1, 'one bye');
  });

  it("a tab's last word that goes out twice (a cut between its post and the rest) is taken once: a leader's bye, a follower's adopt", async () => {
    const { browser, leader, second } = await leaderHoldingOwn();
    leader.pagehide();
    browser.bus.repost(browser.bus.log.find((entry) => entry.tab === leader.id && entry.message.type === 'bye')!);
    await browser.settle();
    equal(second.role, 'leader');
    const next = await browser.openSocket();
    deepEqual(next.sent, ['own:0', 'own:1'], 'each once');
    // A tab that goes before it heard of a leader passes its messages on in an `adopt`.
    const late = browser.tab();
    void late.conn.send('late:0');
    late.pagehide();
    const adopt = browser.bus.log.find((entry) => entry.tab === late.id && entry.message.type === 'adopt');
    ok(adopt, 'the late tab said its last word');
    browser.bus.repost(adopt!);
    await browser.settle();
    deepEqual(next.sent, ['own:0', 'own:1', 'late:0']);
  });

  it('the departing leader says its bye first: cut short right after it (here by a throwing clock), the tab has still passed every message on', async () => {
    const { browser, leader, second } = await leaderHoldingOwn();
    pagehideCutShort(browser, leader);
    leader.crash(); // the browser tears the page down: its lock is released, its channel says nothing more
    await browser.settle();
    equal(second.role, 'leader');
    const next = await browser.openSocket();
    deepEqual(next.sent, ['own:0', 'own:1']);
    equal(browser.bus.log.filter((entry) => entry.tab === leader.id && entry.message.type === 'bye').length, 1);
  });

  it('a crashed leader (no bye): its lock is released, the next tab takes over and resends what was unanswered', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    socket.refuseSend = true;
    const pending = [third.conn.send('a'), third.conn.send('b')];
    await browser.settle();
    leader.crash();
    await browser.settle();
    equal(second.role, 'leader');
    const next = await browser.openSocket();
    equal(next.sent.length, 0, 'unanswered messages wait for a bye that may still come');
    browser.clock.advance(1000); // BYE_GRACE: no bye from a crashed tab
    await browser.settle();
    await Promise.all(pending);
    deepEqual(next.sent, ['a', 'b']);
    deepEqual(third.payloads<{ code: number; wasClean: boolean }>('close').map((close) => [close.code, close.wasClean]), [[1001, false]]);
  });

  it("a follower that goes away while it waits for a crashed leader's bye passes what was out with it on: the next leader sends it", async () => {
    const { browser, third, next } = await followerWaitingForBye((tab) => {
      void tab.conn.send('a');
      void tab.conn.send('lost with the connection', { dropOnReconnect: true });
      void tab.conn.send('b');
    });
    third.pagehide(); // closed within BYE_GRACE
    await browser.settle();
    // The page is gone: its channel with it (the fake clock is shared, so the tab's own timers still run; their posts go nowhere).
    third.crash();
    browser.clock.advance(1000);
    await browser.settle();
    deepEqual(next.sent, ['a', 'b'], 'a dropOnReconnect message goes with the connection, as when the wait ends');
  });

  it("a follower's messages passed on as it goes are sent once: its own wait for the bye, ending later, finds none of them", async () => {
    const { browser, third, next } = await followerWaitingForBye((tab) => void tab.conn.send('a'));
    third.pagehide();
    browser.clock.advance(1000); // the page lives on here: its BYE_GRACE timer fires
    await browser.settle();
    deepEqual(next.sent, ['a']);
  });

  it('a follower going away with its first pagehide listener cut short after the adopt: the second finds the word said, and the messages go out once', async () => {
    const { browser, third, next } = await followerWaitingForBye((tab) => {
      void tab.conn.send('a');
      void tab.conn.send('b');
    });
    pagehideCutShort(browser, third);
    third.pagehide();
    await browser.settle();
    third.crash();
    browser.clock.advance(1000);
    await browser.settle();
    deepEqual(next.sent, ['a', 'b']);
  });

  it('a follower going away leaves behind, and rejects at once, what the wait would have dropped; a send after its pagehide goes to the leader', async () => {
    /** How each send settled, by its message. */
    const settled = new Map<string, string>();
    const track = (message: string, promise: Promise<void>) =>
      promise.then(
        () => settled.set(message, 'sent'),
        (error: { code?: string }) => settled.set(message, error.code ?? String(error)),
      );
    const { browser, third, next } = await followerWaitingForBye((tab) => {
      void track('expires', tab.conn.send('expires', { ttl: 500 }));
      void track('dropped', tab.conn.send('dropped', { dropOnReconnect: true }));
      void tab.conn.send('kept');
    });
    browser.clock.advance(600); // past the ttl, within BYE_GRACE
    third.pagehide();
    void third.conn.send('late'); // say, the application's own pagehide listener, after lifeline's
    await browser.settle();
    deepEqual(Object.fromEntries(settled), { expires: 'WS_ERR_SEND_EXPIRED', dropped: 'WS_ERR_SEND_DROPPED' }, 'rejected without waiting out BYE_GRACE');
    deepEqual(next.sent, ['kept', 'late']);
  });

  it("the lock reaches the next tab before the old leader's acks and bye: messages it had sent are not sent again", async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    socket.refuseSend = true;
    const pending = [third.conn.send('a'), third.conn.send('b'), second.conn.send('c')];
    await browser.settle();
    // The leader's socket takes them; its acks and then its bye are slow to arrive (another pipe than the lock's).
    browser.bus.delayed.add(leader.id);
    socket.refuseSend = false;
    void leader.conn.send('own');
    deepEqual(socket.sent, ['a', 'b', 'c', 'own']);
    await Promise.resolve(); // pagehide is a task of its own: the microtasks of this one (the acks) run first
    leader.pagehide();
    await browser.settle();
    equal(second.role, 'leader', 'granted the lock first');
    const next = await browser.openSocket();
    deepEqual(next.sent, [], 'nothing resent while the bye may still come');
    browser.bus.release(leader.id);
    await browser.settle();
    await Promise.all(pending);
    deepEqual(next.sent, []);
  });

  it('acknowledgements go out before the bye: a leader whose socket takes messages and that leaves in the same task sends none twice', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    socket.refuseSend = true;
    const pending = [third.conn.send('x'), third.conn.send('y')];
    await browser.settle();
    equal(socket.sent.length, 0, 'waiting in the leader');
    // One task: the socket takes the queue (a send flushes it), then the leader's tab closes its connection.
    socket.refuseSend = false;
    void leader.conn.send('own');
    leader.conn.close();
    equal(socket.sent.length, 3);
    await browser.settle();
    equal(second.role, 'leader');
    const next = await browser.openSocket();
    await Promise.all(pending);
    deepEqual(socket.sent, ['x', 'y', 'own']);
    deepEqual(next.sent, [], 'nothing handed over twice');
  });

  it('a leader that stops answering is replaced after leaderTimeout; it steps down when it hears it', async () => {
    const { browser, tabs } = await threeTabs({}, { leaderTimeout: 1000 });
    const [leader, second] = tabs as [FakeTab, FakeTab];
    browser.bus.silent.add(leader.id); // hung: hears and says nothing, keeps its lock
    browser.clock.advance(600);
    await browser.settle();
    ok(browser.bus.log.some((entry) => entry.message.type === 'ping'), 'a follower asked');
    browser.clock.advance(600);
    await browser.settle();
    ok(second.role === 'leader' || tabs[2]!.role === 'leader', 'a follower stole the lock');
    equal(leader.role, 'follower', 'the old leader was deposed (its lock request rejected)');
    equal(leader.roles.at(-1)!.reason, 'replaced');
    await browser.openSocket();
    equal(browser.live.length, 1, "the old leader's socket is gone");
  });

  it('the page goes into the back/forward cache: the leader steps down; back, the tab follows and its sends go out', async () => {
    const { browser, tabs } = await threeTabs();
    const [leader, second] = tabs as [FakeTab, FakeTab];
    leader.pagehide(true);
    await browser.settle();
    equal(second.role, 'leader');
    await browser.openSocket();
    leader.pageshow();
    await browser.settle();
    equal(leader.role, 'follower');
    equal(leader.conn.state, 'open');
    await leader.conn.send('from the restored tab');
    deepEqual(browser.sockets.at(-1)!.sent, ['from the restored tab']);
    equal(browser.live.length, 1);
  });

  it('a follower going into the back/forward cache closes its channel unless a leader owes it answers; back, it follows the same leader', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    const channels = browser.bus.openCount;
    second.pagehide(true);
    equal(browser.bus.openCount, channels - 1, 'nothing out with the leader: the channel is closed (a message would evict the page)');
    socket.refuseSend = true;
    void third.conn.send('awaiting an answer');
    await browser.settle();
    third.pagehide(true);
    equal(browser.bus.openCount, channels - 1, 'a message out with the leader: the channel stays open for its answer');
    second.pageshow();
    third.pageshow();
    await browser.settle();
    equal(browser.bus.openCount, channels);
    equal(second.role, 'follower');
    equal(second.conn.state, 'open');
    socket.refuseSend = false;
    await second.conn.send('back');
    deepEqual(socket.sent, ['awaiting an answer', 'back']);
    equal(browser.sockets.length, 1, 'the same socket all along');
  });

  it('dropOnReconnect and ttl apply across a hand-over', async () => {
    const { browser, tabs, socket } = await threeTabs();
    const [leader, , third] = tabs as [FakeTab, FakeTab, FakeTab];
    socket.refuseSend = true;
    const dropped = third.conn.send('drop me', { dropOnReconnect: true });
    const kept = third.conn.send('keep me');
    const expiring = third.conn.send('expire me', { ttl: 100 });
    await browser.settle();
    leader.pagehide();
    await browser.settle();
    await rejects(dropped, 'WS_ERR_SEND_DROPPED');
    browser.clock.advance(150);
    await browser.settle();
    await rejects(expiring, 'WS_ERR_SEND_EXPIRED');
    const next = await browser.openSocket();
    await kept;
    deepEqual(next.sent, ['keep me']);
  });

  it("a follower page waking up (online, visible) wakes the leader: a waiting client dials now", async () => {
    const browser = new FakeBrowser();
    browser.tab({ minDelay: 60_000, maxDelay: 60_000 });
    const follower = browser.tab();
    const first = await browser.openSocket();
    first.end();
    await browser.settle();
    equal(follower.conn.state, 'waiting');
    const before = browser.sockets.length;
    follower.wakeUp();
    await browser.settle();
    equal(browser.sockets.length, before + 1, 'dialled without waiting out the backoff');
  });
});

describe('shared connection: closing, degrading, options', () => {
  it("a follower's close() ends its own connection only; the leader's close() hands the socket to another tab", async () => {
    const { browser, tabs } = await threeTabs();
    const [leader, second, third] = tabs as [FakeTab, FakeTab, FakeTab];
    third.conn.close(1000, 'bye');
    await browser.settle();
    equal(third.conn.state, 'closed');
    deepEqual(third.payloads('end'), [{ reason: 'closed', close: { code: 1000, reason: 'bye', wasClean: true } }]);
    await rejects(third.conn.send('late'), 'WS_ERR_CLIENT_CLOSED');
    equal(browser.live.length, 1);
    leader.conn.close();
    await browser.settle();
    equal(second.role, 'leader');
    await browser.openSocket();
    equal(second.conn.state, 'open');
    equal(leader.conn.state, 'closed');
    equal(browser.live.length, 1);
    third.conn.open();
    await browser.settle();
    equal(third.conn.state, 'open', 'open() rejoins');
  });

  it('without Web Locks or BroadcastChannel each tab runs alone, with its own socket, and says why', async () => {
    const browser = new FakeBrowser();
    const noLocks = browser.tab({}, {}, { locks: true });
    const noChannel = browser.tab({}, {}, { channel: true });
    await browser.settle();
    equal(browser.sockets.length, 2);
    deepEqual(noLocks.roles, [{ role: 'alone', reason: 'Web Locks (navigator.locks) missing' }]);
    deepEqual(noChannel.roles, [{ role: 'alone', reason: 'BroadcastChannel missing' }]);
    browser.sockets[0]!.open();
    await browser.settle();
    equal(noLocks.conn.state, 'open');
    await noLocks.conn.send('alone');
    deepEqual(browser.sockets[0]!.sent, ['alone']);
  });

  it('options are checked at the call', () => {
    let thrown: (Error & { code?: string }) | undefined;
    try {
      shared({ key: 1 as unknown as string });
    } catch (error) {
      thrown = error as Error & { code?: string };
    }
    equal(thrown?.code, 'WS_ERR_INVALID_OPTION');
    const env = { clock: new FakeClock(), random: Math.random, features: browserFeatures };
    thrown = undefined;
    try {
      connectWith(() => undefined as never, 'ws://x.invalid', { shared: true as never }, env);
    } catch (error) {
      thrown = error as Error & { code?: string };
    }
    equal(thrown?.code, 'WS_ERR_INVALID_OPTION');
    ok(/option shared must be shared\(\{\.\.\.\}\) or false/.test(thrown!.message), thrown!.message);
    thrown = undefined;
    try {
      shared()(() => undefined as never, () => 'ws://x.invalid', {}, env);
    } catch (error) {
      thrown = error as Error & { code?: string };
    }
    ok(/key/.test(thrown?.message ?? ''), 'a url function needs a key');
  });
});
