/**
 * Browser page lifecycle as the client needs it: a wake-up signal when the
 * network comes back (`online`), the page becomes visible
 * (`visibilitychange`) or is restored from the back/forward cache
 * (`pageshow` with `persisted`), and whether the page is hidden now.
 * The targets are injected so tests pass plain EventTargets.
 *
 * Owns: which DOM events mean "wake up". Imports: nothing.
 */

/** What the client watches. `watch` returns the function that removes every listener it added. */
export interface Lifecycle {
  watch(wake: () => void): () => void;
  hidden(): boolean;
}

type Doc = EventTarget & { visibilityState?: string };

/** Lifecycle of a page: `win` gets online/pageshow listeners, `doc` visibilitychange. Undefined outside a page. */
export function browserLifecycle(
  win: EventTarget | undefined = globalThis.window,
  doc: Doc | undefined = globalThis.document,
): Lifecycle | undefined {
  if (!win?.addEventListener || !doc) return;
  const hidden = (): boolean => doc.visibilityState === 'hidden';
  return {
    hidden,
    watch(wake) {
      const onPageShow = (event: Event): void => {
        if ((event as PageTransitionEvent).persisted) wake(); // restored from the back/forward cache
      };
      const onVisibilityChange = (): void => {
        if (!hidden()) wake();
      };
      win.addEventListener('online', wake);
      win.addEventListener('pageshow', onPageShow);
      doc.addEventListener('visibilitychange', onVisibilityChange);
      return () => {
        win.removeEventListener('online', wake);
        win.removeEventListener('pageshow', onPageShow);
        doc.removeEventListener('visibilitychange', onVisibilityChange);
      };
    },
  };
}
