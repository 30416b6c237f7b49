/**
 * Command-line parsing for `lifeline serve`: port and host, the reply mode
 * (echo, broadcast, a fixed reply), subprotocols, permessage-deflate and
 * its RFC 7692 parameters, TLS (self-signed or given files), scripted
 * faults (`--chaos`), the control endpoint, the JSON log. Throws
 * `UsageError` (exit 2) naming the bad flag.
 *
 * Owns: the serve flag table and its validation. Imports node:util,
 * node:fs (certificate files are read up front, so a typo is a usage
 * error), the protocol's token rule and the chaos parser.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { UsageError } from './exit.js';
import { checkProtocols } from '../protocol/input.js';
import type { PerMessageDeflateServerOptions } from '../protocol/permessage-deflate-server.js';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/protocol.js';
import { parseChaos, type ChaosSpec } from '../server/chaos.js';

export interface ServeArgs {
  command: 'serve';
  port: number;
  host: string;
  /** echo (default): every message back to its sender; broadcast: to every connection; reply: `reply` to the sender. */
  mode: 'echo' | 'broadcast' | 'reply';
  reply: string;
  /** Subprotocols to accept, best first. */
  protocols: string[];
  deflate: PerMessageDeflateServerOptions | false;
  /** undefined: plain ws://. */
  tls: { selfSigned: true } | { selfSigned: false; cert: string; key: string; certFile: string; keyFile: string; passphrase: string | undefined } | undefined;
  chaos: ChaosSpec[];
  /** Serve the HTTP control endpoint (/fault/...). */
  control: boolean;
  json: boolean;
  /** Do not print a line per message (human output). */
  quiet: boolean;
  maxPayload: number;
}

const serveOptions = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  echo: { type: 'boolean' },
  broadcast: { type: 'boolean', short: 'b' },
  reply: { type: 'string' },
  subprotocol: { type: 'string', short: 's', multiple: true },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  'deflate-threshold': { type: 'string' },
  'server-no-context-takeover': { type: 'boolean' },
  'client-no-context-takeover': { type: 'boolean' },
  'server-max-window-bits': { type: 'string' },
  'client-max-window-bits': { type: 'string' },
  tls: { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  passphrase: { type: 'string' },
  chaos: { type: 'string', multiple: true },
  'no-control': { type: 'boolean' },
  'max-payload': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

function int(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < min || parsed > max) throw new UsageError(`--${flag} expects an integer from ${min} to ${max}, got '${value}'`, 'serve');
  return parsed;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'serve');
  }
}

/** Parses the arguments after `serve`; `{ command: 'help' }` for --help. */
export function parseServe(args: readonly string[]): ServeArgs | { command: 'help'; topic: 'serve' } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: serveOptions, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''), 'serve');
  }
  const values = parsed.values;
  if (values.help === true) return { command: 'help', topic: 'serve' };
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positionals[0]}' (serve takes flags only: --port ${parsed.positionals[0]}?)`, 'serve');
  }
  const modes = [values.echo === true ? 'echo' : '', values.broadcast === true ? 'broadcast' : '', values.reply !== undefined ? 'reply' : ''].filter((mode) => mode !== '');
  if (modes.length > 1) throw new UsageError(`choose one of --echo, --broadcast and --reply (got ${modes.map((mode) => '--' + mode).join(' and ')})`, 'serve');
  // The server's list: a name given twice is kept once, then the subprotocol rule (input.ts checkProtocols).
  const names: string[] = [];
  for (const item of values.subprotocol ?? []) {
    for (const name of item.split(',').map((token) => token.trim()).filter((token) => token !== '')) if (!names.includes(name)) names.push(name);
  }
  let protocols: string[];
  try {
    protocols = checkProtocols(names);
  } catch (error) {
    throw new UsageError(`--subprotocol: ${(error as Error).message}`, 'serve');
  }
  // --deflate / --no-deflate: the last one wins; default on.
  let deflateOn = true;
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (token.name === 'deflate') deflateOn = true;
    else if (token.name === 'no-deflate') deflateOn = false;
  }
  const deflateFlags = ['deflate-threshold', 'server-no-context-takeover', 'client-no-context-takeover', 'server-max-window-bits', 'client-max-window-bits'] as const;
  const given = deflateFlags.filter((flag) => values[flag] !== undefined);
  if (!deflateOn && given.length > 0) throw new UsageError(`--${given[0]} needs permessage-deflate, which --no-deflate turns off`, 'serve');
  let deflate: PerMessageDeflateServerOptions | false = false;
  if (deflateOn) {
    deflate = { threshold: int('deflate-threshold', values['deflate-threshold'], 1024, 0, 2 ** 31 - 1) };
    if (values['server-no-context-takeover'] === true) deflate.serverNoContextTakeover = true;
    if (values['client-no-context-takeover'] === true) deflate.clientNoContextTakeover = true;
    if (values['server-max-window-bits'] !== undefined) deflate.serverMaxWindowBits = int('server-max-window-bits', values['server-max-window-bits'], 15, 8, 15);
    if (values['client-max-window-bits'] !== undefined) deflate.clientMaxWindowBits = int('client-max-window-bits', values['client-max-window-bits'], 15, 8, 15);
  }
  let tls: ServeArgs['tls'];
  if (values.cert !== undefined || values.key !== undefined) {
    if (values.cert === undefined || values.key === undefined) throw new UsageError('--cert and --key go together (PEM files)', 'serve');
    tls = { selfSigned: false, cert: readPem('cert', values.cert), key: readPem('key', values.key), certFile: values.cert, keyFile: values.key, passphrase: values.passphrase };
  } else if (values.passphrase !== undefined) {
    throw new UsageError('--passphrase is for the --key file; give --cert and --key', 'serve');
  } else if (values.tls === true) {
    tls = { selfSigned: true };
  }
  const chaos: ChaosSpec[] = [];
  for (const text of values.chaos ?? []) {
    try {
      chaos.push(parseChaos(text));
    } catch (err) {
      const message = (err as Error).message;
      throw new UsageError(message.startsWith('--chaos') ? message : `--chaos ${text}: ${message}`, 'serve');
    }
  }
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--host cannot be empty', 'serve');
  return {
    command: 'serve',
    port: int('port', values.port, 8080, 0, 65535),
    host,
    mode: (modes[0] as ServeArgs['mode'] | undefined) ?? 'echo',
    reply: values.reply ?? '',
    protocols,
    deflate,
    tls,
    chaos,
    control: values['no-control'] !== true,
    json: values.json === true,
    quiet: values.quiet === true,
    maxPayload: int('max-payload', values['max-payload'], DEFAULT_MAX_PAYLOAD, 1, 2 ** 31 - 1),
  };
}
