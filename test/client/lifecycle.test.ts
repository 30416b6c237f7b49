import { describe, it, equal, ok, inNode } from '../support/harness.js';
import { browserLifecycle } from '../../src/client/lifecycle.js';
import { rig, NODE } from './fakes.js';
import { heartbeat } from '../../src/client/heartbeat.js';

/** EventTargets that count their listeners. */
function page() {
  const count = { n: 0 };
  const counted = <T extends EventTarget>(t: T): T => {
    const add = t.addEventListener.bind(t);
    const rem = t.removeEventListener.bind(t);
    t.addEventListener = (...a: Parameters<EventTarget['addEventListener']>) => (count.n++, add(...a));
    t.removeEventListener = (...a: Parameters<EventTarget['removeEventListener']>) => (count.n--, rem(...a));
    return t;
  };
  const win = counted(new EventTarget());
  const doc = counted(Object.assign(new EventTarget(), { visibilityState: 'visible' }));
  return { win, doc, count, lc: browserLifecycle(win, doc) };
}
const pageshow = (persisted: boolean) => Object.assign(new Event('pageshow'), { persisted });

describe('browser lifecycle', () => {
  it('online while waiting → retry now (no backoff wait)', async () => {
    const p = page();
    const r = rig({ minDelay: 60_000, maxDelay: 60_000 }, { lifecycle: p.lc, random: () => 0.99 });
    await r.settle();
    r.sock.end();
    equal(r.conn.state, 'waiting');
    p.win.dispatchEvent(new Event('online'));
    equal(r.conn.state, 'connecting');
    await r.settle();
    equal(r.sockets.length, 2);
    equal(r.clock.pending, 1, 'only the connect timeout; the backoff timer is gone');
  });

  it('page visible or restored from bfcache while waiting → retry now; hidden does nothing', async () => {
    const p = page();
    const r = rig({ minDelay: 60_000, maxDelay: 60_000 }, { lifecycle: p.lc, random: () => 0.99 });
    await r.settle();
    r.sock.end();
    p.doc.visibilityState = 'hidden';
    p.doc.dispatchEvent(new Event('visibilitychange'));
    equal(r.conn.state, 'waiting');
    p.win.dispatchEvent(pageshow(false)); // a normal load, not a bfcache restore
    equal(r.conn.state, 'waiting');
    p.doc.visibilityState = 'visible';
    p.doc.dispatchEvent(new Event('visibilitychange'));
    equal(r.conn.state, 'connecting');
    await r.settle();
    r.sock.end();
    p.win.dispatchEvent(pageshow(true));
    equal(r.conn.state, 'connecting');
  });

  it('an open client is probed on wake-up', async () => {
    const p = page();
    const r = rig({ heartbeat: heartbeat({ interval: 30_000, timeout: 1000, message: 'ping' }) }, { lifecycle: p.lc });
    const s = await r.openNow();
    p.win.dispatchEvent(new Event('online'));
    equal(s.sent.length, 1, 'probe sent at once');
    r.clock.advance(1000);
    equal(r.conn.state, 'waiting', 'dead peer found one timeout after waking');
  });

  it('an idle timeout (no message, nothing to probe with) is not shortened by a wake-up: a quiet but live connection stays', async () => {
    const p = page();
    const r = rig({ heartbeat: heartbeat({ interval: 3000, timeout: 300 }) }, { lifecycle: p.lc });
    const s = await r.openNow();
    r.clock.advance(1000);
    s.message('tick');
    p.win.dispatchEvent(new Event('online'));
    p.doc.dispatchEvent(new Event('visibilitychange'));
    equal(s.sent.length, 0, 'nothing to send');
    r.clock.advance(1000);
    equal(r.conn.state, 'open', 'no deadline from the wake-up');
    s.message('tick');
    r.clock.advance(3299);
    equal(r.conn.state, 'open');
    r.clock.advance(1);
    equal(r.conn.state, 'waiting', 'but silence for interval + timeout still ends it');
  });

  it('a wake-up probe whose message factory pauses reading leaves no deadline behind', async () => {
    const p = page();
    const pausing = () => {
      r.conn.pause();
      return 'ping';
    };
    const r = rig({ heartbeat: heartbeat({ interval: 30_000, timeout: 1000, message: pausing }) }, { lifecycle: p.lc, platform: NODE });
    const s = await r.openNow();
    p.win.dispatchEvent(new Event('online'));
    equal(s.sent.length, 1, 'probe sent');
    equal(s.paused, true, 'and reading paused by the factory');
    r.clock.advance(60_000);
    equal(r.conn.state, 'open', 'not judged while paused');
  });

  it('adds listeners once, removes all on close, re-adds on reconnect(), none after terminate', async () => {
    const p = page();
    const r = rig({}, { lifecycle: p.lc });
    equal(p.count.n, 3);
    await r.settle();
    r.sock.end();
    r.clock.advance(5000);
    equal(p.count.n, 3, 'not duplicated per attempt');
    r.conn.close();
    equal(p.count.n, 0);
    r.conn.reconnect();
    equal(p.count.n, 3);
    r.conn.terminate();
    equal(p.count.n, 0);
  });

  it('lifecycle: false opts out; no page → no lifecycle', async () => {
    const p = page();
    rig({ lifecycle: false }, { lifecycle: p.lc });
    equal(p.count.n, 0);
    equal(browserLifecycle({} as EventTarget, p.doc), undefined, 'not an EventTarget');
    equal(!!browserLifecycle(), !inNode, 'defaults to window/document in a page, none in Node');
    ok(p.lc);
  });
});
