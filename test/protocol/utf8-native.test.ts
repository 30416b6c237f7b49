// UTF-8 with an injected whole-buffer check (ProtocolCoreOptions.isUtf8, as
// Node's native isUtf8) on text frames that span reads (RFC 6455 §8.1): the
// part that has arrived goes to the shortcut up to its last complete
// character, the unfinished tail to the DFA, and a failure is still reported
// at the exact read holding the first bad byte (fail fast, Autobahn 6.4.x).
import { describe, it, equal, deepEqual, ok, fromHex } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { Protocol, type ProtocolCoreOptions } from '../../src/protocol/protocol.js';
import { frame, concat, te, td, Recorder, fixedRandom } from './helpers.js';

/** A strict UTF-8 check standing in for Node's native one, recording what it was asked and answered. */
function spy() {
  const dec = new TextDecoder('utf-8', { fatal: true });
  const calls: { len: number; valid: boolean }[] = [];
  const isUtf8 = (b: Uint8Array): boolean => {
    let valid = true;
    try {
      dec.decode(b);
    } catch {
      valid = false;
    }
    calls.push({ len: b.length, valid });
    return valid;
  };
  return { calls, isUtf8 };
}

/** 1-, 2-, 3- and 4-byte characters, so read boundaries fall inside every kind of sequence. */
const MIXED = te.encode('aé€👋'.repeat(60)); // 600 bytes

/** Feeds f[0..first) as one read, then the rest byte by byte; returns the index of the read (by last byte) after which the error appeared, or -1. */
function failAt(f: Uint8Array, first: number, opts: ProtocolCoreOptions): { at: number; rec: Recorder } {
  const rec = new Recorder();
  const p = new Protocol(rec, { random: fixedRandom, ...opts });
  p.receive(f.slice(0, first));
  if (rec.events.some((e) => e[0] === 'error')) return { at: first - 1, rec };
  for (let i = first; i < f.length; i++) {
    p.receive(f.slice(i, i + 1));
    if (rec.events.some((e) => e[0] === 'error')) return { at: i, rec };
  }
  return { at: -1, rec };
}

const BAD: [string, string, number][] = [
  ['lone continuation', '80', 0],
  ['FF', 'ff', 0],
  ['overlong E0 80', 'e08080', 1],
  ['surrogate ED A0', 'eda080', 1],
  ['above U+10FFFF', 'f4908080', 1],
  ['4-byte, bad fourth', 'f18080c0', 3],
  ['2-byte, bad continuation', 'c241', 1],
];

describe('utf8: native-assisted validation of text frames spanning reads', () => {
  it('valid text split at every point: delivered intact, the shortcut is used and never sees a split character', () => {
    const f = frame(1, MIXED);
    const hdr = f.length - MIXED.length;
    let assisted = 0;
    for (let cut = 1; cut < f.length; cut++) {
      const s = spy();
      const rec = new Recorder();
      const p = new Protocol(rec, { random: fixedRandom, isUtf8: s.isUtf8 });
      p.receive(f.slice(0, cut));
      p.receive(f.slice(cut));
      deepEqual(rec.events, [['message', td.decode(MIXED), false]], `cut ${cut}`);
      ok(
        s.calls.every((c) => c.valid && c.len >= 256),
        `cut ${cut}: only whole characters, only spans of 256+ bytes`,
      );
      if (cut - hdr >= 260) {
        // The first read's part went to the shortcut (not the DFA) while the frame was incomplete.
        ok(s.calls.length >= 1, `cut ${cut}: shortcut used`);
        assisted++;
      }
    }
    ok(assisted > 300);
  });

  it('a text frame over three reads validates each arrived part with the shortcut', () => {
    const payload = concat(MIXED, MIXED, MIXED);
    const f = frame(1, payload);
    const s = spy();
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom, isUtf8: s.isUtf8 });
    p.receive(f.slice(0, 601));
    p.receive(f.slice(601, 1203));
    p.receive(f.slice(1203));
    deepEqual(rec.events, [['message', td.decode(payload), false]]);
    equal(s.calls.length, 3);
    ok(s.calls.every((c) => c.valid));
  });

  for (const [name, h, pos] of BAD) {
    it(`${name} after 300+ valid bytes: fails at the exact read holding the bad byte, for every first-read size`, () => {
      const pre = MIXED.subarray(0, 330); // ends on a character boundary ('a' starts each 11-byte group)
      const payload = concat(pre, fromHex(h), te.encode('z'.repeat(300)));
      const f = frame(1, payload);
      const hdr = f.length - payload.length;
      const bad = hdr + pre.length + pos;
      let shortcutSaidInvalid = 0;
      for (let first = hdr + 256; first <= bad + 3; first++) {
        const s = spy();
        const { at, rec } = failAt(f, first, { isUtf8: s.isUtf8 });
        deepEqual(rec.events, [['error', ErrorCodes.INVALID_UTF8, 1007]], `first read ${first}`);
        equal(rec.closeWritten(), 1007);
        equal(at, Math.max(bad, first - 1), `first read ${first}: fails with the bad byte, not before or after`);
        ok(s.calls.length >= 1, `first read ${first}: shortcut used`);
        if (s.calls.some((c) => !c.valid)) shortcutSaidInvalid++;
      }
      // Some first reads held the bad byte: the shortcut said no and the DFA found the exact byte.
      ok(shortcutSaidInvalid > 0);
    });
  }

  it('a frame ending inside a character is still 1007 with the shortcut', () => {
    const payload = concat(MIXED.subarray(0, 330), fromHex('f09f98'));
    const f = frame(1, payload);
    const s = spy();
    const { at, rec } = failAt(f, 300, { isUtf8: s.isUtf8 });
    deepEqual(rec.events, [['error', ErrorCodes.INVALID_UTF8, 1007]]);
    equal(at, f.length - 1);
  });
});
