// UTF-8 (RFC 6455 §8.1, RFC 3629): the streaming validator alone, then
// through the protocol: valid and invalid sequences at every position, split
// at every byte boundary and across fragments, with the failure asserted at
// the exact byte where the input became invalid (fail fast, Autobahn 6.4.x).
import { describe, it, equal, deepEqual, fromHex } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { UTF8_ACCEPT, UTF8_REJECT, utf8Step, utf8FirstInvalid, isValidUtf8, Utf8Stream } from '../../src/protocol/utf8.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, run, te, td, bytewise, Recorder, fixedRandom } from './helpers.js';

const VALID: [string, string][] = [
  ['empty', ''],
  ['ascii', '41'],
  ['U+0080', 'c280'],
  ['U+07FF', 'dfbf'],
  ['U+0800', 'e0a080'],
  ['U+D7FF', 'ed9fbf'],
  ['U+E000', 'ee8080'],
  ['U+FFFD', 'efbfbd'],
  ['U+FFFF', 'efbfbf'],
  ['U+10000', 'f0908080'],
  ['U+10FFFF', 'f48fbfbf'],
  ['kosme', 'cebae1bdb9cf83cebcceb5'],
  ['mixed', '61c3a9e282acf09f9880'],
];

/** [name, bytes, index of the first byte that proves it invalid, or -1 when only the end proves it (truncated)] */
const INVALID: [string, string, number][] = [
  ['lone continuation 80', '80', 0],
  ['lone continuation bf', 'bf', 0],
  ['C0 (overlong lead)', 'c080', 0],
  ['C1 (overlong lead)', 'c1bf', 0],
  ['F5', 'f5808080', 0],
  ['F8', 'f8', 0],
  ['FE', 'fe', 0],
  ['FF', 'ff', 0],
  ['2-byte, bad continuation', 'c241', 1],
  ['overlong 3-byte E0 80', 'e08080', 1],
  ['overlong 3-byte E0 9F', 'e09fbf', 1],
  ['surrogate ED A0', 'eda080', 1],
  ['surrogate ED BF', 'edbfbf', 1],
  ['overlong 4-byte F0 80', 'f0808080', 1],
  ['overlong 4-byte F0 8F', 'f08fbfbf', 1],
  ['above U+10FFFF F4 90', 'f4908080', 1],
  ['3-byte, bad third', 'e18041', 2],
  ['4-byte, bad fourth', 'f18080c0', 3],
  ['4-byte, bad third', 'f1807f80', 2],
  ['truncated 2-byte', 'c2', -1],
  ['truncated 3-byte', 'e180', -1],
  ['truncated 4-byte', 'f18080', -1],
  ['truncated U+10FFFF', 'f48fbf', -1],
];

const PREFIXES: [string, string][] = [
  ['none', ''],
  ['ascii', '61'],
  ['2 ascii', '6162'],
  ['3 ascii', '616263'],
  ['2-byte char', 'c3a9'],
  ['euro', 'e282ac'],
  ['emoji', 'f09f9880'],
  ['long ascii (word scan)', '61'.repeat(67)],
  ['long mixed', '61'.repeat(40) + 'e282ac' + '62'.repeat(33)],
];

describe('utf8: the streaming validator', () => {
  for (const [name, h] of VALID) {
    it(`accepts ${name}, split anywhere`, () => {
      const b = fromHex(h);
      equal(utf8Step(UTF8_ACCEPT, b), UTF8_ACCEPT);
      equal(isValidUtf8(b), true);
      for (let cut = 0; cut <= b.length; cut++) {
        const s = utf8Step(utf8Step(UTF8_ACCEPT, b, 0, cut), b, cut, b.length);
        equal(s, UTF8_ACCEPT, `cut ${cut}`);
      }
    });
  }
  for (const [name, h, pos] of INVALID) {
    it(`rejects ${name} at the right byte after each of ${PREFIXES.length} prefixes`, () => {
      for (const [, ph] of PREFIXES) {
        const pre = fromHex(ph);
        const b = concat(pre, fromHex(h), fromHex('41'.repeat(70)));
        const bad = concat(pre, fromHex(h));
        if (pos >= 0) {
          equal(utf8FirstInvalid(UTF8_ACCEPT, b), pre.length + pos);
          equal(utf8Step(UTF8_ACCEPT, b), UTF8_REJECT);
          // Everything before the bad byte is a valid prefix; the bad byte rejects.
          equal(utf8Step(UTF8_ACCEPT, b, 0, pre.length + pos) === UTF8_REJECT, false);
          equal(utf8Step(UTF8_ACCEPT, b, 0, pre.length + pos + 1), UTF8_REJECT);
        } else {
          equal(utf8FirstInvalid(UTF8_ACCEPT, bad), -1);
          const s = utf8Step(UTF8_ACCEPT, bad);
          equal(s !== UTF8_ACCEPT && s !== UTF8_REJECT, true, 'mid-sequence');
        }
        equal(isValidUtf8(bad), false);
      }
    });
  }
  it('agrees with TextDecoder (fatal) on 6,000 random byte strings at every alignment', () => {
    const dec = new TextDecoder('utf-8', { fatal: true });
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 255;
    const buf = new Uint8Array(300);
    for (let t = 0; t < 6000; t++) {
      const len = rnd() % 120;
      const off = t & 7;
      const view = buf.subarray(off, off + len);
      for (let i = 0; i < len; i++) {
        const r = rnd();
        // Bias toward ASCII and plausible sequences so valid strings occur.
        view[i] = r < 150 ? r & 0x7f : r < 200 ? 0x80 | (rnd() & 0x3f) : r < 215 ? 0xc2 + (rnd() % 30) : r < 235 ? 0xe0 | (rnd() & 15) : r < 250 ? 0xf0 | (rnd() & 7) : rnd();
      }
      let expect = true;
      try {
        dec.decode(view);
      } catch {
        expect = false;
      }
      equal(isValidUtf8(view), expect, Array.from(view, (x) => x.toString(16)).join(' '));
    }
  });
  it('long ASCII runs (word scans, 32- and 64-bit): a bad or a 2-byte char at each position near the edges, at 8 alignments', () => {
    // 3,000 bytes: past the 64-bit scan's 2 KiB threshold in Node; positions cover the
    // unaligned head, the unrolled words, the single-word tail and the last bytes.
    const L = 3000;
    const buf = new Uint8Array(L + 16);
    const positions: number[] = [];
    for (let p = 0; p < 72; p++) positions.push(p, L - 1 - p);
    for (let p = 72; p < L - 72; p += 37) positions.push(p);
    for (let off = 0; off < 8; off++) {
      for (const start of [0, 5]) {
        for (const p of positions) {
          if (p < start || p + 1 >= L) continue;
          buf.fill(0x61);
          const b = buf.subarray(off, off + L);
          b[p] = 0x80; // lone continuation: rejected exactly there
          equal(utf8Step(UTF8_ACCEPT, b, start, p), UTF8_ACCEPT, `off ${off} start ${start} p ${p}`);
          equal(utf8Step(UTF8_ACCEPT, b, start, p + 1), UTF8_REJECT, `off ${off} start ${start} p ${p}`);
          equal(utf8Step(UTF8_ACCEPT, b, start, L), UTF8_REJECT, `off ${off} start ${start} p ${p}`);
          equal(utf8FirstInvalid(UTF8_ACCEPT, b, start, L), p);
          b[p] = 0xc3; // é: the scan must stop for it and the DFA accept it
          b[p + 1] = 0xa9;
          equal(utf8Step(UTF8_ACCEPT, b, start, L), UTF8_ACCEPT, `off ${off} start ${start} p ${p} (é)`);
          equal(utf8Step(UTF8_ACCEPT, b, start, p + 1) > UTF8_REJECT, true, `off ${off} start ${start} p ${p} (mid é)`);
        }
      }
    }
  });
});

/** Feeds `stream` one byte at a time; returns the index of the byte after which the first error appeared (-1 if none). */
function failIndex(stream: Uint8Array, opts = {}): { at: number; events: unknown[]; close: number | null } {
  const rec = new Recorder();
  const p = new Protocol(rec, { random: fixedRandom, ...opts });
  let at = -1;
  const parts = bytewise(stream);
  for (let i = 0; i < parts.length; i++) {
    p.receive(parts[i]!);
    if (at < 0 && rec.events.some((e) => e[0] === 'error')) at = i;
  }
  return { at, events: rec.events, close: rec.closeWritten() };
}

const fastUtf8 = (b: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('utf8: text messages through the protocol (1007, fail fast)', () => {
  for (const [label, opts] of [
    ['DFA', {}],
    ['isUtf8 shortcut', { isUtf8: fastUtf8 }],
  ] as const) {
    for (const [name, h, pos] of INVALID) {
      it(`[${label}] ${name} after 6 prefixes: single frame, fed byte by byte, fails at the bad byte`, () => {
        for (const [, ph] of PREFIXES.slice(0, 6)) {
          const pre = fromHex(ph);
          const payload = concat(pre, fromHex(h), te.encode('tail'));
          const truncated = concat(pre, fromHex(h));
          const f = frame(1, pos >= 0 ? payload : truncated);
          const hdr = f.length - (pos >= 0 ? payload : truncated).length;
          const r = failIndex(f, opts);
          deepEqual(r.events, [['error', ErrorCodes.INVALID_UTF8, 1007]]);
          equal(r.close, 1007);
          // Fail fast: at the byte that made it invalid, not at the end of the frame.
          equal(r.at, pos >= 0 ? hdr + pre.length + pos : f.length - 1);
        }
      });
      it(`[${label}] ${name} after 6 prefixes: split over two fragments at every boundary`, () => {
        for (const [, ph] of PREFIXES.slice(0, 6)) {
          const pre = fromHex(ph);
          const bytes = concat(pre, fromHex(h), pos >= 0 ? te.encode('z') : new Uint8Array(0));
          for (let cut = 0; cut <= bytes.length; cut++) {
            const first = frame(1, bytes.subarray(0, cut), { fin: false });
            const second = frame(0, bytes.subarray(cut));
            const r = run(concat(first, second, frame(1, 'never')), opts);
            deepEqual(r.events, [['error', ErrorCodes.INVALID_UTF8, 1007]], `cut ${cut}`);
            equal(r.closeWritten, 1007);
            // The first fragment alone fails only if it already holds the bad byte.
            const r1 = run(first, opts);
            const early = pos >= 0 && cut > pre.length + pos;
            equal(r1.events.length, early ? 1 : 0, `first fragment alone, cut ${cut}`);
          }
        }
      });
    }
    for (const [name, h] of VALID) {
      it(`[${label}] ${name}: any fragmentation and chunking delivers the text`, () => {
        const bytes = concat(te.encode('ab'), fromHex(h), te.encode('cd'));
        const text = td.decode(bytes);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const stream = concat(frame(1, bytes.subarray(0, cut), { fin: false }), frame(9, ''), frame(0, bytes.subarray(cut)));
          deepEqual(run(stream, opts).events, [['ping', ''], ['message', text, false]], `cut ${cut}`);
          deepEqual(run(bytewise(stream), opts).events, [['ping', ''], ['message', text, false]], `bytewise cut ${cut}`);
        }
      });
    }
  }
  it('binary messages are not validated', () => {
    deepEqual(run(frame(2, fromHex('ff c0 ed a0 80'))).events, [['message', 'ffc0eda080', true]]);
  });
  it('a large text frame with a bad byte deep inside fails when that read arrives, before the rest', () => {
    const payload = te.encode('a'.repeat(100_000));
    payload[50_000] = 0xff;
    const f = frame(1, payload);
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    p.receive(f.subarray(0, 40_000));
    equal(rec.events.length, 0);
    p.receive(f.subarray(40_000, 60_000));
    deepEqual(rec.events, [['error', ErrorCodes.INVALID_UTF8, 1007]]);
  });
});

describe('Utf8Stream: one text message as it arrives', () => {
  it('accepts a character split over pushes and says when the text is complete', () => {
    const stream = new Utf8Stream(undefined);
    const bytes = fromHex('61 f0 9f 98 80 62');
    equal(stream.push(bytes, 0, 3), true);
    equal(stream.complete, false, 'inside a 4-byte character');
    equal(stream.push(bytes, 3, 6), true);
    equal(stream.complete, true);
  });

  it('fails at the push that holds the first bad byte, and stays failed', () => {
    const stream = new Utf8Stream(undefined);
    equal(stream.push(fromHex('61 62'), 0, 2), true);
    equal(stream.push(fromHex('ed a0 80'), 0, 3), false, 'a surrogate');
    equal(stream.state, UTF8_REJECT);
    equal(stream.push(fromHex('61'), 0, 1), false);
    stream.reset();
    equal(stream.push(fromHex('61'), 0, 1), true, 'reset starts a new message');
  });

  it('asks the shortcut only about spans of 256 bytes or more that end at a character boundary', () => {
    const asked: string[] = [];
    const stream = new Utf8Stream((bytes) => {
      asked.push(`${bytes.length}:${bytes[bytes.length - 1]!.toString(16)}`);
      return true;
    });
    const short = te.encode('x'.repeat(255));
    equal(stream.push(short, 0, short.length), true);
    deepEqual(asked, [], 'below 256 bytes: the DFA alone');
    // 300 bytes ending in the first two bytes of '€' (e2 82 ac): the shortcut sees 298, the DFA the tail.
    const long = new Uint8Array(300).fill(0x61);
    long[298] = 0xe2;
    long[299] = 0x82;
    equal(stream.push(long, 0, 300), true);
    deepEqual(asked, ['298:61']);
    equal(stream.complete, false);
    equal(stream.push(fromHex('ac'), 0, 1), true);
    equal(stream.complete, true);
  });

  it('when the shortcut says invalid, the DFA reads the span and finds the bad byte itself', () => {
    const stream = new Utf8Stream(() => false);
    const valid = new Uint8Array(300).fill(0x61);
    // The shortcut is wrong here (the bytes are valid): only the DFA's answer counts.
    equal(stream.push(valid, 0, 300), true);
    const invalid = new Uint8Array(300).fill(0x61);
    invalid[150] = 0xff;
    equal(new Utf8Stream(() => false).push(invalid, 0, 300), false);
    equal(utf8FirstInvalid(UTF8_ACCEPT, invalid), 150);
  });
});
