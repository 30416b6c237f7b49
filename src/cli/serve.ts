/**
 * `lifeline serve`: a WebSocket server that misbehaves on purpose, for
 * testing clients. Echo (default), broadcast or a fixed reply; faults from
 * stdin commands, the HTTP control endpoint (/fault/<name>) and `--chaos`
 * schedules; optional TLS with an in-process self-signed certificate; a
 * human log or a `--json` event log (one object per line).
 *
 * Owns: the reply modes, the event log, the banner, stdin and signal
 * handling. Imports the server layer (src/server) and the CLI helpers.
 */
import { createInterface } from 'node:readline';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { WebSocketServer, type ServerConnection, type ServerHandlers, type UpgradeAnswer } from '../server/server.js';
import { Faults, controlRequest, runFaultCommand, type FaultEvent } from '../server/faults.js';
import { startChaos } from '../server/chaos.js';
import { selfSignedCertificate } from '../server/self-signed.js';
import { ExitCode } from './exit.js';
import { Output, clock, formatSize, jsonBody, terminalSafe, toHex, type Streams } from './format.js';
import { closeName } from './trace-format.js';
import type { ServeArgs } from './serve-args.js';

/** Message data in the JSON log is cut after this many bytes (`truncated: true`). */
const JSON_DATA_MAX = 64 * 1024;
/** Text shown per message in the human log. */
const HUMAN_TEXT_MAX = 200;

export interface ServeIO {
  stdin?: NodeJS.ReadableStream;
  streams?: Streams;
  /** Stop when this signal aborts (tests); SIGINT and SIGTERM always stop. */
  signal?: AbortSignal;
}

function describeMode(args: ServeArgs): string {
  if (args.mode === 'broadcast') return 'broadcast (every message to every connection)';
  if (args.mode === 'reply') return `fixed reply ${JSON.stringify(args.reply)}`;
  return 'echo';
}

function describeDeflate(args: ServeArgs): string {
  const deflate = args.deflate;
  if (deflate === false) return 'off';
  const parts = [`threshold ${formatSize(deflate.threshold ?? 1024)}`];
  if (deflate.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (deflate.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (deflate.serverMaxWindowBits !== undefined) parts.push(`server_max_window_bits=${deflate.serverMaxWindowBits}`);
  if (deflate.clientMaxWindowBits !== undefined) parts.push(`client_max_window_bits=${deflate.clientMaxWindowBits}`);
  return parts.join(', ');
}

function remote(conn: ServerConnection): string {
  return conn.remoteAddress.includes(':') ? `[${conn.remoteAddress}]:${conn.remotePort}` : `${conn.remoteAddress}:${conn.remotePort}`;
}

/** JSON fields for a message: the body (cut at JSON_DATA_MAX). */
function messageFields(data: string | Buffer): Record<string, unknown> {
  const body = jsonBody(data);
  const limit = body.encoding === 'hex' ? 2 * JSON_DATA_MAX : JSON_DATA_MAX;
  if (body.data.length <= limit) return body;
  return { ...body, data: body.data.slice(0, limit), truncated: true };
}

function humanData(data: string | Buffer): string {
  if (typeof data === 'string') {
    const shown = data.length > HUMAN_TEXT_MAX ? `${data.slice(0, HUMAN_TEXT_MAX)}…` : data;
    return terminalSafe(shown);
  }
  return `[binary] ${toHex(data, 32)}`;
}

/** Runs the server until `quit`, Ctrl-C or SIGTERM; resolves with the exit code. */
export async function runServe(args: ServeArgs, io: ServeIO = {}): Promise<number> {
  const out = new Output(args.json, io.streams);
  const line = (text: string) => out.data(`${clock()} ${text}`);

  // ---- TLS ----
  let tls: { cert: string; key: string; passphrase?: string } | undefined;
  let fingerprint: string | undefined;
  let certDir: string | undefined;
  let certFile: string | undefined;
  let certNames: string[] | undefined;
  if (args.tls !== undefined) {
    if (args.tls.selfSigned) {
      const made = selfSignedCertificate([args.host]);
      tls = { cert: made.cert, key: made.key };
      fingerprint = made.fingerprint256;
      certNames = made.names;
      // Saved so a client can trust it: lifeline connect --ca <file>.
      certDir = mkdtempSync(join(tmpdir(), 'lifeline-serve-'));
      certFile = join(certDir, 'cert.pem');
      writeFileSync(certFile, made.cert);
    } else {
      tls = { cert: args.tls.cert, key: args.tls.key, ...(args.tls.passphrase !== undefined ? { passphrase: args.tls.passphrase } : {}) };
      certFile = args.tls.certFile;
      try {
        fingerprint = new X509Certificate(args.tls.cert).fingerprint256;
      } catch (err) {
        out.error(`lifeline serve: --cert ${args.tls.certFile} is not a PEM certificate (${(err as Error).message})`);
        return ExitCode.USAGE;
      }
    }
  }

  // ---- the server ----
  let faults!: Faults;
  const refused = (conn: ServerConnection, answer: UpgradeAnswer) => {
    if (answer === undefined || !('refuse' in answer)) return;
    out.event('refused', { id: conn.id, remote: remote(conn), status: answer.refuse, retryAfter: answer.headers?.['Retry-After'] ?? null, reason: 'fault' });
    line(`x #${conn.id} ${remote(conn)} refused with ${answer.refuse}${answer.headers?.['Retry-After'] ? ` (Retry-After ${answer.headers['Retry-After']})` : ''} by the refuse fault`);
  };
  const reply = (conn: ServerConnection, data: string | Buffer, binary: boolean) => {
    const send = (to: ServerConnection, payload: string | Buffer, asBinary: boolean) => {
      if (to.phase !== 'open' || faults.isSilent(to)) return;
      to.send(payload, { binary: asBinary });
      out.event('sent', { id: to.id, type: asBinary ? 'binary' : 'text', size: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length });
    };
    if (args.mode === 'echo') send(conn, data, binary);
    else if (args.mode === 'reply') send(conn, args.reply, false);
    else for (const other of server.connections) send(other, data, binary);
  };
  const handlers: ServerHandlers = {
    request: (req) => {
      const answer = args.control ? controlRequest(faults, req) : undefined;
      if (answer !== undefined) return answer;
      const control = args.control ? ` Faults: POST ${server.scheme === 'wss' ? 'https' : 'http'}://<this host>/fault/<name> (drop, close, refuse, silent, slow, restart, delay, malformed, reset; /fault/stats).` : '';
      return {
        status: 426,
        headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' },
        body: `This is lifeline serve, a WebSocket server: connect with a WebSocket client (lifeline connect ${server.url}).${control}\n`,
      };
    },
    upgrade: (_up, conn) => {
      const answer = faults.gate(conn, () => undefined);
      if (answer instanceof Promise) answer.then((resolved) => refused(conn, resolved), () => {});
      else refused(conn, answer);
      return answer;
    },
    open: (conn) => {
      faults.opened(conn);
      const silent = faults.isSilent(conn);
      out.event('connection', {
        id: conn.id,
        remote: remote(conn),
        path: conn.request?.target ?? '/',
        protocol: conn.protocol,
        extensions: conn.extensions,
        origin: conn.request?.headers['origin'] ?? null,
        ...(silent ? { silent: true } : {}),
      });
      line(
        `+ #${conn.id} ${remote(conn)} ${conn.request?.target ?? '/'}` +
          `${conn.protocol ? `  protocol ${conn.protocol}` : ''}${conn.extensions ? `  extensions ${conn.extensions}` : ''}${silent ? '  [silent]' : conn.isPaused ? '  [slow]' : ''}`,
      );
    },
    message: (conn, data, binary) => {
      out.event('message', { id: conn.id, ...messageFields(data) });
      if (!args.quiet) line(`< #${conn.id} ${formatSize(typeof data === 'string' ? Buffer.byteLength(data) : data.length).padStart(9)}  ${humanData(data)}`);
      if (faults.isSilent(conn)) return;
      reply(conn, data, binary);
    },
    ping: (conn, payload) => out.event('ping', { id: conn.id, size: payload.length }),
    pong: (conn, payload) => out.event('pong', { id: conn.id, size: payload.length }),
    error: (conn, error) => {
      out.event('error', { id: conn.id, code: error.code, message: error.message, closeCode: error.closeCode });
      line(`! #${conn.id} ${error.code}: ${error.message} (closing with ${error.closeCode})`);
    },
    close: (conn, code, reason, wasClean) => {
      faults.closed(conn);
      out.event('close', { id: conn.id, code, reason, wasClean });
      line(`- #${conn.id} closed ${code} (${closeName(code)})${reason ? ` ${terminalSafe(reason)}` : ''}${wasClean ? '' : ', not clean'}`);
    },
    badRequest: (conn, error) => {
      out.event('refused', { id: conn.id, remote: remote(conn), status: error.status ?? 400, code: error.code, message: error.message, reason: 'request' });
      line(`x #${conn.id} ${remote(conn)} refused with ${error.status ?? 400}: ${error.code} ${error.message}`);
    },
  };
  let server: WebSocketServer;
  try {
    server = new WebSocketServer({ protocols: args.protocols, perMessageDeflate: args.deflate, maxPayload: args.maxPayload, ...(tls !== undefined ? { tls } : {}) }, handlers);
  } catch (err) {
    out.error(`lifeline serve: cannot use the TLS certificate and key (${(err as Error).message})`);
    return ExitCode.USAGE;
  }
  let faultsRun = 0;
  faults = new Faults(server, {
    onFault: (event: FaultEvent) => {
      faultsRun++;
      out.event('fault', { fault: event.fault, params: event.params, message: event.message, source: event.source });
      line(`! fault ${event.fault} (${event.source}): ${event.message}`);
    },
    log: (text) => {
      out.event('log', { message: text });
      line(`  ${text}`);
    },
  });

  try {
    await server.listen(args.port, args.host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${args.port} is in use (pick another with --port, or --port 0 for any free port)` : code === 'EACCES' ? `no permission to listen on port ${args.port}` : (err as Error).message;
    out.event('error', { code: code ?? 'LISTEN_FAILED', message: why });
    out.error(`lifeline serve: cannot listen on ${args.host}:${args.port}: ${why}`);
    if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
    return ExitCode.FAILURE;
  }

  // ---- banner (announced once the signal handlers are in: a test or script may send SIGTERM as soon as it reads it) ----
  const announce = (): void => {
    const httpBase = `${server.scheme === 'wss' ? 'https' : 'http'}://${server.url.slice(server.scheme.length + 3, -1)}`;
    out.event('listening', {
      url: server.url,
      host: server.host,
      port: server.port,
      mode: args.mode,
      protocols: args.protocols,
      deflate: args.deflate !== false,
      tls: tls !== undefined,
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      control: args.control ? `${httpBase}/fault/` : null,
      chaos: args.chaos.map((spec) => spec.text),
    });
    if (!out.json) {
      const ca = certFile !== undefined ? ` --ca ${certFile}` : '';
      const banner = [
        `lifeline serve: listening on ${server.url}`,
        `  replies: ${describeMode(args)} · subprotocols: ${args.protocols.length ? args.protocols.join(', ') : 'none'} · permessage-deflate: ${describeDeflate(args)}`,
        ...(tls !== undefined
          ? [
              `  tls: ${args.tls?.selfSigned ? `self-signed certificate for ${certNames!.join(', ')}` : `certificate ${certFile}`}`,
              `       SHA-256 fingerprint ${fingerprint}`,
              ...(args.tls?.selfSigned ? [`       saved to ${certFile} (trust it with --ca ${certFile}, or -k)`] : []),
            ]
          : []),
        ...(args.chaos.length ? [`  chaos: ${args.chaos.map((spec) => spec.text).join(' · ')}`] : []),
        `try:     lifeline connect ${server.url}${ca} -x hello`,
        args.control ? `faults:  type help (stdin), or curl -X POST '${httpBase}/fault/drop'${tls !== undefined ? ' -k' : ''}` : 'faults:  type help (stdin)',
      ];
      out.data(banner.join('\n'));
    }
  };

  const stopChaos = startChaos(faults, args.chaos, (spec, error) => out.error(`lifeline serve: --chaos ${spec.text}: ${error.message}`));

  // ---- stdin, signals, the end ----
  return new Promise<number>((resolve) => {
    let stopping = false;
    const rl = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
    const stop = async (why: string) => {
      if (stopping) return;
      stopping = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.signal?.removeEventListener('abort', onAbort);
      rl.close();
      stopChaos();
      faults.dispose();
      line(`stopping (${why}): closing connections with 1001`);
      await server.close(1001, 'server shutting down', 500);
      if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
      out.event('stopped', { reason: why });
      resolve(ExitCode.OK);
    };
    const onSignal = (signal: NodeJS.Signals) => void stop(signal);
    const onAbort = () => void stop('aborted');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    announce();
    rl.on('line', (text) => {
      if (/^\s*(quit|exit)\s*$/i.test(text)) return void stop('quit');
      const before = faultsRun;
      const answer = runFaultCommand(faults, text);
      // A fault that ran was already logged (onFault); anything else (help, stats, an error) is printed here.
      if (answer === '' || faultsRun !== before) return;
      if (out.json) {
        if (/^\s*stats\s*$/i.test(text)) out.event('stats', faults.stats() as unknown as Record<string, unknown>);
        else out.error(answer);
      } else out.data(answer);
    });
    if (!out.json) out.data('type help for the fault commands, quit (or Ctrl-C) to stop');
  });
}
