// Fragmentation (RFC 6455 §5.4) and control frames between fragments
// (§5.5): every sequence of up to four frames from an alphabet of frame
// kinds, checked against a small reference model of the rules.
import { describe, it, equal, deepEqual, hex } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, run, closePayload, te, type Event } from './helpers.js';

type Sym = 'T0' | 'T1' | 'B0' | 'B1' | 'C0' | 'C1' | 'P' | 'O' | 'X';
const ALPHABET: Sym[] = ['T0', 'T1', 'B0', 'B1', 'C0', 'C1', 'P', 'O', 'X'];

function build(seq: Sym[]): Uint8Array {
  return concat(
    ...seq.map((s, i) => {
      const body = te.encode(String.fromCharCode(97 + i));
      switch (s) {
        case 'T0':
          return frame(1, body, { fin: false });
        case 'T1':
          return frame(1, body);
        case 'B0':
          return frame(2, body, { fin: false });
        case 'B1':
          return frame(2, body);
        case 'C0':
          return frame(0, body, { fin: false });
        case 'C1':
          return frame(0, body);
        case 'P':
          return frame(9, body);
        case 'O':
          return frame(10, body);
        case 'X':
          return frame(8, closePayload(1000, 'x'));
      }
    }),
  );
}

/** Reference model: the events and close code the rules require. */
function model(seq: Sym[]): { events: Event[]; close: number | null; pongs: number } {
  const events: Event[] = [];
  let msg: { binary: boolean; text: string } | null = null;
  let pongs = 0;
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    const ch = String.fromCharCode(97 + i);
    if (s === 'P') {
      events.push(['ping', hex(te.encode(ch))]);
      pongs++;
    } else if (s === 'O') events.push(['pong', hex(te.encode(ch))]);
    else if (s === 'X') {
      events.push(['close', 1000, 'x']);
      return { events, close: 1000, pongs };
    } else if (s[0] === 'T' || s[0] === 'B') {
      if (msg) {
        events.push(['error', ErrorCodes.EXPECTED_CONTINUATION, 1002]);
        return { events, close: 1002, pongs };
      }
      msg = { binary: s[0] === 'B', text: ch };
    } else {
      if (!msg) {
        events.push(['error', ErrorCodes.UNEXPECTED_CONTINUATION, 1002]);
        return { events, close: 1002, pongs };
      }
      msg.text += ch;
    }
    if (msg && s[0] !== 'P' && s[0] !== 'O' && s[1] === '1') {
      events.push(['message', msg.binary ? hex(te.encode(msg.text)) : msg.text, msg.binary]);
      msg = null;
    }
  }
  return { events, close: null, pongs };
}

function* sequences(maxLen: number): Generator<Sym[]> {
  for (let len = 1; len <= maxLen; len++) {
    const idx = new Array<number>(len).fill(0);
    for (;;) {
      yield idx.map((i) => ALPHABET[i]!);
      let k = len - 1;
      while (k >= 0 && idx[k] === ALPHABET.length - 1) idx[k--] = 0;
      if (k < 0) break;
      idx[k]!++;
    }
  }
}

describe('fragmentation: every sequence of up to 4 frames', () => {
  const byFirst = new Map<Sym, Sym[][]>();
  for (const seq of sequences(4)) {
    const list = byFirst.get(seq[0]!) ?? [];
    list.push(seq);
    byFirst.set(seq[0]!, list);
  }
  for (const [first, seqs] of byFirst) {
    it(`${seqs.length} sequences starting with ${first} match the model (events, close written, pongs)`, () => {
      for (const seq of seqs) {
        const expect = model(seq);
        const r = run(build(seq));
        deepEqual(r.events, expect.events, seq.join(' '));
        equal(r.closeWritten, expect.close, seq.join(' '));
        equal(r.rec.written.filter((w) => w.opcode === 0xa).length, expect.pongs, seq.join(' '));
      }
    });
  }
});

describe('fragmentation: sizes and counts', () => {
  it('empty fragments, empty final fragment, all-empty message', () => {
    deepEqual(run(concat(frame(1, '', { fin: false }), frame(0, '', { fin: false }), frame(0, ''))).events, [['message', '', false]]);
    deepEqual(run(concat(frame(1, 'ab', { fin: false }), frame(0, ''))).events, [['message', 'ab', false]]);
    deepEqual(run(concat(frame(2, '', { fin: false }), frame(0, 'x'))).events, [['message', '78', true]]);
  });
  it('a 4 MiB message in 65,536 fragments of 64 bytes (O(1) per fragment)', () => {
    const frag = new Uint8Array(64);
    const parts: Uint8Array[] = [];
    const n = 65536;
    for (let i = 0; i < n; i++) {
      frag.fill(i & 255);
      parts.push(frame(i === 0 ? 2 : 0, frag, { fin: i === n - 1 }));
    }
    let got: Uint8Array | undefined;
    // Use a dedicated sink to avoid hex-encoding 4 MiB.
    const sink = {
      write() {},
      message(d: Uint8Array) {
        got = d.slice();
      },
      close() {},
      error(e: Error) {
        throw e;
      },
    };
    const p = new Protocol(sink, { random: (b: Uint8Array) => b.fill(1) });
    p.receive(concat(...parts));
    equal(got?.length, 4 * 1024 * 1024);
    for (let i = 0; i < n; i += 4099) equal(got![i * 64 + 63], i & 255);
  });
  it('fragments spread over many reads, with pings between them', () => {
    const stream = concat(frame(1, 'Hel', { fin: false }), frame(9, 'p1'), frame(0, 'lo, ', { fin: false }), frame(10, 'q'), frame(0, 'wörld'));
    for (let cut = 1; cut < stream.length; cut++) {
      const r = run([stream.subarray(0, cut), stream.subarray(cut)]);
      deepEqual(r.events, [
        ['ping', hex(te.encode('p1'))],
        ['pong', hex(te.encode('q'))],
        ['message', 'Hello, wörld', false],
      ]);
    }
  });
});

