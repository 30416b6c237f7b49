/**
 * Fakes for the client's pure-logic tests (Node and Chromium): a clock the
 * test advances by hand, a transport factory whose sockets the test opens,
 * feeds and closes, and page lifecycle targets. No timers or sockets.
 */
import { connectWith, type Connection } from '../../src/client/client.js';
import { sizeOf } from '../../src/client/codecs.js';
import type { Clock } from '../../src/client/clock.js';
import { browserFeatures, type ClientFeatures } from '../../src/client/features.js';
import { browserLifecycle } from '../../src/client/lifecycle.js';
import { nodeFeatures } from '../../src/client/node-features.js';
import type { ConnectOptions } from '../../src/client/options.js';
import type { CloseInfo, IncomingData, Transport, TransportConnectOptions, TransportData, TransportFactory, TransportHandlers } from '../../src/transport/types.js';
import { prng } from '../support/harness.js';

export class FakeClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now = () => this.t;
  set = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  };
  clear = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Pending timers. */
  get pending(): number {
    return this.timers.length;
  }
  /** Due time of the next timer, relative to now. */
  get nextIn(): number | undefined {
    const n = this.timers.reduce((m, x) => Math.min(m, x.at), Infinity);
    return n === Infinity ? undefined : n - this.t;
  }
  /** Move time forward by `ms`, firing due timers in order (each at its own due time). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
  /** The event loop is held (a long task, a loaded machine): time moves; timers that came due fire late, at the next advance. */
  stall(ms: number): void {
    this.t += ms;
  }
  /** Wall clock jumps (suspend): time moves, timers do not fire until the next advance. */
  jump(ms: number): void {
    this.t += ms;
    for (const x of this.timers) x.at += ms; // monotonic timers were frozen during the suspend
  }
}

/** A platform as the client sees it: the features the entry injects, and what its transports can do. */
export interface Platform {
  features: ClientFeatures;
  /** Transports have ping(), pause()/resume() and report drains (Node). */
  rich: boolean;
}
export const BROWSER: Platform = { features: browserFeatures, rich: false };
export const NODE: Platform = { features: nodeFeatures, rich: true };

export class FakeSocket implements Transport {
  sent: TransportData[] = [];
  sendOptions: unknown[] = [];
  bufferedAmount = 0;
  closedWith: [number | undefined, string | undefined] | undefined;
  terminated = false;
  paused = false;
  refuseSend = false;
  pings: { resolve: (ms: number) => void; reject: (e: Error) => void }[] = [];
  onDrain: (() => void) | undefined;
  ping?: (data?: Uint8Array) => Promise<number>;
  pause?: () => void;
  resume?: () => void;
  /** Unset: like a browser transport, which cannot say what it was waiting on. */
  timedOut?: (timeout: Error) => Error;
  constructor(
    readonly rich: boolean,
    readonly url: string,
    readonly options: TransportConnectOptions,
    readonly h: TransportHandlers,
  ) {
    if (rich) {
      this.ping = () => new Promise((resolve, reject) => this.pings.push({ resolve, reject }));
      this.pause = () => void (this.paused = true);
      this.resume = () => void (this.paused = false);
    } else delete (this as { onDrain?: unknown }).onDrain; // browser-like: no drain callback
  }
  send(data: TransportData, options?: { compress?: boolean }): void {
    if (this.refuseSend) throw new Error('not open');
    this.sent.push(data);
    this.sendOptions.push(options);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
  }
  terminate(): void {
    this.terminated = true;
  }
  // Test side:
  open(protocol = '', extensions = ''): void {
    this.h.open({ protocol, extensions });
  }
  /** Delivers `d` with the payload size the transport reports (by default what it takes on the wire). */
  message(d: IncomingData, bytes = sizeOf(d)): void {
    this.h.message(d, bytes);
  }
  end(info: Partial<CloseInfo> = {}): void {
    this.h.close({ code: 1006, reason: '', wasClean: false, ...info });
  }
}

export interface Rig<In = IncomingData> {
  conn: Connection<In>;
  clock: FakeClock;
  sockets: FakeSocket[];
  /** The newest socket. */
  readonly sock: FakeSocket;
  events: [string, unknown][];
  /** Let the client's provider promises settle. */
  settle(): Promise<void>;
  /** settle, then open the newest socket. */
  openNow(protocol?: string): Promise<FakeSocket>;
  /** When set, the transport factory throws it (a transport refusing its input). */
  factoryThrows: Error | undefined;
}

export const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** A client on fake transport and clock, recording every event in order. */
export function rig<In = IncomingData>(
  options: ConnectOptions = {},
  { platform = BROWSER, url = 'ws://test.invalid/x' as string | (() => string | Promise<string>), random = prng(7), lifecycle = undefined as ReturnType<typeof browserLifecycle> } = {},
): Rig<In> {
  const clock = new FakeClock();
  const sockets: FakeSocket[] = [];
  let result: Rig<In>;
  const factory: TransportFactory = (u, o, h) => {
    if (result.factoryThrows) throw result.factoryThrows;
    const s = new FakeSocket(platform.rich, u, o, h);
    sockets.push(s);
    return s;
  };
  // Subscribe before the first attempt, so that even its `state` event is recorded.
  const conn = connectWith<In>(factory, url, { ...options, startClosed: true }, { clock, random, lifecycle, features: platform.features });
  const events: [string, unknown][] = [];
  for (const k of ['open', 'message', 'close', 'reconnecting', 'state', 'drain', 'heartbeat', 'session', 'drop', 'error', 'end'] as const) {
    conn.on(k, (e: unknown) => void events.push([k, e]));
  }
  result = {
    conn,
    clock,
    sockets,
    get sock() {
      return sockets[sockets.length - 1]!;
    },
    events,
    settle,
    async openNow(protocol = '') {
      await settle();
      const s = sockets[sockets.length - 1]!;
      s.open(protocol);
      return s;
    },
    factoryThrows: undefined,
  };
  if (!options.startClosed) conn.open();
  return result;
}

/** Names of recorded events, optionally only some kinds. */
export const names = (events: [string, unknown][], only?: string[]) => events.map((e) => e[0]).filter((k) => !only || only.includes(k));
