/**
 * One connection shared by every tab of an origin: `connect(url, { shared:
 * shared({ key }) })`. Every tab gets the same `Connection` API; exactly one
 * tab, the leader, holds a socket.
 *
 * Theory of operation. The tabs that share (url, key) elect a leader with
 * a Web Lock (./election.ts) and talk over a BroadcastChannel (./wire.ts);
 * both are scoped to the origin by the browser, and their name holds the
 * url and the key, so nothing is ever shared across origins or keys.
 * - The leader runs an ordinary client (`connectWith`, the one code path
 *   every connection runs) without a codec: it mirrors that client's
 *   events, state and stats to the other tabs, hands them every inbound
 *   message as it arrived, and sends what they ask it to send. Its
 *   heartbeat is the only one.
 * - A follower mirrors: its `state`, `protocol`, `stats` and events are the
 *   leader's; each tab decodes with its own codec and applies its own
 *   `filter`. Its sends are encoded here and kept in this tab's outbox
 *   (./outbox.ts) until the leader says they went to the socket (or why
 *   not): that is when their promises settle.
 * - Hand-over. A leader that leaves in order (tab closed, navigated, put in
 *   the back/forward cache, frozen, or `close()`d) says `bye` after the
 *   acknowledgements of everything its socket took, then releases the
 *   lock; a crashed or discarded tab's lock is released by the browser. The
 *   next tab in line is granted the lock at once, becomes leader and dials.
 *   Every tab then hands its unacknowledged messages, in order, to the new
 *   leader: what the old socket took was acknowledged before the `bye`, so
 *   nothing is lost or sent twice. The lock and the channel are separate
 *   pipes, so the grant (or the new leader's `lead`) can arrive before the
 *   old leader's `bye`: messages that were out with it then wait, with
 *   everything sent after them, for its `bye`, at most BYE_GRACE ms (a
 *   crashed leader says nothing), while the new socket opens. Only a leader
 *   that crashes (its socket may have sent what it took while its last
 *   acknowledgements die with it), or whose acknowledgements take longer
 *   than BYE_GRACE, or a follower that goes away while it waits for that
 *   `bye` (it passes those messages on rather than wait: see passesOn()),
 *   can cause a resend of a message that went out: at least once, never
 *   lost; a reliable session is what can remove such duplicates. A tab
 *   that goes away for good passes on what it still holds (`orphans`):
 *   whoever leads next sends it.
 * - A leader that stops answering without leaving (a page stopped without
 *   a `freeze` event, a hung main thread) keeps its lock: a follower that
 *   hears nothing from it for a while pings it, and steals the lock when
 *   the ping goes unanswered (./watchdog.ts). A leader that was only
 *   slow steps down when it hears of it; messages it handed to its socket
 *   in the meantime may also be sent by the new leader.
 * - Without Web Locks or BroadcastChannel (or when the lock manager refuses,
 *   as in an opaque origin) the tab runs alone: its own socket, role
 *   `alone`, the reason given to `onRole`.
 * - Parts given in the options (the heartbeat, a reliable session) run in
 *   the leader's client only. A tab's message is settled by the promise of
 *   the leader client's `send()`: a part that makes it resolve later (when
 *   the peer acknowledged it) keeps the message in its tab's outbox until
 *   then, so a hand-over resends what the peer had not acknowledged.
 *
 * Owns: `shared()` and its options, the tab's role, mirroring, the leader's
 * duties to the other tabs; what the browser provides comes from ./tabs.ts.
 * Must not import a concrete transport, node:*, the frame layer or fflate.
 */
import { ErrorCodes, LifelineError } from '../../protocol/errors.js';
import { checkClose, checkOptions, invalid, type OptionSpec } from '../../protocol/input.js';
import { checkUrl } from '../../protocol/url.js';
import type { IncomingData, OutgoingData, TransportFactory } from '../../transport/types.js';
import { connectWith, type ClientEnv, type ClientEvents, type Connection, type Supports } from '../client.js';
import type { Clock, TimerHandle } from '../clock.js';
import { decodeWith, sizeOf, type Codec } from '../codecs.js';
import { createEmitter } from '../emitter.js';
import type { Lifecycle } from '../lifecycle.js';
import { CONNECT_OPTIONS, checkSendOptions, resolveOptions, type ConnectOptions, type Provider } from '../options.js';
import type { State } from '../state.js';
import type { Stats } from '../stats.js';
import { campaign, type Campaign } from './election.js';
import { browserTabs, type ChannelLike, type TabEnv } from './tabs.js';
import { createOutbox, type OutboxRecord } from './outbox.js';
import { followerStats, leaderStats } from './stats.js';
import { watchLeader } from './watchdog.js';
import {
  eventFromWire,
  eventToWire,
  fromWire,
  sharedName,
  toWire,
  wireOptions,
  type MirroredEvent,
  type Orphan,
  type Snapshot,
  type TabMessage,
  type WireMessage,
  type WireSendOptions,
} from './wire.js';

/** Options of `shared()`. */
export interface SharedOptions {
  /** Tabs share a connection when their url and key are the same. Required when the url is a function. Default ''. */
  key?: string;
  /** Which inbound messages this tab gets (after decoding); false skips one. Default: every message. */
  filter?: (message: any) => boolean;
  /** Called (as an event: in order, isolated) when this tab becomes the leader, a follower, or runs alone. */
  onRole?: (info: RoleInfo) => void;
  /** About how long (ms) a leader may stop answering before another tab takes its lock (between 3/4 and 9/8 of it). 0 = never. Default 10,000. */
  leaderTimeout?: number;
}

/** `leader`: this tab holds the socket; `follower`: it uses the leader's; `alone`: its own socket, not shared (`reason` says why). */
export type Role = 'leader' | 'follower' | 'alone';

export interface RoleInfo {
  role: Role;
  /** How it came to this: 'elected', 'took over', 'joined', or why sharing is not possible. */
  reason: string;
}

/** Created by `shared()`, given to `connect()` as its `shared` option; the entry calls it to build the connection. */
export type Sharing = <In, Out>(factory: TransportFactory, url: Provider<string | URL>, options: ConnectOptions, env: ClientEnv) => Connection<In, Out>;

interface ResolvedShared {
  key: string;
  filter: ((message: unknown) => boolean) | undefined;
  onRole: ((info: RoleInfo) => void) | undefined;
  leaderTimeout: number;
}

const SHARED_OPTIONS: OptionSpec = {
  defaults: { key: '', leaderTimeout: 10_000 },
  types: { filter: 'function', onRole: 'function' },
};

/**
 * Share one connection among the tabs of this origin (browsers): pass the
 * result as `connect()`'s `shared` option. In Node the option is accepted
 * and the connection is a normal one. Options are checked at the call.
 */
export function shared(options?: SharedOptions, environment?: TabEnv): Sharing {
  const checked = checkOptions<ResolvedShared>(options, SHARED_OPTIONS, 'shared():');
  return <In, Out>(factory: TransportFactory, url: Provider<string | URL>, connectOptions: ConnectOptions, env: ClientEnv) =>
    shareConnection<In, Out>(factory, url, connectOptions, env, checked, environment ?? browserTabs());
}

/** Events of a shared connection inside this module: the client's, and the role changes for `onRole`. */
type SharedEvents<In> = ClientEvents<In> & { role: RoleInfo };

/** How a tab stops leading: it goes away (for good, or maybe back), closes its connection, or another tab took the lock. */
type StepDown = 'unload' | 'leave' | 'close' | 'terminate' | 'deposed';

/**
 * How long messages that were out with a leader that vanished wait for its
 * `bye` (which comes after its last acknowledgement) before they go to the
 * next leader, ms. It only delays those messages after a crash; an orderly
 * `bye` ends the wait at once.
 */
const BYE_GRACE = 1000;

function shareConnection<In, Out>(
  factory: TransportFactory,
  url: Provider<string | URL>,
  options: ConnectOptions,
  env: ClientEnv,
  sharing: ResolvedShared,
  tabs: TabEnv,
): Connection<In, Out> {
  // The same checks as an unshared connect(), at the call.
  const extra = env.features.options;
  const spec: OptionSpec = extra
    ? { ...CONNECT_OPTIONS, defaults: { ...CONNECT_OPTIONS.defaults, ...extra.defaults }, types: { ...CONNECT_OPTIONS.types, ...extra.types } }
    : CONNECT_OPTIONS;
  const resolved = resolveOptions(options, spec);
  const href = typeof url === 'function' ? undefined : checkUrl(url, env.baseUrl?.());
  if (href === undefined && sharing.key === '') {
    throw invalid('TypeError', ErrorCodes.INVALID_OPTION, 'shared(): key', 'a non-empty string when the url is a function (tabs cannot compare functions)', sharing.key);
  }
  const name = sharedName(href, sharing.key);
  const { leaderTimeout, filter } = sharing;
  const events = createEmitter<SharedEvents<In>>();
  if (sharing.onRole) events.on('role', sharing.onRole);
  const clock: Clock = {
    now: () => env.clock.now(),
    set: (callback, ms) => env.clock.set(() => events.run(callback), ms),
    clear: (handle) => env.clock.clear(handle),
  };
  const outbox = createOutbox(resolved, clock, { dropped: (data, error) => events.emit('drop', { data, error }) });
  const tabId = tabs.newId();
  const supports: Supports = { ping: env.features.ping !== undefined, pause: env.features.pauseReading !== undefined };
  const unsupported = !tabs.locks ? 'Web Locks (navigator.locks) missing' : !tabs.openChannel ? 'BroadcastChannel missing' : undefined;

  /** This tab takes part: open() was called and close()/terminate() not since. */
  let attached = false;
  /** open() has been called: before it (`startClosed`) sends are held for the first leader, after a close() they are refused. */
  let started = false;
  /**
   * The page: `shown`; `away` (pagehide into the back/forward cache, or
   * frozen) and may come back; `gone` for good (unloading), its messages
   * passed on (lastWord). Only a shown page leads or gets in line.
   */
  let page: 'shown' | 'away' | 'gone' = 'shown';
  let role: Role | undefined;
  let state: State = 'closed';
  let protocol = '';
  let extensions = '';
  /** The subprotocol to encode for while not open: the last one negotiated, or the first offered. */
  let expectedProtocol = typeof resolved.protocols === 'function' ? '' : (resolved.protocols[0] ?? '');
  /** The term of the leader this tab follows, or its own term while it leads; undefined while no leader is known. */
  let term: string | undefined;
  let terms = 0;
  /** The leader's last description (a follower), or what the connection had counted before this tab led. */
  let snapshot: Snapshot | undefined;
  let channel: ChannelLike | undefined;
  let election: Campaign | undefined;
  /** The leader's (or a lone tab's) client: raw data both ways, no codec. */
  let inner: Connection<IncomingData, OutgoingData> | undefined;
  let innerOpened = false;
  let stopInner: (() => void) | undefined;
  /** The inner client's wake-up (online, visible, restored), also called when a follower's page wakes up. */
  let remoteWake: (() => void) | undefined;
  let stopWatchingPage: (() => void) | undefined;
  let stopWatchingWake: (() => void) | undefined;
  /** Messages of tabs that went away, for whoever leads next. */
  let orphans: Orphan[] = [];
  /** A leader that vanished without a `bye` yet: messages out with it wait for its word (see BYE_GRACE). */
  let leaving: { term: string; lost: boolean; timer: TimerHandle } | undefined;
  /** Leading: a `stats` post is due (this tab's own sends changed the counters); one per task, however many sends. */
  let statsDue: TimerHandle | undefined;
  /** Leading: the highest send id taken from each tab in this term. A tab posts its ids in increasing order, so a lower one is a message posted again (after the tab heard a stale leader) that this leader already has. */
  let lastIds = new Map<string, number>();
  /** The terms whose `bye`, and the tabs whose `adopt`, this tab has heard (one per leader and per tab that went away). */
  const lastWords = new Set<string>();
  /** A follower's watch over a leader that may stop answering without leaving (./watchdog.ts). */
  const watch = watchLeader(clock, env.random, leaderTimeout, {
    watching: () => attached && page === 'shown' && !inner && election !== undefined,
    ping: () => post(term ? { type: 'ping', from: tabId, term } : { type: 'hello', from: tabId }),
    steal: () => election?.steal(),
  });

  const orphan = (record: OutboxRecord): Orphan => ({
    data: record.data,
    options: wireOptions(record.options, record.deadline ? Math.max(1, record.deadline - clock.now()) : undefined),
  });
  const codecFor = (subprotocol: string): Codec<unknown, unknown> | undefined => resolved.codecs[subprotocol] ?? resolved.codec;
  const leading = (): boolean => inner !== undefined && role !== 'alone';

  function post(message: WireMessage): void {
    try {
      channel?.postMessage(message);
    } catch (error) {
      events.emit('error', error); // a closed channel, or data the channel cannot clone
    }
  }

  function setState(to: State): void {
    const from = state;
    if (from === to) return;
    state = to;
    events.emit('state', { from, to });
  }

  function setRole(next: Role, reason: string): void {
    if (role === next) return;
    role = next;
    events.emit('role', { role: next, reason });
  }

  // --- joining and leaving ---

  function join(): void {
    attached = true;
    setState('connecting');
    if (resolved.lifecycle && env.lifecycle && !stopWatchingWake) {
      // A follower's page waking up (online, visible, restored) wakes the leader: it may be hidden and throttled.
      stopWatchingWake = env.lifecycle.watch(() => events.run(() => role === 'follower' && term && post({ type: 'control', from: tabId, term, op: 'wake' })));
    }
    if (unsupported) return lead(unsupported);
    if (openChannel()) enterRace();
  }

  /** Opens the channel (if not open) and watches the page; runs alone when the browser refuses the channel. */
  function openChannel(): boolean {
    try {
      channel ??= tabs.openChannel!(name);
    } catch (error) {
      lead(`BroadcastChannel refused (${(error as Error).name})`);
      return false;
    }
    channel.onmessage = (event) => events.run(() => hear(event.data as WireMessage));
    stopWatchingPage ??= tabs.watchPage(
      (unloading) => events.run(() => leave(unloading)),
      () => events.run(back),
    );
    return true;
  }

  /** Asks who leads and gets in line to lead. */
  function enterRace(): void {
    post({ type: 'hello', from: tabId });
    election = campaign(tabs.locks!, name, {
      elected: () =>
        events.run(() => {
          if (attached && page === 'shown') lead();
          else {
            election?.withdraw(); // never sit on the lock (withdrawn already, unless a cut pagehide listener left it: see lastWord)
            election = undefined;
          }
        }),
      deposed: () => events.run(() => stepDown('deposed')),
      failed: (error) =>
        events.run(() => {
          // The lock manager refused (an opaque origin, a document not fully active): run alone.
          election = undefined;
          channel?.close();
          channel = undefined;
          if (attached && !inner) lead(`Web Locks refused (${(error as Error)?.name ?? error})`);
        }),
    });
    watch.heard();
    watch.start();
  }

  /**
   * The page goes away: for good (`unloading`: its messages go out first,
   * see lastWord), or into the back/forward cache or frozen. A page that may
   * come back lets go of the lock, and of the channel unless a leader still
   * owes it answers: a message arriving for a page in the back/forward cache
   * makes Chromium evict it (notRestoredReasons `broadcastchannel-message`).
   * Called again for the same event (./tabs.ts): if the first call was cut
   * short before the last word, this one does it all; after it, this one
   * only steps down if the tab still leads.
   */
  function leave(unloading: boolean): void {
    if (!attached || role === 'alone') return;
    if (page === 'gone') {
      // The first call said the last word and was cut short before stepping down.
      if (unloading && leading()) stepDown('unload');
      return;
    }
    if (page === 'away') return;
    if (unloading) lastWord();
    else page = 'away';
    watch.stop();
    if (leading()) {
      stepDown(unloading ? 'unload' : 'leave');
      return;
    }
    election?.withdraw();
    election = undefined;
    if (!unloading && outbox.all().every((record) => record.term === undefined) && !leaving) closeChannel(true);
  }

  /**
   * A tab going away for good passes on the messages it still holds, first
   * thing on pagehide: a leader in its `bye` (all of its own; its socket
   * dies with the page), a follower in its `adopt` what no leader has (see
   * passesOn()).
   * Firefox can cut a pagehide listener short as it closes the tab (it
   * cancels the page script that is running then, seen in this project's
   * tests under load): the message goes out before anything else, nothing
   * changes before it, and ./tabs.ts calls `leave` from a second listener,
   * where `page` says whether the first got this far: it is `gone` as soon
   * as the message is out. Should a cut fall between the post and that, the
   * message goes out twice, and the other tabs take it once (`lastWords` in
   * hear()).
   */
  function lastWord(): void {
    const leader = leading();
    const passedOn = outbox.all().filter((record) => leader || passesOn(record));
    if (leader) post({ type: 'bye', term: term!, orphans: passedOn.map(orphan), snapshot: describe() });
    else if (passedOn.length) post({ type: 'adopt', from: tabId, orphans: passedOn.map(orphan) });
    page = 'gone';
    outbox.abandon(passedOn);
    // What was left behind (expired, or dropOnReconnect on a lost connection) is rejected, and a send made after this listener goes to the leader.
    if (!leader) endLeaving();
  }

  /**
   * What a follower going away passes on: the messages no leader has, and
   * those out with a vanished leader whose `bye` it still waits for. The
   * page cannot wait out BYE_GRACE: rather than lose these with it, it
   * passes them on as the wait's end would (not those whose ttl ran out,
   * nor `dropOnReconnect` ones if the connection was open), so they may go
   * out twice if that leader's socket had taken them, as after a crash.
   * Those out with the leader it follows now are that leader's to send.
   */
  function passesOn(record: OutboxRecord): boolean {
    if (record.deadline !== 0 && record.deadline <= clock.now()) return false;
    if (record.term === undefined) return true;
    if (leaving === undefined || record.term !== leaving.term) return false;
    return !leaving.lost || !record.options.dropOnReconnect;
  }

  /** The page is back from the back/forward cache, or resumed: it asks who leads, and gets in line. */
  function back(): void {
    if (!attached || page !== 'away') return;
    page = 'shown';
    if (openChannel()) enterRace();
  }

  /** This tab's connection ends (`close()` / `terminate()`): the shared socket lives on for the other tabs. */
  function detach(kind: 'close' | 'terminate', code?: number, reason?: string): void {
    const wasOpen = state === 'open';
    attached = false;
    watch.stop();
    stopWatchingWake?.();
    stopWatchingWake = undefined;
    if (inner) stepDown(kind, code, reason);
    else {
      election?.withdraw();
      election = undefined;
      outbox.rejectHeld('client closed before sending');
      // Messages out with a leader settle by its answer; the channel stays open until then (see hear()).
      if (outbox.length === 0 && !leaving) closeChannel();
    }
    const close = wasOpen ? { code: kind === 'close' ? (code ?? 1000) : 1006, reason: kind === 'close' ? (reason ?? '') : '', wasClean: kind === 'close' } : undefined;
    setState('closed');
    if (close) events.emit('close', { ...close, willReconnect: false });
    events.emit('end', { reason: 'closed', close });
  }

  /** close() or terminate() of a `startClosed` tab before its first open(): what it holds is refused, as later sends are. */
  function closeUnopened(): void {
    if (started) return;
    started = true;
    outbox.rejectHeld('client closed before it was opened');
  }

  /** Closes the channel and, unless `away` (the page may come back), stops watching the page. */
  function closeChannel(away = false): void {
    if (!away) {
      stopWatchingPage?.();
      stopWatchingPage = undefined;
    }
    channel?.close();
    channel = undefined;
  }

  // --- leading ---

  /** This tab leads (elected, or it took over), or runs alone (`alone` says why). */
  function lead(alone?: string): void {
    if (!attached || page !== 'shown' || inner) return;
    const previous = term;
    // The leader this tab followed vanished without a `bye` (crashed, discarded, replaced), or its `bye` is still on its way.
    if (previous !== undefined) handOver(false);
    term = `${tabId}.${++terms}`;
    lastIds = new Map();
    watch.stop();
    setRole(alone ? 'alone' : 'leader', alone ?? (role === 'follower' ? 'took over' : 'elected'));
    innerOpened = false;
    const lifecycle: Lifecycle = {
      hidden: () => env.lifecycle?.hidden() ?? false,
      watch(wake) {
        const stop = env.lifecycle?.watch(wake);
        remoteWake = wake;
        return () => {
          stop?.();
          remoteWake = undefined;
        };
      },
    };
    const innerOptions: ConnectOptions = { ...options, startClosed: true };
    delete innerOptions.codec;
    delete innerOptions.codecs;
    delete innerOptions.shared;
    const client = connectWith<IncomingData, OutgoingData>(factory, url, innerOptions, { ...env, lifecycle });
    inner = client;
    const mirrored: MirroredEvent[] = ['state', 'open', 'close', 'reconnecting', 'heartbeat', 'session', 'drain', 'error', 'end'];
    const stops = mirrored.map((type) => client.on(type, (payload: unknown) => events.run(() => relay(type, payload))));
    stops.push(client.on('message', (data) => events.run(() => fromSocket(data))));
    stopInner = () => stops.forEach((stop) => stop());
    post({ type: 'lead', term, snapshot: describe() });
    client.open();
    adopt(orphans);
    orphans = [];
    route();
  }

  /** The leader's own client did something: mirror it here and to every tab. */
  function relay(type: MirroredEvent, payload: unknown): void {
    switch (type) {
      case 'state':
        setState((payload as { to: State }).to);
        break;
      case 'open': {
        const opened = payload as { protocol: string; extensions: string };
        innerOpened = true;
        protocol = expectedProtocol = opened.protocol;
        extensions = opened.extensions;
        events.emit('open', opened);
        break;
      }
      default:
        events.emit(type, payload as never);
    }
    if (term) post({ type: 'event', term, name: type, payload: eventToWire(type, payload), snapshot: describe() });
  }

  /** An inbound message on the leader's socket: this tab's, and every other tab's. */
  function fromSocket(data: IncomingData): void {
    deliver(data);
    if (term) post({ type: 'message', term, data, snapshot: describe() });
  }

  /** Hands `data` to the leader's client; `settled` gets its verdict. A retired client's rejections are no verdict: the message goes to the next leader. */
  function submit(data: OutgoingData, sendOptions: WireSendOptions, settled: (error?: Error) => void): void {
    const client = inner!;
    let sent: Promise<void>;
    try {
      sent = client.send(data, sendOptions);
    } catch (error) {
      settled(error as Error);
      return;
    }
    // One level of then(): its callbacks are queued when the client settles the message, ahead of a step-down's own microtask.
    sent.then(
      () => settled(),
      (error: Error) => client === inner && settled(error),
    );
  }

  function adopt(adopted: readonly Orphan[]): void {
    for (const { data, options: sendOptions } of adopted) submit(data, sendOptions, () => undefined);
  }

  function control(op: 'open' | 'reconnect' | 'wake'): void {
    if (op === 'open') inner!.open();
    else if (op === 'reconnect') inner!.reconnect();
    else remoteWake?.();
  }

  /**
   * Stops leading. The client is retired at once. The `bye` must come after
   * the acknowledgements of everything the socket took, so that every tab
   * knows exactly what went out before it hears that the leader left: when
   * the page goes away and may come back (pagehide into the back/forward
   * cache, freeze) this runs as a task of its own, with no acknowledgement
   * pending, and the `bye` goes out at once; a page unloading for good has
   * posted its `bye`, with its messages, before this runs (lastWord). When
   * the application closes the connection, it may have just made the socket
   * take messages in the same task, so the `bye` waits one microtask, behind
   * their acknowledgements.
   */
  function stepDown(kind: StepDown, code?: number, reason?: string): void {
    const client = inner!;
    const ownTerm = term;
    const alone = role === 'alone';
    const wasOpen = state === 'open';
    const last = (snapshot = describe());
    inner = undefined;
    clock.clear(statsDue); // the bye carries the counters
    statsDue = undefined;
    term = undefined;
    stopInner?.();
    stopInner = undefined;
    const finish = (): void => {
      if (kind !== 'deposed' && !alone && ownTerm) post({ type: 'bye', term: ownTerm, orphans: [], snapshot: last });
      if (kind === 'close' || kind === 'terminate') outbox.rejectHeld('client closed before sending', true);
      else {
        outbox.recall(wasOpen, ownTerm);
        route();
      }
      if (!attached) closeChannel();
      // A page that may come back closes the channel, as in leave(): its own messages are back in its outbox.
      else if (kind === 'leave') closeChannel(true);
    };
    // Unloading, the `bye` went out first, with the tab's messages (lastWord).
    if (kind === 'leave') finish();
    else if (kind !== 'unload') queueMicrotask(() => events.run(finish));
    if (kind === 'close') client.close(code, reason);
    else client.terminate();
    if (kind === 'close' || kind === 'terminate') {
      election?.withdraw();
      election = undefined;
      return; // detach() reports the end
    }
    if (kind !== 'deposed') {
      election?.withdraw();
      election = undefined;
    }
    if (wasOpen) {
      const close = kind === 'deposed' ? { code: 1006, reason: 'leader replaced', wasClean: false } : { code: 1001, reason: 'page left', wasClean: true };
      setState('connecting');
      events.emit('close', { ...close, willReconnect: true });
    } else setState('connecting');
    if (kind === 'deposed') {
      setRole('follower', 'replaced');
      post({ type: 'hello', from: tabId });
      watch.heard();
      watch.start();
    }
  }

  /** The connection as this tab, leading, describes it to the others. */
  function describe(): Snapshot {
    return { state, protocol: state === 'open' ? protocol : '', extensions, stats: currentStats(), at: clock.now(), opened: innerOpened || (snapshot?.opened ?? false) };
  }

  // --- following ---

  function hear(message: WireMessage): void {
    // A tab's last word (a `bye` per term, an `adopt` per tab) may come twice (see lastWord): it is taken once.
    if (message.type === 'bye' || message.type === 'adopt') {
      const speaker = message.type === 'bye' ? message.term : message.from;
      if (lastWords.has(speaker)) return;
      lastWords.add(speaker);
    }
    // A verdict on one of this tab's messages counts whoever sends it (the leader that had the message), in any role.
    if (message.type === 'ack' && message.to === tabId) outbox.settle(message.id, message.error && fromWire(message.error));
    // The vanished leader's last word: its acknowledgements are all in. (Its orphans are taken below, by role.)
    if (message.type === 'bye' && message.term === leaving?.term) {
      // Leading in its place, this tab counts on from that leader's last counters, which the bye has complete.
      if (leading() && message.snapshot) snapshot = message.snapshot;
      endLeaving();
    }
    if (!attached) {
      // Detached: only the answers to messages still out with a leader matter, until there are none.
      if ((message.type === 'bye' && message.term === term) || (message.type === 'lead' && message.term !== term)) outbox.rejectHeld('client closed before sending', true);
      if (outbox.length === 0 && !leaving) closeChannel();
      return;
    }
    if (leading()) return serve(message);
    switch (message.type) {
      case 'lead':
        return follow(message.term, message.snapshot);
      case 'bye':
        if (message.term === term) {
          if (message.snapshot) snapshot = message.snapshot;
          orphans.push(...message.orphans);
          handOver(true);
        } else if (term === undefined) orphans.push(...message.orphans);
        return;
      case 'adopt':
        if (term === undefined) orphans.push(...message.orphans);
        return;
      case 'hello':
      case 'send':
      case 'control':
      case 'ping':
        return; // for the leader
      case 'message':
        // The last inbound messages of a leader that vanished still reach this tab.
        if (message.term === leaving?.term) return deliver(message.data);
    }
    if (message.term !== term) return; // from a leader this tab does not follow (any more)
    watch.heard();
    switch (message.type) {
      case 'event':
        snapshot = message.snapshot;
        return mirror(message.name, message.payload);
      case 'message':
        snapshot = message.snapshot;
        return deliver(message.data);
      case 'ack':
      case 'stats':
        snapshot = message.snapshot;
        return;
      case 'pong':
        return;
    }
  }

  /** The leader's side of the channel. */
  function serve(message: WireMessage): void {
    const ownTerm = term!;
    switch (message.type) {
      case 'hello':
        return post({ type: 'lead', term: ownTerm, snapshot: describe() });
      case 'send': {
        if (message.term !== ownTerm) return; // meant for an earlier leader: its tab hands it on again
        if (message.id <= (lastIds.get(message.from) ?? 0)) return; // already taken: its answer comes (or came) once
        lastIds.set(message.from, message.id);
        return submit(message.data, message.options, (error) => {
          const ack: WireMessage = { type: 'ack', term: ownTerm, to: message.from, id: message.id, snapshot: describe() };
          if (error) ack.error = toWire(error);
          post(ack);
        });
      }
      case 'control':
        if (message.term === ownTerm) control(message.op);
        return;
      case 'ping':
        if (message.term === ownTerm) post({ type: 'pong', term: ownTerm, to: message.from });
        return;
      case 'adopt':
      case 'bye':
        // The messages of a tab that went away (or of the leader before this one, whose `bye` came late).
        return adopt(message.orphans);
      default:
        return; // another tab's claim to lead comes with a stolen lock: `deposed` will say so
    }
  }

  /** Follows the leader of `leaderTerm` (a new one, or the same one describing itself again). */
  function follow(leaderTerm: string, described: Snapshot): void {
    if (leaderTerm !== term) {
      if (term !== undefined) handOver(false);
      term = leaderTerm;
      orphans = []; // the new leader heard the same `bye` and `adopt` messages
      setRole('follower', 'joined');
    }
    watch.heard();
    snapshot = described;
    if (described.state === 'open') {
      if (state !== 'open') {
        protocol = expectedProtocol = described.protocol;
        extensions = described.extensions;
        setState('open');
        events.emit('open', { protocol, extensions });
      }
    } else setState(described.state);
    route();
  }

  /** A mirrored event of the leader's client. */
  function mirror(type: MirroredEvent, payload: unknown): void {
    switch (type) {
      case 'state':
        return setState((payload as { to: State }).to);
      case 'open': {
        const opened = payload as { protocol: string; extensions: string };
        protocol = expectedProtocol = opened.protocol;
        extensions = opened.extensions;
        return events.emit('open', opened);
      }
      default:
        return events.emit(type, eventFromWire(type, payload) as never);
    }
  }

  /**
   * The leader this tab followed is gone: in order (its `bye` came), or it
   * vanished (the lock was granted to this tab, or another tab leads). What
   * was out with it comes back to the outbox for the next leader: at once
   * after a `bye`, else when its `bye` comes or BYE_GRACE has passed. The
   * tab shows the connection lost (1001, going away) and being
   * re-established.
   */
  function handOver(orderly: boolean): void {
    const wasOpen = state === 'open';
    const old = term!;
    term = undefined;
    if (orderly) outbox.recall(wasOpen, old);
    else {
      endLeaving(); // one wait at a time: an earlier one ends now
      leaving = { term: old, lost: wasOpen, timer: clock.set(endLeaving, BYE_GRACE) };
    }
    setState('connecting');
    if (wasOpen) events.emit('close', { code: 1001, reason: orderly ? 'leader tab left' : 'leader tab gone', wasClean: orderly, willReconnect: true });
    // Ask again: a leader already elected (whose `lead` this tab may have heard before the `bye`) answers.
    post({ type: 'hello', from: tabId });
    watch.heard();
  }

  /** The wait for a vanished leader's `bye` ends (it came, or BYE_GRACE passed): what was out with it goes to the next leader. (A page going away for good does not wait: see passesOn().) */
  function endLeaving(): void {
    const ended = leaving;
    if (!ended) return;
    leaving = undefined;
    clock.clear(ended.timer);
    outbox.recall(ended.lost, ended.term);
    if (attached) return route();
    outbox.rejectHeld('client closed before sending');
    if (outbox.length === 0) closeChannel();
  }

  // --- messages in and out ---

  function deliver(data: IncomingData): void {
    let message: In;
    try {
      message = decodeWith(codecFor(protocol), data, protocol) as In;
      if (filter && !filter(message)) return;
    } catch (error) {
      events.emit('error', error);
      return;
    }
    events.emit('message', message);
  }

  /**
   * Hands the held messages, in order, to the leader (this tab's client
   * when it leads). A message still out with a leader that vanished stops
   * the walk: it and everything after it wait for that leader's `bye`.
   */
  function route(): void {
    const destination = term;
    if (destination === undefined) return;
    for (const record of outbox.all().slice()) {
      if (record.term === destination) continue;
      if (record.term !== undefined) return;
      const ttl = outbox.remaining(record);
      if (ttl === 0) continue; // expired (rejected)
      const sendOptions = wireOptions(record.options, ttl);
      record.term = destination;
      if (inner) {
        submit(record.data, sendOptions, (error) => {
          outbox.settle(record.id, error);
          announceStats();
        });
      } else {
        post({ type: 'send', from: tabId, term: destination, id: record.id, data: record.data, options: sendOptions } satisfies TabMessage);
      }
    }
  }

  /**
   * Leading: tells the other tabs the counters after this tab's own sends
   * (a follower's sends are answered with an `ack`, inbound messages and
   * events carry a snapshot of their own), once for all the sends settled
   * in one task.
   */
  function announceStats(): void {
    if (statsDue !== undefined || role === 'alone') return;
    statsDue = clock.set(() => {
      statsDue = undefined;
      if (leading() && term) post({ type: 'stats', term, snapshot: describe() });
    }, 0);
  }

  /** This tab's stats: the socket's, merged across leaders (./stats.ts), and its own queue. */
  function currentStats(): Stats {
    const socket = inner ? leaderStats(inner.stats, innerOpened, snapshot) : followerStats(snapshot, state === 'open', clock.now());
    return { ...socket, queued: outbox.length, queuedBytes: outbox.bytes };
  }

  // --- the public API ---

  const connection: Connection<In, Out> = {
    get state() {
      return state;
    },
    get protocol() {
      return state === 'open' ? protocol : '';
    },
    get extensions() {
      return state === 'open' ? extensions : '';
    },
    /** The leader's socket buffer; 0 in a follower (the socket is in another tab; what this tab waits on is `stats.queuedBytes`). */
    get bufferedAmount() {
      return inner?.bufferedAmount ?? 0;
    },
    supports,
    get stats() {
      return currentStats();
    },
    on: events.on,
    once: events.once,
    off: events.off,
    send: (value, sendOptions) =>
      events.run(() => {
        const checked = checkSendOptions(sendOptions);
        const codec = codecFor(expectedProtocol);
        const data = (codec ? codec.encode(value) : value) as OutgoingData;
        const bytes = sizeOf(data);
        const closed = state === 'closing' || (state === 'closed' && started);
        const { promise, record } = outbox.add(value, data, bytes, checked, term === undefined || leaving !== undefined, closed ? 'client closed (open() first)' : undefined);
        if (record) route();
        return promise;
      }),
    open: () =>
      events.run(() => {
        started = true;
        if (!attached) join();
        else if (inner) inner.open();
        else if (term) post({ type: 'control', from: tabId, term, op: 'open' });
      }),
    close(code, reason) {
      const checked = checkClose(code, reason);
      events.run(() => {
        closeUnopened();
        if (attached) detach('close', checked.code, checked.reason);
      });
    },
    terminate: () =>
      events.run(() => {
        closeUnopened();
        if (attached) detach('terminate');
      }),
    reconnect: () =>
      events.run(() => {
        started = true;
        if (!attached) join();
        else if (inner) inner.reconnect();
        else if (term) post({ type: 'control', from: tabId, term, op: 'reconnect' });
      }),
    // Protocol pings go from the tab that holds the socket (and browsers have none: its client says so).
    ping: (data) =>
      inner
        ? inner.ping(data)
        : Promise.reject(new LifelineError(supports.ping ? ErrorCodes.INVALID_STATE : ErrorCodes.UNSUPPORTED, 'lifeline: ping() needs the socket, which another tab holds')),
    // Browsers cannot stop reading a socket; a leader passes it on to its client, which does what the platform can.
    pause: () => inner?.pause(),
    resume: () => inner?.resume(),
  };

  if (!resolved.startClosed) connection.open();
  return connection;
}
