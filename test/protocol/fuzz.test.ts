// Fuzz (seeded): random and mutated frame streams, fed in random pieces,
// never throw out of the core, and always end in events or in one failure
// whose close code is one the RFC allows us to send for it.
import { describe, it, ok, equal } from '../support/harness.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, closePayload, te, Recorder, fixedRandom } from './helpers.js';
import { prng } from '../support/harness.js';

const FAIL_CODES = new Set([1002, 1007, 1009]);

function check(stream: Uint8Array, rnd: () => number, label: string, maxPayload?: number): void {
  const rec = new Recorder();
  const p = new Protocol(rec, { random: fixedRandom, ...(maxPayload ? { maxPayload } : {}) });
  let off = 0;
  try {
    while (off < stream.length) {
      const n = 1 + Math.floor(rnd() * 64);
      p.receive(stream.subarray(off, off + n));
      off += n;
    }
    p.receiveEof();
  } catch (e) {
    throw new Error(`${label}: core threw ${String(e)}`);
  }
  const errors = rec.events.filter((e) => e[0] === 'error');
  const closes = rec.events.filter((e) => e[0] === 'close');
  ok(errors.length + closes.length <= 1, `${label}: at most one terminal event`);
  const last = rec.events[rec.events.length - 1];
  if (errors.length === 1) {
    equal(last?.[0], 'error', `${label}: nothing after the error`);
    const code = (last as ['error', string, number])[2];
    if (code !== 1006) {
      ok(FAIL_CODES.has(code), `${label}: close code ${code}`);
      equal(rec.closeWritten(), code, `${label}: the failure close was written`);
    } else {
      equal(rec.closeWritten(), null, `${label}: nothing written on EOF`);
    }
  }
  if (closes.length === 1) equal(last?.[0], 'close', `${label}: nothing after the close`);
  equal(p.state, 'closed', label);
  // Everything written is a well-formed masked control frame (we sent no data).
  for (const w of rec.written) {
    ok(w.masked, `${label}: masked`);
    ok(w.opcode === 0x8 || w.opcode === 0xa, `${label}: only close/pong written`);
  }
  equal(rec.written.filter((w) => w.opcode === 8).length <= 1, true, `${label}: one close at most`);
}

function validStream(rnd: () => number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) {
    const r = rnd();
    if (r < 0.2) parts.push(frame(9, te.encode('ping')));
    else if (r < 0.5) parts.push(frame(1, te.encode('héllo '.repeat(1 + Math.floor(rnd() * 30)))));
    else if (r < 0.7) parts.push(frame(2, new Uint8Array(Math.floor(rnd() * 400))));
    else parts.push(frame(1, 'frag', { fin: false }), frame(0, 'ment'));
  }
  if (rnd() < 0.5) parts.push(frame(8, closePayload(1000, 'bye')));
  return concat(...parts);
}

describe('fuzz', () => {
  it('3,000 random byte streams', () => {
    const rnd = prng(42);
    for (let t = 0; t < 3000; t++) {
      const len = Math.floor(rnd() * 200);
      const s = new Uint8Array(len);
      for (let i = 0; i < len; i++) s[i] = Math.floor(rnd() * 256);
      // Bias the first byte toward real opcodes so parsing goes deeper.
      if (len > 0 && rnd() < 0.7) s[0] = (s[0]! & 0xf0) | [0, 1, 2, 8, 9, 10][Math.floor(rnd() * 6)]!;
      if (len > 1 && rnd() < 0.7) s[1] = s[1]! & 0x7f;
      check(s, rnd, `random #${t}`, rnd() < 0.3 ? 64 : undefined);
    }
  });
  it('3,000 mutated valid streams (bit flips, byte changes, truncation, duplication)', () => {
    const rnd = prng(7);
    for (let t = 0; t < 3000; t++) {
      let s = validStream(rnd);
      const mutations = 1 + Math.floor(rnd() * 4);
      for (let m = 0; m < mutations; m++) {
        const r = rnd();
        const i = Math.floor(rnd() * s.length);
        if (r < 0.4) s[i] = s[i]! ^ (1 << Math.floor(rnd() * 8));
        else if (r < 0.7) s[i] = Math.floor(rnd() * 256);
        else if (r < 0.85) s = s.subarray(0, i);
        else s = concat(s.subarray(0, i), s.subarray(Math.floor(rnd() * s.length)));
      }
      check(s.slice(), rnd, `mutated #${t}`, rnd() < 0.2 ? 100 : undefined);
    }
  });
});
