/**
 * The resilient client's states and the one table that moves between them.
 * Each cell names the next state and the action the client performs on the
 * way (src/client/client.ts has one function per action). Every state change
 * goes through `step()`; an event that has no cell in the current state is a
 * bug in the client, and `step()` throws an Error naming both.
 *
 * Owns: the state names, the events, the actions' names, the table.
 * Imports: nothing.
 *
 *   closed ──connect──▶ connecting ──opened──▶ open ──close──▶ closing ──closed──▶ closed
 *                        │   ▲                  │                 │
 *                  retry │   │ connect,   retry │         connect │ (reconnect(), open())
 *                        ▼   │ wake             ▼                 ▼
 *                       waiting ◀───────────────┘             connecting
 *   giveUp (connecting, open), close (connecting, waiting) and terminate
 *   (every state but closed) ──▶ closed; the table below is the whole truth.
 */

/** Where a connection is. `waiting` = waiting out the backoff delay before the next attempt. */
export type State = 'connecting' | 'open' | 'closing' | 'waiting' | 'closed';

/**
 * What can happen:
 * - `connect`: start an attempt (first connect, `open()`, `reconnect()`, the backoff timer);
 * - `wake`: the page came back (online, visible, restored from the back/forward cache);
 * - `opened`: the handshake completed;
 * - `retry` / `giveUp`: the attempt or connection ended without our asking, and the retry rules said retry / stop;
 * - `close`: the application asked to close; `closed`: our closing handshake finished (or timed out);
 * - `terminate`: the application dropped the connection.
 */
export type Transition = 'connect' | 'wake' | 'opened' | 'retry' | 'giveUp' | 'close' | 'closed' | 'terminate';

/**
 * What the client does on a step:
 * - `dial`: open a transport (no transport is current);
 * - `redial`: abandon the current transport (a polite close when open), then dial;
 * - `activate`: the connection is open: tell the parts (the heartbeat starts), flush the queue, emit `open`;
 * - `probe`: tell the parts the page came back (the heartbeat probes at once);
 * - `wait`: schedule the next attempt;
 * - `startClosing`: send our close frame and arm the close deadline;
 * - `finish`: drop any transport, reject what is queued, emit `end`;
 * - `none`: nothing to do (a cell that is legal but changes nothing).
 */
export type Action = 'dial' | 'redial' | 'activate' | 'probe' | 'wait' | 'startClosing' | 'finish' | 'none';

/** One cell: the next state and the action on the way. */
export interface Step {
  readonly to: State;
  readonly action: Action;
}

const go = (to: State, action: Action): Step => ({ to, action });

/** The transition table: `table[state][event]`; a missing cell is a bug. */
export const table: { readonly [S in State]: Readonly<Partial<Record<Transition, Step>>> } = {
  closed: {
    connect: go('connecting', 'dial'),
    wake: go('closed', 'none'),
    close: go('closed', 'none'),
    terminate: go('closed', 'none'),
  },
  connecting: {
    connect: go('connecting', 'redial'),
    wake: go('connecting', 'none'),
    opened: go('open', 'activate'),
    retry: go('waiting', 'wait'),
    giveUp: go('closed', 'finish'),
    close: go('closed', 'finish'),
    terminate: go('closed', 'finish'),
  },
  open: {
    connect: go('connecting', 'redial'),
    wake: go('open', 'probe'),
    retry: go('waiting', 'wait'),
    giveUp: go('closed', 'finish'),
    close: go('closing', 'startClosing'),
    terminate: go('closed', 'finish'),
  },
  closing: {
    connect: go('connecting', 'redial'),
    wake: go('closing', 'none'),
    close: go('closing', 'none'),
    closed: go('closed', 'finish'),
    terminate: go('closed', 'finish'),
  },
  waiting: {
    connect: go('connecting', 'dial'),
    wake: go('connecting', 'dial'),
    close: go('closed', 'finish'),
    terminate: go('closed', 'finish'),
  },
};

/** The step for `event` in `state`; throws if the table has no such cell. */
export function step(state: State, event: Transition): Step {
  const cell = table[state][event];
  if (!cell) throw new Error(`lifeline: the client has no '${event}' transition in state '${state}' (a bug in lifeline)`);
  return cell;
}
