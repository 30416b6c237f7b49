/**
 * One connection shared by the tabs of a real browser (`shared()`), in
 * Chromium, Firefox and WebKit: several pages of one browser (tabs in
 * Chromium and Firefox, windows in MiniBrowser) driven from Node through
 * test/support/browser-page.ts, each running the shipped dist/browser.mjs
 * (test/support/shared-tab.page.ts) against a loopback `ws` test server
 * that counts its connections and logs what it received.
 *
 * One suite, run per engine by shared-tabs.<engine>.test.ts (separate files
 * so `node --test` can run them alongside others); an engine left out of
 * LIFELINE_BROWSERS runs nothing. The crash and freeze tests exist for
 * Chromium only: CDP is the one protocol here that can crash or freeze a
 * single page (in Firefox and WebKit the pages of one origin share a
 * process, and neither driver can freeze a page).
 *
 * Needs dist/ (the test runner builds it first).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENGINE_LABELS, openTabs, selectedEngines, type EngineName } from '../support/engines.js';
import type { BrowserTab, BrowserTabs } from '../support/browser-page.js';
import { startPageServer, type PageServer } from '../support/page-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import type { StartOptions, TabApi, TabLog } from '../support/shared-tab.page.js';

const TAB_PAGE = '<!doctype html><title>tab</title><script type="module" src="/build/test/support/shared-tab.page.js"></script>';
const OTHER_PAGE = '<!doctype html><title>elsewhere</title><p>elsewhere</p>';
/** Takeover bound asserted here, ms: measured takeovers are tens of ms (README); this leaves room for a loaded machine. */
const TAKEOVER_BOUND = 3000;

type TabWindow = { tab: TabApi };
const api = (tab: BrowserTab) => ({
  start: (options: StartOptions) => tab.evaluate((given) => (window as unknown as TabWindow).tab.start(given), options),
  send: (prefix: string, from: number, to: number) => tab.evaluate((batch) => (window as unknown as TabWindow).tab.send(batch.prefix, batch.from, batch.to), { prefix, from, to }),
  log: () => tab.evaluate(() => (window as unknown as TabWindow).tab.log) as Promise<TabLog>,
  role: () => tab.evaluate(() => (window as unknown as TabWindow).tab.role),
  state: () => tab.evaluate(() => (window as unknown as TabWindow).tab.state),
  visibility: () => tab.evaluate(() => document.visibilityState),
  started: () => tab.evaluate(() => typeof (window as unknown as Partial<TabWindow>).tab === 'object' && (window as unknown as TabWindow).tab.started),
  until: (fn: () => unknown, what: string, timeout = 10_000) => tab.waitFor(fn, null, { timeout, what }),
});

export function sharedTabsSuite(engine: EngineName): void {
  if (!selectedEngines().includes(engine)) return;

  describe(`shared connection across tabs (${ENGINE_LABELS[engine]})`, { timeout: 120_000 }, () => {
    let pages: PageServer;
    let otherOrigin: PageServer;
    let browser: BrowserTabs;
    /** Tabs a test opened; closed after it. */
    let open: BrowserTab[] = [];
    let server: TestServer;

    before(async () => {
      const html = { '/tab.html': TAB_PAGE, '/other.html': OTHER_PAGE };
      pages = await startPageServer(html);
      otherOrigin = await startPageServer(html);
      browser = await openTabs(engine, { width: 800, height: 600 });
    });

    after(async () => {
      for (const tab of open.splice(0)) await tab.close().catch(() => undefined);
      await server?.close();
      await browser?.close();
      await pages?.close();
      await otherOrigin?.close();
    });

    /** A fresh ws server per test, so that its connection counts are the test's own. */
    const fresh = async () => {
      for (const tab of open.splice(0)) await tab.close().catch(() => undefined);
      await server?.close();
      server = await startTestServer();
    };

    /** Opens a tab and starts a shared connection in it. */
    const tabWith = async (options: Partial<StartOptions> = {}, origin: PageServer = pages): Promise<BrowserTab> => {
      const tab = await browser.open(origin.url('/tab.html'));
      open.push(tab);
      await api(tab).until(() => typeof (window as unknown as Partial<TabWindow>).tab === 'object', 'the tab page');
      await api(tab).start({ url: server.url('/echo'), ...options });
      return tab;
    };

    const allOpen = (tabs: BrowserTab[]) => Promise.all(tabs.map((tab) => api(tab).until(() => (window as unknown as TabWindow).tab.state === 'open', 'open')));
    const roles = (tabs: BrowserTab[]) => Promise.all(tabs.map((tab) => api(tab).role()));
    /** Waits until every send of `tab` settled; returns the log. */
    const settled = async (tab: BrowserTab, timeout = 15_000): Promise<TabLog> => {
      await tab.waitFor(() => Object.values((window as unknown as TabWindow).tab.log.sends).every((outcome) => outcome !== 'pending'), null, { timeout, what: 'every send settled' });
      return api(tab).log();
    };
    const serverGot = (prefix: string) => server.received.filter((message) => message.startsWith(`${prefix}:`));
    const labels = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, index) => `${prefix}:${from + index}`);

    it('three tabs, one server connection: each send reaches the server once, each tab gets every inbound message (a filter keeps its own); tabs of another key or origin never share it', async () => {
      await fresh();
      const tabs = [await tabWith(), await tabWith(), await tabWith({ only: 'C:' })];
      await allOpen(tabs);
      assert.deepEqual((await roles(tabs)).sort(), ['follower', 'follower', 'leader']);
      assert.equal(server.connections, 1);
      assert.equal(server.totalConnections, 1);
      for (const [index, prefix] of ['A', 'B', 'C'].entries()) await api(tabs[index]!).send(prefix, 0, 3);
      for (const tab of tabs) await settled(tab);
      assert.deepEqual([...server.received].sort(), [...labels('A', 0, 3), ...labels('B', 0, 3), ...labels('C', 0, 3)].sort());
      // The test server echoes: the one socket receives 9 messages, every tab gets them (C only its own).
      await api(tabs[0]!).until(() => (window as unknown as TabWindow).tab.log.messages.length === 9, 'nine echoes');
      await api(tabs[1]!).until(() => (window as unknown as TabWindow).tab.log.messages.length === 9, 'nine echoes');
      await api(tabs[2]!).until(() => (window as unknown as TabWindow).tab.log.messages.length === 3, 'three echoes');
      assert.deepEqual((await api(tabs[2]!).log()).messages, labels('C', 0, 3));
      assert.equal(server.totalConnections, 1);
      for (const tab of tabs) assert.deepEqual(await tab.errors(), []);
      // A tab of another key, and one of the same key from another origin: each leads its own connection.
      const apart = [await tabWith({ key: 'other' }), await tabWith({}, otherOrigin)];
      await allOpen(apart);
      assert.deepEqual(await roles(apart), ['leader', 'leader']);
      assert.deepEqual((await roles(tabs)).sort(), ['follower', 'follower', 'leader'], 'the first three still share theirs');
      assert.equal(server.connections, 3);
    });

    it('the leader tab closed mid-stream: another tab takes over within the bound; nothing is lost or sent twice', async () => {
      await fresh();
      // The first tab leads, with a zero high-water mark: each message waits in it until the one before left the socket buffer (polled
      // every 50 ms), so it holds messages of every tab when it goes. (The next leader has the default: a hidden tab's polls are slow.)
      const tabs = [await tabWith({ highWaterMark: 0 }), await tabWith(), await tabWith()];
      await allOpen(tabs);
      assert.deepEqual(await roles(tabs), ['leader', 'follower', 'follower']);
      const leader = tabs[0]!;
      const followers = tabs.filter((tab) => tab !== leader);
      const prefixes = ['F1', 'F2'];
      let closedAt = 0;
      // Rounds of five messages from every tab; the leader's tab closes after round 4, the rounds go on.
      for (let round = 0; round < 10; round++) {
        for (const [index, tab] of followers.entries()) await api(tab).send(prefixes[index]!, round * 5, round * 5 + 5);
        if (round < 4) await api(leader).send('L', round * 5, round * 5 + 5);
        if (round === 3) {
          const waiting = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as unknown as TabWindow).tab.pending)));
          assert.ok(waiting.every((count) => count > 0), `every tab has sends the leader holds when it goes (${waiting})`);
          closedAt = Date.now();
          await leader.close();
          open = open.filter((tab) => tab !== leader);
        }
      }
      const logs = await Promise.all(followers.map((tab) => settled(tab)));
      for (const [index, log] of logs.entries()) {
        const prefix = prefixes[index]!;
        assert.deepEqual(Object.values(log.sends).filter((outcome) => outcome !== 'ok'), [], `every send of ${prefix} resolved`);
        assert.deepEqual(serverGot(prefix), labels(prefix, 0, 50), `${prefix}: each message once, in order`);
      }
      // The closed tab's own messages: those its socket had not taken went to the next leader with its goodbye.
      const wire = logs.map((log) => log.wire.filter((entry) => entry.t >= closedAt));
      assert.deepEqual(serverGot('L'), labels('L', 0, 20), `the closed tab's messages: each once, in order (hand-over seen by the tabs: ${JSON.stringify(wire)})`);
      // Takeover: from the close to the new socket open, as the remaining tabs saw it.
      const reopened = logs.map((log) => log.events.find((event) => event.type === 'open' && event.t >= closedAt)?.t ?? Infinity);
      const takeover = Math.min(...reopened) - closedAt;
      console.log(`# ${ENGINE_LABELS[engine]}: takeover after the leader tab closed: ${takeover} ms`);
      // What the closed tab's pagehide listeners did, as it told the others (a Firefox close can cut one short: see README, Browsers).
      const told = logs[0]!.wire.map((entry) => /"lifelinePagehide":(\[[^\]]*\])/.exec(entry.type)?.[1]).find(Boolean);
      console.log(`# ${ENGINE_LABELS[engine]}: the closed leader's pagehide listeners: ${told ?? 'not reported'}`);
      assert.ok(takeover <= TAKEOVER_BOUND, `takeover ${takeover} ms, bound ${TAKEOVER_BOUND} ms`);
      assert.deepEqual((await roles(followers)).sort(), ['follower', 'leader']);
      for (const log of logs) assert.equal(log.events.find((event) => event.type === 'close' && event.t >= closedAt)?.code, 1001, 'seen as the leader tab going away');
      assert.equal(server.connections, 1);
      assert.equal(server.totalConnections, 2);
    });

    it("a leader tab unloading whose first pagehide listener is cut short (as Firefox may do): the second passes the tab's messages on", async () => {
      await fresh();
      // Zero high-water mark: the leader's messages wait in it, one leaving the socket buffer per 50 ms poll.
      const tabs = [await tabWith({ highWaterMark: 0, cutFirstPagehide: true }), await tabWith()];
      await allOpen(tabs);
      assert.deepEqual(await roles(tabs), ['leader', 'follower']);
      const [leader, follower] = tabs as [BrowserTab, BrowserTab];
      await api(leader).send('L', 0, 10);
      assert.ok((await leader.evaluate(() => (window as unknown as TabWindow).tab.pending)) > 0, 'the leader holds some of its messages when it goes');
      // The page's pagehide (for good) dispatched in it: a real close could also cancel the second listener in Firefox (one cut is what
      // the tabs were seen to suffer; the test above closes tabs for real).
      await leader.evaluate(() => (window as unknown as TabWindow).tab.pagehide());
      assert.deepEqual(await leader.evaluate(() => (window as unknown as TabWindow).tab.lifelinePagehide.map((entry) => entry.split(' ')[0])), ['first', 'start', 'returned']);
      await api(follower).until(() => (window as unknown as TabWindow).tab.role === 'leader', 'the other tab leads');
      const end = Date.now() + 10_000;
      while (serverGot('L').length < 10 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(serverGot('L'), labels('L', 0, 10), 'each once, in order');
      assert.equal(server.totalConnections, 2);
    });

    it('back/forward: the leader navigates away (a follower takes over) and back (restored or reloaded, it follows); one socket', async () => {
      await fresh();
      const tabs = [await tabWith(), await tabWith()];
      await allOpen(tabs);
      const [leader, follower] = (await roles(tabs))[0] === 'leader' ? [tabs[0]!, tabs[1]!] : [tabs[1]!, tabs[0]!];
      await leader.goto(pages.url('/other.html'));
      await api(follower).until(() => (window as unknown as TabWindow).tab.role === 'leader', 'the other tab leads');
      await allOpen([follower]);
      await leader.back();
      await api(leader).until(() => typeof (window as unknown as Partial<TabWindow>).tab === 'object', 'the tab page again');
      // Restored from the back/forward cache (Chromium, WebKit), the page still has its connection and rejoins; loaded anew (Firefox: a page
      // that held or asked for a Web Lock is never cached there), it starts one.
      const restored = await api(leader).started();
      console.log(`# ${ENGINE_LABELS[engine]}: back/forward cache ${restored ? 'restored the page' : 'reloaded the page'}`);
      // Chromium evicts a cached page that a channel message reaches: a tab that leaves closes its channel, so it stays cached.
      assert.equal(restored, engine !== 'firefox', 'restored from the back/forward cache where the engine allows it');
      if (!restored) await api(leader).start({ url: server.url('/echo') });
      await allOpen([leader]);
      assert.equal(await api(leader).role(), 'follower');
      await api(leader).send('back', 0, 3);
      await settled(leader);
      assert.deepEqual(serverGot('back'), labels('back', 0, 3));
      assert.equal(server.connections, 1);
      assert.equal(server.totalConnections, 2);
    });

    it('visibility: a hidden leader keeps serving; a follower coming into view wakes it out of a long backoff', async () => {
      await fresh();
      // A retry delay of 0.99 × 30 s after a drop: only a wake-up makes it dial sooner.
      const options = { minDelay: 30_000, maxDelay: 30_000, jitter: 0.99 };
      const tabs = [await tabWith(options), await tabWith(options), await tabWith(options)];
      await allOpen(tabs);
      const leaderIndex = (await roles(tabs)).indexOf('leader');
      const leader = tabs[leaderIndex]!;
      const waker = tabs.find((tab, index) => index !== leaderIndex && index !== 2) ?? tabs[2]!;
      // The leader and the waker hidden: in a tabbed browser by showing another tab; MiniBrowser minimizes their windows.
      const front = tabs.find((tab) => tab !== leader && tab !== waker)!;
      await front.show();
      if (leader.hide) await leader.hide();
      if (waker.hide) await waker.hide();
      assert.equal(await api(leader).visibility(), 'hidden');
      assert.equal(await api(waker).visibility(), 'hidden');
      await api(waker).send('hidden', 0, 3);
      await settled(waker);
      assert.deepEqual(serverGot('hidden'), labels('hidden', 0, 3), 'a hidden leader serves a hidden follower');
      // Drop the socket: the leader waits 29.7 s to retry; a follower coming into view wakes it now.
      server.drop();
      await api(waker).until(() => (window as unknown as TabWindow).tab.state === 'waiting', 'waiting to retry');
      const shown = Date.now();
      await waker.show();
      assert.equal(await api(waker).visibility(), 'visible');
      await allOpen(tabs);
      const back = Date.now() - shown;
      assert.ok(back < 10_000, `open again ${back} ms after the follower came into view`);
      assert.equal(server.connections, 1);
      const leaderLog = await api(leader).log();
      assert.deepEqual(leaderLog.roles.map((entry) => entry.role), ['leader'], 'no takeover while hidden');
    });

    it('the demo with ?shared: one socket for its two tabs, the leader tab marked, the takeover shown when it closes', async () => {
      await fresh();
      const root = resolve(import.meta.dirname, '../../..');
      const demo = (await import(pathToFileURL(join(root, 'demo/server.mjs')).href)) as {
        startDemoServer(options: { port: number }): Promise<{ url: string; stats(): { connections: unknown[] }; close(): Promise<void> }>;
      };
      const demoServer = await demo.startDemoServer({ port: 0 });
      try {
        const tabs: BrowserTab[] = [];
        for (let index = 0; index < 2; index++) {
          const tab = await browser.open(`${demoServer.url}?shared`);
          open.push(tab);
          tabs.push(tab);
        }
        const badge = (tab: BrowserTab) => tab.evaluate(() => document.querySelector('[data-testid="role"]')!.textContent!);
        for (const tab of tabs) {
          await tab.waitFor(() => /server sees 1 socket$/.test(document.querySelector('[data-testid="role"]')!.textContent!), null, { timeout: 15_000, what: 'the role badge' });
        }
        const badges = await Promise.all(tabs.map(badge));
        assert.deepEqual(badges.map((text) => text.split(' · ')[0]).sort(), ['follower tab', '★ leader tab']);
        assert.equal(demoServer.stats().connections.length, 1);
        const leader = tabs[badges.findIndex((text) => text.startsWith('★'))]!;
        const rest = tabs.filter((tab) => tab !== leader);
        await leader.close();
        open = open.filter((tab) => tab !== leader);
        for (const tab of rest) {
          await tab.waitFor(() => /closed 1001 "leader tab (left|gone)"/.test(document.querySelector('[data-testid="log"]')!.textContent!), null, { timeout: 10_000, what: 'the takeover in the log' });
          await tab.waitFor(() => (document.querySelector('[data-testid="state"]') as HTMLElement).dataset.state === 'open', null, { timeout: 10_000, what: 'open again' });
        }
        const after = await Promise.all(rest.map(badge));
        assert.equal(after.filter((text) => text.startsWith('★ leader tab')).length, 1, 'the other tab leads now');
        assert.equal(demoServer.stats().connections.length, 1);
        for (const tab of rest) assert.deepEqual(await tab.errors(), []);
      } finally {
        for (const tab of open.splice(0)) await tab.close().catch(() => undefined);
        await demoServer.close();
      }
    });

    if (engine === 'chromium') {
      it('the leader crashes (CDP Page.crash): another tab takes over; nothing is lost, what was answered is not sent again', async () => {
        await fresh();
        const tabs = [await tabWith(), await tabWith(), await tabWith()];
        await allOpen(tabs);
        const leader = tabs[(await roles(tabs)).indexOf('leader')]!;
        const followers = tabs.filter((tab) => tab !== leader);
        // Answered before the crash: never sent again.
        await api(followers[0]!).send('answered', 0, 10);
        await settled(followers[0]!);
        // In flight when the leader dies: a crash can take the leader's answers with it (its socket took them, its
        // acknowledgements never left the dead renderer), so these may go out twice, never not at all.
        await api(followers[0]!).send('inflight', 0, 10);
        const crashedAt = Date.now();
        await leader.lifecycle!.crash();
        // Sent while no tab leads: once, to the next leader.
        await api(followers[1]!).send('during', 0, 10);
        const logs = [await settled(followers[0]!), await settled(followers[1]!)];
        assert.deepEqual(serverGot('answered'), labels('answered', 0, 10));
        assert.deepEqual(serverGot('during'), labels('during', 0, 10));
        const inflight = serverGot('inflight');
        assert.deepEqual([...new Set(inflight)].sort(), labels('inflight', 0, 10).sort(), 'nothing in flight lost');
        console.log(`# Chromium: ${inflight.length - 10} of 10 messages in flight at the crash went out twice`);
        const takeover = Math.min(...logs.map((log) => log.events.find((event) => event.type === 'open' && event.t >= crashedAt)?.t ?? Infinity)) - crashedAt;
        console.log(`# Chromium: takeover after the leader tab crashed: ${takeover} ms`);
        assert.ok(takeover <= TAKEOVER_BOUND, `takeover ${takeover} ms`);
        open = open.filter((tab) => tab !== leader);
        await leader.close().catch(() => undefined);
      });

      it('the leader is frozen (Page Lifecycle freeze): it steps down, another tab takes over; resumed, it follows', async () => {
        await fresh();
        const tabs = [await tabWith(), await tabWith()];
        await allOpen(tabs);
        const leader = tabs[(await roles(tabs)).indexOf('leader')]!;
        const follower = tabs.find((tab) => tab !== leader)!;
        const frozenAt = Date.now();
        await leader.lifecycle!.freeze();
        await api(follower).until(() => (window as unknown as TabWindow).tab.role === 'leader', 'takeover');
        await allOpen([follower]);
        const log = await api(follower).log();
        const takeover = log.events.find((event) => event.type === 'open' && event.t >= frozenAt)!.t - frozenAt;
        console.log(`# Chromium: takeover after the leader tab was frozen: ${takeover} ms`);
        assert.ok(takeover <= TAKEOVER_BOUND);
        await leader.lifecycle!.resume();
        await allOpen([leader]);
        assert.equal(await api(leader).role(), 'follower');
        assert.equal(server.connections, 1);
        await api(leader).send('resumed', 0, 2);
        await settled(leader);
        assert.deepEqual(serverGot('resumed'), labels('resumed', 0, 2));
      });
    }
  });
}
