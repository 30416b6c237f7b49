// Profiles one benchmark row: runs one client trial per implementation with
// `node --cpu-prof` against the row's server, then prints the functions with
// the most self time (and inclusive time) from each .cpuprofile.
//
//   node test/bench/profile.mjs <row id> [--impls lifeline,ws] [--ms 3000]
//   (row ids: node test/bench/profile.mjs --list)
import { readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, basename } from 'node:path';
import { startServer, runClient, snapshotDist } from './proc.mjs';
import { buildRows } from './scenarios.mjs';
import { IMPLS } from './impls.mjs';
import { ROOT } from './size-lib.mjs';

const argv = process.argv.slice(2);
const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
const rows = buildRows({ connects: 2000, conns: 2000 });
if (!argv[0] || argv[0] === '--list') {
  console.log(rows.map((r) => r.id).join('\n'));
  process.exit(0);
}
const row = rows.find((r) => r.id === argv[0]);
if (!row) throw new Error(`no row ${argv[0]}; try --list`);
const impls = opt('--impls', 'lifeline,ws').split(',');
const ms = Number(opt('--ms', 3000));
const top = Number(opt('--top', 25));

/** Self and inclusive sample time per function, from a V8 .cpuprofile. */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const key = (n) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.startsWith('node:') ? 'node:' : ''}${basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map();
  const incl = new Map();
  let total = 0;
  for (const [id, t] of dt) {
    total += t;
    const n = byId.get(id);
    self.set(key(n), (self.get(key(n)) ?? 0) + t);
    const seen = new Set();
    for (let cur = id; cur != null; cur = parent.get(cur)) {
      const k = key(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + t);
    }
  }
  const sort = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, self: sort(self), inclusive: sort(incl) };
}

const dir = join(ROOT, 'build/bench/prof');
await snapshotDist(ROOT, 'profile-dist');
const server = await startServer(row.server);
try {
  for (const impl of impls) {
    const out = join(dir, `${row.id}-${impl}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const r = await runClient(
      { ...row.job, impl, url: server.url, warmMs: 300, measureMs: ms },
      { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`, ...IMPLS[impl].nodeArgs, ...(row.nodeArgs ?? [])], env: IMPLS[impl].env, timeoutMs: ms + 60_000 },
    );
    if (r.error) {
      console.log(`${impl}: ${r.error}`);
      continue;
    }
    const res = r.result;
    console.log(`\n## ${row.id} / ${impl}: ${res.count ? `${Math.round(res.count / (res.wallUs / 1e6))} msg/s, ${(res.cpuUs / res.count).toFixed(2)} µs CPU/msg` : JSON.stringify(res)}`);
    const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      console.log('(no profile written)');
      continue;
    }
    const p = summarizeProfile(JSON.parse(readFileSync(join(out, file), 'utf8')));
    const pct = (t) => `${((t / p.total) * 100).toFixed(1).padStart(5)}%`;
    console.log(`profile: ${join(out, file)}\n-- self time`);
    for (const [k, t] of p.self.slice(0, top)) console.log(`${pct(t)}  ${k}`);
    console.log('-- inclusive (functions outside node: internals)');
    for (const [k, t] of p.inclusive.filter(([k]) => !/ node:|^\(root\)|^\(program\)/.test(k)).slice(0, top)) console.log(`${pct(t)}  ${k}`);
  }
} finally {
  await server.stop();
}
process.exit(0);
