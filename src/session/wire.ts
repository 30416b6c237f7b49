/**
 * The session protocol's wire format (src/session/PROTOCOL.md §3-§4): the
 * subprotocol names a session is negotiated by, the control frames, and the
 * escape that keeps data messages apart from control frames.
 *
 * Data messages travel as they are: a binary message is never a control
 * frame, and a text message is one only when it starts with MARK (U+0010,
 * "data link escape") followed by a letter. Text that starts with MARK is
 * sent with one more MARK in front, so the only data that grows on the
 * wire is text that starts with that control character (one byte).
 *
 * Owns: SESSION_PROTOCOL, MARK, ControlFrame, reading and writing frames,
 * the subprotocol offer and selection rules.
 * Imports: transport types only. Shared by the client part and every server
 * adapter: no I/O, no timers, no platform modules.
 */
import type { IncomingData, TransportData } from '../transport/types.js';

/** The subprotocol of version 1, alone (the application offers none) or as `lifeline.s1+<application subprotocol>`. */
export const SESSION_PROTOCOL = 'lifeline.s1';

/** The first character of every control frame (U+0010 DATA LINK ESCAPE). */
export const MARK = '\u0010';
const MARK_CODE = 0x10;
/** `lifeline.s1+`, written out: esbuild keeps an unused constant computed with an operator, and this module is in browser bundles. */
const PREFIX = 'lifeline.s1+';

/**
 * A control frame (§4). `received` counts data messages: the peer's
 * cumulative count of what it has received, so the next message it expects
 * is number `received + 1`.
 */
export type ControlFrame =
  /** Client: open a new session. */
  | { type: 'new' }
  /** Client: resume session `id`, proving it with `token`; it has received `received` messages. */
  | { type: 'resume'; id: string; token: string; received: number }
  /** Server: the session this connection carries from now on; it has received `received` messages. */
  | { type: 'session'; id: string; token: string; received: number }
  /** Server: the session named in `resume` is gone (a `session` frame for a new one follows). */
  | { type: 'lost' }
  /** Either: cumulative acknowledgement, every message up to number `received`. */
  | { type: 'ack'; received: number }
  /** Either: liveness probe, answered by `pong`. */
  | { type: 'ping' }
  | { type: 'pong' }
  /** Client: the application closed; forget the session (the server answers with a last `ack`). */
  | { type: 'end' };

const LETTERS = { new: 'N', resume: 'R', session: 'S', lost: 'L', ack: 'A', ping: 'P', pong: 'O', end: 'E' } as const;
const BARE: Readonly<Record<string, ControlFrame>> = { N: { type: 'new' }, L: { type: 'lost' }, P: { type: 'ping' }, O: { type: 'pong' }, E: { type: 'end' } };

/** Session ids and tokens: base64url, 1 to 64 characters. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A count: decimal, no leading zero (at most 2^53 - 1, checked by `count`). */
const COUNT = /^(0|[1-9][0-9]{0,15})$/;

/** The count `text` spells, or undefined when it is not one. */
function count(text: string): number | undefined {
  const value = Number(text);
  return COUNT.test(text) && Number.isSafeInteger(value) ? value : undefined;
}

// --- subprotocols (§3) ---

/**
 * What a session client offers for the application's subprotocols: the
 * application's own first (a server that picks the first one it is offered
 * without knowing sessions then gets what the application meant), then
 * `lifeline.s1+<each>`; `lifeline.s1` alone when the application offers none.
 */
export function offerProtocols(application: readonly string[]): string[] {
  if (application.length === 0) return [SESSION_PROTOCOL];
  return [...application, ...application.map((name) => PREFIX + name)];
}

/** The subprotocol a server selected, taken apart: whether it carries a session, and the application's subprotocol ('' when none). */
export function splitProtocol(selected: string): { session: boolean; protocol: string } {
  if (selected === SESSION_PROTOCOL) return { session: true, protocol: '' };
  if (selected.startsWith(PREFIX)) return { session: true, protocol: selected.slice(PREFIX.length) };
  return { session: false, protocol: selected };
}

/** The offered subprotocols that are the application's (without the session's). */
export function applicationProtocols(offered: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const name of offered) if (!splitProtocol(name).session) names.add(name);
  return names;
}

/**
 * The server's selection (§3): `chosen` is what the application selected
 * among `applicationProtocols(offered)` (false: none). With a session
 * variant of it on offer, that variant is selected; with none chosen and
 * `lifeline.s1` on offer, that.
 */
export function selectProtocol(offered: ReadonlySet<string>, chosen: string | false): string | false {
  if (chosen === false) return offered.has(SESSION_PROTOCOL) ? SESSION_PROTOCOL : false;
  return offered.has(PREFIX + chosen) ? PREFIX + chosen : chosen;
}

// --- frames (§4) ---

/** Whether `data` is a control frame: text that starts with MARK and not with two (an escaped data message). */
export function isControl(data: IncomingData): boolean {
  return typeof data === 'string' && data.charCodeAt(0) === MARK_CODE && data.charCodeAt(1) !== MARK_CODE;
}

/** A data message as it goes on the wire: text that starts with MARK gets one more in front. */
export function wrapData(data: TransportData): TransportData {
  return typeof data === 'string' && data.charCodeAt(0) === MARK_CODE ? MARK + data : data;
}

/** A received data message (not a control frame) as the application sent it. */
export function unwrapData(data: IncomingData): IncomingData {
  return typeof data === 'string' && data.charCodeAt(0) === MARK_CODE ? data.slice(1) : data;
}

/** The text of a control frame. */
export function writeControl(frame: ControlFrame): string {
  const letter = MARK + LETTERS[frame.type];
  switch (frame.type) {
    case 'resume':
    case 'session':
      return `${letter}${frame.id} ${frame.token} ${frame.received}`;
    case 'ack':
      return letter + frame.received;
    default:
      return letter;
  }
}

/** Reads a control frame (text for which `isControl` is true); undefined when it is malformed. */
export function readControl(text: string): ControlFrame | undefined {
  const letter = text.charAt(1);
  const rest = text.slice(2);
  const bare = BARE[letter];
  if (bare) return rest === '' ? bare : undefined;
  if (letter === 'A') {
    const received = count(rest);
    return received === undefined ? undefined : { type: 'ack', received };
  }
  if (letter !== 'R' && letter !== 'S') return undefined;
  const fields = rest.split(' ');
  if (fields.length !== 3) return undefined;
  const [id, token, countText] = fields as [string, string, string];
  const received = count(countText);
  if (!NAME.test(id) || !NAME.test(token) || received === undefined) return undefined;
  return { type: letter === 'R' ? 'resume' : 'session', id, token, received };
}
