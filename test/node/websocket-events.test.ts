/**
 * The light event target of the Node WebSocket (src/transport/node/events.ts)
 * follows DOM §2.7-2.9 where it is observable: order of registration,
 * handler attributes keeping their slot, `once`, `signal`, duplicates,
 * listeners added or removed during dispatch, stopImmediatePropagation,
 * handleEvent objects, and the WHATWG event shapes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloseEvent, ErrorEvent, Event, LightEventTarget, MessageEvent } from '../../src/transport/node/events.js';

function fire(t: LightEventTarget, type: string): void {
  t._dispatch(new MessageEvent(type, 'x'));
}

describe('LightEventTarget', () => {
  it('calls listeners in registration order; the handler attribute keeps its first slot when replaced', () => {
    const t = new LightEventTarget();
    const calls: string[] = [];
    t.addEventListener('message', () => calls.push('a'));
    t._setAttr('message', () => calls.push('attr1'));
    t.addEventListener('message', () => calls.push('b'));
    t._setAttr('message', () => calls.push('attr2'));
    fire(t, 'message');
    assert.deepEqual(calls, ['a', 'attr2', 'b']);
    t._setAttr('message', null);
    assert.equal(t._getAttr('message'), null);
    calls.length = 0;
    fire(t, 'message');
    assert.deepEqual(calls, ['a', 'b']);
    t._setAttr('message', 'not a function');
    assert.equal(t._getAttr('message'), null);
  });

  it('ignores duplicate listeners; removal by the same function; once; signal', () => {
    const t = new LightEventTarget();
    let n = 0;
    const f = () => n++;
    t.addEventListener('open', f);
    t.addEventListener('open', f);
    fire(t, 'open');
    assert.equal(n, 1);
    t.removeEventListener('open', f);
    fire(t, 'open');
    assert.equal(n, 1);
    t.addEventListener('open', f, { once: true });
    fire(t, 'open');
    fire(t, 'open');
    assert.equal(n, 2);
    const ac = new AbortController();
    t.addEventListener('open', f, { signal: ac.signal });
    ac.abort();
    fire(t, 'open');
    assert.equal(n, 2);
    t.addEventListener('open', f, { signal: AbortSignal.abort() });
    fire(t, 'open');
    assert.equal(n, 2);
    assert.equal(t._has('open'), false);
  });

  it('does not call listeners added during dispatch, nor those removed during it', () => {
    const t = new LightEventTarget();
    const calls: string[] = [];
    const late = () => calls.push('late');
    const removed = () => calls.push('removed');
    t.addEventListener('close', () => {
      calls.push('first');
      t.addEventListener('close', late);
      t.removeEventListener('close', removed);
    });
    t.addEventListener('close', removed);
    fire(t, 'close');
    assert.deepEqual(calls, ['first']);
    calls.length = 0;
    fire(t, 'close');
    assert.deepEqual(calls, ['first', 'late']);
  });

  it('keeps a lone listener without a list, and behaves the same as one grows into a list and empties again', () => {
    const t = new LightEventTarget();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    t.addEventListener('message', a);
    // Memory per idle connection: one listener per type is the entry itself, no array.
    assert.equal(Array.isArray(t._listeners!.message), false);
    t.addEventListener('message', a); // still a duplicate while alone
    fire(t, 'message');
    assert.deepEqual(calls, ['a']);
    t.addEventListener('message', b);
    assert.equal(Array.isArray(t._listeners!.message), true);
    t.removeEventListener('message', a);
    fire(t, 'message');
    t.removeEventListener('message', b);
    assert.equal(t._has('message'), false);
    fire(t, 'message');
    t.addEventListener('message', a);
    fire(t, 'message');
    assert.deepEqual(calls, ['a', 'b', 'a']);
    t.removeEventListener('message', a);
    assert.equal(t._has('message'), false);
    assert.equal(t._listeners!.message === undefined || (t._listeners!.message as unknown[]).length === 0, true);
  });

  it('a lone listener may remove itself or add another while it runs; the new one runs from the next event on', () => {
    const t = new LightEventTarget();
    const calls: string[] = [];
    const next = () => calls.push('next');
    const self = () => {
      calls.push('self');
      t.removeEventListener('open', self);
      t.addEventListener('open', next);
    };
    t.addEventListener('open', self);
    fire(t, 'open');
    assert.deepEqual(calls, ['self']);
    fire(t, 'open');
    assert.deepEqual(calls, ['self', 'next']);
    // A lone `once` listener that registers another: the other runs next time only.
    const u = new LightEventTarget();
    const seen: string[] = [];
    u.addEventListener('close', () => {
      seen.push('once');
      u.addEventListener('close', () => seen.push('after'));
    }, { once: true });
    fire(u, 'close');
    fire(u, 'close');
    assert.deepEqual(seen, ['once', 'after']);
    // A lone handler attribute: replaced in place, removed by null, set again.
    u._setAttr('error', () => seen.push('h1'));
    u._setAttr('error', () => seen.push('h2'));
    fire(u, 'error');
    u._setAttr('error', null);
    assert.equal(u._has('error'), false);
    u._setAttr('error', () => seen.push('h3'));
    u.dispatchEvent({ type: 'error' }); // a foreign event takes the other dispatch path
    assert.deepEqual(seen, ['once', 'after', 'h2', 'h3']);
  });

  it('in a list: a once listener runs once, and a foreign event skips a listener removed during its dispatch', () => {
    const t = new LightEventTarget();
    const calls: string[] = [];
    const b = () => calls.push('b');
    t.addEventListener('message', () => calls.push('once'), { once: true });
    t.addEventListener('message', () => {
      calls.push('a');
      t.removeEventListener('message', b);
    });
    t.addEventListener('message', b);
    fire(t, 'message');
    fire(t, 'message');
    assert.deepEqual(calls, ['once', 'a', 'a']);
    calls.length = 0;
    t.addEventListener('message', b);
    t.dispatchEvent({ type: 'message' });
    t.dispatchEvent({ type: 'message' });
    assert.deepEqual(calls, ['a', 'a']);
  });

  it('stopImmediatePropagation stops the remaining listeners; handleEvent objects are called', () => {
    const t = new LightEventTarget();
    const calls: string[] = [];
    t.addEventListener('error', { handleEvent: (e: Event) => calls.push(`obj:${e.type}`) });
    t.addEventListener('error', (e: Event) => {
      calls.push('stop');
      e.stopImmediatePropagation();
    });
    t.addEventListener('error', () => calls.push('never'));
    fire(t, 'error');
    assert.deepEqual(calls, ['obj:error', 'stop']);
  });

  it('supports any event type, and dispatches foreign events (Node Event) to them', () => {
    const t = new LightEventTarget();
    const seen: string[] = [];
    t.addEventListener('custom-type', (e: { type: string }) => seen.push(e.type));
    t.addEventListener('constructor', (e: { type: string }) => seen.push(e.type));
    assert.equal(t.dispatchEvent(new globalThis.Event('custom-type')), true);
    t.dispatchEvent({ type: 'constructor' });
    t.dispatchEvent({ type: 'toString' });
    assert.deepEqual(seen, ['custom-type', 'constructor']);
  });

  it('sets target/currentTarget during dispatch and `this` for function listeners', () => {
    const t = new LightEventTarget();
    let inside: unknown[] = [];
    t.addEventListener('message', function (this: unknown, e: Event) {
      inside = [this, e.target, e.currentTarget, e.eventPhase];
    });
    const ev = new MessageEvent('message', 1);
    t._dispatch(ev);
    assert.deepEqual(inside, [t, t, t, 2]);
    assert.equal(ev.currentTarget, null);
    assert.equal(ev.eventPhase, 0);
  });
});

describe('event shapes', () => {
  it('MessageEvent, CloseEvent and ErrorEvent carry the WHATWG fields', () => {
    const m = new MessageEvent('message', 'data');
    assert.deepEqual([m.type, m.data, m.origin, m.lastEventId, m.source, m.ports.length], ['message', 'data', '', '', null, 0]);
    assert.deepEqual([m.bubbles, m.cancelable, m.defaultPrevented, m.isTrusted], [false, false, false, true]);
    assert.equal(typeof m.timeStamp, 'number');
  });

  it('timeStamp is fixed by its first read (an event has one creation time, not the time of each read)', async () => {
    const m = new MessageEvent('message', 'data');
    const first = m.timeStamp;
    // Let the clock move on: performance.now() has sub-millisecond resolution in Node.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(performance.now() > first);
    assert.equal(m.timeStamp, first);
  });

  it('CloseEvent and ErrorEvent carry the WHATWG fields', () => {
    const c = new CloseEvent('close', 4000, 'why', true);
    assert.deepEqual([c.code, c.reason, c.wasClean], [4000, 'why', true]);
    const cause = new Error('boom');
    const e = new ErrorEvent('error', cause, 503, 1000);
    assert.deepEqual([e.error, e.message, e.status, e.retryAfterMs], [cause, 'boom', 503, 1000]);
  });
});
