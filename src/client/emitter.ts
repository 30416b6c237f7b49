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
}

export function createEmitter<Events extends { error: unknown }>(): Emitter<Events> {
  // mitt keeps the handlers; the emitter hands out events itself, one handler at a time.
  const bus = mitt<Record<string, unknown>>();
  const queue: { type: string; payload: unknown }[] = [];
  /**
   * The handler each `once()` wrapper calls, so that `off(type, handler)` can find the wrapper in mitt's list.
   * Weak, and keyed by the wrapper: mitt's list is then the only thing that holds a subscription, so however
   * one ends (the returned function, `off()`, the event) nothing of it is left behind.
   */
  const handlerOfOnce = new WeakMap<Handler<unknown>, Handler<unknown>>();
  /** `run()` calls in progress. */
  let depth = 0;
  let draining = false;

  const dispatch = (type: string, payload: unknown): void => {
    // A copy: handlers may subscribe and unsubscribe while they run.
    for (const handler of bus.all.get(type)?.slice() ?? []) {
      try {
        (handler as Handler<unknown>)(payload);
      } catch (error) {
        if (type !== 'error' && bus.all.get('error')?.length) queue.push({ type: 'error', payload: error });
        else
          queueMicrotask(() => {
            throw error;
          });
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
      queue.push({ type, payload });
    },
    run(operation) {
      depth++;
      try {
        return operation();
      } finally {
        depth--;
        if (depth === 0 && !draining) {
          draining = true;
          try {
            for (let next = queue.shift(); next; next = queue.shift()) dispatch(next.type, next.payload);
          } finally {
            draining = false;
          }
        }
      }
    },
  };
  return emitter;
}
