/**
 * One tab's sends on a shared connection, from `send()` until the leader
 * says it handed them to the socket (or rejected them). A message is
 * either held here (no leader is known yet, or its leader went away) or
 * out with a leader, named by its term, that has not answered yet. When a
 * leader goes away, what was out with it comes back here and goes, in the
 * original order, to the next leader: this is how a hand-over loses and
 * duplicates nothing. Its promise settles once, when the message is
 * settled here.
 *
 * The send options apply as in the client's own queue: `ttl` here while a
 * message is held (a leader enforces what is left of it while it has the
 * message), `dropOnReconnect` when an open connection is lost, and the
 * bounds (`maxQueued`, `maxQueuedBytes`, `overflow`) to messages that have
 * to be held. Every rejection is also reported through `dropped`.
 *
 * Owns: the records and their settling. Does not know about tabs, channels
 * or leaders beyond a term string.
 * Imports: the clock type, errors, the send and queue option types.
 */
import { ErrorCodes, LifelineError, type ErrorCode } from '../../protocol/errors.js';
import type { OutgoingData } from '../../transport/types.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { QueueLimits, SendOptions } from '../send-queue.js';

export interface OutboxRecord {
  readonly id: number;
  /** The value given to send() (for `drop` events). */
  readonly value: unknown;
  /** Encoded by this tab's codec. */
  readonly data: OutgoingData;
  readonly bytes: number;
  readonly options: SendOptions;
  /** Wall-clock time its ttl runs out; 0 without a ttl. */
  readonly deadline: number;
  /** The leader term it was handed to, undefined while held here. */
  term: string | undefined;
}

export interface OutboxHooks {
  /** A send was rejected (its promise already is). */
  dropped(value: unknown, error: Error): void;
}

export interface Outbox {
  /** Messages not settled yet. */
  readonly length: number;
  readonly bytes: number;
  /**
   * A new send. With `closedWhy` it is rejected at once (WS_ERR_CLIENT_CLOSED);
   * with `hold` the bounds apply (it waits here). Returns its promise, and
   * its record unless it was rejected.
   */
  add(value: unknown, data: OutgoingData, bytes: number, options: SendOptions, hold: boolean, closedWhy?: string): { promise: Promise<void>; record: OutboxRecord | undefined };
  /** The held records, in order. */
  held(): OutboxRecord[];
  /** Unsettled records, in order. */
  all(): readonly OutboxRecord[];
  /** What is left of `record`'s ttl, ms (undefined: none); a record past its deadline is rejected here and 0 returned. */
  remaining(record: OutboxRecord): number | undefined;
  /** The leader settled send `id`: resolved, or rejected with `error`. Unknown ids are ignored. */
  settle(id: number, error?: Error): void;
  /** Leader `term` (every leader when undefined) went away: what was out with it is held again. With `lost` (an open connection was lost), `dropOnReconnect` messages are rejected. */
  recall(lost: boolean, term?: string): void;
  /** Rejects the held records (WS_ERR_CLIENT_CLOSED) and, with `everything`, those out with a leader too. */
  rejectHeld(why: string, everything?: boolean): void;
  /** Takes records out without settling them (their tab is going away: another tab sends them). */
  abandon(records: readonly OutboxRecord[]): void;
}

const noop = (): void => {};

export function createOutbox(limits: QueueLimits, clock: Clock, hooks: OutboxHooks): Outbox {
  const records: OutboxRecord[] = [];
  const settlers = new Map<number, { resolve(): void; reject(error: Error): void; expiry: TimerHandle }>();
  let nextId = 1;

  const heldBytes = (): number => records.reduce((sum, record) => sum + (record.term === undefined ? record.bytes : 0), 0);

  const take = (record: OutboxRecord) => {
    const index = records.indexOf(record);
    if (index >= 0) records.splice(index, 1);
    const settler = settlers.get(record.id);
    settlers.delete(record.id);
    if (settler) clock.clear(settler.expiry);
    return settler;
  };

  const reject = (record: OutboxRecord, code: ErrorCode, why: string): void => {
    const settler = take(record);
    if (!settler) return;
    const error = new LifelineError(code, `lifeline: ${why}`);
    settler.reject(error);
    hooks.dropped(record.value, error);
  };

  /** Applies the bounds to a record that has to be held; false when the overflow policy rejected it. */
  const makeRoom = (bytes: number): 'fits' | ErrorCode => {
    const { maxQueued, maxQueuedBytes, overflow } = limits;
    const fits = (): boolean => outbox.held().length < maxQueued && heldBytes() + bytes <= maxQueuedBytes;
    while (overflow === 'drop-oldest' && bytes <= maxQueuedBytes && outbox.held().length && !fits()) {
      reject(outbox.held()[0]!, ErrorCodes.SEND_DROPPED, 'dropped for a newer message (overflow drop-oldest)');
    }
    if (fits()) return 'fits';
    return overflow === 'reject' ? ErrorCodes.QUEUE_FULL : ErrorCodes.SEND_DROPPED;
  };

  const outbox: Outbox = {
    get length() {
      return records.length;
    },
    get bytes() {
      return records.reduce((sum, record) => sum + record.bytes, 0);
    },
    add(value, data, bytes, options, hold, closedWhy) {
      let settler!: { resolve(): void; reject(error: Error): void };
      const promise = new Promise<void>((resolve, reject) => (settler = { resolve, reject }));
      // The caller may ignore the promise: a rejection is also reported through `dropped`.
      promise.catch(noop);
      const ttl = options.ttl ?? 0;
      const record: OutboxRecord = { id: nextId++, value, data, bytes, options, deadline: ttl ? clock.now() + ttl : 0, term: undefined };
      const refuse = (code: ErrorCode, why: string): { promise: Promise<void>; record: undefined } => {
        const error = new LifelineError(code, `lifeline: ${why}`);
        settler.reject(error);
        hooks.dropped(value, error);
        return { promise, record: undefined };
      };
      if (closedWhy) return refuse(ErrorCodes.CLIENT_CLOSED, closedWhy);
      if (hold) {
        const room = makeRoom(bytes);
        if (room !== 'fits') {
          const { maxQueued, maxQueuedBytes, overflow } = limits;
          return refuse(room, `send queue full (maxQueued ${maxQueued}, maxQueuedBytes ${maxQueuedBytes}; overflow ${overflow})`);
        }
      }
      records.push(record);
      // While held here, the ttl is ours to enforce; a leader enforces what is left of it while it has the message.
      const expiry = ttl ? clock.set(() => record.term === undefined && reject(record, ErrorCodes.SEND_EXPIRED, `still queued after ttl ${ttl} ms`), ttl) : undefined;
      settlers.set(record.id, { ...settler, expiry });
      return { promise, record };
    },
    held: () => records.filter((record) => record.term === undefined),
    all: () => records,
    remaining(record) {
      if (!record.deadline) return undefined;
      const left = record.deadline - clock.now();
      if (left > 0) return left;
      reject(record, ErrorCodes.SEND_EXPIRED, `still queued after ttl ${record.options.ttl} ms`);
      return 0;
    },
    settle(id, error) {
      const record = records.find((candidate) => candidate.id === id);
      if (!record) return;
      if (!error) {
        take(record)?.resolve();
        return;
      }
      const settler = take(record);
      settler?.reject(error);
      hooks.dropped(record.value, error);
    },
    recall(lost, term) {
      const back = records.filter((record) => record.term !== undefined && (term === undefined || record.term === term));
      for (const record of back) record.term = undefined;
      for (const record of back) {
        if (lost && record.options.dropOnReconnect) reject(record, ErrorCodes.SEND_DROPPED, 'connection lost while queued (dropOnReconnect)');
        // A ttl that ran out while a leader had the message expires now that it is back here.
        else outbox.remaining(record);
      }
    },
    rejectHeld(why, everything = false) {
      for (const record of records.slice()) {
        if (everything || record.term === undefined) reject(record, ErrorCodes.CLIENT_CLOSED, why);
      }
    },
    abandon(abandoned) {
      for (const record of abandoned) take(record);
    },
  };
  return outbox;
}
