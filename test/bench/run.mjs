// `npm run bench` (= build, then this file). Not part of `npm test`.
//
// Every scenario runs each client implementation (lifeline, ws, and Node's
// own WebSocket where this Node has one) in alternation for several rounds.
// Each trial is a fresh client process (client.mjs) against a server in
// another process (server.mjs): a `ws` server for echo/connect/memory, a raw
// net server blasting pre-built frames for the firehose rows. Reported: the
// median per implementation and the lifeline/ws ratio, for msg/s and for
// client CPU time per message.
//
//   node test/bench/run.mjs [--quick] [--json] [--rounds N] [--only REGEX]
//                           [--impls lifeline,ws] [--native] [--no-micro]
//                           [--no-size] [--no-browser] [--out FILE]
//   --json     print the raw JSON document (all trials) on stdout; tables go
//              to stderr
//   --native   on a Node that has WebSocket only behind a flag (Node 20), run
//              it with --experimental-websocket
//   --no-browser  skip the browser measurement (takeover of a tab-shared
//              connection, test/bench/takeover.mjs; LIFELINE_BROWSERS picks
//              the engines)
import os from 'node:os';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, runClient, runModule, snapshotDist } from './proc.mjs';
import { ROOT, lifelineSizes, competitorSizes, sizeTable } from './size-lib.mjs';
import { fmtRows, fmtMemory, fmtGeneric, median } from './report.mjs';
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
  : { rounds: 5, warmMs: 500, measureMs: 1500, connects: 2000, conns: 2000 };
cfg.rounds = Number(opt('--rounds', cfg.rounds));
const only = opt('--only') ? new RegExp(opt('--only')) : null;

// ---- which implementations ------------------------------------------------
// Trials import a private copy of dist/, taken once, so a rebuild by someone
// else during the run cannot break or change them.
const distSnapshot = await snapshotDist(ROOT);
const { LIFELINE_NODE } = await import('./impls.mjs');
const impls = [];
const notes = [];
let lifelineOk = false;
try {
  lifelineOk = typeof (await import(LIFELINE_NODE)).WebSocket === 'function';
} catch (e) {
  notes.push(`lifeline not runnable: ${e.message}`);
}
if (lifelineOk) impls.push({ name: 'lifeline', nodeArgs: [] });
else notes.push('lifeline rows skipped: dist/node.mjs has no WebSocket export');
impls.push({ name: 'ws', nodeArgs: [] });
if (typeof globalThis.WebSocket === 'function') impls.push({ name: 'native', nodeArgs: [] });
else if (flag('--native') && process.allowedNodeEnvironmentFlags.has('--experimental-websocket'))
  impls.push({ name: 'native', nodeArgs: ['--experimental-websocket'] });
else notes.push(`Node ${process.version} has no global WebSocket${process.allowedNodeEnvironmentFlags.has('--experimental-websocket') ? ' (only behind --experimental-websocket; pass --native to include it)' : ''}`);
const wanted = opt('--impls')?.split(',');
const active = wanted ? impls.filter((i) => wanted.includes(i.name)) : impls;

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
  ws: JSON.parse(readFileSync(join(ROOT, 'node_modules/ws/package.json'), 'utf8')).version,
  mode: quick ? 'quick' : 'full',
  ...cfg,
  impls: active.map((i) => i.name + (i.nodeArgs.length ? ` (${i.nodeArgs.join(' ')})` : '')),
  notes,
};
log(`lifeline benchmark, ${meta.mode}: ${meta.date}`);
log(`Node ${meta.node} (V8 ${meta.v8}), ${meta.platform}, ${meta.cpu}, ${meta.cores} cores, ${meta.memoryGiB} GiB; load ${meta.loadavgStart.join(' ')}`);
log(`lifeline ${meta.lifeline} vs ws ${meta.ws}; ${cfg.rounds} rounds, alternating; ${cfg.warmMs} ms warm-up + ${cfg.measureMs} ms measured per trial`);
for (const n of notes) log(`note: ${n}`);

// ---- run -------------------------------------------------------------------------
const t0 = Date.now();
const results = [];
for (const row of selected) {
  progress(`${row.label.padEnd(40)} `);
  const trials = Object.fromEntries(active.map((i) => [i.name, []]));
  let shared = row.serverPerTrial ? null : await startServer(row.server);
  const extra = shared?.ratio && shared.ratio !== 1 ? { compressionRatio: +shared.ratio.toFixed(3) } : {};
  for (let r = 0; r < cfg.rounds; r++) {
    const order = r % 2 ? [...active].reverse() : active;
    for (const impl of order) {
      const server = shared ?? (await startServer(row.server));
      const scale = row.timeScale ?? 1;
      const job = { ...row.job, impl: impl.name, url: server.url, warmMs: cfg.warmMs * scale * (row.warmScale ?? 1), measureMs: cfg.measureMs * scale };
      // The server's CPU over the client's measured window, as a share of one
      // core: near 100% means the row measures the server, not the client.
      const samples = [];
      const onMark = () => samples.push(server.cpu().then((cpu) => ({ cpu, t: process.hrtime.bigint() })));
      const out = await runClient(job, { nodeArgs: [...impl.nodeArgs, ...(row.nodeArgs ?? [])], timeoutMs: row.serverPerTrial ? 120_000 : 30_000, onMark });
      let serverBusy = null;
      if (samples.length === 2) {
        const [a, b] = await Promise.all(samples);
        serverBusy = (b.cpu - a.cpu) / (Number(b.t - a.t) / 1000);
      }
      if (!shared) await server.stop();
      trials[impl.name].push(out.error ? { error: out.error, serverBusy } : { ...out.result, serverBusy });
      progress(out.error ? 'x' : '.');
    }
  }
  if (shared) await shared.stop();
  const summary = summarize(row, trials);
  results.push({ id: row.id, label: row.label, unit: row.unit ?? 'msg', memory: !!row.memory, ...extra, summary, trials });
  progress(` ${oneLine(row, summary)}\n`);
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
        // Least-disturbed trial (other load only ever slows a trial down).
        rateBest: Math.max(...rate),
        cpuPerMsgBest: Math.min(...cpu),
        rateSpread: (Math.max(...rate) - Math.min(...rate)) / median(rate),
        serverBusy: ok.every((t) => t.serverBusy != null) ? median(ok.map((t) => t.serverBusy)) : null,
        n: ok.length,
        errors: errors.length,
        ...(errors.length ? { firstError: errors[0] } : {}),
      };
    }
  }
  return s;
}

function oneLine(row, s) {
  return Object.entries(s)
    .map(([n, v]) =>
      v.error ? `${n}: ${v.error.slice(0, 120)}` : row.memory ? `${n} heap ${Math.round(v.heapPerConn)} B/conn` : `${n} ${Math.round(v.rate)}/s ${v.cpuPerMsg.toFixed(2)}µs`,
    )
    .join('  ');
}

// ---- module benchmarks owned by other files -----------------------------------
const modules = [];
if (!flag('--no-micro') && !only) {
  const browser = flag('--no-browser') ? [] : [['test/bench/takeover.mjs', 'runTakeoverBench', 'Tab-shared connection: takeover after the leader tab goes (browsers, ms)']];
  for (const [file, fn, title] of [
    ['test/bench/micro-protocol.mjs', 'runMicro', 'Parser and masking micro-benchmarks'],
    ['test/bench/deflate.mjs', 'runDeflateBench', 'permessage-deflate codec'],
    ['test/bench/session.mjs', 'runSessionBench', 'Reliable session: cost per message against the plain connection'],
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
log(`### Throughput and CPU (median of ${cfg.rounds}; ratio = lifeline / ws)`);
log('');
log(fmtRows(results.filter((r) => !r.memory), active.map((i) => i.name)));
log('');
log('msg/s ratio above 1 and CPU ratio below 1 favour lifeline. CPU is the client process only (user + system, all threads);');
log('"spread" is half the max-min range of msg/s over the rounds; "server CPU" is the server process over the measured window');
log('(near 100%: the row measures the server). Echo rows go through a ws server; firehose rows read pre-built frames.');
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
