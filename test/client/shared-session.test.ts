/**
 * A tab-shared connection whose leader runs a reliable session (`shared()`
 * with `session()`), on the tab fakes (tab-fakes.ts) and a server scripted
 * here in the session protocol's own frames (src/session/wire.ts). The
 * session is a part of the leader tab's client: its handshake holds the
 * open of every tab, its `session` events reach every tab, and a tab's
 * send settles when the server acknowledged it. A hand-over starts a new
 * session in the next leader (the session's state lives in the tab that
 * left): what the server had not acknowledged goes out again on it.
 */
import { describe, it, equal, deepEqual, rejects } from '../support/harness.js';
import { session, type SessionEvent } from '../../src/client/session.js';
import { isControl, readControl, writeControl } from '../../src/session/wire.js';
import type { TransportData } from '../../src/transport/types.js';
import { FakeBrowser, type FakeTab, type TabSocket } from './tab-fakes.js';

const TOKEN = 'token0000000000000000001';
const welcome = (id: string, received = 0) => writeControl({ type: 'session', id, token: TOKEN, received });
const ack = (received: number) => writeControl({ type: 'ack', received });
/** What the client wrote: its control frames read back, and its data. */
const controls = (socket: TabSocket) => socket.sent.filter((data: TransportData) => typeof data === 'string' && isControl(data)).map((data) => readControl(data as string));
const data = (socket: TabSocket) => socket.sent.filter((sent: TransportData) => !(typeof sent === 'string' && isControl(sent))).map(String);
const sessionEvents = (tab: FakeTab) => tab.payloads<SessionEvent>('session').map((event) => `${event.type} ${event.id}`);

/** Three tabs sharing a connection with a session; the server answered the leader's `new`. */
async function sessionTabs() {
  const browser = new FakeBrowser();
  const tabs = [1, 2, 3].map(() => browser.tab({ session: session(), minDelay: 10, maxDelay: 10 }));
  const socket = await browser.openSocket('lifeline.s1');
  return { browser, tabs: tabs as [FakeTab, FakeTab, FakeTab], socket };
}

describe('shared connection with a reliable session in the leader', () => {
  it("one socket offers the session; every tab opens when the server answers the leader's hello, and sees the session event", async () => {
    const { browser, tabs, socket } = await sessionTabs();
    deepEqual(socket.options.protocols, ['lifeline.s1']);
    deepEqual(controls(socket), [{ type: 'new' }]);
    for (const tab of tabs) equal(tab.conn.state, 'connecting', 'the open waits for the session');
    socket.message(welcome('session-one'));
    await browser.settle();
    for (const tab of tabs) {
      equal(tab.conn.state, 'open');
      equal(tab.conn.protocol, '', 'the session subprotocol is the part’s own');
      deepEqual(sessionEvents(tab), ['started session-one']);
    }
    equal(browser.sockets.length, 1);
  });

  it("a tab's send resolves when the server acknowledged it; the server's messages reach every tab, its control frames none", async () => {
    const { browser, tabs, socket } = await sessionTabs();
    socket.message(welcome('session-one'));
    await browser.settle();
    const follower = tabs[2];
    let resolved = false;
    const sent = follower.conn.send('hello').then(() => (resolved = true));
    await browser.settle();
    deepEqual(data(socket), ['hello'], 'on the socket');
    equal(resolved, false, 'not acknowledged yet');
    equal(follower.conn.stats.queued, 1, 'kept in its tab until acknowledged');
    socket.message(ack(1));
    await browser.settle();
    await sent;
    equal(follower.conn.stats.queued, 0);
    socket.message('news');
    await browser.settle();
    for (const tab of tabs) deepEqual(tab.payloads('message'), ['news']);
  });

  it('the leader tab goes: the next leader starts a new session; what the server had not acknowledged goes out on it, the rest does not', async () => {
    const { browser, tabs, socket } = await sessionTabs();
    const [leader, second, third] = tabs;
    socket.message(welcome('session-one'));
    await browser.settle();
    const sends = [third.conn.send('a'), third.conn.send('b')];
    await browser.settle();
    // (The leaving tab's own send is passed on with its goodbye; its promise goes with the page.)
    void leader.conn.send('own');
    sends.push(third.conn.send('c'));
    await browser.settle();
    deepEqual(data(socket), ['a', 'b', 'own', 'c']);
    socket.message(ack(2)); // the server has a and b; the leader's own and c are out, unacknowledged
    await browser.settle();
    leader.pagehide();
    await browser.settle();
    equal(second.role, 'leader');
    const next = await browser.openSocket('lifeline.s1');
    deepEqual(controls(next), [{ type: 'new' }], 'a new session: its state stayed in the tab that left');
    next.message(welcome('session-two'));
    await browser.settle();
    // (Messages of different tabs have no order between them.)
    deepEqual(data(next).sort(), ['c', 'own'], 'the unacknowledged messages, the departed tab’s own included; not a and b');
    next.message(ack(2));
    await browser.settle();
    await Promise.all(sends);
    for (const tab of [second, third]) {
      equal(tab.conn.state, 'open');
      deepEqual(sessionEvents(tab), ['started session-one', 'started session-two']);
    }
    equal(browser.live.length, 1);
  });
  it("a reconnect of the leader's socket resumes the session: a follower's unacknowledged send is replayed and resolves on its ack", async () => {
    const { browser, tabs, socket } = await sessionTabs();
    socket.message(welcome('session-one'));
    await browser.settle();
    const follower = tabs[1];
    const sent = follower.conn.send('x');
    await browser.settle();
    socket.end({ code: 1006 });
    browser.clock.advance(10);
    const next = await browser.openSocket('lifeline.s1');
    deepEqual(controls(next), [{ type: 'resume', id: 'session-one', token: TOKEN, received: 0 }]);
    next.message(welcome('session-one', 0));
    await browser.settle();
    deepEqual(data(next), ['x'], 'replayed by the session');
    next.message(ack(1));
    await sent;
    for (const tab of tabs) deepEqual(sessionEvents(tab), ['started session-one', 'resumed session-one']);
  });

  it("the server lost the session: a follower's unacknowledged send rejects in its tab (WS_ERR_SESSION_LOST, a drop there); every tab hears lost", async () => {
    const { browser, tabs, socket } = await sessionTabs();
    socket.message(welcome('session-one'));
    await browser.settle();
    const follower = tabs[2];
    const sent = follower.conn.send('x');
    await browser.settle();
    socket.end({ code: 1006 });
    browser.clock.advance(10);
    const next = await browser.openSocket('lifeline.s1');
    next.message(writeControl({ type: 'lost' }));
    next.message(welcome('session-two'));
    await rejects(sent, 'WS_ERR_SESSION_LOST');
    await browser.settle();
    equal(follower.payloads('drop').length, 1);
    equal(tabs[1].payloads('drop').length, 0, 'only in the tab that sent it');
    for (const tab of tabs) deepEqual(sessionEvents(tab), ['started session-one', 'lost session-one', 'started session-two']);
  });
});
