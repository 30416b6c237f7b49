/**
 * base64.ts on its own (RFC 4648 §4, with padding): the RFC's test vectors
 * and a differential test against the platform's btoa for every length mod 3.
 */
import { describe, it, equal } from '../support/harness.js';
import { base64Encode } from '../../src/protocol/base64.js';
import { prng } from '../support/harness.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('base64Encode', () => {
  it('RFC 4648 §10 vectors', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
    for (const [plain, encoded] of vectors) equal(base64Encode(ascii(plain)), encoded, plain);
  });

  it('matches btoa for random bytes of every length 0..99 (all three padding cases, every alphabet index)', () => {
    const next = prng(5);
    for (let length = 0; length < 100; length++) {
      const data = new Uint8Array(length).map(() => (next() * 256) | 0);
      equal(base64Encode(data), btoa(String.fromCharCode(...data)), `length ${length}`);
    }
    const all = new Uint8Array(256).map((_, i) => i);
    equal(base64Encode(all), btoa(String.fromCharCode(...all)));
  });
});
