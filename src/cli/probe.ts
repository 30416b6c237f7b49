/**
 * `lifeline probe <url>`: one connection, one report. Handshake (status,
 * subprotocol, extensions with parameters, response headers, time to open),
 * ping round trips, with `--echo` message echo latency, message counts and
 * the compression ratio measured from the frames on the wire. On failure,
 * the cause in plain words and exit code 1.
 *
 * Owns: the probe sequence and the report (human and `--json`). Imports the
 * CLI helpers and ./socket.js; no client.
 */
import { performance } from 'node:perf_hooks';
import type { ProbeArgs } from './args.js';
import { ExitCode } from './exit.js';
import { explain, type Failure } from './explain.js';
import { Output, formatMs, formatSize } from './format.js';
import { Progress } from './progress.js';
import { compressionRatio, openSocket, type HandshakeInfo, type OpenedSocket, type TraceRecord } from './socket.js';
import { traceLines } from './trace-format.js';
import { summarize, type LatencySummary } from './stats.js';

export interface ProbeReport {
  operation: 'probe';
  target: string;
  status: 'success' | 'failure';
  handshake: (Omit<HandshakeInfo, 'extensionsHeader'> & { extensionsHeader: string }) | null;
  metrics: {
    messagesSent: number;
    messagesReceived: number;
    /** Echo latency with `--echo`, else ping RTT (ms). */
    avgLatencyMs: number | null;
    p50LatencyMs: number | null;
    p99LatencyMs: number | null;
    ping: LatencySummary | null;
    echo: LatencySummary | null;
    bytesSent: number;
    bytesReceived: number;
    wireBytesSent: number;
    wireBytesReceived: number;
    /** (wire bytes of data frames) / (message bytes), both directions; null unless permessage-deflate was agreed and data flowed. */
    compressionRatio: number | null;
  };
  durationMs: number;
  error: Failure | null;
}

const PREFIX = '{"probe":"lifeline","seq":';

/**
 * A text message of exactly `size` ASCII bytes: JSON-shaped and repetitive,
 * like typical application traffic, so compression has something to do.
 */
export function probePayload(seq: number, size: number): string {
  const head = `${PREFIX}${seq},"pad":"`;
  const tail = '"}';
  if (size < head.length + tail.length) return 'x'.repeat(size);
  const padLen = size - head.length - tail.length;
  const unit = 'lifeline-probe-';
  return head + unit.repeat(Math.ceil(padLen / unit.length)).slice(0, padLen) + tail;
}

function noReply(message: string): Error {
  return Object.assign(new Error(message), { code: 'NO_REPLY' });
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Rejects when the socket closes (so a probe never waits on a dead
 * connection): with the failure when we failed the connection (a server
 * that broke the protocol; its close event says 1006 as in browsers), else
 * with the server's close.
 */
function closedPromise(socket: OpenedSocket): Promise<never> {
  return new Promise((_, reject) => {
    let failure: unknown;
    const onError = (event: { error?: unknown }) => {
      failure = event.error;
    };
    socket.ws.addEventListener('error', onError, { once: true });
    socket.ws.addEventListener(
      'close',
      (event: { code: number; reason: string }) => {
        if (failure !== undefined) return reject(failure);
        reject(Object.assign(new Error(`the server closed the connection during the probe (code ${event.code}${event.reason ? `, ${event.reason}` : ''})`), { code: event.code === 1006 ? 'WS_ERR_UNEXPECTED_EOF' : 'CLOSED' }));
      },
      { once: true },
    );
  });
}

export async function runProbe(args: ProbeArgs, out: Output = new Output(args.json)): Promise<number> {
  // --trace writes frame lines to stderr; the spinner would overwrite them.
  const progress = new Progress({ quiet: args.json || args.trace });
  const started = performance.now();
  const report: ProbeReport = {
    operation: 'probe',
    target: args.url,
    status: 'failure',
    handshake: null,
    metrics: {
      messagesSent: 0,
      messagesReceived: 0,
      avgLatencyMs: null,
      p50LatencyMs: null,
      p99LatencyMs: null,
      ping: null,
      echo: null,
      bytesSent: 0,
      bytesReceived: 0,
      wireBytesSent: 0,
      wireBytesReceived: 0,
      compressionRatio: null,
    },
    durationMs: 0,
    error: null,
  };
  // --trace (human mode only: --json prints exactly one report) shows the handshake and every frame on stderr.
  const trace = args.trace && !args.json ? (record: TraceRecord) => traceLines(record).forEach((line) => out.info(line)) : undefined;
  const socket = openSocket(args, { record: true, ...(trace ? { trace } : {}) });
  const pings: number[] = [];
  const echoes: number[] = [];
  let closed: Promise<never> | undefined;
  try {
    progress.start(`connecting to ${args.url}`);
    const hs = await socket.opened;
    report.handshake = hs;
    closed = closedPromise(socket);
    closed.catch(() => {});
    // Ping round trips (RFC 6455 §5.5.2), one at a time so they do not queue behind each other.
    for (let i = 0; i < args.count; i++) {
      progress.update(`ping ${i + 1}/${args.count}`);
      const rtt = await Promise.race([withTimeout(socket.ws.ping(), args.timeoutMs, () => noReply(`No pong within ${args.timeoutMs / 1000} s: the server does not answer pings (RFC 6455 §5.5.2 requires it).`)), closed]);
      pings.push(rtt);
    }
    if (args.echo) {
      let waiting: ((data: string | Uint8Array) => void) | undefined;
      socket.ws.addEventListener('message', (message) => {
        // openSocket set binaryType 'nodebuffer': binary data is a Buffer.
        const ev = { data: message.data as string | Buffer };
        report.metrics.messagesReceived++;
        socket.wire.payloadIn += typeof ev.data === 'string' ? Buffer.byteLength(ev.data) : ev.data.byteLength;
        const deliver = waiting;
        waiting = undefined;
        deliver?.(ev.data);
      });
      for (let i = 0; i < args.count; i++) {
        progress.update(`echo ${i + 1}/${args.count}`);
        const msg = probePayload(i, args.size);
        const reply = new Promise<string | Uint8Array>((resolve) => (waiting = resolve));
        const t0 = performance.now();
        socket.ws.send(msg);
        report.metrics.messagesSent++;
        socket.wire.payloadOut += msg.length;
        await Promise.race([withTimeout(reply, args.timeoutMs, () => noReply(`No reply within ${args.timeoutMs / 1000} s to message ${i + 1}: the server does not echo (drop --echo for servers that do not).`)), closed]);
        echoes.push(performance.now() - t0);
      }
    }
    report.status = 'success';
  } catch (err) {
    report.error = explain(err, args.url);
    if (report.handshake === null && socket.response && socket.response.status !== null && socket.response.status !== 101) {
      // A refused upgrade: keep what the server said in the report too.
      report.handshake = { url: socket.ws.url, status: socket.response.status, statusText: socket.response.statusText, protocol: '', extensions: [], extensionsHeader: '', headers: socket.response.headers, openMs: 0 };
    }
  } finally {
    progress.stop();
  }
  // Close politely (1000) and wait for the close so counters are final.
  if (socket.ws.readyState === 1 || socket.ws.readyState === 0) {
    const done = new Promise<void>((resolve) => socket.ws.addEventListener('close', () => resolve(), { once: true }));
    if (socket.ws.readyState === 1) socket.ws.close(1000, 'probe done');
    else socket.ws.terminate();
    await withTimeout(done, 4000, () => new Error('close timeout')).catch(() => socket.ws.terminate());
  }
  const metrics = report.metrics;
  metrics.ping = summarize(pings);
  metrics.echo = summarize(echoes);
  const lat = metrics.echo ?? metrics.ping;
  metrics.avgLatencyMs = lat?.avgMs ?? null;
  metrics.p50LatencyMs = lat?.p50Ms ?? null;
  metrics.p99LatencyMs = lat?.p99Ms ?? null;
  metrics.bytesSent = socket.wire.payloadOut;
  metrics.bytesReceived = socket.wire.payloadIn;
  metrics.wireBytesSent = socket.wire.wireOut;
  metrics.wireBytesReceived = socket.wire.wireIn;
  const deflate = report.handshake?.extensions.some((extension) => extension.name === 'permessage-deflate') === true;
  metrics.compressionRatio = deflate ? compressionRatio(socket.wire) : null;
  report.durationMs = Math.round(performance.now() - started);

  if (out.json) out.document(report);
  else printHuman(out, report, args);
  return report.status === 'success' ? ExitCode.OK : ExitCode.FAILURE;
}

function printHuman(out: Output, report: ProbeReport, args: ProbeArgs): void {
  const line = (label: string, value: string) => out.data(`  ${label.padEnd(13)} ${value}`);
  out.data(`probe ${report.target}`);
  const hs = report.handshake;
  if (hs) {
    line('status', `${hs.status ?? '?'} ${hs.statusText}`.trim());
    if (hs.status === 101) {
      line('open in', formatMs(hs.openMs));
      line('protocol', hs.protocol === '' ? '(none)' : hs.protocol);
      line('extensions', hs.extensionsHeader === '' ? '(none)' : hs.extensions.map((extension) => [extension.name, ...Object.entries(extension.params).map(([key, value]) => (value === true ? key : `${key}=${value}`))].join('; ')).join(', '));
    }
    const names = Object.keys(hs.headers);
    names.forEach((header, index) => line(index === 0 ? 'headers' : '', `${header}: ${hs.headers[header]}`));
  }
  const metrics = report.metrics;
  const sum = (summary: LatencySummary) => `avg ${formatMs(summary.avgMs)}  p50 ${formatMs(summary.p50Ms)}  p99 ${formatMs(summary.p99Ms)}  min ${formatMs(summary.minMs)}  max ${formatMs(summary.maxMs)}  (${summary.count})`;
  if (metrics.ping) line('ping rtt', sum(metrics.ping));
  if (metrics.echo) line('echo latency', `${sum(metrics.echo)} × ${formatSize(args.size)}`);
  if (hs?.status === 101) line('messages', `sent ${metrics.messagesSent}, received ${metrics.messagesReceived}`);
  if (metrics.compressionRatio !== null) {
    line('compression', `${metrics.compressionRatio} (wire ${formatSize(metrics.wireBytesSent + metrics.wireBytesReceived)} / payload ${formatSize(metrics.bytesSent + metrics.bytesReceived)})`);
  } else if (hs?.status === 101 && !hs.extensions.some((extension) => extension.name === 'permessage-deflate')) {
    line('compression', args.deflate ? 'off (server declined permessage-deflate)' : 'off (--no-deflate)');
  }
  if (report.error) {
    out.data(`failure: ${report.error.explanation}`);
    out.data(`  code ${report.error.code}${report.error.message && report.error.message !== report.error.explanation ? `: ${report.error.message}` : ''}`);
  } else {
    out.data(`success in ${formatMs(report.durationMs)}`);
  }
}
