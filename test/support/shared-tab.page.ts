/**
 * The page of the shared-connection browser tests (test/node/shared-tabs.suite.ts
 * and the takeover benchmark), loaded as a module by /tab.html from the page
 * server (page-server.ts). It runs the shipped dist/browser.mjs, imported by
 * URL, and records what its tab sees, with wall-clock times, in
 * `window.tab.log` for Node to read.
 */
import type * as Lifeline from '../../src/index.js';
import type { Connection } from '../../src/index.js';

const SHIPPED = '/dist/browser.mjs';
const lifeline = (await import(SHIPPED)) as typeof Lifeline;

export interface TabLog {
  roles: { role: string; reason: string; t: number }[];
  events: { type: string; t: number; code?: number; to?: string; error?: string }[];
  messages: string[];
  /** Outcome of every send by label: 'pending', 'ok', or the rejection's code. */
  sends: Record<string, string>;
  /** `persisted` of every pageshow. */
  pageshows: boolean[];
  visibility: string[];
  /** The hand-over messages this tab's channels received (lead, bye, adopt), for diagnosis. */
  wire: { type: string; term?: string; orphans?: number; t: number }[];
}

export interface StartOptions {
  url: string;
  key?: string;
  leaderTimeout?: number;
  /** Only messages starting with this reach the tab (the `filter` option). */
  only?: string;
  minDelay?: number;
  maxDelay?: number;
  /** Pins the backoff's random draw (Math.random in this page) to this value, for a known delay. */
  jitter?: number;
  /** The connection's highWaterMark (0: every message waits until the one before left the socket buffer). */
  highWaterMark?: number;
  /**
   * The first of lifeline's pagehide listeners is not called, as when
   * Firefox cancels the script running while it closes a tab (seen in this
   * suite under load): the second one must pass the tab's messages on.
   * (Tested with `tab.pagehide()`: a real close can cancel the second one too.)
   */
  cutFirstPagehide?: boolean;
}

const log: TabLog = { roles: [], events: [], messages: [], sends: {}, pageshows: [], visibility: [], wire: [] };

// Every channel lifeline opens also reports its hand-over messages to the log.
const Native = globalThis.BroadcastChannel;
/** What lifeline's channels posted last (for diagnosis: did a closing leader post its `bye`?). */
const posted: string[] = [];
/** Exceptions that reached the window (for diagnosis: did lifeline's pagehide listener throw?). */
const uncaught: string[] = [];
addEventListener('error', (event) => uncaught.push(String(event.message)));
globalThis.BroadcastChannel = class extends Native {
  override postMessage(message: unknown): void {
    const type = (message as { type?: string })?.type ?? '?';
    try {
      super.postMessage(message);
      posted.push(type);
    } catch (error) {
      posted.push(`${type} threw ${(error as Error).name}`);
      throw error;
    }
  }
  override close(): void {
    posted.push('close');
    super.close();
  }
  constructor(name: string) {
    super(name);
    this.addEventListener('message', (event) => {
      const data = event.data as { type: string; term?: string; orphans?: unknown[] };
      if (data.type !== 'lead' && data.type !== 'bye' && data.type !== 'adopt') return;
      log.wire.push({ type: data.type, ...(data.term ? { term: data.term } : {}), ...(data.orphans ? { orphans: data.orphans.length } : {}), t: Date.now() });
    });
  }
};
let conn: Connection<string | Uint8Array, string> | undefined;

/** What lifeline's own pagehide listeners did (for diagnosis: did they run, return, throw; what state did they leave?). */
const lifelinePagehide: string[] = [];
/** Set while connect() runs: the pagehide listeners added then are lifeline's, and get wrapped to report. */
let wrapping = false;
let wrappedCount = 0;
/** StartOptions.cutFirstPagehide. */
let cutFirst = false;
const wrappers = new WeakMap<EventListener, EventListener>();
const nativeAdd = window.addEventListener.bind(window);
window.addEventListener = ((type: string, listener: EventListener, options?: boolean | AddEventListenerOptions) => {
  if (!wrapping || type !== 'pagehide') return nativeAdd(type, listener, options);
  const first = wrappedCount++ === 0;
  const wrapped = (event: Event) => {
    if (first && cutFirst) return void lifelinePagehide.push('first listener cut');
    lifelinePagehide.push(`start (state ${conn?.state}, posted ${posted.slice(-2)})`);
    try {
      listener(event);
      lifelinePagehide.push(`returned (state ${conn?.state}, posted ${posted.slice(-2)})`);
    } catch (error) {
      lifelinePagehide.push(`threw ${(error as Error)?.stack ?? error}`);
      throw error;
    }
  };
  wrappers.set(listener, wrapped);
  return nativeAdd(type, wrapped, options);
}) as typeof window.addEventListener;
const nativeRemove = window.removeEventListener.bind(window);
window.removeEventListener = ((type: string, listener: EventListener, options?: boolean | EventListenerOptions) =>
  nativeRemove(type, (type === 'pagehide' && wrappers.get(listener)) || listener, options)) as typeof window.removeEventListener;

addEventListener('pageshow', (event) => log.pageshows.push(event.persisted));
// Each tab tells the others when its page is hidden (for diagnosis: did a closed tab get pagehide?).
const diagnosis = new Native('lifeline-test-diagnosis');
diagnosis.onmessage = (event) => log.wire.push({ type: `pagehide of another tab (${JSON.stringify(event.data)})`, t: Date.now() });
addEventListener('pagehide', (event) => diagnosis.postMessage({ persisted: event.persisted, role: log.roles.at(-1)?.role ?? null }));
document.addEventListener('visibilitychange', () => log.visibility.push(document.visibilityState));

function start(options: StartOptions): void {
  const { url, key = '', leaderTimeout, only, minDelay = 200, maxDelay = 2000, jitter, highWaterMark, cutFirstPagehide = false } = options;
  cutFirst = cutFirstPagehide;
  if (jitter !== undefined) Math.random = () => jitter;
  const sharing = lifeline.shared({
    key,
    ...(leaderTimeout === undefined ? {} : { leaderTimeout }),
    ...(only === undefined ? {} : { filter: (message: string) => message.startsWith(only) }),
    onRole: (info) => log.roles.push({ ...info, t: Date.now() }),
  });
  const marks = highWaterMark === undefined ? {} : { highWaterMark, lowWaterMark: 0 };
  wrapping = true;
  const connection = lifeline.connect(url, { minDelay, maxDelay, ...marks, shared: sharing }) as Connection<string | Uint8Array, string>;
  wrapping = false;
  for (const type of ['state', 'open', 'close', 'reconnecting', 'error', 'end'] as const) {
    connection.on(type, (payload: unknown) => {
      const detail = payload as { code?: number; to?: string; error?: { code?: string } } | undefined;
      const entry: TabLog['events'][number] = { type, t: Date.now() };
      if (typeof detail?.code === 'number') entry.code = detail.code;
      if (typeof detail?.to === 'string') entry.to = detail.to;
      if (type === 'error') entry.error = String((payload as { code?: string })?.code ?? payload);
      log.events.push(entry);
    });
  }
  connection.on('message', (message) => log.messages.push(String(message)));
  conn = connection;
  // Registered after lifeline's own pagehide listeners (connect() added them above): says what they did.
  addEventListener('pagehide', () =>
    diagnosis.postMessage({
      after: 'lifeline',
      unsettled: Object.values(log.sends).filter((outcome) => outcome === 'pending').length,
      posted: posted.slice(-4),
      uncaught,
      lifelinePagehide,
      state: conn?.state,
      events: log.events.slice(-3).map((event) => event.type),
    }),
  );
}

/** Sends `prefix:from` … `prefix:to-1` now, recording each outcome. */
function send(prefix: string, from: number, to: number): void {
  for (let n = from; n < to; n++) {
    const label = `${prefix}:${n}`;
    log.sends[label] = 'pending';
    conn!.send(label).then(
      () => (log.sends[label] = 'ok'),
      (error: { code?: string; name?: string }) => (log.sends[label] = error.code ?? error.name ?? 'error'),
    );
  }
}

const tab = {
  log,
  start,
  send,
  get state() {
    return conn?.state;
  },
  get role() {
    return log.roles.at(-1)?.role;
  },
  get stats() {
    return conn?.stats;
  },
  get started() {
    return conn !== undefined;
  },
  /** Sends not settled yet. */
  get pending() {
    return Object.values(log.sends).filter((outcome) => outcome === 'pending').length;
  },
  /** What lifeline's pagehide listeners did (see cutFirstPagehide). */
  lifelinePagehide,
  /** A pagehide as if the page were unloading, without closing the tab (a real close may also cancel a listener in Firefox). */
  pagehide: () => dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })),
  close: () => conn?.close(),
  reconnect: () => conn?.reconnect(),
};
export type TabApi = typeof tab;
(globalThis as unknown as { tab: TabApi }).tab = tab;
