// Tab-shared connection (`shared()`): how long the other tabs go without a
// socket when the leader tab goes away, in real browsers. A module benchmark
// of `npm run bench` (run.mjs), also runnable alone:
//
//   node test/bench/takeover.mjs [--quick]      (after npm run build)
//
// Per engine (LIFELINE_BROWSERS picks them, as in the tests): three tabs of
// one browser share a connection to a loopback ws server; the leader tab is
// closed (and, in Chromium, crashed through CDP) again and again, a new tab
// opened each time to keep three. Takeover = from just before the close to
// the first `open` of the new socket seen in a remaining tab (both on this
// machine's wall clock). An engine that cannot start here is reported, not
// measured. Uses the compiled test support (build/test/support) and dist/.
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const support = (file) => import(pathToFileURL(join(ROOT, 'build/test/support', file)).href);
const TAB_PAGE = '<!doctype html><title>tab</title><script type="module" src="/build/test/support/shared-tab.page.js"></script>';

const median = (list) => {
  const sorted = [...list].sort((low, high) => low - high);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const percentile = (list, rank) => [...list].sort((low, high) => low - high)[Math.min(list.length - 1, Math.ceil((rank / 100) * list.length) - 1)];

async function measureEngine(engine, rounds, { openTabs, startPageServer, startTestServer }) {
  const server = await startTestServer();
  const pages = await startPageServer({ '/tab.html': TAB_PAGE });
  let browser;
  const rows = [];
  try {
    browser = await openTabs(engine, { width: 800, height: 600 });
    const tabs = [];
    const open = async () => {
      const tab = await browser.open(pages.url('/tab.html'));
      await tab.waitFor(() => typeof window.tab === 'object', null, { timeout: 15_000, what: 'the tab page' });
      await tab.evaluate((url) => window.tab.start({ url }), server.url('/echo'));
      await tab.waitFor(() => window.tab.state === 'open', null, { timeout: 15_000, what: 'open' });
      tabs.push(tab);
    };
    for (let i = 0; i < 3; i++) await open();
    const kinds = [['leader tab closed', (tab) => tab.close()]];
    if (engine === 'chromium') kinds.push(['leader tab crashed', async (tab) => {
      await tab.lifecycle.crash();
      await tab.close().catch(() => undefined);
    }]);
    for (const [kind, end] of kinds) {
      const times = [];
      for (let round = 0; round < rounds; round++) {
        const roles = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.tab.role)));
        const leader = tabs[roles.indexOf('leader')];
        const rest = tabs.filter((tab) => tab !== leader);
        const before = server.totalConnections;
        const at = Date.now();
        await end(leader);
        tabs.splice(tabs.indexOf(leader), 1);
        for (const tab of rest) await tab.waitFor((since) => window.tab.log.events.some((event) => event.type === 'open' && event.t >= since), at, { timeout: 15_000, what: 'the new socket open' });
        const opened = await Promise.all(rest.map((tab) => tab.evaluate((since) => window.tab.log.events.find((event) => event.type === 'open' && event.t >= since).t, at)));
        times.push(Math.min(...opened) - at);
        if (server.totalConnections !== before + 1) throw new Error(`expected one new socket, the server saw ${server.totalConnections - before}`);
        await open();
      }
      rows.push({ engine, event: kind, rounds: String(times.length), 'median ms': median(times), 'p90 ms': percentile(times, 90), 'max ms': Math.max(...times), 'min ms': Math.min(...times) });
    }
  } catch (error) {
    rows.push({ engine, event: 'not measured', error: String(error?.message ?? error).split('\n')[0].slice(0, 160) });
  } finally {
    await browser?.close().catch(() => undefined);
    await pages.close();
    await server.close();
  }
  return rows;
}

/** Rows: per engine and kind of departure, takeover times in ms. */
export async function runTakeoverBench({ quick = false } = {}) {
  const { openTabs, selectedEngines } = await support('engines.js');
  const { startPageServer } = await support('page-server.js');
  const { startTestServer } = await support('test-server.js');
  const rounds = quick ? 4 : 12;
  const rows = [];
  for (const engine of selectedEngines()) rows.push(...(await measureEngine(engine, rounds, { openTabs, startPageServer, startTestServer })));
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { fmtGeneric } = await import('./report.mjs');
  const rows = await runTakeoverBench({ quick: process.argv.includes('--quick') });
  console.log(fmtGeneric(rows));
  process.exit(0);
}
