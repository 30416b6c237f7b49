// Decompression bombs (RFC 7692 §8.1 leaves the limit to us; RFC 6455 §10.4
// asks for one): the size limit applies after inflation, with memory near the
// limit rather than near what the message would expand to.
//
// DEFLATE expands at most ~1032:1 (a 258-byte match per 2 bits), so a 1 GiB
// message needs about 1 MiB of compressed payload; a ~1 KiB frame can reach
// ~1 MiB, and with context takeover it can repeat the previous message's
// window. Both shapes are tested. Each scenario runs in a fresh child process
// (node --expose-gc) so its peak RSS (getrusage maxrss) is its own: the
// growth asserted is peak RSS during decode minus RSS before it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { PerMessageDeflate } from '../../src/protocol/permessage-deflate.js';
import { zlibInflateRaw } from '../../src/transport/node/zlib-inflate.js';

const MiB = 1 << 20;
const SYNC = { finishFlush: zlib.constants.Z_SYNC_FLUSH, level: 9 } as const;

/** Compressed data that turns a window of zeros into `n` more zeros, ending in a sync flush (00 00 FF FF). */
function zerosAfterZeros(n: number): Buffer {
  return zlib.deflateRawSync(Buffer.alloc(n), { ...SYNC, dictionary: Buffer.alloc(32768) });
}

/** One message payload that inflates to 32 KiB + `mib` MiB of zeros, built without ever holding the output. */
function bomb(mib: number): Buffer {
  const head = zlib.deflateRawSync(Buffer.alloc(32768), SYNC);
  const x = zerosAfterZeros(MiB);
  const parts: Uint8Array[] = [head];
  for (let i = 0; i < mib; i++) parts.push(x);
  const all = Buffer.concat(parts);
  return all.subarray(0, all.length - 4); // the sender strips the final 00 00 FF FF (RFC 7692 §7.2.1)
}

type Scenario = 'gib' | 'gib-native' | 'kib-context';
interface ChildResult {
  code?: string;
  closeCode?: number;
  payloadBytes: number;
  expandsTo: number;
  limit: number;
  rssGrowth: number;
  cpuMs: number;
}

/** Runs inside the child: build the scenario, measure around decode, print a JSON line. */
function child(scenario: Scenario): void {
  const gc = (globalThis as { gc?: () => void }).gc!;
  let payload: Buffer;
  let limit: number;
  let expandsTo: number;
  const ext = new PerMessageDeflate(
    { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
    {},
    scenario === 'gib-native' ? { inflateRaw: zlibInflateRaw } : {},
  );
  if (scenario === 'gib' || scenario === 'gib-native') {
    payload = bomb(1023);
    limit = 8 * MiB;
    expandsTo = 32768 + 1023 * MiB;
  } else {
    // A legit 32 KiB message fills the window; the next ~1 KiB frame repeats it to 1 MiB.
    const first = zlib.deflateRawSync(Buffer.alloc(32768), SYNC);
    ext.decode(first.subarray(0, first.length - 4), 64 * 1024);
    const x = zerosAfterZeros(MiB);
    payload = x.subarray(0, x.length - 4);
    limit = 64 * 1024;
    expandsTo = MiB;
  }
  gc();
  gc();
  const before = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  let code: string | undefined;
  let closeCode: number | undefined;
  try {
    ext.decode(payload, limit);
  } catch (e) {
    code = (e as { code?: string }).code;
    closeCode = (e as { closeCode?: number }).closeCode;
  }
  const cpu = process.cpuUsage(cpu0);
  // maxRSS is the process's peak so far, in KiB: an upper bound for the peak during decode.
  const rssGrowth = process.resourceUsage().maxRSS * 1024 - before;
  const r: ChildResult = { payloadBytes: payload.length, expandsTo, limit, rssGrowth, cpuMs: (cpu.user + cpu.system) / 1000 };
  if (code !== undefined) r.code = code;
  if (closeCode !== undefined) r.closeCode = closeCode;
  process.stdout.write(JSON.stringify(r) + '\n');
}

function runChild(scenario: Scenario): ChildResult {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
    env: { ...process.env, LIFELINE_BOMB_CHILD: scenario },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as ChildResult;
}

const asChild = process.env['LIFELINE_BOMB_CHILD'] as Scenario | undefined;
if (asChild) {
  child(asChild);
} else {
  describe('permessage-deflate decompression bombs', () => {
    it('the bomb builder is sound: 32 KiB + 2 MiB of zeros from a few KiB, per zlib', () => {
      const b = bomb(2);
      assert.ok(b.length < 8 * 1024, `${b.length} bytes`);
      const out = zlib.inflateRawSync(Buffer.concat([b, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      assert.equal(out.length, 32768 + 2 * MiB);
      assert.ok(out.every((x) => x === 0));
    });

    it('a ~1 MiB message that would inflate to 1 GiB is refused with 1009; RSS grows < 64 MiB', () => {
      const r = runChild('gib');
      assert.ok(r.payloadBytes < 1.1 * MiB, `payload ${r.payloadBytes}`);
      assert.equal(r.expandsTo, 32768 + 1023 * MiB);
      assert.equal(r.code, 'WS_ERR_MESSAGE_TOO_BIG');
      assert.equal(r.closeCode, 1009);
      assert.ok(r.rssGrowth < 64 * MiB, `peak RSS grew by ${(r.rssGrowth / MiB).toFixed(1)} MiB`);
      console.log(`# 1 GiB bomb (${r.payloadBytes} B payload, limit ${r.limit / MiB} MiB): 1009 after ${r.cpuMs.toFixed(0)} ms CPU, peak RSS +${(r.rssGrowth / MiB).toFixed(1)} MiB`);
    });

    it('the same bomb through node:zlib (the Node transport\'s route for large payloads): 1009, RSS grows < 64 MiB', () => {
      const r = runChild('gib-native');
      assert.equal(r.code, 'WS_ERR_MESSAGE_TOO_BIG');
      assert.equal(r.closeCode, 1009);
      assert.ok(r.rssGrowth < 64 * MiB, `peak RSS grew by ${(r.rssGrowth / MiB).toFixed(1)} MiB`);
      console.log(`# 1 GiB bomb via node:zlib (limit ${r.limit / MiB} MiB): 1009 after ${r.cpuMs.toFixed(0)} ms CPU, peak RSS +${(r.rssGrowth / MiB).toFixed(1)} MiB`);
    });

    it('a ~1 KiB frame repeating the previous window to 1 MiB is refused with 1009 at a 64 KiB limit', () => {
      const r = runChild('kib-context');
      assert.ok(r.payloadBytes < 1200, `payload ${r.payloadBytes}`);
      assert.equal(r.code, 'WS_ERR_MESSAGE_TOO_BIG');
      assert.equal(r.closeCode, 1009);
      assert.ok(r.rssGrowth < 64 * MiB, `peak RSS grew by ${(r.rssGrowth / MiB).toFixed(1)} MiB`);
      console.log(`# 1 KiB context bomb (${r.payloadBytes} B): 1009 after ${r.cpuMs.toFixed(1)} ms CPU, peak RSS +${(r.rssGrowth / MiB).toFixed(1)} MiB`);
    });

    it('the same stream under a limit it fits decodes in full (the limit, not the data, stopped it)', () => {
      const ext = new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
      const out = ext.decode(bomb(3), 4 * MiB);
      assert.equal(out.length, 32768 + 3 * MiB);
    });
  });
}
