/**
 * Command-line parsing for `lifeline`: turns argv into one typed, validated
 * command object, or throws a `UsageError` (exit 2) naming the bad flag.
 * Uses `node:util` `parseArgs` (strict), no parsing dependency.
 *
 * `connect` also takes wscat's and websocat's spellings where they do not
 * clash (README, "Coming from wscat or websocat"): -s/--subprotocol,
 * -n/--no-check, -P/--show-ping-pong, --auth, -L/--location,
 * --max-redirects, --cert/--key/--passphrase, -c/--connect <url>,
 * --ping-interval/--ping-timeout, -1/--one-message, --slash, --no-color.
 * Where wscat means something else by a flag lifeline had, the value tells
 * them apart: `-p 13` is wscat's protocol version, `-p chat` a subprotocol.
 *
 * Owns: flag tables, value validation, defaults. Imports node:util, node:fs
 * (to read `--ca` files up front, so a typo is a usage error, not a TLS one),
 * ./exit.js and the library's own input rules (protocol/input.ts,
 * protocol/url.ts, the proxy URL rule of transport/node/proxy.ts), so that
 * a flag accepts exactly what the library will. Must not open sockets.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { UsageError } from './exit.js';
import { checkHeaders, checkHostHeader, checkProtocols, TIMER_MAX } from '../protocol/input.js';
import { checkUrl, parseUrl } from '../protocol/url.js';
import { parseProxyUrl } from '../transport/node/proxy.js';
import { parseServe, type ServeArgs } from './serve-args.js';

export type { ServeArgs } from './serve-args.js';

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
  /** A TLS client certificate and key (PEM text), and the key's passphrase. */
  cert: string | undefined;
  key: string | undefined;
  passphrase: string | undefined;
  insecure: boolean;
  /** Follow 3xx answers to the upgrade (`-L`), at most `maxRedirects` hops. */
  followRedirects: boolean;
  maxRedirects: number;
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
  /** Drop the connection when a ping has had no pong for this long (websocat's --ping-timeout). */
  pingTimeoutMs: number | undefined;
  /** Send at most one message, exit after the first one received (websocat's -1). */
  oneMessage: boolean;
  /** Also accept wscat's slash commands: /ping, /close, /x, /help. */
  slash: boolean;
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
  | ServeArgs
  | { command: 'help'; topic: string | undefined }
  | { command: 'version' };

export const COMMANDS = ['connect', 'serve', 'probe', 'autobahn'] as const;

type Options = NonNullable<ParseArgsConfig['options']>;

const connectionOptions = {
  protocol: { type: 'string', short: 'p', multiple: true },
  subprotocol: { type: 'string', multiple: true },
  header: { type: 'string', short: 'H', multiple: true },
  auth: { type: 'string' },
  origin: { type: 'string', short: 'o' },
  host: { type: 'string' },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  ca: { type: 'string', multiple: true },
  cert: { type: 'string' },
  key: { type: 'string' },
  passphrase: { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  'no-check': { type: 'boolean' },
  location: { type: 'boolean', short: 'L' },
  'max-redirects': { type: 'string' },
  proxy: { type: 'string' },
  timeout: { type: 'string', short: 't' },
  json: { type: 'boolean' },
  trace: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

const connectOptions = {
  ...connectionOptions,
  // wscat's short forms; probe keeps -s for --size and -n for --count.
  subprotocol: { type: 'string', short: 's', multiple: true },
  'no-check': { type: 'boolean', short: 'n' },
  connect: { type: 'string', short: 'c' },
  binary: { type: 'boolean', short: 'b' },
  'show-control': { type: 'boolean' },
  'show-ping-pong': { type: 'boolean', short: 'P' },
  ping: { type: 'string' },
  'ping-interval': { type: 'string' },
  'ping-timeout': { type: 'string' },
  'one-message': { type: 'boolean', short: '1' },
  slash: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  listen: { type: 'string', short: 'l' },
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
  if (first.startsWith('-')) throw new UsageError(`expected a command before '${first}' (connect, serve, probe or autobahn)`);
  const rest = argv.slice(1);
  switch (first) {
    case 'connect':
      return parseConnect(rest);
    case 'probe':
      return parseProbe(rest);
    case 'autobahn':
      return parseAutobahn(rest);
    case 'serve':
      return parseServe(rest);
    default:
      throw new UsageError(`unknown command '${first}' (expected connect, serve, probe or autobahn)`);
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
 * Treats a bare `host:port/path` as `ws://`, then applies the URL rule every
 * lifeline API applies (protocol/url.ts, `checkUrl`: ws:/wss:, http:/https:
 * mapped to them, a host, no fragment, RFC 6455 §3); its refusal becomes a
 * UsageError with the same message (password hidden).
 */
export function normaliseUrl(input: string, command?: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `ws://${input}`;
  try {
    return checkUrl(text);
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

/** A non-negative number of seconds, returned in ms; at most what a timer can wait (TIMER_MAX ms, about 24.8 days). */
function seconds(command: string, flag: string, value: string | undefined, fallback: number | undefined, { positive = false } = {}): number | undefined {
  if (value === undefined) return fallback;
  const amount = Number(value);
  if (value.trim() === '' || !Number.isFinite(amount) || amount < 0 || (positive && amount === 0) || Math.round(amount * 1000) > TIMER_MAX) {
    const most = Math.floor(TIMER_MAX / 1000);
    throw new UsageError(`--${flag} expects ${positive ? 'a positive' : 'a non-negative'} number of seconds up to ${most}, got '${value}'`, command);
  }
  return Math.round(amount * 1000);
}

function integer(command: string, flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < min || parsed > max) throw new UsageError(`--${flag} expects an integer from ${min} to ${max}, got '${value}'`, command);
  return parsed;
}

/** Runs a caller-input rule of the library (src/protocol/input.ts, the proxy URL's); what it refuses becomes a usage error (exit 2) naming the flag. */
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
    const colon = item.indexOf(':');
    if (colon < 0) throw new UsageError(`--header expects 'name: value', got '${item}'`, command);
    const name = item.slice(0, colon).trim();
    const value = item.slice(colon + 1).trim();
    // Host is the one handshake header a caller may set (it overrides the URL's; --host says the same).
    rule(command, 'header', () => checkHeaders([[name, value]], (lower) => lower === 'host'));
    if (name.toLowerCase() === 'host') rule(command, 'header', () => checkHostHeader(value));
    const lower = name.toLowerCase();
    // A repeated header is joined with ", " as HTTP allows (RFC 7230 §3.2.2).
    const prev = Object.keys(out).find((key) => key.toLowerCase() === lower);
    if (prev !== undefined && lower === 'host') throw new UsageError('--header: Host is given more than once; a request has one Host', command);
    if (prev !== undefined) out[prev] = `${out[prev]}, ${value}`;
    else out[name] = value;
  }
  return out;
}

/** `--deflate` / `--no-deflate`: the last one given wins; default on. */
function deflateFlag(parsed: Parsed): boolean {
  let on = true;
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (token.name === 'deflate') on = true;
    else if (token.name === 'no-deflate') on = false;
  }
  return on;
}

function readCa(command: string, files: string[] | undefined): string[] | undefined {
  if (!files || files.length === 0) return undefined;
  return files.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --ca file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, command);
    }
  });
}

/**
 * Subprotocols from -p/--protocol and -s/--subprotocol, in the order given.
 * A -p value that is a number is wscat's protocol version (its `-p`): 13 is
 * the only one there is (RFC 6455), anything else is refused rather than
 * offered as a subprotocol named "8".
 */
function subprotocols(command: string, parsed: Parsed): string[] {
  const list: string[] = [];
  let flag = 'protocol';
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (token.name === 'protocol' && /^\d+$/.test(token.value)) {
      if (token.value !== '13') {
        throw new UsageError(
          `--protocol ${token.value}: lifeline speaks WebSocket version 13 (RFC 6455) only. (A number after -p/--protocol is wscat's protocol version; to offer a subprotocol named ${token.value}, use -s/--subprotocol ${token.value}.)`,
          command,
        );
      }
      continue;
    }
    if (token.name === 'protocol' || token.name === 'subprotocol') {
      list.push(token.value);
      flag = token.name;
    }
  }
  return rule(command, flag, () => checkProtocols(list));
}

/** Reads a PEM file named by a flag (up front, so a typo is a usage error). */
function readPem(command: string, flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, command);
  }
}

function connection(command: 'connect' | 'probe', parsed: Parsed, positionals: string[] = parsed.positionals): ConnectionArgs {
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  // Credentials in the URL become an Authorization header (a -H Authorization or --auth wins), so no output shows the password.
  const given = oneUrl(command, positionals);
  let target: ReturnType<typeof parseUrl>;
  try {
    target = parseUrl(given);
  } catch (err) {
    throw new UsageError((err as Error).message, command);
  }
  const url = target.href;
  const protocols = subprotocols(command, parsed);
  const proxy = values['proxy'] as string | undefined;
  // The library's own rule (a bare host[:port] is http://), so that what the flag accepts the connection uses.
  if (proxy !== undefined) rule(command, 'proxy', () => parseProxyUrl(proxy, 'the proxy'));
  const caFiles = (values['ca'] as string[] | undefined) ?? [];
  const headers = parseHeaders(command, values['header'] as string[] | undefined);
  const host = values['host'] as string | undefined;
  if (host !== undefined) {
    // wscat's --host: the Host header of the upgrade request (the connection still goes to the URL's host).
    if (Object.keys(headers).some((key) => key.toLowerCase() === 'host')) throw new UsageError('--host and a Host header (-H) are given together; use one', command);
    headers['Host'] = rule(command, 'host', () => checkHostHeader(host));
  }
  const auth = values['auth'] as string | undefined;
  if (auth !== undefined) {
    // wscat's --auth user:pass: HTTP Basic authentication (RFC 7617) on the upgrade request.
    if (!auth.includes(':')) throw new UsageError(`--auth expects user:password, got '${auth}'`, command);
    if (Object.keys(headers).some((key) => key.toLowerCase() === 'authorization')) throw new UsageError('--auth and an Authorization header (-H) are given together; use one', command);
    headers['Authorization'] = `Basic ${Buffer.from(auth, 'utf8').toString('base64')}`;
  }
  if (target.authorization !== undefined && !Object.keys(headers).some((key) => key.toLowerCase() === 'authorization')) headers['Authorization'] = target.authorization;
  const certFile = values['cert'] as string | undefined;
  const keyFile = values['key'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together (a TLS client certificate and its key, PEM)', command);
  if (values['passphrase'] !== undefined && keyFile === undefined) throw new UsageError('--passphrase is for the --key file; give --cert and --key', command);
  return {
    url,
    protocols,
    headers,
    origin: values['origin'] as string | undefined,
    deflate: deflateFlag(parsed),
    ca: readCa(command, caFiles),
    caFiles,
    cert: readPem(command, 'cert', certFile),
    key: readPem(command, 'key', keyFile),
    passphrase: values['passphrase'] as string | undefined,
    insecure: values['insecure'] === true || values['no-check'] === true,
    followRedirects: values['location'] === true,
    maxRedirects: integer(command, 'max-redirects', values['max-redirects'] as string | undefined, 10, 0, 100),
    proxy,
    timeoutMs: seconds(command, 'timeout', values['timeout'] as string | undefined, 10_000, { positive: true })!,
    json: values['json'] === true,
    trace: values['trace'] === true,
  };
}

function parseConnect(args: readonly string[]): Command {
  const parsed = run('connect', args, connectOptions);
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values['help']) return { command: 'help', topic: 'connect' };
  if (values['listen'] !== undefined) {
    throw new UsageError(`-l/--listen is wscat's server mode: run 'lifeline serve --port ${String(values['listen'])}' instead`, 'connect');
  }
  // wscat's -c/--connect <url>, or the positional URL (not both).
  const given = values['connect'] as string | undefined;
  if (given !== undefined && parsed.positionals.length > 0) throw new UsageError(`give the URL once (-c ${given} or ${parsed.positionals[0]})`, 'connect');
  const base = connection('connect', parsed, given !== undefined ? [given] : parsed.positionals);
  const ping = values['ping'] as string | undefined;
  const pingInterval = values['ping-interval'] as string | undefined;
  if (ping !== undefined && pingInterval !== undefined && ping !== pingInterval) throw new UsageError('--ping and --ping-interval are the same option; give one', 'connect');
  const pingIntervalMs = seconds('connect', pingInterval !== undefined ? 'ping-interval' : 'ping', pingInterval ?? ping, undefined, { positive: true });
  const pingTimeoutMs = seconds('connect', 'ping-timeout', values['ping-timeout'] as string | undefined, undefined, { positive: true });
  if (pingTimeoutMs !== undefined && pingIntervalMs === undefined) throw new UsageError('--ping-timeout needs --ping-interval (or --ping): pings to time', 'connect');
  return {
    command: 'connect',
    ...base,
    binary: values['binary'] === true,
    showControl: values['show-control'] === true || values['show-ping-pong'] === true,
    pingIntervalMs,
    pingTimeoutMs,
    oneMessage: values['one-message'] === true,
    slash: values['slash'] === true,
    reconnect: values['reconnect'] === true,
    execute: (values['execute'] as string[] | undefined) ?? [],
    waitMs: seconds('connect', 'wait', values['wait'] as string | undefined, 2000)!,
  };
}

function parseProbe(args: readonly string[]): Command {
  const parsed = run('probe', args, probeOptions);
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values['help']) return { command: 'help', topic: 'probe' };
  const base = connection('probe', parsed);
  return {
    command: 'probe',
    ...base,
    count: integer('probe', 'count', values['count'] as string | undefined, 5, 1, 100_000),
    size: integer('probe', 'size', values['size'] as string | undefined, 1024, 0, 64 * 1024 * 1024),
    echo: values['echo'] === true,
  };
}

function parseAutobahn(args: readonly string[]): Command {
  const parsed = run('autobahn', args, autobahnOptions);
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help']) return { command: 'help', topic: 'autobahn' };
  // `npm run autobahn -- --url ws://host:9001` (the transport's documented form) works too.
  const flagUrl = values['url'] as string | undefined;
  if (flagUrl !== undefined && parsed.positionals.length > 0) throw new UsageError('give the fuzzing server URL once (positional or --url)', 'autobahn');
  const url = oneUrl('autobahn', flagUrl !== undefined ? [flagUrl] : parsed.positionals);
  const cases = values['cases'] as string | undefined;
  const agent = (values['agent'] as string | undefined) ?? 'lifeline';
  if (agent.trim() === '') throw new UsageError('--agent cannot be empty', 'autobahn');
  return {
    command: 'autobahn',
    url,
    json: values['json'] === true,
    agent,
    cases: cases === undefined ? undefined : parseCaseList(cases),
    deflate: deflateFlag(parsed),
  };
}

/** `1-16,30,40-42` → sorted unique case numbers (1-based, as the fuzzingserver counts). */
export function parseCaseList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const first = match ? Number(match[1]) : NaN;
    const last = match && match[2] !== undefined ? Number(match[2]) : first;
    if (!match || first < 1 || last < first || last - first > 100_000) throw new UsageError(`--cases expects case numbers and ranges like 1-16,30, got '${text}'`, 'autobahn');
    for (let i = first; i <= last; i++) out.add(i);
  }
  return [...out].sort((left, right) => left - right);
}
