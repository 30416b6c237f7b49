// What an idle connection keeps alive: opens N connections with one
// implementation against a `ws` server (child process), and diffs two V8 heap
// snapshots (before/after) by constructor: count and self size per
// connection. For finding the cause of a memory-row gap.
//
//   node --expose-gc test/bench/heap.mjs [lifeline|ws] [N=500]
import { getHeapSnapshot } from 'node:v8';
import { startServer, snapshotDist } from './proc.mjs';
import { ROOT } from './size-lib.mjs';

const impl = process.argv[2] ?? 'lifeline';
const n = Number(process.argv[3] ?? 500);
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
await snapshotDist(ROOT, 'profile-dist');
const { loadImpl } = await import('./impls.mjs');

async function census() {
  for (let i = 0; i < 4; i++) gc();
  let text = '';
  for await (const c of getHeapSnapshot()) text += c;
  const snap = JSON.parse(text);
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += f.length) {
    const type = types[nodes[i + iType]];
    const name = type === 'object' || type === 'closure' ? snap.strings[nodes[i + iName]] : `(${type})`;
    const key = type === 'closure' ? `closure ${name}` : name;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

const server = await startServer(['ws']);
const lib = await loadImpl(impl);
await (await lib.open(server.url, { deflate: false })).close();
const before = await census();
const conns = [];
for (let i = 0; i < n; i++) conns.push(await lib.open(server.url, { deflate: false }));
await new Promise((r) => setTimeout(r, 200));
const after = await census();
const rows = [];
for (const [k, a] of after) {
  const b = before.get(k) ?? { count: 0, size: 0 };
  const dc = (a.count - b.count) / n;
  const ds = (a.size - b.size) / n;
  if (Math.abs(ds) >= 8) rows.push([k, dc, ds]);
}
rows.sort((x, y) => y[2] - x[2]);
let total = 0;
for (const r of rows) total += r[2];
console.log(`${impl}: ${n} idle connections, heap self size per connection by constructor (total ~${Math.round(total)} B)`);
for (const [k, dc, ds] of rows.slice(0, 40)) console.log(`${ds.toFixed(0).padStart(7)} B  ${dc.toFixed(2).padStart(6)} objs  ${k}`);
await server.stop();
process.exit(0);
