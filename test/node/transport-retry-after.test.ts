/**
 * parseRetryAfter (transport/node/options.ts) on its own: Retry-After as
 * delay-seconds or an HTTP-date in each of its three forms (RFC 9110
 * §10.2.3, §5.6.7), measured from an injected `now`; everything else is
 * "no usable value" (undefined), so the caller falls back to its backoff
 * rather than retrying at once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfter } from '../../src/transport/node/options.js';

const now = Date.UTC(1994, 10, 6, 8, 49, 30); // Sun, 06 Nov 1994 08:49:30 GMT

describe('parseRetryAfter', () => {
  const table: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['0', 0],
    ['120', 120_000],
    ['  7 ', 7000],
    // RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms, 7 s after `now`.
    ['Sun, 06 Nov 1994 08:49:37 GMT', 7000],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 7000],
    ['Sun Nov  6 08:49:37 1994', 7000],
    // A date in the past: retry now, never a negative delay.
    ['Sun, 06 Nov 1994 08:00:00 GMT', 0],
    // Not Retry-After values (Date.parse would read the first three as dates in 2001).
    ['-1', undefined],
    ['1.5', undefined],
    ['2026-12-07', undefined],
    ['1e3', undefined],
    ['soon', undefined],
    ['', undefined],
  ];
  for (const [value, expected] of table) {
    it(`${JSON.stringify(value)} → ${String(expected)}`, () => {
      assert.equal(parseRetryAfter(value, now), expected);
    });
  }

  it('measures from the clock when no `now` is given', () => {
    const later = new Date(Date.now() + 60_000).toUTCString();
    const delay = parseRetryAfter(later);
    assert.ok(delay !== undefined && delay > 50_000 && delay <= 60_000, `got ${delay}`);
  });
});
