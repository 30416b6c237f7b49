// `npm run bench` (= build, then this file). Not part of `npm test`.
//
// Every scenario runs each client implementation (impls.mjs: lifeline; ws
// pure JS and ws with its native addons; undici's WebSocket; Node's own with
// --native) in alternation for several rounds, the order reversed every
// other round. Each trial is a fresh client process (client.mjs) against a
// server in another process (server.mjs): a `ws` server for echo, connect and
// memory, a raw net server blasting pre-built frames for the receive rows, a
// raw sink for the send rows. Reported: the median per implementation of
// msg/s and of client CPU time per message, and for lifeline against the
// best peer of each row the median of the paired (same-round) ratios with
// an interval (stats.mjs), from which each row gets its standing.
//
//   node test/bench/run.mjs [--quick] [--json] [--rounds N] [--only REGEX]
//                           [--impls lifeline,ws,...] [--native] [--no-micro]
//                           [--no-size] [--no-browser] [--out FILE]
//   --json     print the raw JSON document (all trials) on stdout; tables go
//              to stderr
//   --native   add Node's own WebSocket (on Node 20, behind
//              --experimental-websocket)
//   --no-browser  skip the browser measurement (takeover of a tab-shared
//              connection, test/bench/takeover.mjs; LIFELINE_BROWSERS picks
//              the engines)
import os from 'node:os';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, runClient, runModule, snapshotDist } from './proc.mjs';
import { ROOT, lifelineSizes, competitorSizes, sizeTable } from './size-lib.mjs';
import { fmtRows, fmtMemory, fmtGeneric, fmtStalls } from './report.mjs';
import { MEMORY_FLOOR, median, medianInterval, pairedRatios, verdict, standing } from './stats.mjs';
import { buildRows } from './scenarios.mjs';

const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
const quick = flag('--quick');
const json = flag('--json');
const log = (...a) => (json ? console.error : console.log)(...a);
const progress = (s) => process.stderr.write(s);

const cfg = quick
  ? { rounds: 3, warmMs: 150, measureMs: 350, connects: 1000, conns: 1000 }
  : { rounds: 5, warmMs: 400, measureMs: 1000, connects: 1000, conns: 2000 };
cfg.rounds = Number(opt('--rounds', cfg.rounds));
const only = opt('--only') ? new RegExp(opt('--only')) : null;

// ---- which implementations ------------------------------------------------
// Trials import a private copy of dist/, taken once, so a rebuild by someone
// else during the run cannot break or change them.
const distSnapshot = await snapshotDist(ROOT);
const { LIFELINE_NODE, IMPLS } = await import('./impls.mjs');
const impls = [];
const notes = [];
let lifelineOk = false;
try {
  lifelineOk = typeof (await import(LIFELINE_NODE)).WebSocket === 'function';
} catch (e) {
  notes.push(`lifeline not runnable: ${e.message}`);
}
const implOf = (name, extraArgs = []) => ({ name, env: IMPLS[name].env, nodeArgs: [...IMPLS[name].nodeArgs, ...extraArgs], sendsCompressed: IMPLS[name].sendsCompressed });
if (lifelineOk) impls.push(implOf('lifeline'));
else notes.push('lifeline rows skipped: dist/node.mjs has no WebSocket export');
impls.push(implOf('ws'), implOf('ws-native'), implOf('undici'));
if (flag('--native')) {
  if (typeof globalThis.WebSocket === 'function') impls.push(implOf('node'));
  else if (process.allowedNodeEnvironmentFlags.has('--experimental-websocket')) impls.push(implOf('node', ['--experimental-websocket']));
  else notes.push(`Node ${process.version} has no WebSocket`);
}
const wanted = opt('--impls')?.split(',');
const active = wanted ? impls.filter((i) => wanted.includes(i.name)) : impls;
const PEERS = active.filter((i) => i.name !== 'lifeline').map((i) => i.name);

// ---- scenarios ----------------------------------------------------------------
const rows = buildRows(cfg);
const selected = rows.filter((r) => !only || only.test(r.id));

// ---- machine ---------------------------------------------------------------------
const git = (...a) => {
  try {
    return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};
const version = (pkg) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
};
const cpus = os.cpus();
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  cpu: cpus[0]?.model ?? 'unknown',
  cores: os.availableParallelism?.() ?? cpus.length,
  memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  loadavgStart: os.loadavg().map((x) => +x.toFixed(2)),
  lifeline: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (${git('rev-parse', '--short', 'HEAD') ?? 'no git'}${git('status', '--porcelain', '--', 'src') ? ', src modified' : ''})`,
  ws: version('ws'),
  bufferutil: version('bufferutil'),
  utf8Validate: version('utf-8-validate'),
  undici: version('undici'),
  mode: quick ? 'quick' : 'full',
  ...cfg,
  impls: active.map((i) => i.name + (i.nodeArgs.length ? ` (${i.nodeArgs.join(' ')})` : '')),
  notes,
};
log(`lifeline benchmark, ${meta.mode}: ${meta.date}`);
log(`Node ${meta.node} (V8 ${meta.v8}), ${meta.platform}, ${meta.cpu}, ${meta.cores} cores, ${meta.memoryGiB} GiB; load ${meta.loadavgStart.join(' ')}`);
log(`lifeline ${meta.lifeline} vs ws ${meta.ws} (pure JS, and with bufferutil ${meta.bufferutil} + utf-8-validate ${meta.utf8Validate}), undici ${meta.undici}; ${cfg.rounds} rounds, alternating; ${cfg.warmMs} ms warm-up + ${cfg.measureMs} ms measured per trial`);
for (const n of notes) log(`note: ${n}`);

// ---- run -------------------------------------------------------------------------
const t0 = Date.now();
const results = [];
for (const row of selected) {
  progress(`${row.label.padEnd(40)} `);
  const rowImpls = row.sendsCompressed ? active.filter((i) => i.sendsCompressed) : active;
  const trials = Object.fromEntries(rowImpls.map((i) => [i.name, []]));
  let shared = row.serverPerTrial ? null : await startServer(row.server);
  const extra = shared?.ratio && shared.ratio !== 1 ? { compressionRatio: +shared.ratio.toFixed(3) } : {};
  for (let r = 0; r < cfg.rounds; r++) {
    const order = r % 2 ? [...rowImpls].reverse() : rowImpls;
    for (const impl of order) {
      const server = shared ?? (await startServer(row.server));
      const scale = row.timeScale ?? 1;
      const job = { ...row.job, impl: impl.name, url: server.url, warmMs: cfg.warmMs * scale * (row.warmScale ?? 1), measureMs: cfg.measureMs * scale };
      // The server's CPU over the client's measured window, as a share of one
      // core: near 100% means the row measures the server, not the client.
      const samples = [];
      const onMark = () => samples.push(server.cpu().then((cpu) => ({ cpu, t: process.hrtime.bigint() })));
      const out = await runClient(job, { nodeArgs: [...impl.nodeArgs, ...(row.nodeArgs ?? [])], env: impl.env, timeoutMs: row.serverPerTrial ? 120_000 : 30_000, onMark });
      let serverBusy = null;
      if (samples.length === 2) {
        const [a, b] = await Promise.all(samples);
        serverBusy = (b.cpu - a.cpu) / (Number(b.t - a.t) / 1000);
      }
      // A sink counts what arrived: wire payload bytes against plain bytes.
      let wire = {};
      if (row.wire && !out.error) {
        const sink = await server.stats();
        if (sink?.error || sink?.wrongSize) out.error = `sink: ${sink.error ?? `${sink.wrongSize} uncompressed messages of the wrong size`}`;
        else if (sink?.plainBytes) wire = { wireRatio: sink.wirePayloadBytes / sink.plainBytes, compressedShare: sink.compressed / sink.messages };
      }
      if (!shared) await server.stop();
      trials[impl.name].push(out.error ? { round: r, error: out.error, serverBusy } : { round: r, ...out.result, ...wire, serverBusy });
      progress(out.error ? 'x' : '.');
    }
  }
  if (shared) await shared.stop();
  const summary = summarize(row, trials);
  const versus = row.memory ? compareMemory(trials) : compare(trials);
  results.push({ id: row.id, label: row.label, unit: row.unit ?? 'msg', memory: !!row.memory, wire: !!row.wire, stall: !!row.stall, ...extra, summary, versus, trials });
  progress(` ${oneLine(row, summary, versus)}\n`);
}
meta.seconds = Math.round((Date.now() - t0) / 1000);
meta.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));

function summarize(row, trials) {
  const s = {};
  for (const [name, list] of Object.entries(trials)) {
    const ok = list.filter((t) => !t.error);
    const errors = list.filter((t) => t.error).map((t) => t.error);
    if (!ok.length) {
      s[name] = { error: errors[0] ?? 'no trials' };
      continue;
    }
    if (row.memory) {
      s[name] = {
        heapPerConn: median(ok.map((t) => t.heapPerConn)),
        rssPerConn: median(ok.map((t) => t.rssPerConn)),
        externalPerConn: median(ok.map((t) => t.externalPerConn)),
        n: ok.length,
        errors: errors.length,
      };
    } else {
      const rate = ok.map((t) => t.count / (t.wallUs / 1e6));
      const cpu = ok.map((t) => t.cpuUs / t.count);
      s[name] = {
        rate: median(rate),
        cpuPerMsg: median(cpu),
        rateInterval: medianInterval(rate),
        cpuInterval: medianInterval(cpu),
        serverBusy: ok.every((t) => t.serverBusy != null) ? median(ok.map((t) => t.serverBusy)) : null,
        ...(row.wire && ok.every((t) => t.wireRatio != null) ? { wireRatio: median(ok.map((t) => t.wireRatio)) } : {}),
        ...(row.stall ? { stallMaxMs: median(ok.map((t) => t.stallMaxMs)), stallWorstMs: Math.max(...ok.map((t) => t.stallMaxMs)), stallP99Ms: median(ok.map((t) => t.stallP99Ms)) } : {}),
        n: ok.length,
        errors: errors.length,
        ...(errors.length ? { firstError: errors[0] } : {}),
      };
    }
  }
  return s;
}

/**
 * lifeline against each peer and against the row's best peer (highest
 * median msg/s; lowest median CPU per message): the median paired ratio, its
 * interval and verdict, per metric.
 */
function compare(trials) {
  const ok = (name, key) =>
    (trials[name] ?? [])
      .filter((t) => !t.error && t.count > 0)
      .map((t) => ({ round: t.round, value: key === 'rate' ? t.count / (t.wallUs / 1e6) : t.cpuUs / t.count }));
  if (!trials.lifeline) return null;
  const peers = Object.keys(trials).filter((n) => n !== 'lifeline' && ok(n, 'rate').length);
  if (!peers.length) return null;
  const one = (peer, key) => {
    const ratios = pairedRatios(ok('lifeline', key), ok(peer, key));
    const interval = medianInterval(ratios);
    return { peer, ratio: ratios.length ? median(ratios) : null, interval, n: ratios.length, verdict: verdict(interval, key === 'rate') };
  };
  const med = (n, key) => median(ok(n, key).map((t) => t.value));
  const bestRate = peers.reduce((a, b) => (med(b, 'rate') > med(a, 'rate') ? b : a));
  const bestCpu = peers.reduce((a, b) => (med(b, 'cpu') < med(a, 'cpu') ? b : a));
  const rate = one(bestRate, 'rate');
  const cpu = one(bestCpu, 'cpu');
  return {
    perPeer: Object.fromEntries(peers.map((p) => [p, { rate: one(p, 'rate'), cpu: one(p, 'cpu') }])),
    best: { rate, cpu, standing: standing(rate.verdict, cpu.verdict) },
  };
}

/**
 * Memory rows: lifeline against the peer with the lowest median, per metric
 * (JS heap, external, RSS per connection): the median paired ratio of the
 * rounds, its interval and verdict (lower is better). Metrics whose peer
 * value is near zero (nothing allocated, or noise) get no ratio.
 */
function compareMemory(trials) {
  if (!trials.lifeline) return null;
  const values = (name, key) => (trials[name] ?? []).filter((t) => !t.error && t[key] != null).map((t) => ({ round: t.round, value: t[key] }));
  const peers = Object.keys(trials).filter((n) => n !== 'lifeline' && values(n, 'heapPerConn').length);
  if (!peers.length) return null;
  const out = {};
  for (const key of ['heapPerConn', 'externalPerConn', 'rssPerConn']) {
    const lowest = peers.reduce((a, b) => (median(values(b, key).map((t) => t.value)) < median(values(a, key).map((t) => t.value)) ? b : a));
    if (Math.abs(median(values(lowest, key).map((t) => t.value))) < MEMORY_FLOOR) continue;
    const ratios = pairedRatios(values('lifeline', key), values(lowest, key));
    if (!ratios.length) continue; // no round with both
    const interval = medianInterval(ratios);
    out[key] = { peer: lowest, ratio: median(ratios), interval, n: ratios.length, verdict: verdict(interval, false) };
  }
  return out;
}

function oneLine(row, s, versus) {
  const each = Object.entries(s)
    .map(([n, v]) =>
      v.error ? `${n}: ${v.error.slice(0, 120)}` : row.memory ? `${n} heap ${Math.round(v.heapPerConn)} B/conn` : `${n} ${Math.round(v.rate)}/s ${v.cpuPerMsg.toFixed(2)}µs${v.wireRatio != null ? ` wire ${(v.wireRatio * 100).toFixed(1)}%` : ''}${v.stallMaxMs != null ? ` stall ${v.stallMaxMs.toFixed(1)}ms` : ''}`,
    )
    .join('  ');
  if (row.memory) {
    const heap = versus?.heapPerConn;
    return heap ? `${each}  => heap ${heap.verdict} (${heap.ratio.toFixed(2)}x vs ${heap.peer})` : each;
  }
  const b = versus?.best;
  return b ? `${each}  => ${b.standing} (msg/s ${b.rate.ratio?.toFixed(2)}x vs ${b.rate.peer}, CPU ${b.cpu.ratio?.toFixed(2)}x vs ${b.cpu.peer})` : each;
}

// ---- module benchmarks owned by other files -----------------------------------
const modules = [];
if (!flag('--no-micro') && !only) {
  const browser = flag('--no-browser') ? [] : [['test/bench/takeover.mjs', 'runTakeoverBench', 'Tab-shared connection: takeover after the leader tab goes (browsers, ms)']];
  for (const [file, fn, title] of [
    ['test/bench/micro-protocol.mjs', 'runMicro', 'Parser and masking micro-benchmarks'],
    ['test/bench/deflate.mjs', 'runDeflateBench', 'permessage-deflate codec'],
    ['test/bench/session.mjs', 'runSessionBench', 'Reliable session: cost per message against the plain connection'],
    ['test/bench/receive-path.mjs', 'runReceivePathBench', "The client's receive path on its own: time and garbage per message"],
    ...browser,
  ]) {
    if (!existsSync(join(ROOT, file))) {
      modules.push({ file, title, error: 'not present yet' });
      continue;
    }
    progress(`${title} (${file}) ...\n`);
    const out = await runModule(join(ROOT, file), fn, { quick });
    modules.push({ file, title, ...out });
  }
}

// ---- bundle sizes --------------------------------------------------------------
let sizes = null;
if (!flag('--no-size') && !only) {
  progress('bundle sizes ...\n');
  sizes = [...(await lifelineSizes(distSnapshot)), ...(await competitorSizes())];
}

// ---- report ---------------------------------------------------------------------
const doc = { meta, results, modules, sizes };
log('');
const rateRows = results.filter((r) => !r.memory);
if (rateRows.length) log(fmtRows(rateRows, active.map((i) => i.name), cfg.rounds));
const stalls = results.filter((r) => r.stall);
if (stalls.length) {
  log('');
  log(fmtStalls(stalls, active.map((i) => i.name)));
}
const mem = results.filter((r) => r.memory);
if (mem.length) {
  log('');
  log('### Memory per idle connection (client process, after gc)');
  log('');
  log(fmtMemory(mem, active.map((i) => i.name)));
}
for (const m of modules) {
  log('');
  log(`### ${m.title}`);
  log('');
  log(m.error ? `(${m.file}: ${m.error})` : fmtGeneric(m.value));
}
if (sizes) {
  log('');
  log('### Bundle size (rollup + node-resolve browser + terser; gzip -9, brotli -11)');
  log('');
  log(sizeTable(sizes));
}
log('');
log(`${meta.seconds} s; load average ${meta.loadavgStart.join(' ')} -> ${meta.loadavgEnd.join(' ')}`);

const outFile = opt('--out', join(ROOT, 'build/bench/latest.json'));
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(outFile, JSON.stringify(doc, null, 2));
log(`raw data: ${outFile}`);
if (json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
process.exit(0);
