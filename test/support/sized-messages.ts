/**
 * Messages whose payload size is worked out by hand, for the stats tests on
 * real peers (test/node/client-wiring.test.ts, test/browser/client.test.ts):
 * ASCII, 2- and 4-byte UTF-8 characters, a long ASCII text and one that only
 * its last character makes non-ASCII, texts of 1 KiB and more, longer than
 * the 48 KiB the encoder writes at a time (`utf8Length`, which counts what
 * is sent), one with a surrogate pair across that boundary, and binary.
 */
export const SIZED_MESSAGES: readonly { readonly data: string | Uint8Array; readonly bytes: number }[] = [
  { data: 'ascii', bytes: 5 },
  { data: 'é!', bytes: 3 },
  { data: 'a😀b', bytes: 6 },
  { data: 'x'.repeat(1000), bytes: 1000 },
  { data: 'x'.repeat(999) + 'ü', bytes: 1001 },
  { data: 'é'.repeat(2000), bytes: 4000 },
  { data: 'x'.repeat(70_000), bytes: 70_000 },
  { data: 'x'.repeat(49_151) + '😀' + 'é'.repeat(100), bytes: 49_151 + 4 + 200 },
  { data: new Uint8Array([1, 2, 3, 4]), bytes: 4 },
];
