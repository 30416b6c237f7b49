/**
 * Faults a test server injects on purpose, so a client's recovery can be
 * watched and tested: drop every connection without a close frame, close
 * with a code, refuse handshakes with a status (and Retry-After) for a
 * while, go silent (half-open), read slowly, restart, delay the handshake
 * answer, send a malformed frame. The same names everywhere: stdin
 * commands (`runFaultCommand`), the HTTP control endpoint
 * (`controlRequest`: /fault/<name>?param=value), scripted schedules
 * (chaos.ts) and the demo server.
 *
 * Owns: fault state and its effect on a `WebSocketServer` (through the
 * `gate` / `opened` hooks an application calls from its handlers, and the
 * server's connections), the fault table with parameters and help, the
 * malformed-frame catalogue. Imports the server and the protocol's close
 * rules; never the client or the CLI.
 */
import { isValidWireCloseCode } from '../protocol/close.js';
import type { HttpRequest } from '../protocol/server-handshake.js';
import type { HttpAnswer, UpgradeAnswer, WebSocketServer } from './server.js';
import type { ServerConnection } from './connection.js';

/** Where a fault came from (for the event log). */
export type FaultSource = 'stdin' | 'http' | 'chaos' | 'api';

/** One fault that ran: its name, the parameters it was given, what it did. */
export interface FaultEvent {
  fault: string;
  params: Record<string, string>;
  message: string;
  source: FaultSource;
}

/** A bad fault parameter (unknown fault, value out of range): the control endpoint answers 400, stdin prints it. */
export class FaultError extends Error {
  override name = 'FaultError';
}

/**
 * Malformed frames the `malformed` fault can send, each breaking one rule a
 * client must enforce, and the close code a conforming client answers with.
 */
export const MALFORMED: Readonly<Record<string, { bytes: readonly number[]; rule: string; expect: number }>> = {
  opcode: { bytes: [0x83, 0x00], rule: 'a reserved opcode 0x3 (RFC 6455 §5.2)', expect: 1002 },
  rsv: { bytes: [0xa1, 0x02, 0x68, 0x69], rule: 'RSV2 set without an extension (§5.2)', expect: 1002 },
  mask: { bytes: [0x81, 0x82, 0x01, 0x02, 0x03, 0x04, 0x69, 0x6b], rule: 'a masked frame from the server (§5.1)', expect: 1002 },
  length: { bytes: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x01], rule: 'a 64-bit length with its most significant bit set (§5.2)', expect: 1002 },
  control: { bytes: [0x09, 0x00], rule: 'a fragmented ping (§5.5)', expect: 1002 },
  continuation: { bytes: [0x80, 0x02, 0x68, 0x69], rule: 'a continuation frame with no message to continue (§5.4)', expect: 1002 },
  utf8: { bytes: [0x81, 0x02, 0xc0, 0xaf], rule: 'a text frame that is not UTF-8 (§8.1)', expect: 1007 },
  'close-code': { bytes: [0x88, 0x02, 0x03, 0xed], rule: 'a close frame with code 1005, which must not be sent (§7.4.1)', expect: 1002 },
};

interface ParamSpec {
  name: string;
  /** `int` (with bounds), `seconds` (a duration: 5, 5s, 500ms, 2m), `code` (a close code valid on the wire), `text`, `choice`. */
  kind: 'int' | 'seconds' | 'code' | 'text' | 'choice';
  default: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
}

/** A fault: its parameters (positional on stdin, named over HTTP and in --chaos) and what it does. */
export interface FaultSpec {
  name: string;
  aliases?: readonly string[];
  params: readonly ParamSpec[];
  summary: string;
  run(faults: Faults, values: Record<string, string>): string;
}

const seconds = (name: string, dflt: string, max: number, help: string): ParamSpec => ({ name, kind: 'seconds', default: dflt, min: 0, max, help });

/** Every fault, in the order help lists them. */
export const FAULTS: readonly FaultSpec[] = [
  { name: 'drop', params: [], summary: 'drop every connection without a close frame (clients see 1006)', run: (faults) => faults.drop() },
  {
    name: 'close',
    params: [
      { name: 'code', kind: 'code', default: '1012', help: 'close code (1000-1003, 1007-1014, 3000-4999)' },
      { name: 'reason', kind: 'text', default: '', help: 'close reason (at most 123 bytes)' },
    ],
    summary: 'close every connection with a close frame',
    // An empty reason: the server's default (the demo's 'closed by demo fault').
    run: (faults, values) => faults.closeAll(Number(values['code']), values['reason'] === '' ? undefined : values['reason']),
  },
  {
    name: 'refuse',
    params: [
      { name: 'status', kind: 'int', default: '503', min: 400, max: 599, help: 'HTTP status' },
      seconds('seconds', '5', 3600, 'for how long'),
      { name: 'retry-after', kind: 'text', default: 'auto', help: "Retry-After seconds, 'auto' (the time left) or 'none'" },
    ],
    summary: 'refuse new handshakes with an HTTP status (and Retry-After) for a while',
    run: (faults, values) => faults.refuse(Number(values['status']), Number(values['seconds']), values['retry-after']!),
  },
  {
    name: 'silent',
    aliases: ['halfopen', 'half-open'],
    params: [seconds('seconds', '0', 3600, 'new connections go silent too for this long')],
    summary: 'half-open: connections stop reading, answering and sending; TCP stays open',
    run: (faults, values) => faults.silent(Number(values['seconds'])),
  },
  {
    name: 'slow',
    params: [seconds('seconds', '10', 3600, 'for how long')],
    summary: 'slow reader: stop reading from every connection (TCP backpressure)',
    run: (faults, values) => faults.slow(Number(values['seconds'])),
  },
  {
    name: 'restart',
    params: [seconds('seconds', '2', 600, 'down for this long')],
    summary: 'drop everything, stop listening, listen again on the same port',
    run: (faults, values) => faults.restart(Number(values['seconds'])),
  },
  {
    name: 'delay',
    params: [seconds('seconds', '5', 600, 'delay of each handshake answer'), seconds('for', '0', 3600, 'for how long (0: until reset)')],
    summary: 'delay the answer to every new handshake',
    run: (faults, values) => faults.delay(Number(values['seconds']), Number(values['for'])),
  },
  {
    name: 'malformed',
    params: [{ name: 'kind', kind: 'choice', default: 'opcode', choices: Object.keys(MALFORMED), help: Object.keys(MALFORMED).join(' | ') }],
    summary: 'send a malformed frame to every connection (a client must fail it)',
    run: (faults, values) => faults.malformed(values['kind']!),
  },
  { name: 'reset', params: [], summary: 'clear every fault (silent connections stay silent)', run: (faults) => faults.reset() },
];

/** Finds a fault by name or alias (case-insensitive). */
export function findFault(name: string): FaultSpec | undefined {
  const lowerName = name.toLowerCase();
  return FAULTS.find((spec) => spec.name === lowerName || (spec.aliases ?? []).includes(lowerName));
}

/** Parses a duration: `5`, `1.5`, `5s`, `500ms`, `2m`; returns seconds, or NaN. */
export function parseSeconds(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'ms' ? value / 1000 : match[2] === 'm' ? value * 60 : value;
}

function checkParam(fault: string, param: ParamSpec, raw: string): string {
  const bad = (expected: string) => new FaultError(`${fault}: ${param.name} must be ${expected}, got '${raw}'`);
  switch (param.kind) {
    case 'int': {
      const value = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || value < param.min! || value > param.max!) throw bad(`an integer from ${param.min} to ${param.max}`);
      return String(value);
    }
    case 'seconds': {
      const value = parseSeconds(raw);
      if (!Number.isFinite(value) || value < param.min! || value > param.max!) throw bad(`a duration from ${param.min} to ${param.max} s (5, 1.5, 500ms, 2m)`);
      return String(value);
    }
    case 'code': {
      const value = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !isValidWireCloseCode(value)) throw bad('a close code a server may send (1000-1003, 1007-1014, 3000-4999)');
      return String(value);
    }
    case 'choice':
      if (!param.choices!.includes(raw)) throw bad(`one of ${param.choices!.join(', ')}`);
      return raw;
    case 'text':
      return raw;
  }
}

/**
 * Checks `given` (named parameters) against a fault's table and fills in
 * defaults. Throws `FaultError` for an unknown fault or parameter or a bad value.
 */
export function resolveFault(name: string, given: Readonly<Record<string, string>>): { spec: FaultSpec; values: Record<string, string> } {
  const spec = findFault(name);
  if (spec === undefined) throw new FaultError(`no fault '${name}' (${FAULTS.map((fault) => fault.name).join(', ')})`);
  const values: Record<string, string> = {};
  for (const key of Object.keys(given)) {
    if (!spec.params.some((param) => param.name === key)) {
      throw new FaultError(`${spec.name}: unknown parameter '${key}'${spec.params.length ? ` (${spec.params.map((param) => param.name).join(', ')})` : ' (it takes none)'}`);
    }
  }
  for (const param of spec.params) values[param.name] = given[param.name] === undefined ? param.default : checkParam(spec.name, param, given[param.name]!);
  return { spec, values };
}

/** Options of `Faults`. */
export interface FaultOptions {
  /** Told about every fault run through `run()` (stdin, HTTP, chaos). */
  onFault?: (event: FaultEvent) => void;
  /** Lines about what faults do over time (slow reader over, restarted ...). */
  log?: (line: string) => void;
  /** Default reason of the close fault. Default ''. */
  closeReason?: string;
  /** A silent connection is dropped after this long, as a vanished peer's would be, ms. Default 120,000. */
  silentTimeout?: number;
}

/** Fault state for one server. Wire `gate`, `opened` and `closed` into the server's handlers. */
export class Faults {
  private readonly server: WebSocketServer;
  private readonly options: FaultOptions;
  private refuseUntil = 0;
  private refuseStatus = 503;
  private refuseRetryAfter = 'auto';
  private silentUntil = 0;
  private slowUntil = 0;
  private delayMs = 0;
  /** 0 with delayMs > 0: until reset. */
  private delayUntil = 0;
  private restartUntil = 0;
  private restarting = false;
  private disposed = false;
  private slowTimer: NodeJS.Timeout | undefined = undefined;
  private readonly silentSet = new Set<ServerConnection>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(server: WebSocketServer, options: FaultOptions = {}) {
    this.server = server;
    this.options = options;
  }

  // ---- hooks for the server's handlers ----

  /**
   * Call from the `upgrade` handler: a refusal while refusing, a delayed
   * continuation while delaying, else `next()` (the application's answer).
   */
  gate(conn: ServerConnection, next: () => UpgradeAnswer | Promise<UpgradeAnswer>): UpgradeAnswer | Promise<UpgradeAnswer> {
    const refusal = this.refusal();
    if (refusal !== undefined) return refusal;
    const delay = this.currentDelay();
    if (delay > 0) {
      return new Promise<UpgradeAnswer>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          // A refuse fault that started meanwhile applies to the delayed answer too.
          resolve(conn.phase === 'deciding' ? (this.refusal() ?? next()) : undefined);
        }, delay);
        this.timers.add(timer);
      });
    }
    return next();
  }

  /** Call from the `open` handler: a connection opened during a silent or slow window starts paused. */
  opened(conn: ServerConnection): void {
    const now = Date.now();
    if (now < this.silentUntil) this.makeSilent(conn);
    else if (now < this.slowUntil) conn.pause();
  }

  /** Call from the `close` handler. */
  closed(conn: ServerConnection): void {
    this.silentSet.delete(conn);
  }

  /** True for a connection that went silent: the application must not send to it. */
  isSilent(conn: ServerConnection): boolean {
    return this.silentSet.has(conn);
  }

  private refusal(): UpgradeAnswer {
    const now = Date.now();
    if (now >= this.refuseUntil) return undefined;
    const headers: Record<string, string> = {};
    const left = Math.max(1, Math.ceil((this.refuseUntil - now) / 1000));
    // Retry-After (RFC 9110 §10.2.3) tells clients that can see it how long to wait.
    if (this.refuseRetryAfter === 'auto') headers['Retry-After'] = String(left);
    else if (this.refuseRetryAfter !== 'none') headers['Retry-After'] = this.refuseRetryAfter;
    return { refuse: this.refuseStatus, headers, body: `refused by lifeline serve (fault: refuse ${this.refuseStatus}, ${left} s left)\n` };
  }

  private currentDelay(): number {
    if (this.delayMs === 0) return 0;
    if (this.delayUntil !== 0 && Date.now() >= this.delayUntil) return 0;
    return this.delayMs;
  }

  private makeSilent(conn: ServerConnection): void {
    if (this.silentSet.has(conn)) return;
    this.silentSet.add(conn);
    // Read nothing: no pongs, no close answers, like a peer that vanished.
    conn.pause();
    const reap = setTimeout(() => {
      this.timers.delete(reap);
      conn.terminate();
    }, this.options.silentTimeout ?? 120_000);
    reap.unref?.();
    this.timers.add(reap);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref?.();
    this.timers.add(timer);
  }

  // ---- the faults ----

  /** Runs a fault by name with named parameters (validated), and reports it to `onFault`. */
  run(name: string, params: Readonly<Record<string, string>>, source: FaultSource): string {
    const { spec, values } = resolveFault(name, params);
    const message = spec.run(this, values);
    this.options.onFault?.({ fault: spec.name, params: values, message, source });
    return message;
  }

  drop(): string {
    const count = this.server.connections.size;
    for (const connection of this.server.connections) connection.terminate();
    return `dropped ${count} connection(s)`;
  }

  closeAll(code = 1012, reason = this.options.closeReason ?? ''): string {
    if (!isValidWireCloseCode(code)) throw new FaultError(`close: code must be a close code a server may send, got ${code}`);
    let count = 0;
    for (const connection of this.server.connections) {
      if (connection.phase !== 'open') continue;
      connection.startClose(code, reason);
      count++;
    }
    return `closed ${count} connection(s) with ${code}`;
  }

  refuse(status = 503, seconds = 5, retryAfter = 'auto'): string {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new FaultError(`refuse: status must be an integer from 400 to 599, got ${status}`);
    if (retryAfter !== 'auto' && retryAfter !== 'none' && !/^\d+$/.test(retryAfter)) {
      throw new FaultError(`refuse: retry-after must be a number of seconds, 'auto' or 'none', got '${retryAfter}'`);
    }
    this.refuseStatus = status;
    this.refuseRetryAfter = retryAfter;
    this.refuseUntil = Date.now() + seconds * 1000;
    return `refusing handshakes with ${status} for ${seconds} s`;
  }

  silent(seconds = 0): string {
    this.silentUntil = Date.now() + seconds * 1000;
    let count = 0;
    for (const connection of this.server.connections) {
      if (this.silentSet.has(connection)) continue;
      this.makeSilent(connection);
      count++;
    }
    return `${count} connection(s) went silent (half-open)` + (seconds ? `, new ones too for ${seconds} s` : '');
  }

  slow(seconds = 10): string {
    this.slowUntil = Date.now() + seconds * 1000;
    for (const connection of this.server.connections) if (!this.silentSet.has(connection)) connection.pause();
    clearTimeout(this.slowTimer);
    this.slowTimer = setTimeout(() => {
      this.slowTimer = undefined;
      for (const connection of this.server.connections) if (!this.silentSet.has(connection) && connection.isPaused) connection.resume();
      this.options.log?.('slow reader over: reading again');
    }, seconds * 1000);
    this.slowTimer.unref?.();
    return `not reading for ${seconds} s`;
  }

  delay(seconds = 5, forSeconds = 0): string {
    this.delayMs = Math.round(seconds * 1000);
    this.delayUntil = forSeconds > 0 ? Date.now() + forSeconds * 1000 : 0;
    if (this.delayMs === 0) return 'handshake answers are no longer delayed';
    return `delaying handshake answers by ${seconds} s` + (forSeconds > 0 ? ` for ${forSeconds} s` : ' until reset');
  }

  malformed(kind = 'opcode'): string {
    const frame = MALFORMED[kind];
    if (frame === undefined) throw new FaultError(`malformed: kind must be one of ${Object.keys(MALFORMED).join(', ')}, got '${kind}'`);
    let count = 0;
    for (const connection of this.server.connections) {
      if (connection.phase !== 'open' || this.silentSet.has(connection)) continue;
      connection.writeRaw(Uint8Array.from(frame.bytes));
      count++;
    }
    return `sent a malformed frame (${kind}: ${frame.rule}) to ${count} connection(s); a conforming client closes with ${frame.expect}`;
  }

  /** Drops everything, stops listening for `seconds`, listens on the same port again. Answers at once; the restart runs on its own. */
  restart(seconds = 2): string {
    if (this.restarting) return 'already restarting';
    this.restarting = true;
    this.restartUntil = Date.now() + seconds * 1000;
    // Answer the request that asked for it first (a control request rides on this server).
    this.later(20, () => void this.restartNow(seconds));
    return `restarting: down for ${seconds} s`;
  }

  private async restartNow(seconds: number): Promise<void> {
    const { port, host } = this.server;
    try {
      await this.server.stopListening();
      await new Promise<void>((resolve) => this.later(seconds * 1000, resolve));
      // Same port again; if something took it meanwhile, keep trying rather than give up.
      for (;;) {
        if (this.disposed) return;
        try {
          await this.server.listen(port, host);
          break;
        } catch (err) {
          this.options.log?.(`cannot listen on ${port} again (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); retrying`);
          await new Promise<void>((resolve) => this.later(1000, resolve));
        }
      }
      this.options.log?.('restarted');
    } finally {
      this.restarting = false;
    }
  }

  reset(): string {
    this.refuseUntil = this.silentUntil = this.slowUntil = this.delayMs = this.delayUntil = 0;
    clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
    for (const connection of this.server.connections) if (!this.silentSet.has(connection) && connection.isPaused) connection.resume();
    return 'faults cleared';
  }

  /** What is going on: connections and the faults in force (seconds left). */
  stats(): {
    connections: Array<{ id: number; remote: string; path: string; protocol: string; extensions: string; silent: boolean; paused: boolean }>;
    faults: { refuse: { status: number; seconds: number } | null; silent: number; slow: number; delay: { seconds: number; for: number | null } | null; restart: number };
  } {
    const now = Date.now();
    const left = (until: number) => Math.max(0, Math.ceil((until - now) / 1000));
    const delay = this.currentDelay();
    return {
      connections: [...this.server.connections].map((connection) => ({
        id: connection.id,
        remote: `${connection.remoteAddress}:${connection.remotePort}`,
        path: connection.request?.target ?? '',
        protocol: connection.protocol,
        extensions: connection.extensions,
        silent: this.silentSet.has(connection),
        paused: connection.isPaused,
      })),
      faults: {
        refuse: left(this.refuseUntil) > 0 ? { status: this.refuseStatus, seconds: left(this.refuseUntil) } : null,
        silent: left(this.silentUntil),
        slow: left(this.slowUntil),
        delay: delay > 0 ? { seconds: delay / 1000, for: this.delayUntil === 0 ? null : left(this.delayUntil) } : null,
        restart: left(this.restartUntil),
      },
    };
  }

  /** Stops every timer (a restart in progress gives up). */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.slowTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** A control action an application adds to the endpoint and stdin (e.g. the demo's `protocol`): its parameter names (positional on stdin) and what it does. */
export interface ExtraFault {
  params: readonly string[];
  /** One help line (without the command name). */
  help: string;
  run(values: Readonly<Record<string, string>>): string;
}
export type ExtraFaults = Readonly<Record<string, ExtraFault>>;

function json(status: number, body: unknown): HttpAnswer {
  return { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: JSON.stringify(body) };
}

/**
 * The HTTP control endpoint: `GET` or `POST /fault/<name>?param=value` runs
 * a fault and answers `{"ok":true,"fault":name,"message":...}`; a bad
 * parameter answers 400 and an unknown fault 404 (`{"ok":false,"error":...}`);
 * `/fault/stats` answers the stats. Returns undefined for other paths.
 */
export function controlRequest(faults: Faults, req: HttpRequest, extra: ExtraFaults = {}, stats?: () => unknown): HttpAnswer | undefined {
  const url = new URL(req.target, 'http://control.invalid');
  if (!url.pathname.startsWith('/fault/')) return undefined;
  const name = decodeURIComponent(url.pathname.slice('/fault/'.length));
  if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') return json(405, { ok: false, error: 'use GET or POST' });
  if (name === 'stats') return json(200, stats === undefined ? faults.stats() : stats());
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) params[key] = value;
  const own = extra[name];
  if (own === undefined && findFault(name) === undefined) return json(404, { ok: false, error: `no fault '${name}'` });
  try {
    const message = own !== undefined ? own.run(params) : faults.run(name, params, 'http');
    return json(200, { ok: true, fault: own !== undefined ? name : findFault(name)!.name, message });
  } catch (err) {
    return json(400, { ok: false, error: (err as Error).message });
  }
}

/** Help for the stdin commands (one line per fault, with its positional parameters). */
export function faultHelp(extra: ExtraFaults = {}): string {
  const rows = FAULTS.map((spec) => {
    const args = spec.params.map((param) => `[${param.name}]`).join(' ');
    return [`${spec.name}${args ? ' ' + args : ''}`, `${spec.summary}${spec.params.length ? ` (default ${spec.params.map((param) => `${param.name} ${param.default === '' ? "''" : param.default}`).join(', ')})` : ''}`];
  });
  for (const [name, action] of Object.entries(extra)) rows.push([`${name}${action.params.length ? ' ' + action.params.map((paramName) => `<${paramName}>`).join(' ') : ''}`, action.help]);
  const lines = rows.map(([left, right]) => `  ${left!.padEnd(30)} ${right}`);
  return ['commands (type + Enter):', ...lines, `  ${'stats'.padEnd(30)} show connections and faults`, `  ${'help'.padEnd(30)} this list`, `  ${'quit'.padEnd(30)} stop (or Ctrl-C)`].join('\n');
}

/**
 * Runs one stdin command line: a fault name (or alias) followed by its
 * parameters in order (`refuse 503 5`, `close 1001 bye`) or as
 * `name=value`; `stats`, `help`. Returns what to print. Unknown commands
 * and bad values come back as a message, never thrown.
 */
export function runFaultCommand(faults: Faults, line: string, extra: ExtraFaults = {}): string {
  const words = line.trim().split(/\s+/).filter((word) => word !== '');
  const [cmd, ...args] = words;
  if (cmd === undefined) return '';
  const name = cmd.toLowerCase();
  if (name === 'help' || name === '?') return faultHelp(extra);
  if (name === 'stats') {
    const stats = faults.stats();
    const inForce = stats.faults;
    const active = [inForce.refuse ? `refuse ${inForce.refuse.status} (${inForce.refuse.seconds} s)` : '', inForce.silent ? `silent (${inForce.silent} s)` : '', inForce.slow ? `slow (${inForce.slow} s)` : '', inForce.delay ? `delay ${inForce.delay.seconds} s` : '', inForce.restart ? `restart (${inForce.restart} s)` : '']
      .filter((part) => part !== '')
      .join(', ');
    return `${stats.connections.length} connection(s)${stats.connections.some((connection) => connection.silent) ? ` (${stats.connections.filter((connection) => connection.silent).length} silent)` : ''}; faults: ${active || 'none'}`;
  }
  try {
    const own = extra[name];
    if (own !== undefined) return own.run(Object.fromEntries(own.params.map((paramName, position) => [paramName, args[position]]).filter((entry) => entry[1] !== undefined)));
    const spec = findFault(name);
    if (spec === undefined) return `unknown command '${cmd}' (type help)`;
    const params: Record<string, string> = {};
    args.forEach((arg, position) => {
      const eq = arg.indexOf('=');
      if (eq > 0) params[arg.slice(0, eq)] = arg.slice(eq + 1);
      else if (position < spec.params.length) {
        // The last text parameter takes the rest of the line (a close reason with spaces).
        const param = spec.params[position]!;
        params[param.name] = param.kind === 'text' && position === spec.params.length - 1 ? args.slice(position).join(' ') : arg;
      } else if (spec.params.at(-1)?.kind !== 'text') throw new FaultError(`${spec.name}: too many arguments (${spec.params.map((param) => param.name).join(', ') || 'none'})`);
    });
    return faults.run(spec.name, params, 'stdin');
  } catch (err) {
    if (err instanceof FaultError) return err.message;
    throw err;
  }
}
