/**
 * The emitter (src/client/emitter.ts) on its own: events queued during an
 * operation reach handlers only when the outermost run() ends, one event to
 * every handler before the next; a handler's throw goes to `error` handlers
 * or is rethrown asynchronously.
 */
import { describe, it, equal, deepEqual } from '../support/harness.js';
import { createEmitter } from '../../src/client/emitter.js';

type Events = { a: number; b: string; error: unknown };

describe('emitter', () => {
  it('hands out nothing until the outermost run() ends, then every event in order', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    e.on('a', (n) => seen.push(`a${n}`));
    e.on('b', (s) => seen.push(`b${s}`));
    e.run(() => {
      e.emit('a', 1);
      e.run(() => e.emit('b', 'x'));
      equal(seen.length, 0, 'a nested run() does not drain');
      e.emit('a', 2);
    });
    deepEqual(seen, ['a1', 'bx', 'a2']);
  });

  it('a handler that emits (through a run) during the drain: its events come after the current one reaches every handler', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    e.on('a', () => e.run(() => e.emit('b', 'from-first-handler')));
    e.on('a', () => seen.push('second handler got a'));
    e.on('b', (s) => seen.push(`b:${s}`));
    e.run(() => e.emit('a', 1));
    deepEqual(seen, ['second handler got a', 'b:from-first-handler']);
  });

  it('a throwing handler: the others still run; the error becomes an error event after the current one', () => {
    const e = createEmitter<Events>();
    const seen: unknown[] = [];
    e.on('a', () => {
      throw new Error('boom');
    });
    e.on('a', (n) => seen.push(n));
    e.on('error', (err) => seen.push((err as Error).message));
    e.run(() => {
      e.emit('a', 1);
      e.emit('a', 2);
    });
    deepEqual(seen, [1, 2, 'boom', 'boom']);
  });

  it('without error handlers, or from an error handler, a throw is rethrown asynchronously, never swallowed', () => {
    const e = createEmitter<Events>();
    const g = globalThis as { queueMicrotask: (f: () => void) => void };
    const real = g.queueMicrotask;
    const scheduled: (() => void)[] = [];
    g.queueMicrotask = (f) => void scheduled.push(f);
    try {
      e.on('a', () => {
        throw new Error('unheard');
      });
      e.on('error', () => {
        throw new Error('from the error handler');
      });
      e.run(() => e.emit('a', 1));
    } finally {
      g.queueMicrotask = real;
    }
    const thrown = scheduled.map((f) => {
      try {
        f();
      } catch (err) {
        return (err as Error).message;
      }
      return 'nothing';
    });
    deepEqual(thrown, ['from the error handler']);
  });

  it('on() returns its unsubscribe; once() fires once; off() removes', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    const off = e.on('a', () => seen.push('on'));
    e.once('a', () => seen.push('once'));
    const h = () => seen.push('off');
    e.on('a', h);
    e.off('a', h);
    e.run(() => e.emit('a', 1));
    off();
    e.run(() => e.emit('a', 2));
    deepEqual(seen, ['on', 'once']);
  });

  it('once() twice with the same handler: two subscriptions, as on() twice; off() ends one per call', () => {
    const e = createEmitter<Events>();
    const seen: number[] = [];
    const handler = (n: number) => void seen.push(n);
    e.once('a', handler);
    e.once('a', handler);
    e.off('a', handler);
    e.off('a', handler);
    e.run(() => e.emit('a', 1));
    deepEqual(seen, [], 'two off() calls ended both');
    e.once('a', handler);
    const endSecond = e.once('a', handler);
    e.once('a', handler);
    endSecond();
    e.off('a', handler);
    e.run(() => e.emit('a', 2));
    deepEqual(seen, [2], 'the returned function ended its own, off() the oldest, the third ran');
    e.once('a', handler);
    e.once('a', handler);
    e.run(() => {
      e.emit('a', 3);
      e.emit('a', 4);
    });
    deepEqual(seen, [2, 3, 3], 'each runs once, for the next event only');
  });

  it("on()'s unsubscribe ends that registration only, not a once() of the same handler", () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    const handler = (n: number) => void seen.push(`${n}`);
    e.once('a', handler);
    const unsubscribe = e.on('a', handler);
    unsubscribe();
    e.run(() => {
      e.emit('a', 1);
      e.emit('a', 2);
    });
    deepEqual(seen, ['1']);
  });

  it('off() without a handler (plain JavaScript) removes nothing', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    e.on('a', (n) => void seen.push(`first ${n}`));
    e.once('a', (n) => void seen.push(`once ${n}`));
    e.off('a', undefined as never);
    e.run(() => e.emit('a', 1));
    deepEqual(seen, ['first 1', 'once 1']);
  });

  it('run() returns what the operation returns and drains even when it throws', () => {
    const e = createEmitter<Events>();
    const seen: number[] = [];
    e.on('a', (n) => seen.push(n));
    equal(e.run(() => 7), 7);
    let caught = '';
    try {
      e.run(() => {
        e.emit('a', 1);
        throw new Error('operation failed');
      });
    } catch (err) {
      caught = (err as Error).message;
    }
    equal(caught, 'operation failed');
    deepEqual(seen, [1]);
  });
  it('a lone handler that subscribes another while it runs: the new one starts with the next event, as with several', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    const late = (n: number) => seen.push(`late ${n}`);
    let subscribed = false;
    e.on('a', (n) => {
      seen.push(`lone ${n}`);
      if (!subscribed) e.on('a', late);
      subscribed = true;
    });
    e.run(() => e.emit('a', 1));
    e.run(() => e.emit('a', 2));
    deepEqual(seen, ['lone 1', 'lone 2', 'late 2']);
  });

  it('bursts of different lengths, one after another: every event once, in order (the queue reuses its entries)', () => {
    const e = createEmitter<Events>();
    const seen: (number | string)[] = [];
    e.on('a', (n) => seen.push(n));
    e.on('b', (s) => seen.push(s));
    const burst = (from: number, count: number) =>
      e.run(() => {
        for (let i = from; i < from + count; i++) e.emit('a', i);
      });
    burst(0, 5);
    burst(5, 2);
    // A handler that queues more while the queue is being handed out: behind the rest, in the same drain.
    e.once('a', () => e.run(() => e.emit('b', 'queued by a handler')));
    burst(7, 3);
    burst(10, 1);
    deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'queued by a handler', 10]);
  });
  it('bursts longer than the entries kept for reuse (32), with a handler queueing more during the drain, then short and long again: every event once, in order', () => {
    const e = createEmitter<Events>();
    const seen: (number | string)[] = [];
    e.on('a', (n) => {
      seen.push(n);
      if (n === 10) e.run(() => e.emit('b', 'queued at 10'));
    });
    e.on('b', (s) => seen.push(s));
    const expected: (number | string)[] = [];
    let from = 0;
    for (const count of [40, 3, 35]) {
      e.run(() => {
        for (let i = from; i < from + count; i++) e.emit('a', i);
      });
      for (let i = from; i < from + count; i++) expected.push(i);
      if (from === 0) expected.push('queued at 10'); // behind the rest of its burst
      from += count;
    }
    deepEqual(seen, expected);
  });

  it('run() hands two arguments on to the operation and returns its result', () => {
    const e = createEmitter<Events>();
    equal(
      e.run((first: number, second: string) => `${first}:${second}`, 7, 'seven'),
      '7:seven',
    );
  });

  it('an event whose last handler has gone reaches nobody and disturbs nothing', () => {
    const e = createEmitter<Events>();
    const seen: number[] = [];
    const off = e.on('a', (n) => seen.push(n));
    off(); // mitt keeps an empty list for the type
    e.once('a', (n) => seen.push(n * 10));
    e.run(() => {
      e.emit('a', 1);
      e.emit('a', 2);
    });
    deepEqual(seen, [10]);
  });
});
