/**
 * `lifeline connect <url>`: an interactive (or piped) session. Input lines
 * become messages (see ./input.ts), received messages are printed with time
 * and size, `--execute` sends and waits for the replies, `--ping` measures
 * round trips, `--trace` / `--show-control` show frames, Ctrl-C closes with
 * 1000. `--reconnect` swaps the single WebSocket for the resilient client
 * (./reconnect.ts) behind the same `Link` seam.
 *
 * Owns: the session driver (when to send, when to stop, the exit code).
 * Imports the CLI helpers, ./socket.js and ./reconnect.js.
 */
import type { ConnectArgs } from './args.js';
import { ExitCode } from './exit.js';
import { explain, type Failure } from './explain.js';
import { Output, jsonBody, messageLine, formatMs, toHex, terminalSafe, formatSize } from './format.js';
import { INPUT_HELP, openLineReader, parseLine, sendText, type InputAction, type LineReader } from './input.js';
import { Progress } from './progress.js';
import { openSocket, type HandshakeInfo } from './socket.js';
import { closeName, traceJson, traceLines } from './trace-format.js';
import type { TraceRecord } from './socket.js';

/** Close events that count as a normal end of a session (RFC 6455 §7.4.1). */
const NORMAL_CLOSE = new Set([1000, 1001, 1005]);

/** What the session driver needs from a connection: one WebSocket, or the resilient client. */
export interface Link {
  readonly open: boolean;
  /** True when sends made while not open are queued (the resilient client), not dropped. */
  readonly queues: boolean;
  send(data: string | Uint8Array): void;
  /** Resolves with the RTT in ms; undefined when the link cannot ping now. */
  ping(data?: Uint8Array): Promise<number> | undefined;
  /** Starts our close; returns false when the connection was already closing (the peer went first). */
  close(code: number, reason: string): boolean;
  terminate(): void;
}

/** Events a link reports to the driver. */
export interface LinkEvents {
  open(info: HandshakeInfo | { protocol: string; extensionsHeader: string }): void;
  message(data: string | Uint8Array): void;
  ping(payload: Uint8Array): void;
  pong(payload: Uint8Array): void;
  /** Error after open (protocol violation etc.). */
  error(err: unknown): void;
  /** Failed before ever opening (final). */
  failed(err: unknown): void;
  /** Closed for good (final). */
  closed(code: number, reason: string, wasClean: boolean): void;
  trace?(record: TraceRecord): void;
}

export type LinkFactory = (args: ConnectArgs, events: LinkEvents, out: Output) => Link;

/** One plain WebSocket. */
export const plainLink: LinkFactory = (args, ev) => {
  let isOpen = false;
  const socket = openSocket(args, {
    record: true,
    ...(args.trace && ev.trace ? { trace: ev.trace } : {}),
    onOpen: (info) => {
      isOpen = true;
      /** The code of our close frame when we failed the connection (the server broke the protocol). */
      let failedWith: number | undefined;
      ws.addEventListener('error', (event: { error?: unknown }) => {
        failedWith = (event.error as { closeCode?: number } | undefined)?.closeCode;
        ev.error(event.error);
      });
      ws.addEventListener('close', (event: { code: number; reason: string; wasClean: boolean }) => {
        isOpen = false;
        // The WebSocket says 1006 then, as browsers do (no close frame was read after ours); the
        // CLI shows the code it closed with, as `--reconnect` (connect()) does.
        ev.closed(failedWith ?? event.code, event.reason, event.wasClean);
      });
      ev.open(info);
    },
  });
  const ws = socket.ws;
  socket.opened.catch((err: unknown) => ev.failed(err));
  // openSocket set binaryType 'nodebuffer': binary data is a Buffer.
  ws.addEventListener('message', (event) => ev.message(event.data as string | Buffer));
  ws.addEventListener('ping', (event) => ev.ping(event.data));
  ws.addEventListener('pong', (event) => ev.pong(event.data));
  return {
    queues: false,
    get open() {
      return isOpen && ws.readyState === 1;
    },
    send: (data) => ws.send(data),
    ping: (data) => (ws.readyState === 1 ? ws.ping(data) : undefined),
    close: (code, reason) => {
      if (ws.readyState === 0) ws.terminate();
      else if (ws.readyState === 1) ws.close(code, reason);
      else return false;
      return true;
    },
    terminate: () => ws.terminate(),
  };
};

export interface ConnectIO {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Runs a session; resolves with the exit code. Exit: 0 normal close (ours,
 * or the peer's 1000/1001/1005), 1 failure or abnormal close, 3 `--execute`
 * replies missing after `--wait`, 130 interrupted before opening.
 */
export function runConnect(args: ConnectArgs, makeLink: LinkFactory = plainLink, io: ConnectIO = {}): Promise<number> {
  const out = new Output(args.json);
  const progress = new Progress({ quiet: args.json });
  const stdin = io.stdin ?? process.stdin;

  return new Promise<number>((resolveExit) => {
    let sent = 0;
    let received = 0;
    let opened = false;
    let finished = false;
    let inputEnded = false;
    let localClose = false;
    let failedAfterOpen = false;
    let interrupts = 0;
    /** Exit code decided before the close completes (timeout, interrupt). */
    let decided: number | undefined;
    const queue: InputAction[] = [];
    let reader: LineReader | undefined;
    let waitTimer: NodeJS.Timeout | undefined;
    let pingTimer: NodeJS.Timeout | undefined;
    /** Armed at a ping while no pong is awaited; fires after --ping-timeout without one. */
    let pongTimer: NodeJS.Timeout | undefined;

    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(waitTimer);
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      progress.stop();
      process.off('SIGINT', onSigint);
      reader?.close();
      out.around = undefined;
      resolveExit(code);
    };

    const reportFailure = (failure: Failure, prefix: string) => {
      out.event('error', { ...failure });
      if (!out.json) out.error(`${prefix}: ${failure.explanation}${failure.code ? ` [${failure.code}]` : ''}`);
    };

    const closeNow = (code: number, reason: string) => {
      if (localClose) return;
      clearTimeout(waitTimer);
      localClose = link.close(code, reason);
    };

    // ---- input ----
    const perform = (action: InputAction) => {
      switch (action.kind) {
        case 'skip':
          return;
        case 'help':
          out.error(INPUT_HELP);
          return;
        case 'error':
          out.event('input-error', { message: action.message });
          out.error(`input: ${action.message}`);
          return;
        case 'send':
          if (!link.open && !link.queues) {
            out.error('input: the connection is not open, message dropped');
            return;
          }
          if (args.oneMessage && sent >= 1) {
            out.error('input: --one-message sends one message; line ignored');
            return;
          }
          link.send(action.data);
          sent++;
          out.event('sent', jsonBody(action.data));
          return;
        case 'ping': {
          const pong = link.ping(action.data);
          if (!pong) return out.error('input: not connected, ping not sent');
          out.event('ping', { direction: 'out', size: action.data.length });
          pong.then(
            (rtt) => {
              out.event('pong', { direction: 'in', rttMs: round(rtt) });
              out.info(`pong  rtt ${formatMs(rtt)}`);
            },
            () => {},
          );
          return;
        }
        case 'close':
          closeNow(action.code, action.reason);
          return;
      }
    };

    const maybeDone = () => {
      if (!opened || !inputEnded || localClose || finished) return;
      // --one-message: the session is one reply long, however the input ended.
      if (args.oneMessage) return received >= 1 ? closeNow(1000, '') : armWait();
      if (reader?.interactive) return closeNow(1000, '');
      if (received >= sent) return closeNow(1000, '');
      armWait();
    };

    /** Waits `--wait` for the replies; re-armed by every message. */
    const armWait = () => {
      clearTimeout(waitTimer);
      waitTimer = setTimeout(() => {
        const missing = args.oneMessage ? 1 : sent - received;
        if (args.execute.length > 0 || args.oneMessage) {
          decided = ExitCode.TIMEOUT;
          const failure = explain(Object.assign(new Error(`No reply within ${args.waitMs / 1000} s (${missing} of ${sent} missing).`), { code: 'NO_REPLY' }), args.url);
          reportFailure(failure, 'timeout');
        } else {
          out.info(`input ended; ${missing} repl${missing === 1 ? 'y' : 'ies'} still missing after ${args.waitMs / 1000} s, closing`);
        }
        closeNow(1000, '');
      }, args.waitMs);
    };

    const onLine = (line: string) => {
      const action = parseLine(line, args.binary, args.slash);
      if (opened) perform(action);
      else queue.push(action);
    };

    const interrupt = () => {
      interrupts++;
      if (!opened) {
        decided = ExitCode.INTERRUPTED;
        link.terminate();
        if (!out.json) out.error('interrupted');
        finish(ExitCode.INTERRUPTED);
        return;
      }
      if (interrupts === 1 && !localClose) {
        out.info('closing (1000)… press Ctrl-C again to drop the connection');
        closeNow(1000, '');
      } else {
        link.terminate();
      }
    };
    const onSigint = () => interrupt();
    /** websocat's --ping-timeout: a ping without a pong for that long drops the connection (exit 1). */
    const onPingTimeout = () => {
      pongTimer = undefined;
      if (finished || localClose) return;
      decided = ExitCode.FAILURE;
      const seconds = args.pingTimeoutMs! / 1000;
      reportFailure(explain(Object.assign(new Error(`No pong within ${seconds} s (--ping-timeout).`), { code: 'WS_ERR_HEARTBEAT_TIMEOUT' }), args.url), 'error');
      link.terminate();
    };
    process.on('SIGINT', onSigint);

    // ---- the link ----
    const events: LinkEvents = {
      open(info) {
        const first = !opened;
        opened = true;
        progress.stop();
        const hs = 'status' in info ? info : undefined;
        const ext = info.extensionsHeader;
        // After redirects (-L) the URL connected to, as the WebSocket's url says.
        const url = hs?.url ?? args.url;
        out.event('open', {
          url,
          protocol: info.protocol,
          extensions: ext,
          ...(hs ? { status: hs.status, openMs: hs.openMs } : {}),
        });
        out.info(
          `connected to ${url}${hs ? ` in ${formatMs(hs.openMs)}` : ''}` +
            `${info.protocol ? `, protocol ${info.protocol}` : ''}${ext ? `, extensions ${ext}` : ''}` +
            (reader?.interactive ? '  (\\help for commands, Ctrl-C to quit)' : ''),
        );
        if (!first) return;
        if (args.pingIntervalMs !== undefined && pingTimer === undefined && !link.queues) {
          pingTimer = setInterval(() => {
            const pong = link.ping();
            if (pong !== undefined && args.pingTimeoutMs !== undefined && pongTimer === undefined) pongTimer = setTimeout(onPingTimeout, args.pingTimeoutMs);
            pong?.then(
              (rtt) => {
                clearTimeout(pongTimer);
                pongTimer = undefined;
                out.event('pong', { direction: 'in', rttMs: round(rtt) });
                out.info(`pong  rtt ${formatMs(rtt)}`);
              },
              () => {},
            );
          }, args.pingIntervalMs);
        }
        if (args.execute.length > 0) {
          for (const text of args.execute) perform(sendText(text, args.binary));
          inputEnded = true;
        }
        const pending = queue.splice(0);
        for (const action of pending) perform(action);
        maybeDone();
      },
      message(data) {
        received++;
        out.event('message', jsonBody(data));
        out.data(messageLine('<', data));
        if (args.oneMessage) {
          // websocat's -1: one message received ends the session.
          if (received === 1) closeNow(1000, '');
          return;
        }
        if (inputEnded && !localClose) {
          if (received >= sent) closeNow(1000, '');
          else armWait();
        }
      },
      ping(payload) {
        if (!args.showControl) return;
        out.event('ping', { direction: 'in', size: payload.length, data: Buffer.from(payload).toString('hex') });
        out.info(`ping  ← ${formatSize(payload.length)}${payload.length ? ` ${toHex(payload, 32)}` : ''}`);
      },
      pong(payload) {
        if (!args.showControl) return;
        out.event('pong', { direction: 'in', size: payload.length, data: Buffer.from(payload).toString('hex') });
        out.info(`pong  ← ${formatSize(payload.length)}${payload.length ? ` ${toHex(payload, 32)}` : ''}`);
      },
      error(err) {
        failedAfterOpen = true;
        reportFailure(explain(err, args.url), 'error');
      },
      failed(err) {
        progress.stop();
        if (finished) return;
        reportFailure(explain(err, args.url), 'error');
        finish(ExitCode.FAILURE);
      },
      closed(code, reason, wasClean) {
        out.event('close', { code, reason, wasClean, initiatedBy: localClose ? 'client' : 'server' });
        if (!out.json && (args.showControl || reader?.interactive === true || !localClose || code !== 1000 || !wasClean)) {
          out.info(`closed ${code} (${closeName(code)})${reason ? ` ${terminalSafe(reason)}` : ''}${wasClean ? '' : ', not clean'}`);
        }
        let exit: number;
        if (decided !== undefined) exit = decided;
        else if (failedAfterOpen) exit = ExitCode.FAILURE;
        else if (localClose) exit = ExitCode.OK;
        else exit = NORMAL_CLOSE.has(code) && wasClean ? ExitCode.OK : ExitCode.FAILURE;
        finish(exit);
      },
    };
    if (args.trace) {
      events.trace = (record) => {
        out.event('trace', traceJson(record));
        for (const line of traceLines(record)) out.info(line);
      };
    }

    progress.start(`connecting to ${args.url}`);
    const link = makeLink(args, events, out);

    // Read stdin unless --execute says what to send.
    if (args.execute.length === 0) {
      reader = openLineReader(
        {
          line: onLine,
          end: () => {
            inputEnded = true;
            maybeDone();
          },
          interrupt,
        },
        stdin,
        io.stdout ?? process.stdout,
      );
      if (reader.interactive) out.around = (write) => reader!.around(write);
    }
  });
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
