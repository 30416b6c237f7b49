// Chunking invariance (property, seeded): the same byte stream split at
// random points, or byte by byte, gives exactly the same events and the
// same bytes written.
import { describe, it, deepEqual, prng } from '../support/harness.js';
import { frame, concat, run, closePayload, te, type Recorder } from './helpers.js';

const TEXTS = ['', 'a', 'hello', 'héllo wörld', '€uro', '👋🏽 emoji', 'x'.repeat(200), 'ü'.repeat(40_000)];

/** A random but valid server stream: messages (some fragmented, some large), pings, pongs, then maybe a close or a violation. */
function randomStream(seed: number, ending: 'close' | 'violation' | 'none'): Uint8Array {
  const rnd = prng(seed);
  const parts: Uint8Array[] = [];
  const count = 3 + Math.floor(rnd() * 12);
  for (let i = 0; i < count; i++) {
    const kind = rnd();
    if (kind < 0.15) parts.push(frame(9, te.encode(`p${i}`)));
    else if (kind < 0.25) parts.push(frame(10, te.encode(`q${i}`)));
    else {
      const binary = rnd() < 0.4;
      const big = rnd() < 0.03;
      const payload = binary
        ? Uint8Array.from({ length: big ? 70_000 : Math.floor(rnd() * 300) }, (_v, k) => (k * 7 + i) & 255)
        : te.encode(TEXTS[Math.floor(rnd() * (big ? TEXTS.length : TEXTS.length - 1))]!);
      const frags = rnd() < 0.4 ? 1 + Math.floor(rnd() * 5) : 1;
      let off = 0;
      for (let f = 0; f < frags; f++) {
        const end = f === frags - 1 ? payload.length : Math.min(payload.length, off + Math.floor(rnd() * (payload.length - off + 1)));
        parts.push(frame(f === 0 ? (binary ? 2 : 1) : 0, payload.subarray(off, end), { fin: f === frags - 1 }));
        off = end;
        if (f < frags - 1 && rnd() < 0.3) parts.push(frame(9, te.encode('mid')));
      }
    }
  }
  if (ending === 'close') parts.push(frame(8, closePayload(1000 + Math.floor(rnd() * 4), 'done')));
  if (ending === 'violation') parts.push(concat(frame(1, 'ok'), frame(1, new Uint8Array([0x61, 0xed, 0xa0, 0x80]))));
  return concat(...parts);
}

function randomCuts(len: number, rnd: () => number): number[] {
  const n = Math.floor(rnd() * Math.min(40, len));
  return Array.from({ length: n }, () => Math.floor(rnd() * (len + 1)));
}

function splitAtCuts(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const summary = (rec: Recorder) => ({ events: rec.events, written: rec.written.map((w) => [w.opcode, w.fin, Array.from(w.payload).join(',')]) });

describe('chunking invariance (seeded property)', () => {
  for (const ending of ['close', 'violation', 'none'] as const) {
    it(`30 random streams ending in ${ending}, 12 random splits each`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const stream = randomStream(seed * 7919 + ending.length, ending);
        const whole = summary(run(stream).rec);
        const rnd = prng(seed);
        for (let k = 0; k < 12; k++) {
          const got = summary(run(splitAtCuts(stream, randomCuts(stream.length, rnd))).rec);
          deepEqual(got, whole, `seed ${seed} split ${k}`);
        }
      }
    });
  }
  it('byte-by-byte feeding of 20 small streams', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 6; i++) parts.push(frame(rnd() < 0.5 ? 1 : 2, te.encode(TEXTS[i % 6]!), {}));
      parts.push(frame(9, 'x'), frame(1, 'ü', { fin: false }), frame(0, 'ber'), frame(8, closePayload(1000)));
      const stream = concat(...parts);
      const whole = summary(run(stream).rec);
      deepEqual(summary(run(Array.from(stream, (_b, i) => stream.subarray(i, i + 1))).rec), whole, `seed ${seed}`);
    }
  });
});
