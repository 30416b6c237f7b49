/**
 * Leader election with Web Locks (https://w3c.github.io/web-locks/): every
 * tab that takes part requests the same exclusive lock; the browser grants
 * it to one tab at a time, in request order, and releases it when that tab
 * lets go, or its document is unloaded or discarded, or its process dies.
 * Holding the lock is leading. The next tab in line is granted it as soon
 * as the holder is gone: this is what bounds a takeover after a tab
 * closes, navigates or crashes.
 *
 * A leader that is still there but no longer answers (a page stopped by
 * the browser without a `freeze` event, a hung main thread) keeps its
 * lock; for that case a follower can `steal()` it (Web Locks §3.1 `steal`):
 * the browser hands it the lock at once and the old holder's request
 * rejects with an AbortError, which it hears as `deposed`.
 *
 * Owns: one tab's campaign for one lock. Imports: nothing.
 */

/** The part of `navigator.locks` used here (injected: tests pass a fake). */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal; steal?: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

/** What the campaign tells its tab. */
export interface CampaignHooks {
  /** The lock is ours: lead. */
  elected(): void;
  /** Another tab stole the lock while we held it: stop leading (the campaign gets back in line by itself). */
  deposed(): void;
  /** The lock manager refused the request (document not fully active, lock names refused). */
  failed(error: unknown): void;
}

export interface Campaign {
  /** Take the lock from whoever holds it now (it is ours at once). */
  steal(): void;
  /** Leave the race: a pending request is withdrawn, a held lock released. No hook is called after this. */
  withdraw(): void;
}

/** Starts requesting lock `name` for this tab. */
export function campaign(locks: LockManagerLike, name: string, hooks: CampaignHooks): Campaign {
  let over = false;
  /** The request in force; an older one (withdrawn for a steal) is recognised by not being it. */
  let current: object | undefined;
  let pending: AbortController | undefined;
  let release: (() => void) | undefined;

  const ask = (steal: boolean): void => {
    const request = {};
    current = request;
    const controller = steal ? undefined : new AbortController();
    pending = controller;
    // A steal cannot be withdrawn with a signal (Web Locks §3.1 step 7: steal with signal is NotSupportedError); it is granted at once anyway.
    const options = controller ? { signal: controller.signal } : { steal: true };
    let held = false;
    locks
      .request(name, options, () => {
        if (over || current !== request) return undefined; // let go at once
        pending = undefined;
        held = true;
        return new Promise<void>((resolve) => {
          release = resolve;
          hooks.elected();
        });
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (over || current !== request) return; // our own withdrawal
          if ((error as Error)?.name !== 'AbortError') return hooks.failed(error);
          // Another tab stole the lock: from us (we led), or before our turn began.
          if (held) {
            release = undefined;
            hooks.deposed();
          }
          if (!over) ask(false); // back in line
        },
      );
  };

  ask(false);
  return {
    steal() {
      if (over || release) return; // already ours
      pending?.abort();
      ask(true);
    },
    withdraw() {
      if (over) return;
      over = true;
      pending?.abort();
      release?.();
      release = undefined;
    },
  };
}
