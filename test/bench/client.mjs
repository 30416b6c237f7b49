// Benchmark client, run as a fresh child process per trial by run.mjs (never
// imported). argv[2] is a JSON job: {impl, scenario, url, size, kind,
// deflate, warmMs, measureMs, inflight, connects, conns, eventLoop}.
// Scenarios: echo (a window of messages in flight to an echo server),
// firehose (receive as fast as the server writes; with `eventLoop`, also the
// longest event-loop stall), send (write as fast as the socket and the
// compressor allow, to a sink server), connect, memory. Measures its own
// process only: wall time (hrtime) and CPU (process.cpuUsage: user+system of
// every thread, so work handed to zlib's thread pool counts too). Sends one
// {result} over IPC and exits; exits on its own after a hard timeout or when
// the parent goes away.
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadImpl } from './impls.mjs';
import { messages } from './frames.mjs';

const job = JSON.parse(process.argv[2]);
process.on('disconnect', () => process.exit(4));
setTimeout(() => {
  process.stderr.write(`client: hard timeout (${job.scenario})\n`);
  process.exit(3);
}, job.hardTimeoutMs ?? 120_000).unref();

// The runner samples the server's CPU when told a window starts and ends.
const mark = (n) => {
  process.send({ mark: true });
  return { t: process.hrtime.bigint(), cpu: process.cpuUsage(), n };
};
const span = (a, b) => ({
  count: b.n - a.n,
  wallUs: Number(b.t - a.t) / 1000,
  cpuUs: b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system),
});

function done(result) {
  process.send({ result }, () => process.exit(0));
}

const impl = await loadImpl(job.impl);
const deflate = !!job.deflate;

if (job.scenario === 'echo') {
  const payload = messages(job.size, 1)[0].toString();
  const conn = await impl.open(job.url, { deflate });
  let n = 0;
  let bytes = 0;
  conn.onMessage((d) => {
    n++;
    bytes += typeof d === 'string' ? d.length : d.byteLength;
    conn.send(payload);
  });
  for (let i = 0; i < job.inflight; i++) conn.send(payload);
  await sleep(job.warmMs);
  const a = mark(n);
  await sleep(job.measureMs);
  const b = mark(n);
  if (bytes === 0) throw new Error('no data');
  done(span(a, b));
} else if (job.scenario === 'firehose') {
  const conn = await impl.open(job.url, { deflate });
  let n = 0;
  let bytes = 0;
  const expect = job.size;
  let bad = 0;
  conn.onMessage((d) => {
    n++;
    const len = typeof d === 'string' ? d.length : d.byteLength;
    bytes += len;
    if (len !== expect) bad++;
    if (job.kind === 'text' ? typeof d !== 'string' : typeof d === 'string') bad++;
  });
  await sleep(job.warmMs);
  // How late a 5 ms timer fires, at worst: the longest time the event loop
  // was busy with one task (say, inflating one message), which every other
  // connection and timer of the process waits for.
  const delay = job.eventLoop ? monitorEventLoopDelay({ resolution: 5 }) : undefined;
  delay?.enable();
  const a = mark(n);
  await sleep(job.measureMs);
  const b = mark(n);
  delay?.disable();
  if (bad) throw new Error(`${bad} messages of the wrong type or size`);
  const stall = delay ? { stallMaxMs: delay.max / 1e6, stallP99Ms: delay.percentile(99) / 1e6 } : {};
  done({ ...span(a, b), bytes, ...stall });
} else if (job.scenario === 'send') {
  // Text messages (JSON-like, 64 distinct, so with 1 KiB and more a repeat is
  // outside the 32 KiB window) written while the socket buffer holds less
  // than HIGH_WATER; then a 1 ms wait. `bufferedAmount` counts what waits for
  // the compressor too (ws compresses on zlib's thread pool).
  const payloads = messages(job.size, 64, 11).map((m) => m.toString());
  const HIGH_WATER = Math.max(256 * 1024, 8 * job.size);
  const conn = await impl.open(job.url, { deflate });
  let n = 0;
  let running = true;
  const pump = () => {
    if (!running) return;
    while (conn.bufferedAmount < HIGH_WATER) {
      conn.send(payloads[n % payloads.length]);
      n++;
    }
    setTimeout(pump, 1);
  };
  pump();
  await sleep(job.warmMs);
  const a = mark(n);
  await sleep(job.measureMs);
  const b = mark(n);
  running = false;
  done(span(a, b));
} else if (job.scenario === 'connect') {
  const one = async () => (await impl.open(job.url, { deflate: false })).close();
  for (let i = 0; i < job.warmConnects; i++) await one();
  const a = mark(0);
  for (let i = 0; i < job.connects; i++) await one();
  const b = mark(job.connects);
  done(span(a, b));
} else if (job.scenario === 'memory') {
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(20);
    }
    return process.memoryUsage();
  };
  // Load lazy code paths once before the baseline.
  await (await impl.open(job.url, { deflate: false })).close();
  const before = await settle();
  const conns = [];
  for (let i = 0; i < job.conns; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(job.conns, i + 100); j++) batch.push(impl.open(job.url, { deflate: false }));
    conns.push(...(await Promise.all(batch)));
  }
  await sleep(200);
  const after = await settle();
  const per = (k) => (after[k] - before[k]) / conns.length;
  done({
    count: conns.length,
    heapPerConn: per('heapUsed'),
    rssPerConn: per('rss'),
    externalPerConn: per('external'),
    before,
    after,
  });
} else {
  throw new Error(`unknown scenario ${job.scenario}`);
}
