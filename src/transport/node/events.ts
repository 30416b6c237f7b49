/**
 * Standards-shaped events and a small event target for the Node `WebSocket`.
 *
 * Owns: `Event`, `MessageEvent`, `CloseEvent`, `ErrorEvent` (the WHATWG
 * shapes: `type`, `target`, `currentTarget`, `data`, `code`, `reason`,
 * `wasClean`, ...), and `LightEventTarget` (addEventListener /
 * removeEventListener / dispatchEvent with `once`, plus `on<type>` handler
 * attributes that keep their registration slot, as HTML §8.1.8.1 says).
 *
 * Types: `addEventListener` takes an event map (`WebSocketEventMap` for the
 * WebSocket), as lib.dom does, so `addEventListener('message', (event) => event.data)`
 * is typed. The declared event shapes are supertypes of lib.dom's (no
 * private or internal members in the published declarations), so a handler
 * typed with our events also accepts DOM events: that keeps the WebSocket
 * class assignable where libraries declare a DOM-like WebSocket type.
 *
 * Why not Node's EventTarget: `dispatchEvent(new MessageEvent())` costs about
 * 0.17 µs per event in Node 20, more than half of ws's whole receive path
 * (see perf-notes "Event dispatch"). These classes keep the observable shape
 * but allocate one small object per event and call listeners directly.
 * Imports nothing from the protocol core or the socket layer.
 */

type Callback = ((event: any) => unknown) | { handleEvent(event: any): unknown };

/** A listener for events of type `E` on target `T` (a function, called with `this` = the target, or a `handleEvent` object). */
export type Listener<T, E> = ((this: T, event: E) => unknown) | { handleEvent(event: E): unknown };

/** One registered listener. `attr` marks the `on<type>` handler slot. */
interface Entry {
  fn: Callback;
  once: boolean;
  attr: boolean;
}

/**
 * A WHATWG-shaped event. `timeStamp` is taken lazily (the clock is read on
 * the first read of it, which fixes it) to keep construction cheap; bubbling, cancelation and composition do not apply to
 * a WebSocket (no tree), so those fields are constants.
 */
export class Event {
  static readonly NONE = 0;
  static readonly CAPTURING_PHASE = 1;
  static readonly AT_TARGET = 2;
  static readonly BUBBLING_PHASE = 3;
  readonly type: string;
  /** The WebSocket while the event is dispatched (null before). */
  target: unknown = null;
  currentTarget: unknown = null;
  /** @internal set by stopImmediatePropagation() (left out of the published declarations: see the module header) */
  _stop = false;
  /** @internal the clock at the first read of `timeStamp`, -1 before (see the class comment) */
  _timeStamp = -1;
  constructor(type: string) {
    this.type = type;
  }
  get srcElement(): unknown {
    return this.target;
  }
  get eventPhase(): number {
    return this.currentTarget === null ? 0 : 2;
  }
  get bubbles(): boolean {
    return false;
  }
  get cancelable(): boolean {
    return false;
  }
  get composed(): boolean {
    return false;
  }
  get defaultPrevented(): boolean {
    return false;
  }
  get isTrusted(): boolean {
    return true;
  }
  get returnValue(): boolean {
    return true;
  }
  get cancelBubble(): boolean {
    return this._stop;
  }
  get timeStamp(): number {
    if (this._timeStamp < 0) this._timeStamp = performance.now();
    return this._timeStamp;
  }
  composedPath(): unknown[] {
    return this.currentTarget === null ? [] : [this.currentTarget];
  }
  preventDefault(): void {}
  stopPropagation(): void {}
  stopImmediatePropagation(): void {
    this._stop = true;
  }
}

/** `message` (and the Node-only `ping` / `pong`): `data` is a string, ArrayBuffer, Blob or Buffer per `binaryType`. */
export class MessageEvent<T = unknown> extends Event {
  readonly data: T;
  constructor(type: string, data: T) {
    super(type);
    this.data = data;
  }
  get origin(): string {
    return '';
  }
  get lastEventId(): string {
    return '';
  }
  /** Always null (declared `unknown`, so lib.dom's MessageEvent stays assignable to this type). */
  get source(): unknown {
    return null;
  }
  get ports(): readonly unknown[] {
    return [];
  }
}

/** `close`: the code and reason from the peer's close frame (1005 none, 1006 abnormal). */
export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, code: number, reason: string, wasClean: boolean) {
    super(type);
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/**
 * `error`: browsers fire a bare Event; in Node we also say why. `error` is
 * the cause (a `HandshakeError` with `status`, `headers`, `bodyText` for a
 * refused upgrade; a `ProtocolError` for a peer violation; a Node system
 * error such as ECONNREFUSED), `message` its text. `status` and
 * `retryAfterMs` repeat what a refused handshake said, when it said it.
 */
export class ErrorEvent extends Event {
  readonly error: Error;
  readonly message: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(type: string, error: Error, status?: number, retryAfterMs?: number) {
    super(type);
    this.error = error;
    this.message = error.message;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Listener options accepted by addEventListener (capture/passive have no effect without a tree). */
export interface ListenerOptions {
  once?: boolean;
  capture?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** Reports a listener's exception the way Node's EventTarget does: as an uncaught exception, never swallowing it and never unwinding our state. */
function report(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

function call(entry: Entry, target: unknown, event: Event): void {
  const fn = entry.fn;
  try {
    if (typeof fn === 'function') fn.call(target, event);
    else fn.handleEvent(event);
  } catch (error) {
    report(error);
  }
}

/**
 * The listeners of one type: the entry itself while it is the only one (the
 * usual case: one `onmessage` or one `addEventListener`), a list from the
 * second one on (and for good after that, so a dispatch's snapshot can check
 * the live list). An idle connection with the usual handlers keeps one
 * small object per type and no arrays.
 */
type Slot = Entry | Entry[];

/**
 * Slots by type. The four WebSocket event types are fixed fields (a
 * fast-mode object, no hash table); anything else goes to `extra`.
 */
class ListenerMap {
  open: Slot | undefined = undefined;
  message: Slot | undefined = undefined;
  error: Slot | undefined = undefined;
  close: Slot | undefined = undefined;
  extra: Record<string, Slot | undefined> | undefined = undefined;
}

function slotOf(map: ListenerMap | undefined, type: string): Slot | undefined {
  if (map === undefined) return undefined;
  switch (type) {
    case 'message':
      return map.message;
    case 'open':
      return map.open;
    case 'close':
      return map.close;
    case 'error':
      return map.error;
    default:
      return map.extra?.[type];
  }
}

function setSlot(map: ListenerMap, type: string, slot: Slot | undefined): void {
  switch (type) {
    case 'message':
      map.message = slot;
      break;
    case 'open':
      map.open = slot;
      break;
    case 'close':
      map.close = slot;
      break;
    case 'error':
      map.error = slot;
      break;
    default:
      (map.extra ??= Object.create(null) as Record<string, Slot | undefined>)[type] = slot;
  }
}

/** @internal true when `slot` holds at least one listener. */
export function listening(slot: Slot | undefined): boolean {
  return slot !== undefined && (!Array.isArray(slot) || slot.length !== 0);
}

const NO_ENTRIES: readonly Entry[] = [];

/** The entries of a slot as a list, for the paths that run per registration, not per event. */
function entriesOf(slot: Slot | undefined): readonly Entry[] {
  if (slot === undefined) return NO_ENTRIES;
  return Array.isArray(slot) ? slot : [slot];
}

function addTo(target: LightEventTarget<object>, type: string, entry: Entry): void {
  const map = (target._listeners ??= new ListenerMap());
  const slot = slotOf(map, type);
  if (slot === undefined) setSlot(map, type, entry);
  else if (Array.isArray(slot)) slot.push(entry);
  else setSlot(map, type, [slot, entry]);
}

/** Removes `entry` from its slot, if it is there. */
function removeFrom(map: ListenerMap | undefined, type: string, entry: Entry): void {
  const slot = slotOf(map, type);
  if (slot === entry) {
    setSlot(map!, type, undefined);
  } else if (Array.isArray(slot)) {
    const index = slot.indexOf(entry);
    if (index >= 0) slot.splice(index, 1);
  }
}

/** Whether `entry` is still registered for `type` (DOM §2.9: a listener removed during a dispatch does not run). */
function isListed(map: ListenerMap | undefined, type: string, entry: Entry): boolean {
  const slot = slotOf(map, type);
  return slot === entry || (Array.isArray(slot) && slot.includes(entry));
}

/**
 * The event target shared by the WebSocket class. The slots are made on the
 * first registration, so an idle socket with no listeners costs one field.
 */
export class LightEventTarget<EventMap extends object = Record<string, Event>> {
  /** @internal listeners by type; undefined until the first registration */
  _listeners: ListenerMap | undefined = undefined;

  /** Adds a listener (DOM §2.7: no duplicates; `once`; `signal` removes it). Typed by the event map, as lib.dom's WebSocket is. */
  addEventListener<K extends keyof EventMap & string>(type: K, listener: Listener<this, EventMap[K]> | null | undefined, options?: ListenerOptions | boolean): void;
  addEventListener(type: string, listener: Listener<this, Event> | null | undefined, options?: ListenerOptions | boolean): void;
  addEventListener(type: string, listener: Callback | null | undefined, options?: ListenerOptions | boolean): void {
    if (listener === null || listener === undefined) return;
    const once = typeof options === 'object' && options !== null && options.once === true;
    const signal = typeof options === 'object' && options !== null ? options.signal : undefined;
    if (signal?.aborted) return;
    for (const existing of entriesOf(slotOf(this._listeners, type))) if (existing.fn === listener && !existing.attr) return; // no duplicates (DOM §2.7)
    const entry: Entry = { fn: listener, once, attr: false };
    addTo(this, type, entry);
    signal?.addEventListener('abort', () => this._remove(type, entry), { once: true });
  }

  removeEventListener<K extends keyof EventMap & string>(type: K, listener: Listener<this, EventMap[K]> | null | undefined, options?: ListenerOptions | boolean): void;
  removeEventListener(type: string, listener: Listener<this, Event> | null | undefined, options?: ListenerOptions | boolean): void;
  removeEventListener(type: string, listener: Callback | null | undefined, _options?: ListenerOptions | boolean): void {
    if (listener === null || listener === undefined) return;
    const entry = entriesOf(slotOf(this._listeners, type)).find((candidate) => candidate.fn === listener && !candidate.attr);
    if (entry !== undefined) removeFrom(this._listeners, type, entry);
  }

  /** Dispatches any object with a string `type` (ours or a user's `Event`). Returns true (nothing is cancelable). */
  dispatchEvent(event: Event | { type: string }): boolean {
    if (event instanceof Event) this._dispatch(event);
    else this._dispatchForeign(event);
    return true;
  }

  /** @internal true when anything listens for `type` (lets callers skip building the event). */
  _has(type: string): boolean {
    return listening(slotOf(this._listeners, type));
  }

  /** @internal */
  _dispatch(event: Event): void {
    const slot = slotOf(this._listeners, event.type);
    if (slot === undefined) return;
    if (!Array.isArray(slot)) {
      // The usual case, one listener: nothing to snapshot.
      event.target = this;
      event.currentTarget = this;
      if (slot.once) setSlot(this._listeners!, event.type, undefined);
      call(slot, this, event);
    } else {
      if (slot.length === 0) return;
      event.target = this;
      event.currentTarget = this;
      // Listeners added during dispatch do not run now; removed ones do not either (DOM §2.9).
      for (const entry of slot.slice()) {
        if (!slot.includes(entry)) continue;
        if (entry.once) this._remove(event.type, entry);
        call(entry, this, event);
        if (event._stop) break;
      }
    }
    event.currentTarget = null;
  }

  /** @internal */
  private _dispatchForeign(event: { type: string }): void {
    for (const entry of entriesOf(slotOf(this._listeners, event.type)).slice()) {
      if (!isListed(this._listeners, event.type, entry)) continue;
      if (entry.once) this._remove(event.type, entry);
      call(entry, this, event as Event);
    }
  }

  /** @internal */
  _remove(type: string, entry: Entry): void {
    removeFrom(this._listeners, type, entry);
  }

  /** @internal the `on<type>` getter */
  _getAttr(type: string): ((event: any) => unknown) | null {
    const handler = entriesOf(slotOf(this._listeners, type)).find((entry) => entry.attr);
    return handler === undefined ? null : (handler.fn as (event: any) => unknown);
  }

  /** @internal the `on<type>` setter: replaces in place, keeps the slot (HTML §8.1.8.1), null removes. */
  _setAttr(type: string, fn: unknown): void {
    const handler = entriesOf(slotOf(this._listeners, type)).find((entry) => entry.attr);
    if (handler !== undefined) {
      if (typeof fn === 'function') handler.fn = fn as Callback;
      else removeFrom(this._listeners, type, handler);
      return;
    }
    if (typeof fn !== 'function') return;
    addTo(this, type, { fn: fn as Callback, once: false, attr: true });
  }
}
