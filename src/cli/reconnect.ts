/**
 * `lifeline connect --reconnect`: the session runs on the resilient client
 * (src/client) over the Node transport, and every state change, retry and
 * heartbeat is shown. Sends made while reconnecting wait in the client's
 * queue and go out in order on the next open.
 *
 * Owns: the client-backed `Link`. Imports the client, the Node transport
 * factory and CLI helpers.
 */
import { connectWith } from '../client/client.js';
import { realClock } from '../client/clock.js';
import { heartbeat } from '../client/heartbeat.js';
import { nodeFeatures } from '../client/node-features.js';
import type { ConnectOptions } from '../client/options.js';
import { createNodeTransport } from '../transport/node/index.js';
import type { LinkFactory } from './connect.js';
import { explain } from './explain.js';
import { formatMs } from './format.js';
import { socketOptions, type TraceRecord } from './socket.js';
import { closeName } from './trace-format.js';

export const reconnectLink: LinkFactory = (args, ev, out) => {
  const trace = args.trace ? (record: TraceRecord) => ev.trace?.(record) : undefined;
  const factory = createNodeTransport(socketOptions(args, trace));
  const options: ConnectOptions = {
    protocols: args.protocols,
    connectTimeout: args.timeoutMs,
    // --ping <s> becomes the client's heartbeat interval (protocol pings, dead-peer detection);
    // --ping-timeout <s> how long a ping may go unanswered before the connection is dropped and retried.
    heartbeat:
      args.pingIntervalMs !== undefined
        ? heartbeat({ interval: args.pingIntervalMs, timeout: args.pingTimeoutMs ?? Math.max(args.pingIntervalMs, 5000) })
        : heartbeat(),
    // Subscribe first, then open: the first transition (closed → connecting) is shown too.
    startClosed: true,
  };
  const conn = connectWith(factory, args.url, options, { clock: realClock, random: Math.random, features: nodeFeatures });
  let everOpened = false;

  conn.on('state', ({ from, to }) => {
    out.event('state', { from, to });
    out.info(`state ${from} → ${to}`);
  });
  conn.on('reconnecting', ({ attempt, delay }) => {
    out.event('reconnecting', { attempt, delayMs: delay });
    out.info(`reconnecting in ${formatMs(delay)} (attempt ${attempt})`);
  });
  conn.on('open', (info) => {
    everOpened = true;
    ev.open({ protocol: info.protocol, extensionsHeader: info.extensions });
  });
  conn.on('message', (data) => ev.message(data as string | Uint8Array));
  // Control frames through the public API (the connection's ping and pong events).
  if (args.showControl) {
    conn.on('ping', (data) => ev.ping(data));
    conn.on('pong', (data) => ev.pong(data));
  }
  conn.on('heartbeat', ({ rtt }) => {
    if (args.pingIntervalMs === undefined) return;
    out.event('pong', { direction: 'in', rttMs: Math.round(rtt * 1000) / 1000 });
    out.info(`pong  rtt ${formatMs(rtt)}`);
  });
  conn.on('close', (close) => {
    if (!close.willReconnect) return;
    out.event('close', { code: close.code, reason: close.reason, wasClean: close.wasClean, willReconnect: true, ...(close.status !== undefined ? { status: close.status } : {}) });
    const why = close.error ? explain(close.error, args.url).explanation : `${close.code} (${closeName(close.code)})${close.reason ? ` ${close.reason}` : ''}`;
    out.info(`connection lost: ${why}`);
  });
  conn.on('error', () => {
    /* failed attempts are reported with their close above */
  });
  conn.on('end', (event) => {
    const close = event.close;
    if (!everOpened && event.reason !== 'closed') {
      ev.failed(close?.error ?? Object.assign(new Error(`gave up (${event.reason})`), { code: 'WS_ERR_UNEXPECTED_EOF' }));
      return;
    }
    if (event.reason !== 'closed') out.info(`giving up: ${event.reason === 'maxAttempts' ? 'too many failed attempts' : 'the close is not retryable'}`);
    ev.closed(close?.code ?? 1000, close?.reason ?? '', event.reason === 'closed' ? true : (close?.wasClean ?? false));
  });
  conn.open();

  return {
    queues: true,
    get open() {
      return conn.state === 'open';
    },
    send(data) {
      conn.send(data).catch((err: unknown) => out.error(`send failed: ${(err as Error).message}`));
    },
    ping: (data) => (conn.state === 'open' ? conn.ping(data) : undefined),
    close: (code, reason) => {
      conn.close(code, reason);
      return true;
    },
    terminate: () => conn.terminate(),
  };
};
