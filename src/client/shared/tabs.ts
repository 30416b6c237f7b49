/**
 * What the browser gives a shared connection (./shared.ts): Web Locks for
 * the election, a BroadcastChannel for the wire, the page lifecycle events
 * that tell a tab it leaves or comes back, and random ids. An interface
 * (`TabEnv`), so tests pass fake tabs instead.
 *
 * Owns: reading those from the browser's globals. Imports only types.
 */
import type { LockManagerLike } from './election.js';

/** The channel part of `BroadcastChannel` used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/** What the browser provides to a shared connection; injected so tests pass fakes. */
export interface TabEnv {
  /** `navigator.locks`, undefined where missing. */
  readonly locks: LockManagerLike | undefined;
  /** Opens a BroadcastChannel; undefined where missing. */
  readonly openChannel: ((name: string) => ChannelLike) | undefined;
  /**
   * Calls `leave(unloading)` when the page goes away (pagehide: `unloading`
   * unless it may come back from the back/forward cache; `freeze`), maybe
   * twice for one event (`leave` then does its work once: the second call
   * does only what a first call cut short did not), and
   * `back()` when it comes back (pageshow from the cache, `resume`).
   * Returns the function that stops watching.
   */
  watchPage(leave: (unloading: boolean) => void, back: () => void): () => void;
  /** A fresh random id for one tab's connection. */
  newId(): string;
}

/** The browser's Web Locks, BroadcastChannel and page lifecycle events. */
export function browserTabs(): TabEnv {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  const Channel = globalThis.BroadcastChannel;
  const win = globalThis.window as Window | undefined;
  const doc = globalThis.document as Document | undefined;
  return {
    locks,
    openChannel: Channel ? (name) => new Channel(name) : undefined,
    watchPage(leave, back) {
      if (!win?.addEventListener || !doc) return () => undefined;
      // pagehide: `persisted` says the page may come back from the back/forward cache (WHATWG HTML §7.4.6).
      const hide = (event: Event) => leave(!(event as PageTransitionEvent).persisted);
      // The same again, from a second listener: Firefox, closing a tab, can cancel the page script running at that moment and so cut
      // the first listener short, and it still runs the next one. `leave` does its work once. A function of its own: the same
      // function added twice is one listener.
      const hideAgain = (event: Event) => hide(event);
      const show = (event: Event) => (event as PageTransitionEvent).persisted && back();
      // Page Lifecycle (Chromium): `freeze` before the page is frozen or discarded in the background, `resume` after.
      const freeze = () => leave(false);
      const each = (method: 'addEventListener' | 'removeEventListener') => {
        win[method]('pagehide', hide);
        win[method]('pagehide', hideAgain);
        win[method]('pageshow', show);
        doc[method]('freeze', freeze);
        doc[method]('resume', back);
      };
      each('addEventListener');
      return () => each('removeEventListener');
    },
    newId: () => globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
  };
}
