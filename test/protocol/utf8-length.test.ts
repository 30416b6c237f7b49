// utf8Length (input.ts) against the platform's TextEncoder, the reference
// for what goes on the wire (lone surrogates as U+FFFD, 3 bytes): short and
// long strings (encoded in turns into a 48 KiB scratch buffer), and a turn's
// end falling on a surrogate pair or next to a lone surrogate.
import { describe, it, equal } from '../support/harness.js';
import { utf8Length } from '../../src/protocol/input.js';

const encoded = (text: string) => new TextEncoder().encode(text).length;
/** Units of ASCII that fill the 48 KiB scratch buffer: where the first turn ends. */
const SLICE = 49152;

/** Deterministic strings mixing 1-, 2-, 3- and 4-byte characters and lone surrogates. */
function mixed(length: number, seed: number): string {
  let x = seed;
  const parts: string[] = [];
  let units = 0;
  const pieces = ['a', 'Z', '~', 'é', 'ß', '€', '中', '😀', '\ud800', '\udfff', '\u0000', '\u07ff', '\u0800', '\uffff'];
  while (units < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    const piece = pieces[(x >>> 8) % pieces.length]!;
    parts.push(piece);
    units += piece.length;
  }
  return parts.join('').slice(0, length);
}

describe('utf8Length', () => {
  it('equals the encoded length for short and long strings of every kind of character', () => {
    for (const length of [0, 1, 2, 3, 63, 64, 65, 1000, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 7, 100_000]) {
      for (const seed of [1, 2, 3]) {
        const text = mixed(length, seed);
        equal(utf8Length(text), encoded(text), `mixed, ${length} units, seed ${seed}`);
      }
      const ascii = 'x'.repeat(length);
      equal(utf8Length(ascii), length, `ascii, ${length} units`);
    }
  });

  it('a surrogate pair or a lone surrogate right at a slice boundary counts as the encoder counts it', () => {
    const pad = 'a'.repeat(SLICE - 1);
    const cases = {
      'pair across the boundary': `${pad}😀tail`,
      'lone high surrogate last in the slice': `${pad}\ud800tail`,
      'lone low surrogate first in the next slice': `${pad}a\udc00tail`,
      'high surrogate at the very end': `${pad}a${'b'.repeat(SLICE)}\ud83d`,
      'pairs all the way through': '😀'.repeat(SLICE + 3),
    };
    for (const [name, text] of Object.entries(cases)) equal(utf8Length(text), encoded(text), name);
  });
});
