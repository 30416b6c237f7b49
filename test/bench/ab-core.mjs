// A/B of the protocol core between two builds: a baseline dist/ (e.g. built
// from an earlier commit) against this checkout's dist/, on the core's hot
// paths: the client role parsing binary/text 16 B, 1 KiB, 64 KiB in 64 KiB
// reads, a 64 KiB text message in 1 KiB fragments, pings answered with
// pongs; the server role unmasking 16 B and 1 KiB frames; sending
// text/binary. Not part of `npm test`.
//
//   git worktree add /tmp/base <commit> && (cd /tmp/base && npm ci && npm run build)
//   npm run build && node test/bench/ab-core.mjs /tmp/base/dist [--rounds 21] [--ms 150] [--only regex]
//
// On a shared machine wall-clock rates swing by 2-3x between identical runs,
// so this measures the process's CPU time, alternates A and B in every round
// (order flipped each round) and reports the median of the per-round B/A
// ratios next to the best rates. It also runs the baseline against a copy
// of itself (A/A): two copies of the same code differ by code placement
// alone, so the A/A column is the noise floor a B/A ratio must clear.
import { cpSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUtf8 } from 'node:buffer';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const baseDir = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
if (!baseDir || !existsSync(join(baseDir, 'protocol.mjs'))) {
  console.error('usage: node test/bench/ab-core.mjs <baseline dist/ directory> [--rounds N] [--ms M] [--only regex]');
  process.exit(2);
}
const rounds = Number(opt('--rounds', '21'));
const ms = Number(opt('--ms', '150'));
const only = opt('--only', undefined);

// The A/A copy lives next to the baseline so its bare imports (fflate) resolve the same way.
const copy = mkdtempSync(join(resolve(baseDir), '..', '.ab-core-copy-'));
cpSync(baseDir, copy, { recursive: true });
process.on('exit', () => rmSync(copy, { recursive: true, force: true }));

const A = await import(pathToFileURL(join(resolve(baseDir), 'protocol.mjs')).href);
const A2 = await import(pathToFileURL(join(copy, 'protocol.mjs')).href);
const B = await import(new URL('../../dist/protocol.mjs', import.meta.url).href);

const READ = 64 * 1024;
function frameHeader(opcode, n) {
  if (n < 126) return Buffer.from([0x80 | opcode, n]);
  if (n < 65536) return Buffer.from([0x80 | opcode, 126, n >> 8, n & 255]);
  const h = Buffer.alloc(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  h.writeUIntBE(n, 4, 6);
  return h;
}
/**
 * `count` messages of `size` bytes, each in `fragments` frames (the last
 * frame takes the remainder), cut into READ-byte reads. `masked`: as a
 * client sends them (RFC 6455 §5.3), for the server role.
 */
function stream(opcode, size, count, { fragments = 1, masked = false } = {}) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = opcode === 1 ? 0x61 + (i % 26) : (i * 31) & 255;
  const step = Math.ceil(size / fragments);
  const frames = [];
  for (let start = 0, first = true; first || start < size; start += step, first = false) {
    const end = Math.min(size, start + step);
    const head = frameHeader(first ? opcode : 0, end - start);
    if (end < size) head[0] &= 0x7f;
    const body = Buffer.from(payload.subarray(start, end));
    if (masked) {
      const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
      head[1] |= 0x80;
      for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
      frames.push(head, key, body);
    } else {
      frames.push(head, body);
    }
  }
  const frame = Buffer.concat(frames);
  const all = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let o = 0; o < all.length; o += READ) chunks.push(new Uint8Array(all.buffer, all.byteOffset + o, Math.min(READ, all.length - o)));
  return chunks;
}
function parser(lib, opts) {
  let n = 0;
  const p = new lib.Protocol(
    {
      write() {},
      message() {
        n++;
      },
      close() {},
      error(e) {
        throw e;
      },
    },
    { maxPayload: Infinity, random: (b) => b.fill(7), alloc: (k) => Buffer.allocUnsafe(k), ...opts },
  );
  return () => {
    for (let i = 0; i < chunks.length; i++) p.receive(chunks[i]);
    return n;
  };
}
let chunks = [];

/** Operations per CPU second of this process (user + system). */
function rate(fn, ops) {
  fn();
  gc();
  let done = 0;
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    fn();
    done += ops;
  }
  const c = process.cpuUsage(c0);
  return done / ((c.user + c.system) / 1e6);
}

function pair(fa, fb, ops) {
  let bestA = 0;
  let bestB = 0;
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    let ra;
    let rb;
    if (r % 2 === 0) {
      ra = rate(fa, ops);
      rb = rate(fb, ops);
    } else {
      rb = rate(fb, ops);
      ra = rate(fa, ops);
    }
    bestA = Math.max(bestA, ra);
    bestB = Math.max(bestB, rb);
    ratios.push(rb / ra);
  }
  ratios.sort((x, y) => x - y);
  return { bestA, bestB, median: ratios[Math.floor(ratios.length / 2)] };
}

const rows = [];
function row(name, make, ops) {
  if (only && !new RegExp(only).test(name)) return;
  const ab = pair(make(A), make(B), ops);
  const aa = pair(make(A), make(A2), ops);
  rows.push({ name, ab, aa });
  console.error(`${name}: B/A ${ab.median.toFixed(3)} (A/A ${aa.median.toFixed(3)})`);
}

for (const [op, kind] of [
  [2, 'binary'],
  [1, 'text'],
]) {
  for (const size of [16, 1024, 65536]) {
    const count = Math.max(4, Math.floor((2 * 1024 * 1024) / (size + 10)));
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    const data = stream(op, size, count);
    row(`parse ${kind} ${label}`, (lib) => {
      const run = parser(lib, op === 1 ? { isUtf8 } : {});
      return () => {
        chunks = data;
        run();
      };
    }, count);
  }
}
// A 64 KiB text message in 1 KiB fragments: message assembly and the streaming UTF-8 check.
{
  const count = 32;
  const data = stream(1, 65536, count, { fragments: 64 });
  row('parse text 64 KiB in 1 KiB fragments', (lib) => {
    const run = parser(lib, { isUtf8 });
    return () => {
      chunks = data;
      run();
    };
  }, count);
}
// The server role: masked client frames, unmasked in place (each pass flips the
// payload between masked and plain: binary, so the work per pass is the same).
for (const size of [16, 1024]) {
  const count = Math.floor((2 * 1024 * 1024) / (size + 14));
  const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  row(`parse masked binary ${label} (server role)`, (lib) => {
    const data = stream(2, size, count, { masked: true });
    const run = parser(lib, { role: 'server' });
    return () => {
      chunks = data;
      run();
    };
  }, count);
}
// Pings of 16 B, each answered with a pong by the core (control frames, writer).
{
  const count = Math.floor((2 * 1024 * 1024) / 18);
  const data = stream(9, 16, count);
  row('parse ping 16 B (pong written)', (lib) => {
    const run = parser(lib, {});
    return () => {
      chunks = data;
      run();
    };
  }, count);
}
const text16 = 'x'.repeat(16);
const text1k = 'y'.repeat(1024);
const bin16 = new Uint8Array(16);
const bin64k = new Uint8Array(65536);
const sender = (lib, data, binary, n) => {
  const p = new lib.Protocol({ write() {}, message() {}, close() {}, error() {} }, { random: (b) => b.fill(7) });
  return () => {
    for (let i = 0; i < n; i++) p.send(data, binary);
  };
};
row('send text 16 B', (lib) => sender(lib, text16, false, 1000), 1000);
row('send text 1 KiB', (lib) => sender(lib, text1k, false, 1000), 1000);
row('send binary 16 B', (lib) => sender(lib, bin16, true, 1000), 1000);
row('send binary 64 KiB', (lib) => sender(lib, bin64k, true, 10), 10);

console.log(`| row | baseline ops/CPU-s (best) | this build (best) | this/baseline (median of ${rounds} paired rounds) | baseline/copy of itself (A/A) |`);
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${Math.round(r.ab.bestA).toLocaleString('en-US')} | ${Math.round(r.ab.bestB).toLocaleString('en-US')} | ${r.ab.median.toFixed(3)} | ${r.aa.median.toFixed(3)} |`);
}
