/**
 * sha1.ts on its own (it computes Sec-WebSocket-Accept, RFC 6455 §4.2.2):
 * the FIPS 180-1 vectors, the RFC 6455 §1.3 example, and a differential
 * test against the platform's own SHA-1 (Web Crypto, in Node and in
 * browsers) over every length around the 64-byte block and padding edges.
 */
import { describe, it, equal } from '../support/harness.js';
import { sha1 } from '../../src/protocol/sha1.js';
import { acceptFor } from '../../src/protocol/handshake.js';
import { hex, prng } from '../support/harness.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('sha1', () => {
  it('FIPS 180-1 vectors', () => {
    equal(hex(sha1(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    equal(hex(sha1(ascii(''))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
    equal(hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    equal(hex(sha1(new Uint8Array(1_000_000).fill(0x61))), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it('the RFC 6455 §1.3 accept example', () => {
    equal(acceptFor('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('matches the platform SHA-1 for every length 0..200 (block and padding edges)', async () => {
    // Web Crypto: a global in browsers and Node 20; Node 18 has it only in node:crypto.
    const subtle = (globalThis.crypto ?? ((await import('node:crypto' as string)) as { webcrypto: Crypto }).webcrypto).subtle;
    const next = prng(11);
    for (let length = 0; length <= 200; length++) {
      const data = new Uint8Array(length).map(() => (next() * 256) | 0);
      const want = new Uint8Array(await subtle.digest('SHA-1', data));
      equal(hex(sha1(data)), hex(want), `length ${length}`);
    }
  });
});
