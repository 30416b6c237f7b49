/**
 * extension-header.ts on its own: parsing Sec-WebSocket-Extensions (RFC 6455
 * §9.1 grammar over RFC 7230 lists: tokens, quoted-string values that must
 * be tokens, OWS, empty list elements ignored) and formatting an offer.
 * Every malformed value is a HandshakeError with WS_ERR_HANDSHAKE_EXTENSION.
 */
import { describe, it, deepEqual, equal, throws } from '../support/harness.js';
import { formatExtensionOffer, parseExtensionHeader } from '../../src/protocol/extension-header.js';

const parsed = (value: string) => parseExtensionHeader(value).map((e) => ({ name: e.name, params: { ...e.params } }));

describe('parseExtensionHeader', () => {
  const valid: [string, string, unknown][] = [
    ['a bare name', 'permessage-deflate', [{ name: 'permessage-deflate', params: {} }]],
    ['parameters with and without values', 'permessage-deflate; client_max_window_bits; server_max_window_bits=10', [{ name: 'permessage-deflate', params: { client_max_window_bits: true, server_max_window_bits: '10' } }]],
    ['a quoted value (a token inside)', 'x; a="15"', [{ name: 'x', params: { a: '15' } }]],
    ['an escaped character in a quoted value', 'x; a="1\\5"', [{ name: 'x', params: { a: '15' } }]],
    ['whitespace around everything', ' \tx \t; \ta \t= \t1 \t, \ty ', [{ name: 'x', params: { a: '1' } }, { name: 'y', params: {} }]],
    ['several elements', 'a, b; c', [{ name: 'a', params: {} }, { name: 'b', params: { c: true } }]],
    ['empty list elements (RFC 7230 §7)', ', ,a,, b ,', [{ name: 'a', params: {} }, { name: 'b', params: {} }]],
  ];
  for (const [what, value, want] of valid) it(`accepts ${what}`, () => deepEqual(parsed(value), want));

  const malformed: [string, string][] = [
    ['an empty value', ''],
    ['only commas', ' , ,'],
    ['a missing name before parameters', '; a'],
    ['a repeated parameter (RFC 7692 §7)', 'x; a; a=1'],
    ['an unterminated quoted string', 'x; a="15'],
    ['a quoted value that is not a token', 'x; a="1 5"'],
    ['a separator in a name', 'x/y'],
    ['a missing value after =', 'x; a='],
    ['garbage after an element', 'x y'],
    ['a non-ASCII character', 'permessage-deflaté'],
  ];
  for (const [what, value] of malformed) {
    it(`refuses ${what}`, () => {
      const e = throws(() => parseExtensionHeader(value), 'WS_ERR_HANDSHAKE_EXTENSION');
      equal(e.name, 'HandshakeError');
    });
  }
});

describe('formatExtensionOffer', () => {
  it('writes name and parameters, quoting values that are not tokens, and parses back', () => {
    const offer = { name: 'permessage-deflate', params: { client_max_window_bits: true as const, server_max_window_bits: '10', odd: 'a b' } };
    const text = formatExtensionOffer(offer);
    equal(text, 'permessage-deflate; client_max_window_bits; server_max_window_bits=10; odd="a b"');
    deepEqual(parsed(formatExtensionOffer({ name: 'x', params: { a: '1', b: true } })), [{ name: 'x', params: { a: '1', b: true } }]);
  });
});
