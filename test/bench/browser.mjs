// `node test/bench/browser.mjs` (after `npm run build`): lifeline's browser
// client, `connect()` from dist/lifeline.min.js, against the bare native
// `WebSocket` in real browser engines (test/support/engines.ts), both
// receiving from the same local firehose server. Not part of `npm test`.
//
//   node test/bench/browser.mjs [--engines chromium,firefox,webkit]
//        [--sizes 16,1024,65536] [--rounds N] [--ms N] [--load N] [--aa] [--json]
//
// One page per engine; per size, each round runs one trial per
// implementation (native, lifeline), the order turned every round.
// A trial opens a connection to the firehose (text messages of `size`
// bytes written as fast as the socket drains) and measures two windows:
// - msg/s: messages received per second, nothing else running;
// - main-thread time per message: a probe keeps the main thread busy with
//   tiny tasks (a MessageChannel ping-pong) while messages arrive; the probe
//   rate alone (no socket, measured in the same trial) gives the cost of one
//   probe task, so the time the main thread spent on everything else is
//   wall - probes x cost, divided by the messages received meanwhile. This
//   counts the engine's own event dispatch as well as the client's code,
//   whether or not the firehose saturates the main thread.
// After the rounds, lifeline's own work per message is timed apart from the
// network and the engine's dispatch (`ownWork` in the page: a stand-in
// socket whose onmessage is called in a loop), and shown as a share of
// native's main-thread time per message: the cost the trials look for, too
// small for their intervals to resolve when it is a few percent.
// Reported per engine and size: medians, and lifeline / native as the
// median of paired (same-round) ratios with the sign-test interval
// (stats.mjs). Goal: lifeline within 5% of native (msg/s >= 0.95x,
// main-thread time <= 1.05x). `--load N` runs N busy processes beside the
// browser for the whole run (a loaded machine: the engine's threads, its GC
// helpers included, compete for the cores). `--aa` adds a second native
// trial to every round and reports native / native the same way: the noise
// floor of the method, what an interval looks like when there is no
// difference to find.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { execFileSync, spawn } from 'node:child_process';
import { LEVEL, median, medianInterval, pairedRatios } from './stats.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const argv = process.argv.slice(2);
const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
const json = argv.includes('--json');
const log = (...a) => (json ? console.error : console.log)(...a);
const engines = opt('--engines', 'chromium,firefox,webkit').split(',');
const sizes = opt('--sizes', '16,1024,65536').split(',').map(Number);
const rounds = Number(opt('--rounds', 5));
const measureMs = Number(opt('--ms', 1000));
const warmMs = Math.round(measureMs / 3);
const load = Number(opt('--load', 0));
const aa = argv.includes('--aa');
/** The trials of a round: lifeline and native, and with `--aa` native again (a separate connection, the same code). */
const IMPLS = aa ? ['native', 'lifeline', 'native-again'] : ['native', 'lifeline'];

// ---- the server: the page, the bundle, and a firehose per WebSocket ----------
/** The server writes messages in chunks of about this many bytes. */
const CHUNK_BYTES = 256 * 1024;
const bundle = readFileSync(join(ROOT, 'dist/lifeline.min.js'));
const page = `<!doctype html><meta charset="utf-8"><title>lifeline browser bench</title>
<script src="/lifeline.min.js"></script>
<script>
const CHUNK_BYTES = ${CHUNK_BYTES};
${messagesPerChunk.toString()}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A window ends at its deadline, noticed by a timer or by the next message or
// probe task, whichever comes first: some engines run a flood of network or
// MessageChannel tasks before any timer.
let deadline = Infinity;
let onDeadline = null;
function tick() {
  if (onDeadline !== null && performance.now() >= deadline) {
    const done = onDeadline;
    onDeadline = null;
    done();
  }
}
function windowOf(ms) {
  return new Promise((resolve) => {
    deadline = performance.now() + ms;
    onDeadline = resolve;
    setTimeout(tick, ms);
  });
}
/** Opens one connection; resolves with {onMessage(fn), close()} once open. */
function open(impl, url) {
  return new Promise((resolve, reject) => {
    if (impl === 'native' || impl === 'native-again') {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve({ onMessage: (fn) => (ws.onmessage = (e) => fn(e.data)), send: (d) => ws.send(d), close: () => ws.close() });
      ws.onerror = () => reject(new Error('native: connection failed'));
    } else {
      const conn = lifeline.connect(url, { maxAttempts: 0 });
      conn.on('open', () => resolve({ onMessage: (fn) => conn.on('message', fn), send: (d) => conn.send(d), close: () => conn.close() }));
      conn.on('close', (e) => reject(new Error('lifeline: closed ' + (e && e.code))));
    }
  });
}
/** A chain of MessageChannel tasks (each one task, no timer clamping); counts how many ran. */
function probe() {
  const channel = new MessageChannel();
  let count = 0;
  let running = true;
  channel.port1.onmessage = () => {
    count++;
    tick();
    if (running) channel.port2.postMessage(0);
  };
  channel.port2.postMessage(0);
  return { stop() { running = false; channel.port1.close(); return count; } };
}
/**
 * lifeline's own work per received message, ns: the browser transport and the
 * client from a socket's message event to the application's handler, with a
 * stand-in for the native WebSocket (no network, no engine dispatch) whose
 * onmessage is called in a loop with prepared events. The best of "rounds"
 * rounds of about 50 ms, after a warm-up of four.
 */
window.ownWork = async ({ size, rounds }) => {
  const native = window.WebSocket;
  let socket;
  class StandIn {
    constructor() {
      socket = this;
      this.readyState = 0;
      this.protocol = '';
      this.extensions = '';
      this.bufferedAmount = 0;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen({});
      }, 0);
    }
    send() {}
    close() {}
  }
  window.WebSocket = StandIn;
  let conn;
  try {
    conn = lifeline.connect('ws://stand-in.invalid/', { maxAttempts: 0 });
    await new Promise((resolve) => conn.on('open', resolve));
  } finally {
    window.WebSocket = native;
  }
  let received = 0;
  conn.on('message', () => received++);
  // Flat strings, as the engine's decoder makes them, each in its own event.
  const decoder = new TextDecoder();
  const events = Array.from({ length: 64 }, (_, i) => {
    const text = decoder.decode(new TextEncoder().encode('x'.repeat(size - 1) + String.fromCharCode(97 + (i % 26))));
    return new MessageEvent('message', { data: text });
  });
  const deliver = (count) => {
    for (let i = 0; i < count; i++) socket.onmessage(events[i % 64]);
  };
  const trialStart = performance.now();
  deliver(1000);
  // About 50 ms a round.
  const count = Math.max(1000, Math.round((1000 * 50) / Math.max(0.1, performance.now() - trialStart)));
  const warmUps = 4; // the engine's optimizing tiers take over only after many calls
  for (let warm = 0; warm < warmUps; warm++) deliver(count);
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    deliver(count);
    best = Math.min(best, performance.now() - start);
  }
  conn.terminate();
  if (received !== 1000 + count * (warmUps + rounds)) throw new Error('stand-in: ' + received + ' messages reached the handler');
  return (best * 1e6) / count;
};
let step = '';
/** A trial, failing with the step it was at if it takes more than 30 s. */
window.runTrial = (arg) =>
  Promise.race([trial(arg), new Promise((_, reject) => setTimeout(() => reject(new Error('trial stuck at: ' + step)), 30000))]);
async function trial({ impl, url, size, warmMs, measureMs }) {
  step = 'probe alone';
  // The probe alone: the cost of one probe task on this main thread now.
  let p = probe();
  let t0 = performance.now();
  await windowOf(measureMs / 2);
  const alone = p.stop() / (performance.now() - t0);
  step = 'open';
  const conn = await open(impl, url);
  step = 'warm-up';
  let n = 0;
  let bad = 0;
  // Flow control: a credit back for every chunk of messages received (see the server).
  const perChunk = messagesPerChunk(size);
  conn.onMessage((d) => {
    n++;
    if (typeof d !== 'string' || d.length !== size) bad++;
    if (n % perChunk === 0) conn.send('c');
    tick();
  });
  await windowOf(warmMs);
  step = 'msg/s window';
  let n0 = n;
  t0 = performance.now();
  await windowOf(measureMs);
  const wall = performance.now() - t0;
  const rate = ((n - n0) * 1000) / wall;
  step = 'main-thread window';
  p = probe();
  n0 = n;
  t0 = performance.now();
  await windowOf(measureMs);
  const probes = p.stop();
  const wall2 = performance.now() - t0;
  const received = n - n0;
  const busyMs = Math.max(0, wall2 - probes / alone);
  step = 'close';
  conn.close();
  await sleep(50);
  if (bad) throw new Error(bad + ' messages of the wrong type or size');
  if (received === 0) throw new Error('no messages while probing');
  return { rate, mainUs: (busyMs * 1000) / received, probeShare: probes / alone / wall2 };
}
</script>`;

/** Messages per chunk the server writes (the page computes the same: one credit per chunk). */
function messagesPerChunk(size) {
  const frameLength = size + (size < 126 ? 2 : size < 65536 ? 4 : 10);
  return Math.max(1, Math.ceil(CHUNK_BYTES / frameLength));
}
function frameHeader(length) {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65536) return Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = 0x81;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}
/** Pre-built frames of `size` ASCII bytes, repeated to ~256 KiB per write. */
function chunkFor(size) {
  const text = Buffer.alloc(size, 'x');
  for (let i = 0; i < size; i++) text[i] = 0x61 + (i % 26);
  const one = Buffer.concat([frameHeader(size), text]);
  return Buffer.concat(Array(messagesPerChunk(size)).fill(one));
}
const chunks = new Map(sizes.map((s) => [s, chunkFor(s)]));
/** Chunks in flight per connection: enough that the page never waits on the round trip. */
const CREDITS = 4;

const server = http.createServer((req, res) => {
  if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  else if (req.url === '/lifeline.min.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
  else res.writeHead(404).end();
});
server.on('upgrade', (req, socket) => {
  const size = Number(new URL(req.url, 'http://x').searchParams.get('size'));
  const chunk = chunks.get(size);
  const key = req.headers['sec-websocket-key'];
  if (!chunk || !key) return socket.destroy();
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.setNoDelay(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on('error', () => {});
  // Flow control: at most CREDITS chunks not yet acknowledged by the page
  // (a text frame per chunk received). Browsers give no receive
  // backpressure: without it some engines queue an unbounded backlog of
  // message events, and the page stops answering.
  let credits = CREDITS;
  let pending = Buffer.alloc(0);
  const pump = () => {
    while (!socket.destroyed && credits > 0) {
      credits--;
      if (!socket.write(chunk)) break;
    }
  };
  socket.on('data', (data) => {
    // The page's frames are masked and short (RFC 6455 §5.2): 2 header bytes, 4 of mask, the payload.
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 6 && pending.length >= 6 + (pending[1] & 0x7f)) {
      const opcode = pending[0] & 0x0f;
      pending = pending.subarray(6 + (pending[1] & 0x7f));
      if (opcode === 0x8) return socket.destroy();
      credits++;
    }
    pump();
  });
  socket.on('drain', pump);
  pump();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const base = `http://127.0.0.1:${port}/`;

// ---- run ---------------------------------------------------------------------------
const { openPage, ENGINE_LABELS } = await import(pathToFileURL(join(ROOT, 'build/test/support/engines.js')).href);
/** A git command's output, or null outside a checkout. */
const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};
const meta = {
  date: new Date().toISOString(),
  commit: `${git('rev-parse', '--short', 'HEAD') ?? 'no git'}${git('status', '--porcelain', '--', 'src') ? ', src modified' : ''}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism?.() ?? os.cpus().length,
  loadavgStart: os.loadavg().map((load) => Number(load.toFixed(2))),
  rounds,
  measureMs,
  load,
};
log(`lifeline browser bench: connect() vs native WebSocket, received text; ${rounds} rounds, ${measureMs} ms per window${load ? `, ${load} busy processes beside it` : ''}; ${meta.cpu}, ${meta.cores} cores, load ${meta.loadavgStart.join(' ')}`);
/** The busy processes of `--load`: each spins until the run ends (killed below, or with this process). */
const hogs = Array.from({ length: load }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
process.on('exit', () => hogs.forEach((hog) => hog.kill()));
const results = [];
for (const engine of engines) {
  let browserPage;
  try {
    browserPage = await openPage(engine, { width: 800, height: 600 });
  } catch (error) {
    log(`${engine}: not run (${error.message.split('\n')[0]})`);
    continue;
  }
  try {
    await browserPage.goto(base);
    for (const size of sizes) {
      const trials = Object.fromEntries(IMPLS.map((impl) => [impl, []]));
      process.stderr.write(`${ENGINE_LABELS[engine]} ${size} B `);
      for (let r = 0; r < rounds; r++) {
        // Each implementation goes first as often as the others: the order turns every round, and is reversed every other turn.
        const turned = IMPLS.map((_, i) => IMPLS[(i + r) % IMPLS.length]);
        const order = Math.floor(r / IMPLS.length) % 2 ? turned.reverse() : turned;
        for (const impl of order) {
          const arg = { impl, url: `ws://127.0.0.1:${port}/?size=${size}`, size, warmMs, measureMs };
          trials[impl].push(await browserPage.evaluate((a) => window.runTrial(a), arg));
          process.stderr.write('.');
        }
      }
      process.stderr.write('\n');
      const ownNs = await browserPage.evaluate((a) => window.ownWork(a), { size, rounds: 7 });
      const pick = (impl, k) => trials[impl].map((t) => t[k]);
      /** `impl` / native on measure `k`: the median of the paired per-round ratios and its interval. */
      const against = (impl, k) => {
        const ratios = pairedRatios(
          trials[impl].map((t, round) => ({ round, value: t[k] })),
          trials.native.map((t, round) => ({ round, value: t[k] })),
        );
        return { ratio: median(ratios), interval: medianInterval(ratios) };
      };
      const rate = against('lifeline', 'rate');
      const main = against('lifeline', 'mainUs');
      results.push({
        engine,
        size,
        native: { rate: median(pick('native', 'rate')), mainUs: median(pick('native', 'mainUs')) },
        lifeline: { rate: median(pick('lifeline', 'rate')), mainUs: median(pick('lifeline', 'mainUs')) },
        rate,
        main,
        standing: standing(rate.interval, main.interval),
        own: { ns: ownNs, share: ownNs / 1000 / median(pick('native', 'mainUs')) },
        ...(aa ? { noiseFloor: { rate: against('native-again', 'rate'), main: against('native-again', 'mainUs') } } : {}),
        trials,
      });
    }
  } finally {
    await browserPage.close();
  }
}
hogs.forEach((hog) => hog.kill());
server.close();
server.closeAllConnections?.();

/**
 * Where a row stands against the goal (msg/s >= 0.95x and main-thread time
 * <= 1.05x of native), by the intervals: `within 5%` when both lie inside the
 * goal, `over 5%` when either lies wholly outside it, else `unsettled` (the
 * rounds cannot tell; so too with fewer than 5 rounds).
 */
function standing(rateInterval, mainInterval) {
  // Fewer than 5 rounds give no interval of the coverage asked for.
  if (!rateInterval || !mainInterval || rateInterval.coverage < LEVEL || mainInterval.coverage < LEVEL) return 'unsettled';
  if (rateInterval.high < 0.95 || mainInterval.low > 1.05) return 'over 5%';
  if (rateInterval.low >= 0.95 && mainInterval.high <= 1.05) return 'within 5%';
  return 'unsettled';
}

const fmt = (x, d = 2) => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const interval = (iv) => (iv ? ` [${fmt(iv.low)}–${fmt(iv.high)}]` : '');
const floorHeads = aa ? ' native again / native, msg/s | native again / native, main thread |' : '';
log(`\n| engine | size | native msg/s | lifeline msg/s | lifeline / native, msg/s | native main-thread µs/msg | lifeline µs/msg | lifeline / native, main thread | standing | lifeline's own work, ns/msg (share of native's) |${floorHeads}`);
log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|${aa ? '---:|---:|' : ''}`);
const ratioCell = ({ ratio, interval: iv }) => `${fmt(ratio)}x${interval(iv)}`;
for (const r of results) {
  const floor = r.noiseFloor ? ` ${ratioCell(r.noiseFloor.rate)} | ${ratioCell(r.noiseFloor.main)} |` : '';
  log(
    `| ${ENGINE_LABELS[r.engine]} | ${r.size} B | ${Math.round(r.native.rate)} | ${Math.round(r.lifeline.rate)} | ${ratioCell(r.rate)} | ${fmt(r.native.mainUs, 1)} | ${fmt(r.lifeline.mainUs, 1)} | ${ratioCell(r.main)} | ${r.standing} | ${r.own.ns.toFixed(0)} (${(r.own.share * 100).toFixed(1)}%) |${floor}`,
  );
}
meta.loadavgEnd = os.loadavg().map((load) => Number(load.toFixed(2)));
log(`\nRatios: median of paired same-round ratios, sign-test interval (stats.mjs). Goal: msg/s >= 0.95x and main-thread time <= 1.05x. Load ${meta.loadavgStart.join(' ')} -> ${meta.loadavgEnd.join(' ')}.`);
if (json) console.log(JSON.stringify({ meta, results }, null, 2));
process.exit(0);
