// Parser and masking micro-benchmarks: lifeline's sans-I/O core against ws's
// Receiver/Sender (pure JS: WS_NO_BUFFER_UTIL, and Node 20 has no
// http.websocketMask) on the same inputs. Not part of `npm test`.
//
//   npm run build && node test/bench/micro-protocol.mjs [--quick]
//
// Rows:
//  - parse binary/text N B: a stream of unmasked server frames, cut into
//    64 KiB reads (so frames straddle reads as on a real socket), fed to
//    lifeline's Protocol#receive (with the Node transport's `alloc`,
//    Buffer.allocUnsafe) and to ws's Receiver#_write (called directly,
//    which skips Writable's bookkeeping: the comparison favours ws). ops/s =
//    messages per second. Text rows validate UTF-8: ws with Node's native
//    buffer.isUtf8 (>= 24 B), lifeline with its pure-TS DFA, and lifeline with
//    the same native check injected (`isUtf8` option) as the Node transport does.
//  - parse masked ... (server role): the same streams as a client sends them
//    (masked, RFC 6455 §5.3), fed to lifeline's Protocol with role 'server'
//    and to ws's Receiver with isServer; both unmask in place.
//  - mask 64 KiB: XOR masking of a 64 KiB payload: lifeline's word-at-a-time
//    maskInPlace against ws's buffer-util mask.
//  - frame 16 B / 64 KiB: building one masked client frame (header + key +
//    masked copy) with lifeline's encodeFrame against ws's Sender.frame.
// Each row alternates the two implementations for several rounds, with a
// full GC before each, and keeps the best round of each (least disturbed by
// other load). Exports
// runMicro({quick}) for test/bench/run.mjs.
import { createRequire } from 'node:module';
import { isUtf8 } from 'node:buffer';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

// A full GC before each measurement, so one implementation's garbage is not
// collected on the other's time (64 KiB rows are dominated by this otherwise).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

process.env.WS_NO_BUFFER_UTIL = '1';
process.env.WS_NO_UTF_8_VALIDATE = '1';
const require = createRequire(import.meta.url);
// ws's package exports hide lib/: resolve the files next to its entry point.
const wsLib = (f) => require(join(dirname(require.resolve('ws')), 'lib', f));
const Receiver = wsLib('receiver.js');
const Sender = wsLib('sender.js');
const bufferUtil = wsLib('buffer-util.js');

const lifeline = await import(new URL('../../dist/protocol.mjs', import.meta.url).href);
const { Protocol, maskInPlace, encodeFrame, MaskKeyPool } = lifeline;

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

/** `count` frames of `size` bytes, cut into READ-byte chunks; `masked`: as a client sends them. */
function stream(opcode, size, count, masked = false) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = opcode === 1 ? 0x61 + (i % 26) : (i * 31) & 255;
  let frame = Buffer.concat([frameHeader(opcode, size), payload]);
  if (masked) {
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const head = frameHeader(opcode, size);
    head[1] |= 0x80;
    const body = Buffer.from(payload);
    for (let i = 0; i < size; i++) body[i] ^= key[i & 3];
    frame = Buffer.concat([head, key, body]);
  }
  const all = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let o = 0; o < all.length; o += READ) chunks.push(all.subarray(o, Math.min(all.length, o + READ)));
  return chunks;
}

function wsParser(isServer = false) {
  let n = 0;
  const r = new Receiver({ isServer, maxPayload: 0, binaryType: 'nodebuffer' });
  r.on('message', () => n++);
  r.on('error', (e) => {
    throw e;
  });
  const done = () => {};
  return {
    feed(chunks) {
      for (let i = 0; i < chunks.length; i++) r._write(chunks[i], 'buffer', done);
    },
    count: () => n,
  };
}

function lifelineParser(opts = {}) {
  let n = 0;
  const p = new Protocol(
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
    // alloc as the Node transport passes it (ws allocates the same way): a whole binary
    // message spanning reads is assembled in uninitialized memory, not a zero-filled array.
    { maxPayload: Infinity, random: (b) => b.fill(7), alloc: (n) => Buffer.allocUnsafe(n), ...opts },
  );
  return {
    feed(chunks) {
      for (let i = 0; i < chunks.length; i++) p.receive(chunks[i]);
    },
    count: () => n,
  };
}

/** Runs `fn` (doing `opsPerCall` operations) for about `ms`; returns ops/s. */
function rate(fn, opsPerCall, ms) {
  fn(); // warm
  gc();
  let ops = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  const limit = BigInt(ms) * 1000000n;
  while (t - t0 < limit) {
    fn();
    ops += opsPerCall;
    t = process.hrtime.bigint();
  }
  return ops / (Number(t - t0) / 1e9);
}

function compare(name, lifelineFn, wsFn, opsPerCall, { rounds, ms }) {
  let best = { lifeline: 0, ws: 0 };
  for (let r = 0; r < rounds; r++) {
    best.ws = Math.max(best.ws, rate(wsFn, opsPerCall, ms));
    best.lifeline = Math.max(best.lifeline, rate(lifelineFn, opsPerCall, ms));
  }
  return { bench: name, 'lifeline ops/s': Math.round(best.lifeline), 'ws ops/s': Math.round(best.ws), ratio: +(best.lifeline / best.ws).toFixed(2) };
}

export async function runMicro({ quick = false } = {}) {
  const cfg = quick ? { rounds: 3, ms: 150 } : { rounds: 5, ms: 400 };
  const rows = [];
  const sizes = [16, 1024, 64 * 1024];
  for (const [opcode, kind] of [
    [2, 'binary'],
    [1, 'text'],
  ]) {
    for (const size of sizes) {
      const count = Math.max(4, Math.floor((2 * 1024 * 1024) / (size + 10)));
      const chunks = stream(opcode, size, count);
      const ws = wsParser();
      const ll = lifelineParser();
      const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
      rows.push(compare(`parse ${kind} ${label}`, () => ll.feed(chunks), () => ws.feed(chunks), count, cfg));
      if (kind === 'text') {
        const lln = lifelineParser({ isUtf8 });
        rows.push(compare(`parse text ${label} (isUtf8 injected)`, () => lln.feed(chunks), () => ws.feed(chunks), count, cfg));
      }
      if (ws.count() === 0 || ll.count() === 0) throw new Error('parser delivered nothing');
    }
  }
  // The server role: masked client frames (both parsers unmask in place, so each pass
  // flips the payload between masked and plain: the work per pass is the same).
  for (const [opcode, kind] of [
    [2, 'binary'],
    [1, 'text'],
  ]) {
    for (const size of opcode === 2 ? sizes : [1024]) {
      const count = Math.max(4, Math.floor((2 * 1024 * 1024) / (size + 14)));
      const ws = wsParser(true);
      const wsChunks = stream(opcode, size, count, true);
      const llChunks = stream(opcode, size, count, true);
      // Text is not re-validated here after the first pass flips it (ws: skipUTF8Validation is off, so it would
      // fail on masked bytes): text rows validate once, binary rows are the steady state.
      if (opcode === 1) {
        const llText = lifelineParser({ role: 'server', isUtf8 });
        const wsText = wsParser(true);
        const once = (parser, chunks) => () => parser.feed(chunks.map((c) => Buffer.from(c)));
        rows.push(compare(`parse masked text 1 KiB (server role, isUtf8 injected)`, once(llText, llChunks), once(wsText, wsChunks), count, cfg));
        continue;
      }
      const ll = lifelineParser({ role: 'server' });
      const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
      rows.push(compare(`parse masked ${kind} ${label} (server role)`, () => ll.feed(llChunks), () => ws.feed(wsChunks), count, cfg));
      if (ws.count() === 0 || ll.count() === 0) throw new Error('parser delivered nothing');
    }
  }
  // Masking 64 KiB.
  const payload = Buffer.alloc(64 * 1024, 0x5a);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const out = Buffer.alloc(payload.length + 14);
  const own = new Uint8Array(payload.length + 14);
  rows.push(
    compare(
      'mask 64 KiB',
      () => maskInPlace(own, 14, own.length, key, 0),
      () => bufferUtil.mask(payload, key, out, 14, payload.length),
      1,
      cfg,
    ),
  );
  // Whole masked frame (allocation + header + key + masked copy).
  const pool = new MaskKeyPool((b) => b.fill(7));
  for (const size of [16, 64 * 1024]) {
    const data = Buffer.alloc(size, 0x41);
    const opts = { fin: true, opcode: 2, mask: true, readOnly: true, rsv1: false };
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    rows.push(compare(`frame ${label}`, () => encodeFrame(0x82, data, pool), () => Sender.frame(data, opts), 1, cfg));
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runMicro({ quick: process.argv.includes('--quick') });
  const keys = Object.keys(rows[0]);
  console.log(`| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${keys.map((k) => r[k]).join(' | ')} |`);
}
