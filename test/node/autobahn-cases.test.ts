/**
 * Autobahn|Testsuite cases replayed by a raw `node:net` fuzzing-style server
 * against the Autobahn driver's own echo loop (`runCase` in
 * src/transport/node/autobahn.ts, the code `lifeline autobahn` runs). Each
 * case writes the frames the fuzzingserver writes for it (same payloads,
 * same splits and pauses) and judges the client the way the testsuite does:
 * - the events it answers with (echoed messages, pongs) must equal the
 *   expected list exactly, in order, byte for byte, with the same type;
 * - the client's close frame must carry the expected code, and when the
 *   case is "fail fast" (6.4.x) it must arrive before the rest of the
 *   message is written;
 * - when the server started the close (closedByMe), the server drops TCP
 *   after the client's echo, as the fuzzingserver does; the client must
 *   not hang and must report that close.
 * permessage-deflate cases (12.x/13.x style) compress with node:zlib using
 * each server parameter combination, and inflate what the client sends with
 * the negotiated client window (and no dictionary under
 * client_no_context_takeover), so a client that reached outside its window
 * or kept context it agreed to drop fails here the way it would against
 * Autobahn's zlib.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { runCase } from '../../src/transport/node/autobahn.js';
import type { WebSocketOptions } from '../../src/transport/node/options.js';
import { SocketReader } from '../../src/transport/node/reader.js';
import { startRawServer, frame, closeFrame, decodeFrames, type RawConnection, type RawServer, type DecodedFrame } from '../support/raw-server.js';

// Recycled read slabs are poisoned before reuse: an echo that kept a view of a read would send 0xee.
SocketReader.poison = true;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const servers: RawServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** One thing the server does: write bytes, pause, or write bytes in pieces with pauses ("chopped" sends). */
type Step = Buffer | number | { chop: Buffer; size: number; delay: number };
/** What the client answers with, as the testsuite records it. */
type Event = ['message', number, Buffer] | ['pong', Buffer];

interface Case {
  id: string;
  /** Extra 101 response header lines (e.g. Sec-WebSocket-Extensions). */
  ext?: string[];
  steps: Step[];
  /** The events expected from the client before its close frame, in order. */
  expect: Event[];
  /** closedByMe: after the expected events, the server sends close 1000. */
  serverCloses?: boolean;
  /** The code of the client's close frame; null: an empty close frame. */
  closeCode: number | null;
  /** Fail fast: the client's close must have arrived before step number `failBefore` is written. */
  failBefore?: number;
  /** ...and not before step number `failAfter` (the bad bytes) was written: valid prefixes are fine. */
  failAfter?: number;
}

interface Outcome {
  events: Event[];
  /** The client's close frame payload, if one came. */
  close: Buffer | undefined;
  /** Index of the step about to be written when the client's close had arrived (steps.length: after all). */
  closeAtStep: number;
  /** Client frames after its close frame (must be none). */
  afterClose: number;
  /** The code the driver reported. */
  driverCode: number;
}

function msgEvent(opcode: number, payload: Buffer | string): Event {
  return ['message', opcode, Buffer.from(payload)];
}

/** Reassembles the client's frames into testsuite events; returns where the close frame is. */
function clientEvents(frames: DecodedFrame[], inflate?: (payload: Buffer) => Buffer): { events: Event[]; close: Buffer | undefined; afterClose: number } {
  const events: Event[] = [];
  let parts: Buffer[] = [];
  let op = 0;
  let compressed = false;
  let close: Buffer | undefined;
  let afterClose = 0;
  for (const f of frames) {
    assert.ok(f.masked, 'client frames must be masked (RFC 6455 §5.3)');
    if (close !== undefined) {
      afterClose++;
      continue;
    }
    if (f.opcode === 0x8) close = f.payload;
    else if (f.opcode === 0xa) events.push(['pong', f.payload]);
    else if (f.opcode === 0x9) events.push(['message', -1, f.payload]);
    else {
      if (f.opcode !== 0) {
        op = f.opcode;
        compressed = (f.rsv & 4) !== 0;
        parts = [];
      } else assert.equal(f.rsv & 4, 0, 'RSV1 only on the first frame (RFC 7692 §6.1)');
      parts.push(f.payload);
      if (f.fin) {
        const whole = Buffer.concat(parts);
        events.push(msgEvent(op, compressed ? inflate!(whole) : whole));
      }
    }
  }
  return { events, close, afterClose };
}

/** Runs one case: the fuzzing-style server on one side, the driver's echo loop on the other. */
async function play(c: Case, options: WebSocketOptions = {}, inflate?: (payload: Buffer) => Buffer): Promise<Outcome> {
  let closeAtStep = -1;
  let serverDone!: () => void;
  const done = new Promise<void>((r) => (serverDone = r));
  let state: ReturnType<typeof clientEvents> = { events: [], close: undefined, afterClose: 0 };
  const server = await startRawServer(async (conn: RawConnection) => {
    const s = conn.socket;
    let closeSent = false;
    const read = () => (state = clientEvents(decodeFrames(conn.received()), inflate));
    // Like the fuzzingserver: answer the client's close once, then drop TCP (the server closes first, §7.1.1).
    const onData = () => {
      read();
      if (state.close !== undefined) {
        if (closeAtStep < 0) closeAtStep = step;
        if (!closeSent && !s.destroyed) {
          closeSent = true;
          s.write(frame(0x8, state.close.subarray(0, 2)));
        }
        setTimeout(() => {
          s.destroy();
          serverDone();
        }, 20);
      }
    };
    s.on('data', () => setImmediate(onData));
    s.on('close', () => serverDone());
    s.write(conn.accept(c.ext));
    let step = 0;
    for (; step < c.steps.length; step++) {
      if (s.destroyed) break;
      const st = c.steps[step]!;
      if (typeof st === 'number') await sleep(st);
      else if (Buffer.isBuffer(st)) {
        if (st[0]! === 0x88) closeSent = true;
        s.write(st);
      } else {
        for (let i = 0; i < st.chop.length && !s.destroyed; i += st.size) {
          s.write(st.chop.subarray(i, i + st.size));
          if (st.delay > 0) await sleep(st.delay);
        }
      }
    }
    if (c.serverCloses) {
      // finishWhenDone: close once the expected events are all in.
      for (let i = 0; i < 500 && state.events.length < c.expect.length && state.close === undefined && !s.destroyed; i++) await sleep(10);
      if (!closeSent && !s.destroyed) {
        closeSent = true;
        s.write(closeFrame(1000));
      }
    }
  });
  servers.push(server);
  const driverCode = await runCase(server.url('/runCase?case=1&agent=lifeline'), options, 15_000);
  await Promise.race([done, sleep(2000)]);
  return { events: state.events, close: state.close, closeAtStep: closeAtStep < 0 ? Infinity : closeAtStep, afterClose: state.afterClose, driverCode };
}

function judge(c: Case, o: Outcome): void {
  assert.deepEqual(
    o.events.map(([k, a, b]) => (k === 'pong' ? ['pong', a.toString('hex')] : ['message', a, (b as Buffer).toString('hex')])),
    c.expect.map(([k, a, b]) => (k === 'pong' ? ['pong', a.toString('hex')] : ['message', a, (b as Buffer).toString('hex')])),
    `${c.id}: events`,
  );
  assert.ok(o.close !== undefined, `${c.id}: the client sent no close frame`);
  if (c.closeCode === null) assert.equal(o.close.length, 0, `${c.id}: an empty close is echoed empty`);
  else {
    assert.ok(o.close.length >= 2, `${c.id}: close frame without a code`);
    assert.equal(o.close.readUInt16BE(0), c.closeCode, `${c.id}: close code`);
  }
  assert.equal(o.afterClose, 0, `${c.id}: frames after the close frame`);
  if (c.failBefore !== undefined) assert.ok(o.closeAtStep <= c.failBefore, `${c.id}: close came at step ${o.closeAtStep}, after step ${c.failBefore} was written (not fail-fast)`);
  if (c.failAfter !== undefined) assert.ok(o.closeAtStep > c.failAfter, `${c.id}: close came at step ${o.closeAtStep}, before the invalid bytes (step ${c.failAfter})`);
  // The driver sees the server's close (or the failure it sent).
  assert.equal(o.driverCode, c.closeCode ?? 1005, `${c.id}: code reported by the driver`);
}

const T = 0x1;
const B = 0x2;
const text = (s: string | Buffer, fin = true) => frame(T, s, { fin });
const bin = (b: Buffer, fin = true) => frame(B, b, { fin });
const cont = (b: string | Buffer, fin = true) => frame(0x0, b, { fin });
const ping = (b: string | Buffer = '') => frame(0x9, b);
const pong = (b: string | Buffer = '') => frame(0xa, b);

function echoCase(id: string, steps: Step[], expect: Event[]): Case {
  return { id, steps, expect, serverCloses: true, closeCode: 1000 };
}
function failCase(id: string, steps: Step[], expect: Event[], code = 1002, failBefore?: number, failAfter?: number): Case {
  const c: Case = { id, steps, expect, closeCode: code };
  if (failBefore !== undefined) c.failBefore = failBefore;
  if (failAfter !== undefined) c.failAfter = failAfter;
  return c;
}

// ------------------------------------------------------------------ 1.x framing
const CASES_1: Case[] = [];
{
  const sizes = [0, 125, 126, 127, 128, 65535, 65536];
  sizes.forEach((n, i) => {
    const t = Buffer.alloc(n, '*');
    CASES_1.push(echoCase(`1.1.${i + 1}`, [text(t)], [msgEvent(T, t)]));
    const b = Buffer.alloc(n, 0xfe);
    CASES_1.push(echoCase(`1.2.${i + 1}`, [bin(b)], [msgEvent(B, b)]));
  });
  // 1.1.8 / 1.2.8: 65536 bytes written in chops of 997.
  const t = Buffer.alloc(65536, '*');
  CASES_1.push(echoCase('1.1.8', [{ chop: text(t), size: 997, delay: 0 }], [msgEvent(T, t)]));
  const b = Buffer.alloc(65536, 0xfe);
  CASES_1.push(echoCase('1.2.8', [{ chop: bin(b), size: 997, delay: 0 }], [msgEvent(B, b)]));
}

// ------------------------------------------------------------------ 2.x pings
const CASES_2: Case[] = [];
{
  const p125 = Buffer.alloc(125, 0xfe);
  const bp = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
  CASES_2.push(echoCase('2.1', [ping()], [['pong', Buffer.alloc(0)]]));
  CASES_2.push(echoCase('2.2', [ping('Hello, world!')], [['pong', Buffer.from('Hello, world!')]]));
  CASES_2.push(echoCase('2.3', [ping(bp)], [['pong', bp]]));
  CASES_2.push(echoCase('2.4', [ping(p125)], [['pong', p125]]));
  // 2.5: a 126-byte ping payload (16-bit length on a control frame) → 1002.
  const bad = Buffer.concat([Buffer.from([0x89, 126, 0, 126]), Buffer.alloc(126, 0xfe)]);
  CASES_2.push(failCase('2.5', [bad], []));
  CASES_2.push(echoCase('2.6', [{ chop: ping(p125), size: 1, delay: 1 }], [['pong', p125]]));
  CASES_2.push(echoCase('2.7', [pong()], []));
  CASES_2.push(echoCase('2.8', [pong('unsolicited pong payload')], []));
  CASES_2.push(echoCase('2.9', [pong('unsolicited pong payload'), ping('ping payload')], [['pong', Buffer.from('ping payload')]]));
  const ten = Array.from({ length: 10 }, (_, i) => Buffer.from(`payload-${i}`));
  CASES_2.push(echoCase('2.10', ten.map((p) => ping(p)), ten.map((p): Event => ['pong', p])));
  CASES_2.push(echoCase('2.11', ten.map((p) => ({ chop: ping(p), size: 1, delay: 0 })), ten.map((p): Event => ['pong', p])));
  // 2.x extra: a fragmented ping (fin clear on a control frame, §5.5) → 1002.
  CASES_2.push(failCase('2.x fragmented ping', [frame(0x9, 'abc', { fin: false })], []));
}

// ------------------------------------------------------------------ 3.x RSV
const CASES_3: Case[] = [
  failCase('3.1', [frame(T, 'Hello, world!', { rsv: 1 })], []),
  failCase('3.2', [text('Hello, world!'), frame(T, 'Hello, world!', { rsv: 2 }), ping('Hello, world!')], [msgEvent(T, 'Hello, world!')]),
  failCase('3.3', [text('Hello, world!'), 50, frame(T, 'Hello, world!', { rsv: 3 }), 50, ping('Hello, world!')], [msgEvent(T, 'Hello, world!')]),
  failCase('3.4', [text('Hello, world!'), 50, frame(T, 'Hello, world!', { rsv: 4 }), 50, ping('Hello, world!')], [msgEvent(T, 'Hello, world!')]),
  failCase('3.5', [frame(B, Buffer.from([0, 0xff, 0xfe]), { rsv: 5 })], []),
  failCase('3.6', [frame(0x9, 'Hello, world!', { rsv: 6 })], []),
  failCase('3.7', [frame(0x8, Buffer.from([0x03, 0xe8]), { rsv: 7 })], []),
];

// ------------------------------------------------------------------ 4.x opcodes
const CASES_4: Case[] = [];
{
  const hw = 'Hello, world!';
  for (const [i, op] of [3, 4, 5, 6, 7].entries()) {
    CASES_4.push(failCase(`4.1.${i + 1}`, i === 0 ? [frame(op)] : [text(hw), frame(op, i % 2 ? '' : 'reserved'), ping(hw)], i === 0 ? [] : [msgEvent(T, hw)]));
  }
  for (const [i, op] of [11, 12, 13, 14, 15].entries()) {
    CASES_4.push(failCase(`4.2.${i + 1}`, i === 0 ? [frame(op)] : [text(hw), frame(op, i % 2 ? '' : 'reserved'), ping(hw)], i === 0 ? [] : [msgEvent(T, hw)]));
  }
}

// ------------------------------------------------------------------ 5.x fragmentation
const CASES_5: Case[] = [];
{
  const f1 = 'fragment1';
  const f2 = 'fragment2';
  const f3 = 'fragment3';
  const hw = 'Hello, world!';
  CASES_5.push(failCase('5.1', [frame(0x9, f1, { fin: false }), cont(f2)], []));
  CASES_5.push(failCase('5.2', [frame(0xa, f1, { fin: false }), cont(f2)], []));
  CASES_5.push(echoCase('5.3', [text(f1, false), cont(f2)], [msgEvent(T, f1 + f2)]));
  CASES_5.push(echoCase('5.4', [text(f1, false), 50, cont(f2)], [msgEvent(T, f1 + f2)]));
  CASES_5.push(echoCase('5.5', [{ chop: Buffer.concat([text(f1, false), cont(f2)]), size: 1, delay: 1 }], [msgEvent(T, f1 + f2)]));
  CASES_5.push(echoCase('5.6', [text(f1, false), ping('ping payload'), cont(f2)], [['pong', Buffer.from('ping payload')], msgEvent(T, f1 + f2)]));
  CASES_5.push(echoCase('5.7', [text(f1, false), 50, ping('ping payload'), 50, cont(f2)], [['pong', Buffer.from('ping payload')], msgEvent(T, f1 + f2)]));
  CASES_5.push(echoCase('5.8', [{ chop: Buffer.concat([text(f1, false), ping('ping payload'), cont(f2)]), size: 1, delay: 0 }], [['pong', Buffer.from('ping payload')], msgEvent(T, f1 + f2)]));
  CASES_5.push(failCase('5.9', [cont(f1, false), text(f2), cont(f3)], []));
  CASES_5.push(failCase('5.10', [cont(f1, false), 50, text(f2), 50, cont(f3)], []));
  CASES_5.push(failCase('5.11', [{ chop: Buffer.concat([cont(f1, false), text(f2), cont(f3)]), size: 1, delay: 0 }], []));
  CASES_5.push(failCase('5.12', [cont(f1), text(f2, false), cont(f3)], []));
  CASES_5.push(failCase('5.13', [cont(f1), 50, text(f2, false), 50, cont(f3)], []));
  CASES_5.push(failCase('5.15', [text(f1, false), cont(f2), cont(f3, false), text('fragment4')], [msgEvent(T, f1 + f2)]));
  CASES_5.push(failCase('5.16', [cont(f1, false), text(f2, false), cont(f3), cont(f1, false), text(f2, false), cont(f3)], []));
  CASES_5.push(failCase('5.17', [cont(f1), text(f2, false), cont(f3), cont(f1), text(f2, false), cont(f3)], []));
  CASES_5.push(failCase('5.18', [text(f1, false), text(f2)], []));
  const p = (n: number) => `pongme ${n}!`;
  const f = (n: number) => `fragment${n}`;
  CASES_5.push(
    echoCase(
      '5.19',
      [text(f(1), false), cont(f(2), false), ping(p(1)), 200, cont(f(3), false), cont(f(4), false), ping(p(2)), 200, cont(f(5))],
      [['pong', Buffer.from(p(1))], ['pong', Buffer.from(p(2))], msgEvent(T, f(1) + f(2) + f(3) + f(4) + f(5))],
    ),
  );
  CASES_5.push(echoCase('5.x binary', [bin(Buffer.from([1, 2]), false), cont(Buffer.from([3])), text(hw)], [msgEvent(B, Buffer.from([1, 2, 3])), msgEvent(T, hw)]));
}

// ------------------------------------------------------------------ 6.x UTF-8
const CASES_6: Case[] = [];
{
  const valid: [string, Buffer][] = [
    ['6.1.1 empty', Buffer.alloc(0)],
    ['6.2.1 hello-µ@ßöäüàá-UTF-8!!', Buffer.from('Hello-µ@ßöäüàá-UTF-8!!')],
    ['6.5.1 kosme', Buffer.from('ce bae1bdb9cf83cebcceb5'.replace(/ /g, ''), 'hex')],
    ['6.7.4 U+FFFF', Buffer.from('efbfbf', 'hex')],
    ['6.7.3 U+10FFFF', Buffer.from('f48fbfbf', 'hex')],
    ['6.11.x U+FEFF BOM-ish', Buffer.from('efbbbf', 'hex')],
    ['6.22.x U+FFFE', Buffer.from('efbfbe', 'hex')],
  ];
  for (const [id, b] of valid) CASES_6.push(echoCase(id, [text(b)], [msgEvent(T, b)]));
  // 6.2.3/6.2.4: valid text split at every byte / inside code points across frames.
  const ho = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!');
  CASES_6.push(echoCase('6.2.3 chopped', [{ chop: text(ho), size: 1, delay: 0 }], [msgEvent(T, ho)]));
  CASES_6.push(
    echoCase(
      '6.2.4 fragments inside code points',
      Array.from(ho).map((_, i) => (i === 0 ? text(ho.subarray(0, 1), false) : cont(ho.subarray(i, i + 1), i === ho.length - 1))),
      [msgEvent(T, ho)],
    ),
  );
  const invalid: [string, string][] = [
    ['6.3.1', 'cebae1bdb9cf83cebcceb5eda080656469746564'],
    ['6.6.1 lone continuation', 'ce'],
    ['6.6.8 truncated', 'cebae1bdb9cf83cebcceb5eda0'],
    ['6.8.1 5-byte', 'f888808080'],
    ['6.8.2 6-byte', 'fc8480808080'],
    ['6.9.1 overlong /', 'c0af'],
    ['6.10.x overlong max', 'f08f bfbf'.replace(/ /g, '')],
    ['6.12.1 lone continuation', '80'],
    ['6.14.x lone start bytes', 'c020'],
    ['6.18.x surrogate', 'eda080'],
    ['6.21.x surrogate pair', 'eda080edb080'],
    ['6.x above U+10FFFF', 'f4908080'],
    ['6.x fe', 'fe'],
  ];
  for (const [id, hex] of invalid) CASES_6.push(failCase(id, [text(Buffer.from(hex, 'hex'))], [], 1007));
  // 6.3.2: the invalid text in one frame written byte by byte.
  CASES_6.push(failCase('6.3.2 chopped', [{ chop: text(Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')), size: 1, delay: 0 }], [], 1007));
  // 6.4.x fail fast: the close must be on the wire before the rest of the message is written.
  const k = Buffer.from('cebae1bdb9cf83cebcceb5', 'hex');
  const e = Buffer.from('edited');
  // As the testsuite: part 1, wait, part 2 (the bad bytes), wait, part 3. The close must come after
  // part 2 was written (step 2) and before part 3 (step 4).
  CASES_6.push(failCase('6.4.1', [text(k, false), 300, cont(Buffer.from('f4908080', 'hex'), false), 300, cont(e)], [], 1007, 4, 1));
  CASES_6.push(failCase('6.4.2', [text(Buffer.concat([k, Buffer.from('f4', 'hex')]), false), 300, cont(Buffer.from('90', 'hex'), false), 300, cont(Buffer.from('8080656469746564', 'hex'))], [], 1007, 4, 1));
  {
    // 6.4.3 / 6.4.4: one frame whose payload is written in three parts with pauses.
    const payload = Buffer.concat([k, Buffer.from('f4908080', 'hex'), e]);
    const f = text(payload);
    const h = f.length - payload.length;
    CASES_6.push(failCase('6.4.3', [f.subarray(0, h + k.length), 300, f.subarray(h + k.length, h + k.length + 4), 300, f.subarray(h + k.length + 4)], [], 1007, 4, 1));
    // 6.4.4: F4 alone is a valid prefix; the close must come with the 0x90 (step 4), before the rest (step 6).
    CASES_6.push(
      failCase('6.4.4', [f.subarray(0, h + k.length), 300, f.subarray(h + k.length, h + k.length + 1), 300, f.subarray(h + k.length + 1, h + k.length + 2), 300, f.subarray(h + k.length + 2)], [], 1007, 6, 3),
    );
  }
  // Invalid text spanning a big single frame (native isUtf8 shortcut path) and a fragmented big message.
  const big = Buffer.alloc(4096, 'a');
  big[3000] = 0xff;
  CASES_6.push(failCase('6.x big frame', [text(big)], [], 1007));
  CASES_6.push(failCase('6.x big fragments', [text(Buffer.alloc(1000, 'a'), false), cont(big)], [], 1007));
  // Valid multi-byte text split across frames at a code point boundary and across the native shortcut size.
  const euro = Buffer.from('€'.repeat(300));
  CASES_6.push(echoCase('6.x fragmented euro', [text(euro.subarray(0, 301), false), cont(euro.subarray(301))], [msgEvent(T, euro)]));
}

// ------------------------------------------------------------------ 7.x close
const CASES_7: Case[] = [];
{
  const hw = 'Hello World!';
  CASES_7.push({ id: '7.1.1', steps: [text(hw), 50, closeFrame(1000)], expect: [msgEvent(T, hw)], closeCode: 1000 });
  CASES_7.push({ id: '7.1.2', steps: [closeFrame(1000), closeFrame(1000)], expect: [], closeCode: 1000 });
  CASES_7.push({ id: '7.1.3', steps: [closeFrame(1000), ping(hw)], expect: [], closeCode: 1000 });
  CASES_7.push({ id: '7.1.4', steps: [closeFrame(1000), text(hw)], expect: [], closeCode: 1000 });
  CASES_7.push({ id: '7.1.5', steps: [text('fragment1', false), closeFrame(1000), cont('fragment2')], expect: [], closeCode: 1000 });
  // 7.1.6: a big message, close and ping written at once: the echo is still being written (send
  // backpressure) when the close arrives, so the close echo must follow it, not be lost.
  {
    const big = Buffer.alloc(256 * 1024, 'BAsd7&jh23');
    CASES_7.push({ id: '7.1.6 (256 KiB)', steps: [Buffer.concat([text(big), closeFrame(1000), ping(hw)])], expect: [msgEvent(T, big)], closeCode: 1000 });
    const huge = Buffer.alloc(4 * 1024 * 1024, 'xyz');
    CASES_7.push({ id: '7.1.6 (4 MiB)', steps: [Buffer.concat([bin(huge), closeFrame(1000), ping(hw)])], expect: [msgEvent(B, huge)], closeCode: 1000 });
  }
  CASES_7.push({ id: '7.3.1', steps: [closeFrame()], expect: [], closeCode: null });
  CASES_7.push(failCase('7.3.2', [frame(0x8, Buffer.from([0x03]))], []));
  CASES_7.push({ id: '7.3.3', steps: [closeFrame(1000)], expect: [], closeCode: 1000 });
  CASES_7.push({ id: '7.3.4', steps: [closeFrame(1000, hw)], expect: [], closeCode: 1000 });
  CASES_7.push({ id: '7.3.5', steps: [closeFrame(1000, '*'.repeat(123))], expect: [], closeCode: 1000 });
  // 7.3.6: reason of 124 bytes makes a 126-byte control payload → 1002.
  {
    const p = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.alloc(124, '*')]);
    CASES_7.push(failCase('7.3.6', [Buffer.concat([Buffer.from([0x88, 126, 0, 126]), p])], []));
  }
  CASES_7.push(failCase('7.5.1', [frame(0x8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')]))], [], 1007));
  [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, i) => {
    CASES_7.push({ id: `7.7.${i + 1} (${code})`, steps: [closeFrame(code)], expect: [], closeCode: code });
  });
  [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535].forEach((code, i) => {
    CASES_7.push(failCase(`7.9.${i + 1} (${code})`, [frame(0x8, Buffer.from([code >> 8, code & 255]))], []));
  });
}

// ------------------------------------------------------------------ 9.x / 10.x sizes
const CASES_9: Case[] = [];
{
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = 0x21 + (i % 90);
  CASES_9.push(echoCase('9.1.x text 1 MiB', [text(big)], [msgEvent(T, big)]));
  CASES_9.push(echoCase('9.2.x binary 1 MiB', [bin(big)], [msgEvent(B, big)]));
  for (const fs of [64, 4096, 65536]) {
    const frames: Buffer[] = [];
    for (let at = 0; at < big.length; at += fs) {
      const part = big.subarray(at, at + fs);
      const fin = at + fs >= big.length;
      frames.push(at === 0 ? frame(T, part, { fin }) : cont(part, fin));
    }
    CASES_9.push(echoCase(`9.3.x fragmented text, ${fs}-byte frames`, [Buffer.concat(frames)], [msgEvent(T, big)]));
  }
  {
    // 9.1.3 / 9.3.1 at their real size: 4 MiB as one frame, and as 65,536 frames of 64 bytes.
    const m4 = Buffer.alloc(4 << 20, '*');
    CASES_9.push(echoCase('9.1.3 text 4 MiB', [text(m4)], [msgEvent(T, m4)]));
    const frames: Buffer[] = [];
    for (let at = 0; at < m4.length; at += 64) frames.push(at === 0 ? frame(T, m4.subarray(0, 64), { fin: false }) : cont(m4.subarray(at, at + 64), at + 64 >= m4.length));
    CASES_9.push(echoCase('9.3.1 4 MiB in 64-byte frames', [Buffer.concat(frames)], [msgEvent(T, m4)]));
  }
  CASES_9.push(echoCase('9.5.x text chopped 4096', [{ chop: text(big), size: 4096, delay: 0 }], [msgEvent(T, big)]));
  const many = Array.from({ length: 200 }, (_, i) => Buffer.from(`message ${i} ` + 'x'.repeat(i)));
  CASES_9.push(echoCase('9.7.x 200 text messages', many.map((m) => text(m)), many.map((m) => msgEvent(T, m))));
  CASES_9.push(echoCase('9.8.x 200 binary messages', [Buffer.concat(many.map((m) => bin(m)))], many.map((m) => msgEvent(B, m))));
  // 10.1.1: 65536 bytes auto-fragmented into 1300-byte frames.
  const t = Buffer.alloc(65536, '*');
  const frames: Buffer[] = [];
  for (let at = 0; at < t.length; at += 1300) frames.push(at === 0 ? text(t.subarray(0, 1300), false) : cont(t.subarray(at, at + 1300), at + 1300 >= t.length));
  CASES_9.push(echoCase('10.1.1', frames, [msgEvent(T, t)]));
}

// ------------------------------------------------------------------ 12.x/13.x permessage-deflate
const SYNC = zlib.constants.Z_SYNC_FLUSH;

/** A server compressor with node:zlib (RFC 7692 §7.2.1): sync flush, tail 00 00 FF FF removed; context as a dictionary. */
function serverDeflater(noContext: boolean, bits: number): (msg: Buffer) => Buffer {
  let hist = Buffer.alloc(0);
  return (msg) => {
    const o: zlib.ZlibOptions = { windowBits: bits, finishFlush: SYNC };
    if (!noContext && hist.length > 0) o.dictionary = hist;
    const out = zlib.deflateRawSync(msg, o);
    assert.equal(out.subarray(-4).toString('hex'), '0000ffff');
    if (!noContext) hist = Buffer.concat([hist, msg]).subarray(-(1 << bits));
    return out.subarray(0, -4);
  };
}

/**
 * The server's inflater for the client's messages, as strict as zlib with the
 * agreed client window (RFC 7692 §7.2.2): windowBits = client_max_window_bits
 * (8 too: a distance beyond 256 bytes fails), history only with context takeover.
 */
function clientInflater(noContext: boolean, bits: number): (payload: Buffer) => Buffer {
  let hist = Buffer.alloc(0);
  return (payload) => {
    const o: zlib.ZlibOptions = { windowBits: bits, finishFlush: SYNC };
    if (!noContext && hist.length > 0) o.dictionary = hist;
    const out = zlib.inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), o);
    if (!noContext) hist = Buffer.concat([hist, out]).subarray(-(1 << bits));
    return out;
  };
}

/** JSON-like test data (the 13.x cases use a JSON file), deterministic. */
function jsonText(n: number, seed: number): Buffer {
  let s = '';
  let i = seed;
  while (s.length < n) {
    i = (i * 1103515245 + 12345) >>> 0;
    s += `{"id":${i % 1000},"name":"item-${i % 97}","tags":["a","b${i % 7}"],"value":${(i % 10007) / 10}},`;
  }
  return Buffer.from(s.slice(0, n));
}

interface DeflateCase {
  id: string;
  /** The response's extension parameters (after "permessage-deflate"). */
  params: string;
  /** Auto-fragment size for the server's messages (0: one frame). */
  frag: number;
  binary?: boolean;
}

function deflateCase(d: DeflateCase): { c: Case; options: WebSocketOptions; inflate: (p: Buffer) => Buffer } {
  const p = d.params;
  const get = (name: string) => new RegExp(`${name}(?:=(\\d+))?`).exec(p);
  const sBits = Number(get('server_max_window_bits')?.[1] ?? 15);
  const cm = get('client_max_window_bits');
  const cBits = Number(cm?.[1] ?? 15);
  // lifeline's default options, as the Autobahn driver runs every case (the default offer carries a bare client_max_window_bits).
  const options: WebSocketOptions = {};
  const cNoCtx = p.includes('client_no_context_takeover');
  const deflate = serverDeflater(p.includes('server_no_context_takeover'), sBits);
  const op = d.binary ? B : T;
  const steps: Step[] = [];
  const expect: Event[] = [];
  [16, 1024, 5000, 70000, 1024, 131072].forEach((n, k) => {
    const msg = jsonText(n, k + 1);
    const z = deflate(msg);
    if (d.frag === 0) steps.push(frame(op, z, { rsv: 4 }));
    else {
      const frames: Buffer[] = [];
      for (let at = 0; at < z.length || at === 0; at += d.frag) {
        const fin = at + d.frag >= z.length;
        frames.push(at === 0 ? frame(op, z.subarray(0, d.frag), { fin, rsv: 4 }) : cont(z.subarray(at, at + d.frag), fin));
      }
      steps.push(Buffer.concat(frames));
    }
    expect.push(msgEvent(op, msg));
  });
  const c: Case = { id: `${d.id}: permessage-deflate${p ? '; ' + p : ''}${d.frag ? `, ${d.frag}-byte frames` : ''}`, ext: [`Sec-WebSocket-Extensions: permessage-deflate${p ? '; ' + p : ''}`], steps, expect, serverCloses: true, closeCode: 1000 };
  return { c, options, inflate: clientInflater(cNoCtx, cBits) };
}

const DEFLATE: DeflateCase[] = [
  { id: '12.1.x', params: '', frag: 0 },
  { id: '12.2.x', params: '', frag: 256, binary: true },
  { id: '12.5.x', params: '', frag: 32768 },
  { id: '13.1.x', params: '', frag: 0 },
  { id: '13.2.x', params: 'client_no_context_takeover', frag: 0 },
  { id: '13.3.x', params: 'client_max_window_bits=8', frag: 0 },
  { id: '13.4.x', params: 'client_max_window_bits=15', frag: 256 },
  { id: '13.5.x', params: 'client_max_window_bits=8; client_no_context_takeover', frag: 0 },
  { id: '13.6.x', params: 'client_max_window_bits=15; client_no_context_takeover', frag: 1024 },
  { id: '13.7.x', params: 'client_no_context_takeover; client_max_window_bits=8', frag: 4096 },
  { id: 'server_no_context_takeover', params: 'server_no_context_takeover', frag: 0 },
  { id: 'both no_context_takeover', params: 'server_no_context_takeover; client_no_context_takeover', frag: 256 },
];
for (let b = 9; b <= 15; b++) DEFLATE.push({ id: `server_max_window_bits=${b}`, params: `server_max_window_bits=${b}`, frag: 0 });
for (let b = 8; b <= 15; b++) {
  DEFLATE.push({ id: `client_max_window_bits=${b}`, params: `client_max_window_bits=${b}`, frag: 0 });
  DEFLATE.push({
    id: `all parameters, windows ${b}`,
   
    params: `server_no_context_takeover; client_no_context_takeover; server_max_window_bits=${Math.max(b, 9)}; client_max_window_bits=${b}`,
    frag: 0,
  });
}

describe('autobahn 12.x/13.x permessage-deflate, every server parameter combination', () => {
  for (const d of DEFLATE) {
    const { c, options, inflate } = deflateCase(d);
    it(c.id, async () => {
      judge(c, await play(c, options, inflate));
    });
  }

  it('12.x and 13.x cases get the default offer (a bare client_max_window_bits, which 13.3-13.6 need); --no-deflate none', async () => {
    const offers: string[] = [];
    const s = await startRawServer((conn) => {
      offers.push(conn.headers['sec-websocket-extensions'] ?? '');
      conn.socket.write(Buffer.concat([conn.accept(), closeFrame(1000)]));
      conn.socket.on('data', () => conn.socket.destroy());
    });
    servers.push(s);
    await runCase(s.url('/'), undefined, 5000);
    await runCase(s.url('/'), { perMessageDeflate: false }, 5000);
    assert.deepEqual(offers, ['permessage-deflate; client_max_window_bits', '']);
  });
});

function runAll(name: string, cases: Case[], options?: WebSocketOptions) {
  describe(name, () => {
    for (const c of cases) {
      it(c.id, async () => {
        judge(c, await play(c, options));
      });
    }
  });
}

runAll('autobahn 1.x framing', CASES_1);
runAll('autobahn 2.x pings', CASES_2);
runAll('autobahn 3.x reserved bits', CASES_3);
runAll('autobahn 4.x opcodes', CASES_4);
runAll('autobahn 5.x fragmentation', CASES_5);
runAll('autobahn 6.x UTF-8', CASES_6);
runAll('autobahn 7.x close', CASES_7);
runAll('autobahn 9.x/10.x sizes', CASES_9);
// The cases above run with the driver's default options (deflate offered, not accepted, as in the
// fuzzingserver's non-deflate cases); `lifeline autobahn --no-deflate` offers nothing.
runAll('autobahn 3.x/5.x without a deflate offer', [...CASES_3, ...CASES_5], { perMessageDeflate: false });
