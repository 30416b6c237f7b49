/**
 * The resilient client's states and the one table that moves between them.
 * Every state change in src/client/client.ts goes through `next()`; an event
 * that is not in the table is a bug in the client, and `next()` throws an
 * Error naming both the state and the event (never silently ignored).
 *
 * Owns: the state names, the transition events, the table.
 * Imports: nothing.
 *
 *   closed ──dial──▶ connecting ──opened──▶ open ──close──▶ closing ──end──▶ closed
 *                      │  ▲                  │                 │
 *                 lost │  │ dial        lost │            dial │ (reconnect())
 *                      ▼  │                  ▼                 ▼
 *                     waiting ◀──────────────┘             connecting
 *   any state but closed ──end──▶ closed (close(), terminate(), give up)
 */

/** Where a connection is. `waiting` = waiting out the backoff delay before the next attempt. */
export type State = 'connecting' | 'open' | 'closing' | 'waiting' | 'closed';

/**
 * What can happen: `dial` starts an attempt (first connect, backoff timer,
 * wake-up, `reconnect()`); `opened` the handshake completed; `lost` the
 * attempt or connection ended and a retry is scheduled; `close` our close
 * handshake started; `end` the client stopped for good (until `reconnect()`).
 */
export type Transition = 'dial' | 'opened' | 'lost' | 'close' | 'end';

/** The transition table: `table[state][event]` is the next state; a missing cell is a bug. */
export const table: { readonly [S in State]: Readonly<Partial<Record<Transition, State>>> } = {
  closed: { dial: 'connecting' },
  connecting: { dial: 'connecting', opened: 'open', lost: 'waiting', end: 'closed' },
  open: { dial: 'connecting', lost: 'waiting', close: 'closing', end: 'closed' },
  closing: { dial: 'connecting', end: 'closed' },
  waiting: { dial: 'connecting', end: 'closed' },
};

/** The state after `event` in `state`; throws if the table has no such transition. */
export function next(state: State, event: Transition): State {
  const to = table[state][event];
  if (!to) throw Error(`lifeline: no '${event}' in '${state}'`);
  return to;
}
