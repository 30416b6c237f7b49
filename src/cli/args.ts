/**
 * Command-line parsing for `lifeline`: turns argv into one typed, validated
 * command object, or throws a `UsageError` (exit 2) naming the bad flag.
 * Uses `node:util` `parseArgs` (strict), no parsing dependency.
 *
 * Owns: flag tables, value validation, defaults. Imports node:util, node:fs
 * (to read `--ca` files up front, so a typo is a usage error, not a TLS one)
 * and ./exit.js. Must not open sockets.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { UsageError } from './exit.js';
import { checkHeaders, checkProtocols, TIMER_MAX } from '../protocol/input.js';
import { parseUrl, withoutPassword } from '../protocol/url.js';

/** Flags shared by `connect` and `probe`: how to open the connection. */
export interface ConnectionArgs {
  /** Normalised target (`ws:` or `wss:`), without credentials: `user:pass@` went to an Authorization header. */
  url: string;
  protocols: string[];
  headers: Record<string, string>;
  origin: string | undefined;
  /** Offer permessage-deflate (default true). */
  deflate: boolean;
  /** PEM text of the `--ca` files, concatenated. */
  ca: string[] | undefined;
  caFiles: string[];
  insecure: boolean;
  proxy: string | undefined;
  /** Opening-handshake timeout in ms (`--timeout`, default 10 s). */
  timeoutMs: number;
  json: boolean;
  trace: boolean;
}

export interface ConnectArgs extends ConnectionArgs {
  command: 'connect';
  binary: boolean;
  showControl: boolean;
  pingIntervalMs: number | undefined;
  reconnect: boolean;
  execute: string[];
  /** How long to wait for replies after the last send once input has ended (ms). */
  waitMs: number;
}

export interface ProbeArgs extends ConnectionArgs {
  command: 'probe';
  count: number;
  size: number;
  echo: boolean;
}

export interface AutobahnArgs {
  command: 'autobahn';
  url: string;
  json: boolean;
  agent: string;
  /** 1-based case numbers (`--cases 1-16,30`); undefined = all. */
  cases: number[] | undefined;
  deflate: boolean;
}

export type Command =
  | ConnectArgs
  | ProbeArgs
  | AutobahnArgs
  | { command: 'help'; topic: string | undefined }
  | { command: 'version' };

export const COMMANDS = ['connect', 'probe', 'autobahn'] as const;

type Options = NonNullable<ParseArgsConfig['options']>;

const connectionOptions = {
  protocol: { type: 'string', short: 'p', multiple: true },
  header: { type: 'string', short: 'H', multiple: true },
  origin: { type: 'string', short: 'o' },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  ca: { type: 'string', multiple: true },
  insecure: { type: 'boolean', short: 'k' },
  proxy: { type: 'string' },
  timeout: { type: 'string', short: 't' },
  json: { type: 'boolean' },
  trace: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const connectOptions = {
  ...connectionOptions,
  binary: { type: 'boolean', short: 'b' },
  'show-control': { type: 'boolean', short: 'c' },
  ping: { type: 'string' },
  reconnect: { type: 'boolean', short: 'r' },
  execute: { type: 'string', short: 'x', multiple: true },
  wait: { type: 'string', short: 'w' },
} as const satisfies Options;

const probeOptions = {
  ...connectionOptions,
  count: { type: 'string', short: 'n' },
  size: { type: 'string', short: 's' },
  echo: { type: 'boolean', short: 'e' },
} as const satisfies Options;

const autobahnOptions = {
  url: { type: 'string' },
  json: { type: 'boolean' },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  agent: { type: 'string' },
  cases: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Parses `process.argv.slice(2)`. Throws `UsageError` on anything malformed. */
export function parseCommandLine(argv: readonly string[]): Command {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[1] : undefined;
    if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) throw new UsageError(`unknown command '${topic}'`);
    return { command: 'help', topic };
  }
  if (first === '--version' || first === '-V' || first === 'version') return { command: 'version' };
  if (first.startsWith('-')) throw new UsageError(`expected a command before '${first}' (connect, probe or autobahn)`);
  const rest = argv.slice(1);
  switch (first) {
    case 'connect':
      return parseConnect(rest);
    case 'probe':
      return parseProbe(rest);
    case 'autobahn':
      return parseAutobahn(rest);
    default:
      throw new UsageError(`unknown command '${first}' (expected connect, probe or autobahn)`);
  }
}

function run<O extends Options>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    // parseArgs' messages are good ("Unknown option '--foo'"); drop its advice about '--' for flags.
    const msg = (err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
    throw new UsageError(msg, command);
  }
}

type Parsed = ReturnType<typeof run>;

function oneUrl(command: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError(`missing <url>`, command);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (one <url> only)`, command);
  return normaliseUrl(positionals[0]!, command);
}

/**
 * Accepts `ws:`/`wss:` URLs, maps `http:`/`https:` to them (same server,
 * RFC 6455 §3), and treats a bare `host:port/path` as `ws://`.
 */
export function normaliseUrl(input: string, command?: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `ws://${input}`;
  const shown = withoutPassword(input);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`'${shown}' is not a valid URL`, command);
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UsageError(`'${shown}': the scheme must be ws:// or wss:// (or http(s)://)`, command);
  if (u.hash) throw new UsageError(`'${shown}': a WebSocket URL cannot have a #fragment (RFC 6455 §3)`, command);
  return u.href;
}

/** A non-negative number of seconds, returned in ms; at most what a timer can wait (TIMER_MAX ms, about 24.8 days). */
function seconds(command: string, flag: string, value: string | undefined, fallback: number | undefined, { positive = false } = {}): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (positive && n === 0) || Math.round(n * 1000) > TIMER_MAX) {
    const most = Math.floor(TIMER_MAX / 1000);
    throw new UsageError(`--${flag} expects ${positive ? 'a positive' : 'a non-negative'} number of seconds up to ${most}, got '${value}'`, command);
  }
  return Math.round(n * 1000);
}

function integer(command: string, flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`--${flag} expects an integer from ${min} to ${max}, got '${value}'`, command);
  return n;
}

/** Runs a caller-input rule of src/protocol/input.ts; what it refuses becomes a usage error (exit 2) naming the flag. */
function rule<T>(command: string, flag: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`, command);
  }
}

function parseHeaders(command: string, list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const i = item.indexOf(':');
    if (i < 0) throw new UsageError(`--header expects 'name: value', got '${item}'`, command);
    const name = item.slice(0, i).trim();
    const value = item.slice(i + 1).trim();
    rule(command, 'header', () => checkHeaders([[name, value]]));
    const lower = name.toLowerCase();
    // A repeated header is joined with ", " as HTTP allows (RFC 7230 §3.2.2).
    const prev = Object.keys(out).find((k) => k.toLowerCase() === lower);
    if (prev !== undefined) out[prev] = `${out[prev]}, ${value}`;
    else out[name] = value;
  }
  return out;
}

/** `--deflate` / `--no-deflate`: the last one given wins; default on. */
function deflateFlag(parsed: Parsed): boolean {
  let on = true;
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (t.name === 'deflate') on = true;
    else if (t.name === 'no-deflate') on = false;
  }
  return on;
}

function readCa(command: string, files: string[] | undefined): string[] | undefined {
  if (!files || files.length === 0) return undefined;
  return files.map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --ca file '${f}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, command);
    }
  });
}

function connection(command: 'connect' | 'probe', parsed: Parsed): ConnectionArgs {
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  // Credentials in the URL become an Authorization header (a -H Authorization wins), so no output shows the password.
  const given = oneUrl(command, parsed.positionals);
  let target: ReturnType<typeof parseUrl>;
  try {
    target = parseUrl(given);
  } catch (err) {
    throw new UsageError((err as Error).message, command);
  }
  const headers = parseHeaders(command, v['header'] as string[] | undefined);
  if (target.authorization !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) headers['Authorization'] = target.authorization;
  const url = target.href;
  const protocols = rule(command, 'protocol', () => checkProtocols((v['protocol'] as string[] | undefined) ?? []));
  const proxy = v['proxy'] as string | undefined;
  if (proxy !== undefined) {
    try {
      const p = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
      if (p.protocol !== 'http:' && p.protocol !== 'https:') throw new Error();
    } catch {
      throw new UsageError(`--proxy expects an http://host:port URL, got '${withoutPassword(proxy)}'`, command);
    }
  }
  const caFiles = (v['ca'] as string[] | undefined) ?? [];
  return {
    url,
    protocols,
    headers,
    origin: v['origin'] as string | undefined,
    deflate: deflateFlag(parsed),
    ca: readCa(command, caFiles),
    caFiles,
    insecure: v['insecure'] === true,
    proxy,
    timeoutMs: seconds(command, 'timeout', v['timeout'] as string | undefined, 10_000, { positive: true })!,
    json: v['json'] === true,
    trace: v['trace'] === true,
  };
}

function parseConnect(args: readonly string[]): Command {
  const parsed = run('connect', args, connectOptions);
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (v['help']) return { command: 'help', topic: 'connect' };
  const base = connection('connect', parsed);
  return {
    command: 'connect',
    ...base,
    binary: v['binary'] === true,
    showControl: v['show-control'] === true,
    pingIntervalMs: seconds('connect', 'ping', v['ping'] as string | undefined, undefined, { positive: true }),
    reconnect: v['reconnect'] === true,
    execute: (v['execute'] as string[] | undefined) ?? [],
    waitMs: seconds('connect', 'wait', v['wait'] as string | undefined, 2000)!,
  };
}

function parseProbe(args: readonly string[]): Command {
  const parsed = run('probe', args, probeOptions);
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (v['help']) return { command: 'help', topic: 'probe' };
  const base = connection('probe', parsed);
  return {
    command: 'probe',
    ...base,
    count: integer('probe', 'count', v['count'] as string | undefined, 5, 1, 100_000),
    size: integer('probe', 'size', v['size'] as string | undefined, 1024, 0, 64 * 1024 * 1024),
    echo: v['echo'] === true,
  };
}

function parseAutobahn(args: readonly string[]): Command {
  const parsed = run('autobahn', args, autobahnOptions);
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v['help']) return { command: 'help', topic: 'autobahn' };
  // `npm run autobahn -- --url ws://host:9001` (the transport's documented form) works too.
  const flagUrl = v['url'] as string | undefined;
  if (flagUrl !== undefined && parsed.positionals.length > 0) throw new UsageError('give the fuzzing server URL once (positional or --url)', 'autobahn');
  const url = oneUrl('autobahn', flagUrl !== undefined ? [flagUrl] : parsed.positionals);
  const cases = v['cases'] as string | undefined;
  const agent = (v['agent'] as string | undefined) ?? 'lifeline';
  if (agent.trim() === '') throw new UsageError('--agent cannot be empty', 'autobahn');
  return {
    command: 'autobahn',
    url,
    json: v['json'] === true,
    agent,
    cases: cases === undefined ? undefined : parseCaseList(cases),
    deflate: deflateFlag(parsed),
  };
}

/** `1-16,30,40-42` → sorted unique case numbers (1-based, as the fuzzingserver counts). */
export function parseCaseList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const a = m ? Number(m[1]) : NaN;
    const b = m && m[2] !== undefined ? Number(m[2]) : a;
    if (!m || a < 1 || b < a || b - a > 100_000) throw new UsageError(`--cases expects case numbers and ranges like 1-16,30, got '${text}'`, 'autobahn');
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}
