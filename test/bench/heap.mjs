// What an idle connection keeps alive: opens N connections with one
// implementation against a `ws` server (child process), and diffs two V8 heap
// snapshots (before/after) by constructor: count and self size per
// connection. For finding the cause of a memory-row gap.
//
//   node --expose-gc test/bench/heap.mjs [lifeline|ws|ws-native|undici] [N=500]
import { getHeapSnapshot } from 'node:v8';
import { startServer, snapshotDist } from './proc.mjs';
import { ROOT } from './size-lib.mjs';

const impl = process.argv[2] ?? 'lifeline';
const n = Number(process.argv[3] ?? 500);
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
await snapshotDist(ROOT, 'profile-dist');
const { IMPLS, loadImpl } = await import('./impls.mjs');
// The variant's switches (ws reads WS_NO_* when it loads), as a bench trial's process has them.
Object.assign(process.env, IMPLS[impl]?.env);

const GENERIC = new Set(['(array)', '(string)', '(concatenated string)', 'Array', 'Object', '(hidden)', '(object shape)', 'closure ', 'system / Context']);

/**
 * Heap census: self size and count per key. The key is the constructor (or
 * V8 node type), and for generic nodes (GENERIC: arrays, strings, plain
 * objects, hidden classes, anonymous closures and their contexts) also two
 * retainers ("(object shape) <- Object.map <- Connection.options"), which
 * name the field to fix. The (code) row is JIT code compiled while the
 * connections opened, spread over N: it shrinks as N grows.
 */
async function census() {
  for (let i = 0; i < 4; i++) gc();
  let text = '';
  for await (const c of getHeapSnapshot()) text += c;
  const snap = JSON.parse(text);
  const meta = snap.snapshot.meta;
  const f = meta.node_fields;
  const nf = f.length;
  const ef = meta.edge_fields.length;
  const types = meta.node_types[0];
  const etypes = meta.edge_types[0];
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((k) => f.indexOf(k));
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((k) => meta.edge_fields.indexOf(k));
  const nodes = snap.nodes;
  const edges = snap.edges;
  const label = (i) => {
    const type = types[nodes[i + iType]];
    return type === 'object' ? snap.strings[nodes[i + iName]] : type === 'closure' ? `closure ${snap.strings[nodes[i + iName]]}` : `(${type})`;
  };
  // First strong retainer of each node: its label and field, and its index (for the retainer's own retainer).
  const owner = new Map();
  const ownerIndex = new Map();
  for (let i = 0, e = 0; i < nodes.length; i += nf) {
    const count = nodes[i + iEdges];
    for (let k = 0; k < count; k++, e += ef) {
      const et = etypes[edges[e + eType]];
      if (et === 'weak' || et === 'shortcut') continue;
      const to = edges[e + eTo];
      if (owner.has(to)) continue;
      ownerIndex.set(to, i);
      const name = et === 'element' || et === 'hidden' ? `[${edges[e + eName]}]` : snap.strings[edges[e + eName]];
      owner.set(to, `${label(i)}.${name}`);
    }
  }
  const out = new Map();
  for (let i = 0; i < nodes.length; i += nf) {
    let key = label(i);
    // Anonymous or generic nodes are named by two retainers ("(object shape) <- Object.map <- Connection.options"), which names the field to fix.
    if (GENERIC.has(key)) {
      const up = ownerIndex.get(i);
      key += ` <- ${owner.get(i) ?? '?'}${up === undefined ? '' : ` <- ${owner.get(up) ?? '?'}`}`;
    }
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
  // The census's own garbage (the snapshot text, its maps) is not the connections'.
  if (/concatenated string|^\(string\) <- \(|Map\.table/.test(k)) continue;
  if (Math.abs(ds) >= 8) rows.push([k, dc, ds]);
}
rows.sort((x, y) => y[2] - x[2]);
let total = 0;
for (const r of rows) total += r[2];
console.log(`${impl}: ${n} idle connections, heap self size per connection by constructor (total ~${Math.round(total)} B)`);
for (const [k, dc, ds] of rows.slice(0, 40)) console.log(`${ds.toFixed(0).padStart(7)} B  ${dc.toFixed(2).padStart(6)} objs  ${k}`);
await server.stop();
process.exit(0);
