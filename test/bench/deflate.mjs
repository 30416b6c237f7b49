#!/usr/bin/env node
// permessage-deflate benchmark: lifeline's synchronous fflate codec against
// ws's PerMessageDeflate (node:zlib on the libuv thread pool), in-process,
// no sockets, so only the (de)compression path is compared.
//
// - inflate: a JSON-like stream of 16 B / 1 KiB / 64 KiB messages compressed
//   once by zlib (sync flush per message, context kept, trailing 00 00 FF FF
//   removed: what a ws server sends), then inflated in order by each side.
//   CPU per message is process.cpuUsage (user + system of every thread, so
//   zlib's pool threads count for ws) over the loop, divided by the count.
// - deflate: the same stream compressed by each side; wire bytes / plain
//   bytes and CPU per message. ws with its defaults (context kept, zlib
//   level 6); lifeline as the Node transport runs it (node:zlib per message,
//   the history as dictionary) and as the protocol core alone runs it
//   (fflate), with its defaults and the historySize/level knobs.
//
// Usage: `npm run build && node test/bench/deflate.mjs [--quick]`, or import
// `runDeflateBench({ quick })`, which returns the rows.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);

async function loadLifeline() {
  try {
    const m = await import('../../dist/protocol.mjs');
    if (m.PerMessageDeflate) return m;
  } catch {
    // dist not built (or built before this module was exported): use tsc output.
  }
  return import('../../build/src/protocol/permessage-deflate.js');
}

/** The Node transport's native routes: zlibInflateRaw (large payloads) and zlibDeflateRaw (every sent message); tsc output, absent until built. */
async function loadZlib() {
  try {
    return await import('../../build/src/transport/node/zlib-inflate.js');
  } catch {
    return {};
  }
}

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['id', 'type', 'symbol', 'price', 'qty', 'side', 'ts', 'seq', 'user', 'room', 'text', 'ok'];
const SYMS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'EUR-USD'];

/** One JSON-like message of exactly `size` bytes (ASCII), varied by `rnd`. */
function jsonLike(size, rnd) {
  let s = '';
  while (s.length < size) {
    const o = {};
    const n = 2 + ((rnd() * 5) | 0);
    for (let i = 0; i < n; i++) {
      const k = KEYS[(rnd() * KEYS.length) | 0];
      const r = rnd();
      o[k] = r < 0.3 ? SYMS[(rnd() * SYMS.length) | 0] : r < 0.7 ? Math.round(rnd() * 1e6) / 100 : r < 0.85 ? (rnd() * 1e9) | 0 : rnd() < 0.5;
    }
    s += JSON.stringify(o);
  }
  return Buffer.from(s.slice(0, size), 'latin1');
}

function stream(size, count, seed) {
  const rnd = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) out.push(jsonLike(size, rnd));
  return out;
}

/** zlib compression as a ws server does it: one raw deflater, sync flush per message. */
async function zlibCompressStream(msgs) {
  const d = zlib.createDeflateRaw({ windowBits: 15 });
  let chunks = [];
  d.on('data', (c) => chunks.push(c));
  const out = [];
  for (const m of msgs) {
    chunks = [];
    d.write(m);
    await new Promise((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, r));
    const b = Buffer.concat(chunks);
    out.push(b.subarray(0, b.length - 4));
  }
  d.close();
  return out;
}

function cpuSince(c0) {
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

function agreed() {
  return { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
}

function wsDeflate(options = {}) {
  // Not in ws's `exports` map: load the file by path.
  const PMD = require(join(dirname(require.resolve('ws')), 'lib', 'permessage-deflate.js'));
  const pmd = new PMD(options, false, 0);
  pmd.accept([{}]);
  return pmd;
}

async function benchInflate(mod, native, size, count, rounds) {
  const msgs = stream(size, count, size);
  const wire = await zlibCompressStream(msgs);
  const maxLength = 100 * 1024 * 1024;
  // Check both decode the stream correctly before timing.
  {
    const ext = new mod.PerMessageDeflate(agreed());
    for (let i = 0; i < wire.length; i++) if (!Buffer.from(ext.decode(wire[i], maxLength)).equals(msgs[i])) throw new Error(`lifeline mismatch at ${i}`);
    if (native) {
      const nx = new mod.PerMessageDeflate(agreed(), {}, { inflateRaw: native });
      for (let i = 0; i < wire.length; i++) if (!Buffer.from(nx.decode(wire[i], maxLength)).equals(msgs[i])) throw new Error(`lifeline+zlib mismatch at ${i}`);
    }
  }
  let oursBest = Infinity;
  let nativeBest = Infinity;
  let wsBest = Infinity;
  let oursWall = Infinity;
  let wsWall = Infinity;
  // Round 0 warms the JIT (and zlib's pool) and is not counted.
  for (let r = 0; r <= rounds; r++) {
    const keep = r > 0;
    // lifeline: synchronous, in order.
    const ext = new mod.PerMessageDeflate(agreed());
    let t0 = process.hrtime.bigint();
    let c0 = process.cpuUsage();
    for (let i = 0; i < wire.length; i++) ext.decode(wire[i], maxLength);
    if (keep) oursBest = Math.min(oursBest, cpuSince(c0) / count);
    if (keep) oursWall = Math.min(oursWall, Number(process.hrtime.bigint() - t0) / 1000 / count);
    ext.dispose();
    if (native) {
      const nx = new mod.PerMessageDeflate(agreed(), {}, { inflateRaw: native });
      c0 = process.cpuUsage();
      for (let i = 0; i < wire.length; i++) nx.decode(wire[i], maxLength);
      if (keep) nativeBest = Math.min(nativeBest, cpuSince(c0) / count);
      nx.dispose();
    }
    // ws: one message at a time, as its Receiver does (it waits for each callback).
    const pmd = wsDeflate();
    t0 = process.hrtime.bigint();
    c0 = process.cpuUsage();
    for (let i = 0; i < wire.length; i++) {
      await new Promise((resolve, reject) => pmd.decompress(wire[i], true, (err, data) => (err ? reject(err) : resolve(data))));
    }
    if (keep) wsBest = Math.min(wsBest, cpuSince(c0) / count);
    if (keep) wsWall = Math.min(wsWall, Number(process.hrtime.bigint() - t0) / 1000 / count);
    pmd.cleanup();
  }
  return {
    bench: 'inflate (receive, context takeover)',
    size,
    messages: count,
    lifelineCpuUs: +oursBest.toFixed(2),
    lifelineNodeZlibCpuUs: native ? +nativeBest.toFixed(2) : null,
    wsCpuUs: +wsBest.toFixed(2),
    lifelineWallUs: +oursWall.toFixed(2),
    wsWallUs: +wsWall.toFixed(2),
    cpuSpeedup: +(wsBest / oursBest).toFixed(1),
    cpuSpeedupNodeZlib: native ? +(wsBest / nativeBest).toFixed(1) : null,
  };
}

async function benchDeflate(mod, size, count, variants) {
  const msgs = stream(size, count, 1000 + size);
  const plain = msgs.reduce((a, m) => a + m.length, 0);
  const rows = [];
  // ws: defaults (context takeover, zlib level 6, threshold does not apply to compress()).
  for (let round = 0; round < 2; round++) {
    const pmd = wsDeflate();
    let bytes = 0;
    const c0 = process.cpuUsage();
    for (const m of msgs) {
      const out = await new Promise((resolve, reject) => pmd.compress(m, true, (err, data) => (err ? reject(err) : resolve(data))));
      bytes += out.length;
    }
    const cpu = cpuSince(c0) / count;
    pmd.cleanup();
    if (round === 0) continue; // warm-up
    rows.push({ bench: 'deflate (send)', size, messages: count, impl: 'ws (zlib, defaults)', ratio: +(bytes / plain).toFixed(4), cpuUs: +cpu.toFixed(1), uncompressed: 0 });
  }
  // Warm the JIT on a few messages per variant so the first variant is not penalised.
  const make = (v) => new mod.PerMessageDeflate({ ...agreed(), clientNoContextTakeover: v.historySize === 0 }, { threshold: 0, historySize: v.historySize, ...(v.level === undefined ? {} : { level: v.level }) }, v.platform);
  for (const v of variants) {
    const w = make(v);
    for (let i = 0; i < Math.min(200, msgs.length); i++) w.encode(msgs[i], true);
  }
  for (const v of variants) {
    const ext = make(v);
    const check = new mod.PerMessageDeflate({ ...agreed(), serverNoContextTakeover: v.historySize === 0 });
    let bytes = 0;
    let raw = 0;
    const c0 = process.cpuUsage();
    const outs = [];
    for (const m of msgs) {
      const out = ext.encode(m, true);
      outs.push(out);
      bytes += out ? out.length : m.length;
      raw += out ? 0 : 1;
    }
    const cpu = cpuSince(c0) / count;
    for (let i = 0; i < msgs.length; i++) {
      if (outs[i] && !Buffer.from(check.decode(outs[i], 1 << 30)).equals(msgs[i])) throw new Error(`round trip failed at ${i}`);
    }
    rows.push({
      bench: 'deflate (send)',
      size,
      messages: count,
      impl: `lifeline ${v.platform ? 'node:zlib' : 'fflate'} historySize=${v.historySize ?? 4096} level=${v.level ?? 6}${v.default ? ' (Node default)' : ''}`,
      ratio: +(bytes / plain).toFixed(4),
      cpuUs: +cpu.toFixed(1),
      uncompressed: raw,
    });
  }
  return rows;
}

/** Runs the benchmark; `quick` uses fewer messages and one round. Returns plain rows. */
export async function runDeflateBench({ quick = false } = {}) {
  const mod = await loadLifeline();
  const { zlibInflateRaw: native, zlibDeflateRaw } = await loadZlib();
  const rows = [];
  const rounds = quick ? 1 : 3;
  for (const [size, count] of [[16, quick ? 2000 : 20000], [1024, quick ? 2000 : 10000], [65536, quick ? 100 : 500]]) {
    rows.push(await benchInflate(mod, native, size, count, rounds));
  }
  const node = zlibDeflateRaw ? { deflateRaw: zlibDeflateRaw } : undefined;
  const variants = [
    ...(node
      ? [
          { historySize: 4096, platform: node, default: true },
          { historySize: 0, platform: node },
          { historySize: 32768, platform: node },
        ]
      : []),
    { historySize: 4096 },
    { historySize: 0 },
    { historySize: 32768 },
    { historySize: 4096, level: 1 },
  ];
  for (const [size, count] of [[16, quick ? 300 : 2000], [1024, quick ? 300 : 2000], [65536, quick ? 20 : 100]]) {
    rows.push(...(await benchDeflate(mod, size, count, variants)));
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await runDeflateBench({ quick: process.argv.includes('--quick') });
  console.table(rows);
}
