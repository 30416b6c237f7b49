/**
 * Fakes for the tab-shared connection's logic tests (Node and browsers):
 * one "browser" with several tabs, each tab with its own view of a lock
 * manager (Web Locks semantics: exclusive, granted in request order,
 * released when the callback's promise settles, `signal` withdraws a
 * pending request, `steal` takes the lock and rejects the holder's request
 * with an AbortError), a BroadcastChannel bus (structured clones, delivered
 * as tasks in post order, never to the sender), page events the test fires,
 * and fake sockets on the fake clock. A tab can crash: its locks are
 * released and its channels go silent, with no events.
 *
 * The real things are tested in real browsers (test/node/shared-tabs.*).
 */
import { connectWith, type Connection } from '../../src/client/client.js';
import { browserFeatures } from '../../src/client/features.js';
import type { Lifecycle } from '../../src/client/lifecycle.js';
import type { ConnectOptions } from '../../src/client/options.js';
import type { LockManagerLike } from '../../src/client/shared/election.js';
import { shared, type RoleInfo, type SharedOptions } from '../../src/client/shared/shared.js';
import type { ChannelLike, TabEnv } from '../../src/client/shared/tabs.js';
import type { TransportFactory } from '../../src/transport/types.js';
import { prng } from '../support/harness.js';
import { FakeClock, FakeSocket } from './fakes.js';

/** A fake socket that remembers being ended by the test (the peer closed it). */
export class TabSocket extends FakeSocket {
  ended = false;
  override end(info: Parameters<FakeSocket['end']>[0] = {}): void {
    this.ended = true;
    super.end(info);
  }
}

interface LockEntry {
  tab: number;
  callback: (lock: unknown) => Promise<void> | void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  held: boolean;
}

const abortError = (message: string) => new DOMException(message, 'AbortError');

export class FakeLocks {
  private holders = new Map<string, LockEntry>();
  private queues = new Map<string, LockEntry[]>();
  /** Lock requests so far, for assertions. */
  requests = 0;

  /** The lock manager as tab `tab` sees it. */
  forTab(tab: number): LockManagerLike {
    return { request: (name, options, callback) => this.request(tab, name, options, callback) };
  }

  holder(name?: string): number | undefined {
    const entry = name === undefined ? [...this.holders.values()][0] : this.holders.get(name);
    return entry?.tab;
  }

  private queue(name: string): LockEntry[] {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = []));
    return queue;
  }

  private request(tab: number, name: string, options: { signal?: AbortSignal; steal?: boolean }, callback: LockEntry['callback']): Promise<unknown> {
    this.requests++;
    return new Promise((resolve, reject) => {
      const entry: LockEntry = { tab, callback, resolve, reject, held: false };
      if (options.steal && options.signal) return reject(new DOMException('steal with signal', 'NotSupportedError'));
      if (options.steal) {
        const holder = this.holders.get(name);
        if (holder) {
          this.holders.delete(name);
          holder.reject(abortError('lock stolen'));
        }
        this.grant(name, entry);
        return;
      }
      const signal = options.signal;
      if (signal?.aborted) return reject(abortError('aborted'));
      signal?.addEventListener('abort', () => {
        if (entry.held) return;
        const queue = this.queue(name);
        const index = queue.indexOf(entry);
        if (index >= 0) queue.splice(index, 1);
        reject(abortError('aborted'));
      });
      this.queue(name).push(entry);
      this.pump(name);
    });
  }

  private grant(name: string, entry: LockEntry): void {
    entry.held = true;
    this.holders.set(name, entry);
    // The callback runs as a task of the requesting tab.
    setTimeout(async () => {
      if (this.holders.get(name) !== entry) return; // stolen or crashed before it ran
      try {
        entry.resolve(await entry.callback({ name }));
      } catch (error) {
        entry.reject(error);
      }
      if (this.holders.get(name) === entry) {
        this.holders.delete(name);
        this.pump(name);
      }
    }, 0);
  }

  private pump(name: string): void {
    if (this.holders.has(name)) return;
    const next = this.queue(name).shift();
    if (next) this.grant(name, next);
  }

  /** Tab `tab` died: the browser releases what it held and forgets what it asked for. */
  crash(tab: number): void {
    for (const [name, queue] of this.queues) this.queues.set(name, queue.filter((entry) => entry.tab !== tab));
    for (const [name, entry] of [...this.holders]) {
      if (entry.tab !== tab) continue;
      this.holders.delete(name);
      this.pump(name);
    }
  }
}

interface Delivery {
  to: FakeChannel;
  data: unknown;
}

/** BroadcastChannels of one origin: every post goes (cloned, as a task, in post order) to every other open channel of its name. */
export class FakeBus {
  private channels = new Set<FakeChannel>();
  private pending: Delivery[] = [];
  private scheduled = false;
  /** Tabs whose channels neither send nor receive (a hung or crashed page). */
  readonly silent = new Set<number>();
  /** Tabs whose posts are held back until `release()` (a slow pipe: the lock manager's answers overtake them). */
  readonly delayed = new Set<number>();
  private held: { from: FakeChannel; message: unknown }[] = [];
  /** Every message posted, with the tab and channel that posted it, for assertions. */
  readonly log: { tab: number; channel: FakeChannel; message: { type: string } & Record<string, unknown> }[] = [];

  open(tab: number, name: string): FakeChannel {
    const channel = new FakeChannel(this, tab, name);
    this.channels.add(channel);
    return channel;
  }

  remove(channel: FakeChannel): void {
    this.channels.delete(channel);
  }

  post(from: FakeChannel, message: unknown): void {
    if (!this.channels.has(from)) throw new DOMException('channel closed', 'InvalidStateError');
    if (this.silent.has(from.tab)) return;
    if (this.delayed.has(from.tab)) {
      this.held.push({ from, message });
      return;
    }
    this.log.push({ tab: from.tab, channel: from, message: message as { type: string } });
    const data = structuredClone(message);
    for (const to of this.channels) if (to !== from && to.name === from.name) this.pending.push({ to, data: structuredClone(data) });
    this.schedule();
  }

  /** Posts a logged message again, from the same channel (a message that went out twice). */
  repost(entry: FakeBus['log'][number]): void {
    this.channels.add(entry.channel); // (sent again as if its channel were still open)
    this.post(entry.channel, entry.message);
  }

  /** Lets the held posts of `tab` go, in order. */
  release(tab: number): void {
    this.delayed.delete(tab);
    const going = this.held.filter((entry) => entry.from.tab === tab);
    this.held = this.held.filter((entry) => entry.from.tab !== tab);
    for (const entry of going) {
      this.channels.add(entry.from); // (a closed channel's earlier posts still go: they were posted while it was open)
      this.post(entry.from, entry.message);
    }
  }

  /** Deliveries are waiting. */
  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** Channels open now (of any tab). */
  get openCount(): number {
    return this.channels.size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      // One delivery per task, like the browser's: microtasks of a handler run before the next message.
      const next = this.pending.shift();
      if (next && this.channels.has(next.to) && !this.silent.has(next.to.tab)) next.to.onmessage?.({ data: next.data } as MessageEvent);
      if (this.pending.length) this.schedule();
    }, 0);
  }
}

export class FakeChannel implements ChannelLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  constructor(
    private bus: FakeBus,
    readonly tab: number,
    readonly name: string,
  ) {}
  postMessage(message: unknown): void {
    this.bus.post(this, message);
  }
  close(): void {
    this.bus.remove(this);
  }
}

/** One browser: a clock, locks, a bus, and the sockets every tab opened. */
export class FakeBrowser {
  readonly clock = new FakeClock();
  readonly locks = new FakeLocks();
  readonly bus = new FakeBus();
  readonly sockets: TabSocket[] = [];
  private tabCount = 0;
  readonly tabs: FakeTab[] = [];

  /** Sockets not closed, terminated or ended. */
  get live(): TabSocket[] {
    return this.sockets.filter((socket) => !socket.closedWith && !socket.terminated && !socket.ended);
  }

  readonly factory: TransportFactory = (url, options, handlers) => {
    const socket = new TabSocket(false, url, options, handlers);
    this.sockets.push(socket);
    return socket;
  };

  tab<In = unknown>(options: ConnectOptions & { url?: string | (() => string) } = {}, sharing: SharedOptions = {}, missing: { locks?: boolean; channel?: boolean } = {}): FakeTab<In> {
    const tab = new FakeTab<In>(this, ++this.tabCount, options, sharing, missing);
    this.tabs.push(tab as FakeTab);
    return tab;
  }

  /** Lets tasks run (channel deliveries, lock grants, provider promises) until the bus has been idle for `rounds` turns; real time, a few ms. */
  async settle(rounds = 6): Promise<void> {
    let idle = 0;
    for (let turn = 0; turn < 2000 && idle < rounds; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      idle = this.bus.busy ? 0 : idle + 1;
    }
  }

  /** Opens the newest live socket, then settles. */
  async openSocket(protocol = ''): Promise<TabSocket> {
    await this.settle();
    const socket = this.live.at(-1);
    if (!socket) throw new Error('no socket to open');
    socket.open(protocol);
    await this.settle();
    return socket;
  }
}

export type Recorded = [string, unknown];

export class FakeTab<In = unknown> {
  readonly conn: Connection<In, unknown>;
  readonly events: Recorded[] = [];
  readonly roles: RoleInfo[] = [];
  readonly env: TabEnv;
  private page: { leave: (unloading: boolean) => void; back: () => void } | undefined;
  private wake: (() => void) | undefined;
  hidden = false;

  constructor(
    readonly browser: FakeBrowser,
    readonly id: number,
    options: ConnectOptions & { url?: string | (() => string) },
    sharingOptions: SharedOptions,
    missing: { locks?: boolean; channel?: boolean },
  ) {
    let ids = 0;
    this.env = {
      locks: missing.locks ? undefined : browser.locks.forTab(id),
      openChannel: missing.channel ? undefined : (name) => browser.bus.open(id, name),
      watchPage: (leave, back) => {
        this.page = { leave, back };
        return () => (this.page = undefined);
      },
      newId: () => `tab${id}-${++ids}`,
    };
    const lifecycle: Lifecycle = {
      hidden: () => this.hidden,
      watch: (wake) => {
        this.wake = wake;
        return () => (this.wake = undefined);
      },
    };
    const { url = 'ws://test.invalid/shared', ...rest } = options;
    const sharing = shared({ ...sharingOptions, onRole: (info) => this.roles.push(info) }, this.env);
    // Entry-like wiring (src/index.ts): the sharing part builds the connection, on the fake clock and sockets.
    const env = { clock: browser.clock, random: prng(this.id), lifecycle, features: browserFeatures };
    this.conn = sharing<In, unknown>(browser.factory, url, { ...rest, shared: sharing, startClosed: true }, env);
    for (const type of ['open', 'message', 'close', 'reconnecting', 'state', 'drain', 'heartbeat', 'session', 'drop', 'error', 'end'] as const) {
      this.conn.on(type, (payload: unknown) => void this.events.push([type, payload]));
    }
    if (!options.startClosed) this.conn.open();
  }

  get role(): string | undefined {
    return this.roles.at(-1)?.role;
  }

  /** Names of recorded events, optionally only some kinds. */
  names(only?: string[]): string[] {
    return this.events.map((event) => event[0]).filter((name) => !only || only.includes(name));
  }

  payloads<T = unknown>(type: string): T[] {
    return this.events.filter((event) => event[0] === type).map((event) => event[1] as T);
  }

  /** pagehide: for good, or (persisted) into the back/forward cache. */
  pagehide(persisted = false): void {
    this.page?.leave(!persisted);
  }

  pageshow(): void {
    this.page?.back();
  }

  /** online / visible / restored. */
  wakeUp(): void {
    this.wake?.();
  }

  /** The tab's process dies: no events, its locks released by the browser, its channels silent. */
  crash(): void {
    this.browser.bus.silent.add(this.id);
    this.browser.locks.crash(this.id);
  }
}

/** The plain client on the same fakes, for comparisons. */
export function plainClient(browser: FakeBrowser, options: ConnectOptions = {}): Connection {
  return connectWith(browser.factory, 'ws://test.invalid/shared', options, { clock: browser.clock, random: prng(99), features: browserFeatures });
}
