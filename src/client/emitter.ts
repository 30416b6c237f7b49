/**
 * The client's typed events, on mitt, with the two guarantees the client
 * promises its users:
 *
 * 1. **Order.** Events are queued while the client changes state and handed
 *    out only when the outermost operation is complete, one event to every
 *    handler before the next event. A handler that calls back into the
 *    client (say `terminate()` on `open`) queues its events behind the
 *    current one: every other handler still sees `open` before `close` and
 *    `end`. Only the outermost `run()` drains the queue; a nested one (also
 *    one started by a handler during the drain) only queues.
 * 2. **Isolation.** A handler that throws cannot stop the other handlers or
 *    leave the client half-updated: its error is queued as an `error` event
 *    (behind the current one), or, when it came from an `error` handler or
 *    nobody listens to `error`, rethrown asynchronously so it is never
 *    swallowed.
 *
 * Owns: the event queue, dispatch, on/once/off. Knows nothing of the
 * client's events beyond the name `error`.
 * Imports: mitt only (it keeps the handlers).
 */
import mittFactory from 'mitt';

// mitt ships CJS-shaped typings; at run time the ESM build's default export is the factory.
const mitt = mittFactory as unknown as typeof mittFactory.default;

/** A handler of one event type. */
export type Handler<T> = (event: T) => void;

export interface Emitter<Events extends { error: unknown }> {
  /** Subscribes `handler` to `type`; returns the function that unsubscribes it. */
  on<K extends keyof Events & string>(type: K, handler: Handler<Events[K]>): () => void;
  /** Like `on()`, for the next event of `type` only (unsubscribe with the returned function). */
  once<K extends keyof Events & string>(type: K, handler: Handler<Events[K]>): () => void;
  /** Unsubscribes `handler` from `type`, one subscription per call, the oldest first, whether `on()` or `once()` made it (no-op when it is not subscribed). */
  off<K extends keyof Events & string>(type: K, handler: Handler<Events[K]>): void;
  /** Queues an event; handlers get it when the outermost `run()` finishes. */
  emit<K extends keyof Events & string>(type: K, payload: Events[K]): void;
  /** Runs `operation`; when it is the outermost one, hands out the events it queued (and any they cause) in order. */
  run<R>(operation: () => R): R;
  /** The same, passing two arguments on: a hot path (every received message) then needs no closure per call. */
  run<A, B, R>(operation: (first: A, second: B) => R, first: A, second: B): R;
}

/**
 * How many handed-out queue entries are kept for reuse: more than one operation usually queues (an open with its
 * state change and the messages sent from its handler), few enough that a connection keeps at most about 1 KiB of
 * them after a long burst (an idle one keeps only the few its opening events used).
 */
const KEPT_ENTRIES = 32;

/** An event waiting to be handed out. */
interface PendingEvent {
  type: string;
  payload: unknown;
}

export function createEmitter<Events extends { error: unknown }>(): Emitter<Events> {
  // mitt keeps the handlers; the emitter hands out events itself, one handler at a time.
  const bus = mitt<Record<string, unknown>>();
  /**
   * Events waiting to be handed out: `queue[next]` to `queue[queued - 1]`, oldest first. An entry is
   * reused once handed out (the queue starts again at 0 after each outermost `run()`), so a stream of
   * messages allocates nothing here: every message is an event, and garbage per message is what a busy
   * page pays for in collections.
   */
  const queue: PendingEvent[] = [];
  let next = 0;
  let queued = 0;
  /**
   * The handler each `once()` wrapper calls, so that `off(type, handler)` can find the wrapper in mitt's list.
   * Weak, and keyed by the wrapper: mitt's list is then the only thing that holds a subscription, so however
   * one ends (the returned function, `off()`, the event) nothing of it is left behind.
   */
  const handlerOfOnce = new WeakMap<Handler<unknown>, Handler<unknown>>();
  /** `run()` calls in progress. */
  let depth = 0;
  let draining = false;

  const enqueue = (type: string, payload: unknown): void => {
    const entry = queue[queued];
    if (entry) {
      entry.type = type;
      entry.payload = payload;
    } else queue.push({ type, payload });
    queued++;
  };

  const call = (handler: Handler<unknown>, type: string, payload: unknown): void => {
    try {
      handler(payload);
    } catch (error) {
      if (type !== 'error' && bus.all.get('error')?.length) enqueue('error', error);
      else
        queueMicrotask(() => {
          throw error;
        });
    }
  };

  const dispatch = (type: string, payload: unknown): void => {
    // mitt leaves an empty list behind when the last handler of a type goes.
    const subscribed = bus.all.get(type) as Handler<unknown>[] | undefined;
    if (!subscribed?.length) return;
    // Several handlers are called from a copy: a handler may subscribe and unsubscribe while they run. A lone one needs none.
    if (subscribed.length === 1) call(subscribed[0]!, type, payload);
    else for (const handler of subscribed.slice()) call(handler, type, payload);
  };

  /** Hands out the queued events in order, the ones their handlers queue included. */
  const drain = (): void => {
    draining = true;
    try {
      while (next < queued) {
        const entry = queue[next]!;
        next++;
        const { type, payload } = entry;
        entry.payload = undefined; // handed out: the queue keeps no message alive
        dispatch(type, payload);
      }
    } finally {
      draining = false;
      if (next === queued) {
        next = 0;
        queued = 0;
        if (queue.length > KEPT_ENTRIES) queue.length = KEPT_ENTRIES; // a long burst's entries are not kept for the rest of the connection's life
      }
    }
  };

  const emitter: Emitter<Events> = {
    on(type, handler) {
      bus.on(type, handler as Handler<unknown>);
      // This registration, never a once() subscription of the same handler (off() takes the oldest of either).
      return () => bus.off(type, handler as Handler<unknown>);
    },
    // once() with a handler that is already subscribed adds a subscription, as on() does: the handler runs once for
    // each on the next event, each returned function ends its own, and off() ends one per call.
    once(type, handler) {
      const wrapper: Handler<unknown> = (payload) => {
        bus.off(type, wrapper);
        (handler as Handler<unknown>)(payload);
      };
      handlerOfOnce.set(wrapper, handler as Handler<unknown>);
      bus.on(type, wrapper);
      return () => bus.off(type, wrapper);
    },
    off(type, handler) {
      // Without a function there is nothing to find (and an on() entry would match `undefined` in handlerOfOnce).
      if (typeof handler !== 'function') return;
      const subscriptions = bus.all.get(type) as Handler<unknown>[] | undefined;
      const subscription = subscriptions?.find((entry) => entry === handler || handlerOfOnce.get(entry) === handler);
      if (subscription) bus.off(type, subscription);
    },
    emit(type, payload) {
      enqueue(type, payload);
    },
    run<A, B, R>(operation: (first?: A, second?: B) => R, first?: A, second?: B): R {
      depth++;
      try {
        return operation(first, second);
      } finally {
        depth--;
        if (depth === 0 && !draining) drain();
      }
    },
  };
  return emitter;
}
