// permessage-deflate (RFC 7692): negotiation tables, option validation, the
// RFC's own §7.2.3 examples, send policy and the receive limits. Runs in Node
// and Chromium (harness only). The differential test against node:zlib and
// the bomb test are Node-only (test/node/deflate-*.test.ts).
import { describe, it, equal, deepEqual, ok, throws, fromHex, hex, prng } from '../support/harness.js';
import {
  perMessageDeflate,
  negotiatePerMessageDeflate,
  PerMessageDeflate,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParams,
} from '../../src/protocol/permessage-deflate.js';
import { MessageInflater, MessageDeflater } from '../../src/protocol/deflate-codec.js';
import { ErrorCodes, HandshakeError, ProtocolError } from '../../src/protocol/errors.js';
import type { Extension } from '../../src/protocol/types.js';

const EXT = ErrorCodes.HANDSHAKE_EXTENSION;
const enc = new TextEncoder();
const dec = new TextDecoder();

function agreed(p: Partial<PerMessageDeflateParams> = {}): PerMessageDeflateParams {
  return { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...p };
}

describe('permessage-deflate options (validated at the call)', () => {
  const bad: Array<[string, unknown, 'TypeError' | 'RangeError']> = [
    ['threshold string', { threshold: '10' }, 'TypeError'],
    ['threshold negative', { threshold: -1 }, 'RangeError'],
    ['threshold NaN', { threshold: NaN }, 'RangeError'],
    ['threshold Infinity', { threshold: Infinity }, 'RangeError'],
    ['level 10', { level: 10 }, 'RangeError'],
    ['level -1', { level: -1 }, 'RangeError'],
    ['level 1.5', { level: 1.5 }, 'RangeError'],
    ['level string', { level: '6' }, 'TypeError'],
    ['serverMaxWindowBits 7', { serverMaxWindowBits: 7 }, 'RangeError'],
    ['serverMaxWindowBits 16', { serverMaxWindowBits: 16 }, 'RangeError'],
    ['serverMaxWindowBits true', { serverMaxWindowBits: true }, 'TypeError'],
    ['clientMaxWindowBits 16', { clientMaxWindowBits: 16 }, 'RangeError'],
    ['clientMaxWindowBits 9.5', { clientMaxWindowBits: 9.5 }, 'RangeError'],
    ['clientMaxWindowBits "10"', { clientMaxWindowBits: '10' }, 'TypeError'],
    ['clientNoContextTakeover 1', { clientNoContextTakeover: 1 }, 'TypeError'],
    ['serverNoContextTakeover "yes"', { serverNoContextTakeover: 'yes' }, 'TypeError'],
    ['historySize 32769', { historySize: 32769 }, 'RangeError'],
    ['historySize -1', { historySize: -1 }, 'RangeError'],
    ['historySize "4k"', { historySize: '4k' }, 'TypeError'],
    ['options not an object', 5, 'TypeError'],
    ['an unknown key (typo)', { treshold: 10 }, 'TypeError'],
    ["ws's zlibDeflateOptions", { zlibDeflateOptions: { level: 1 } }, 'TypeError'],
  ];
  for (const [name, opts, cls] of bad) {
    it(`rejects ${name} with ${cls}, WS_ERR_INVALID_OPTION`, () => {
      const e = throws(() => perMessageDeflate(opts as PerMessageDeflateOptions));
      equal(e.name, cls);
      equal((e as Error & { code?: string }).code, ErrorCodes.INVALID_OPTION);
    });
  }

  it('says which option, what it must be and what came', () => {
    const message = (opts: unknown) => throws(() => perMessageDeflate(opts as PerMessageDeflateOptions)).message;
    equal(message({ level: 10 }), 'perMessageDeflate(): option level must be an integer from 0 to 9, got 10');
    equal(message({ clientMaxWindowBits: 7 }), 'perMessageDeflate(): option clientMaxWindowBits must be an integer from 8 to 15, got 7');
    equal(
      message({ concurrencyLimit: 4 }),
      'perMessageDeflate(): option names must be among threshold, clientNoContextTakeover, serverNoContextTakeover, level, historySize, serverMaxWindowBits, clientMaxWindowBits, got "concurrencyLimit"',
    );
  });
});

describe('permessage-deflate offer (RFC 7692 §5, §7.1)', () => {
  const table: Array<[PerMessageDeflateOptions | undefined, string]> = [
    // client_max_window_bits is offered bare by default, as browsers and ws do.
    [undefined, 'permessage-deflate; client_max_window_bits'],
    [{}, 'permessage-deflate; client_max_window_bits'],
    [{ clientMaxWindowBits: false }, 'permessage-deflate'],
    [{ clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover; client_max_window_bits'],
    [{ historySize: 0, clientMaxWindowBits: false }, 'permessage-deflate; client_no_context_takeover'],
    [{ serverNoContextTakeover: true, clientMaxWindowBits: false }, 'permessage-deflate; server_no_context_takeover'],
    [{ serverMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=10; client_max_window_bits'],
    [{ clientMaxWindowBits: true }, 'permessage-deflate; client_max_window_bits'],
    [{ clientMaxWindowBits: 9 }, 'permessage-deflate; client_max_window_bits=9'],
    [
      { clientNoContextTakeover: true, serverNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 15 },
      'permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=8; client_max_window_bits=15',
    ],
  ];
  for (const [opts, offer] of table) {
    it(`${JSON.stringify(opts)} -> ${offer}`, () => {
      const f = perMessageDeflate(opts);
      equal(f.name, 'permessage-deflate');
      equal(f.offer(), offer);
    });
  }
});

type P = ReadonlyArray<readonly [string, string | true]>;
describe('permessage-deflate response validation (RFC 7692 §7.1)', () => {
  const good: Array<[string, PerMessageDeflateOptions | undefined, P, PerMessageDeflateParams]> = [
    ['bare response', undefined, [], agreed()],
    ['server_no_context_takeover offered and echoed', { serverNoContextTakeover: true }, [['server_no_context_takeover', true]], agreed({ serverNoContextTakeover: true })],
    ['server_no_context_takeover not offered (§7.1.1.1 allows)', undefined, [['server_no_context_takeover', true]], agreed({ serverNoContextTakeover: true })],
    // RFC 7692 §7 fails only a configuration we cannot support; these we can (tornado 6.2, aiohttp 3.8 answer so).
    ['server_no_context_takeover offered, left out: the server keeps its context, so do we', { serverNoContextTakeover: true }, [], agreed()],
    ['server_max_window_bits offered, left out: the server may use 15', { serverMaxWindowBits: 12 }, [['server_no_context_takeover', true]], agreed({ serverNoContextTakeover: true })],
    ['server_max_window_bits=15 offered, left out (aiohttp omits its default)', { serverMaxWindowBits: 15 }, [], agreed()],
    ['client_no_context_takeover imposed (§7.1.1.2 allows)', undefined, [['client_no_context_takeover', true]], agreed({ clientNoContextTakeover: true })],
    ['client_no_context_takeover offered, not echoed: we keep our promise', { clientNoContextTakeover: true }, [], agreed({ clientNoContextTakeover: true })],
    ['server_max_window_bits=8 not offered', undefined, [['server_max_window_bits', '8']], agreed({ serverMaxWindowBits: 8 })],
    ['server_max_window_bits=15', undefined, [['server_max_window_bits', '15']], agreed({ serverMaxWindowBits: 15 })],
    ['server_max_window_bits below the offer', { serverMaxWindowBits: 12 }, [['server_max_window_bits', '10']], agreed({ serverMaxWindowBits: 10 })],
    ['server_max_window_bits equal to the offer', { serverMaxWindowBits: 12 }, [['server_max_window_bits', '12']], agreed({ serverMaxWindowBits: 12 })],
    ['server_max_window_bits quoted', undefined, [['server_max_window_bits', '"10"']], agreed({ serverMaxWindowBits: 10 })],
    ['client_max_window_bits=9 after bare offer', { clientMaxWindowBits: true }, [['client_max_window_bits', '9']], agreed({ clientMaxWindowBits: 9 })],
    ['client_max_window_bits=10 under offered 12', { clientMaxWindowBits: 12 }, [['client_max_window_bits', '10']], agreed({ clientMaxWindowBits: 10 })],
    ['client_max_window_bits offered 11, not echoed: we keep 11', { clientMaxWindowBits: 11 }, [], agreed({ clientMaxWindowBits: 11 })],
    ['client_max_window_bits bare offer, not echoed: 15', { clientMaxWindowBits: true }, [], agreed()],
    ['parameter names are case-insensitive', undefined, [['Server_No_Context_Takeover', true]], agreed({ serverNoContextTakeover: true })],
    [
      'everything',
      { clientMaxWindowBits: true, serverMaxWindowBits: 9, serverNoContextTakeover: true, clientNoContextTakeover: true },
      [['client_no_context_takeover', true], ['server_no_context_takeover', true], ['server_max_window_bits', '9'], ['client_max_window_bits', '8']],
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 8 },
    ],
  ];
  for (const [name, opts, params, want] of good) {
    it(`accepts: ${name}`, () => {
      deepEqual(negotiatePerMessageDeflate(opts, params), want);
    });
  }

  const badResponses: Array<[string, PerMessageDeflateOptions | undefined, P]> = [
    ['unknown parameter', undefined, [['foo', true]]],
    ['unknown parameter with value', undefined, [['x_window_bits', '10']]],
    ['duplicate server_no_context_takeover', undefined, [['server_no_context_takeover', true], ['server_no_context_takeover', true]]],
    ['duplicate client_no_context_takeover', undefined, [['client_no_context_takeover', true], ['client_no_context_takeover', true]]],
    ['duplicate server_max_window_bits', undefined, [['server_max_window_bits', '10'], ['server_max_window_bits', '10']]],
    ['duplicate client_max_window_bits', { clientMaxWindowBits: true }, [['client_max_window_bits', '10'], ['client_max_window_bits', '11']]],
    ['duplicate differing in case', undefined, [['server_no_context_takeover', true], ['SERVER_NO_CONTEXT_TAKEOVER', true]]],
    ['server_no_context_takeover with a value', undefined, [['server_no_context_takeover', '1']]],
    ['server_no_context_takeover with an empty value', undefined, [['server_no_context_takeover', '']]],
    ['client_no_context_takeover with a value', undefined, [['client_no_context_takeover', 'true']]],
    ['server_max_window_bits without a value', undefined, [['server_max_window_bits', true]]],
    ['server_max_window_bits=7', undefined, [['server_max_window_bits', '7']]],
    ['server_max_window_bits=16', undefined, [['server_max_window_bits', '16']]],
    ['server_max_window_bits=0', undefined, [['server_max_window_bits', '0']]],
    ['server_max_window_bits=08 (leading zero, §7.1.2.1)', undefined, [['server_max_window_bits', '08']]],
    ['server_max_window_bits=+9', undefined, [['server_max_window_bits', '+9']]],
    ['server_max_window_bits=9.0', undefined, [['server_max_window_bits', '9.0']]],
    ['server_max_window_bits=abc', undefined, [['server_max_window_bits', 'abc']]],
    ['server_max_window_bits empty', undefined, [['server_max_window_bits', '']]],
    ['server_max_window_bits quoted out of range', undefined, [['server_max_window_bits', '"16"']]],
    ['server_max_window_bits quoted empty', undefined, [['server_max_window_bits', '""']]],
    ['server_max_window_bits above the offer', { serverMaxWindowBits: 10 }, [['server_max_window_bits', '11']]],
    ['client_max_window_bits not offered', { clientMaxWindowBits: false }, [['client_max_window_bits', '10']]],
    ['client_max_window_bits not offered, bare', { clientMaxWindowBits: false }, [['client_max_window_bits', true]]],
    ['client_max_window_bits offered by default, answered without a value', undefined, [['client_max_window_bits', true]]],
    ['client_max_window_bits without a value (response needs one)', { clientMaxWindowBits: true }, [['client_max_window_bits', true]]],
    ['client_max_window_bits=7', { clientMaxWindowBits: true }, [['client_max_window_bits', '7']]],
    ['client_max_window_bits=16', { clientMaxWindowBits: true }, [['client_max_window_bits', '16']]],
    ['client_max_window_bits above the offer', { clientMaxWindowBits: 10 }, [['client_max_window_bits', '12']]],
  ];
  for (const [name, opts, params] of badResponses) {
    it(`fails with ${EXT}: ${name}`, () => {
      const e = throws(() => negotiatePerMessageDeflate(opts, params), EXT);
      ok(e instanceof HandshakeError);
    });
  }
});

describe('permessage-deflate factory', () => {
  it('accept() returns an RSV1 extension with the agreed params', () => {
    const f = perMessageDeflate({ serverNoContextTakeover: true });
    f.offer();
    const ext = f.accept({ name: 'permessage-deflate', params: { server_no_context_takeover: true, server_max_window_bits: '10' } });
    equal(ext.name, 'permessage-deflate');
    equal(ext.rsvMask, 0x40);
    ok(ext instanceof PerMessageDeflate);
    deepEqual((ext as PerMessageDeflate).params, agreed({ serverNoContextTakeover: true, serverMaxWindowBits: 10 }));
  });

  it('a second accepted permessage-deflate in one response fails (RFC 7692 §5.1)', () => {
    const f = perMessageDeflate();
    f.offer();
    f.accept({ name: 'permessage-deflate', params: {} });
    throws(() => f.accept({ name: 'permessage-deflate', params: {} }), EXT);
  });

  it('a new offer() (next handshake, e.g. a reconnect) may accept again', () => {
    const f = perMessageDeflate();
    f.offer();
    f.accept({ name: 'permessage-deflate', params: {} });
    f.offer();
    const ext = f.accept({ name: 'permessage-deflate', params: { client_no_context_takeover: true } });
    equal((ext as PerMessageDeflate).params.clientNoContextTakeover, true);
  });

  it('refuses an element that is not permessage-deflate', () => {
    const f = perMessageDeflate();
    f.offer();
    throws(() => f.accept({ name: 'x-webkit-deflate-frame', params: {} }), EXT);
  });

  it('refuses bad parameters through accept() too', () => {
    const f = perMessageDeflate({ clientMaxWindowBits: false });
    f.offer();
    throws(() => f.accept({ name: 'permessage-deflate', params: { client_max_window_bits: '10' } }), EXT);
    const g = perMessageDeflate();
    g.offer();
    throws(() => g.accept({ name: 'permessage-deflate', params: { client_max_window_bits: '16' } }), EXT);
  });
});

/** RFC 7692 §7.2.3: the example frames; payload after the 2-byte header. */
describe('RFC 7692 §7.2.3 examples inflate', () => {
  function ext(p: Partial<PerMessageDeflateParams> = {}): Extension {
    return new PerMessageDeflate(agreed(p));
  }
  it('§7.2.3.1 "Hello" in one compressed frame', () => {
    equal(dec.decode(ext().decode(fromHex('f2 48 cd c9 c9 07 00'), 1000)), 'Hello');
  });
  it('§7.2.3.2 the second "Hello" refers back into the first message', () => {
    const e = ext();
    equal(dec.decode(e.decode(fromHex('f2 48 cd c9 c9 07 00'), 1000)), 'Hello');
    equal(dec.decode(e.decode(fromHex('f2 00 11 00 00'), 1000)), 'Hello');
  });
  it('§7.2.3.2 that back-reference is invalid with server_no_context_takeover: 1007', () => {
    const e = ext({ serverNoContextTakeover: true });
    equal(dec.decode(e.decode(fromHex('f2 48 cd c9 c9 07 00'), 1000)), 'Hello');
    const err = throws(() => e.decode(fromHex('f2 00 11 00 00'), 1000), ErrorCodes.INFLATE_FAILED);
    ok(err instanceof ProtocolError);
    equal(err.closeCode, 1007);
  });
  it('§7.2.3.3 a stored (uncompressed) DEFLATE block', () => {
    equal(dec.decode(ext().decode(fromHex('00 05 00 fa ff 48 65 6c 6c 6f 00'), 1000)), 'Hello');
  });
  it('§7.2.3.4 a block with BFINAL set', () => {
    equal(dec.decode(ext().decode(fromHex('f3 48 cd c9 c9 07 00 00'), 1000)), 'Hello');
  });
  it('§7.2.3.5 two DEFLATE blocks in one message', () => {
    equal(dec.decode(ext().decode(fromHex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'), 1000)), 'Hello');
  });
  it('an empty compressed message (00) inflates to nothing', () => {
    equal(ext().decode(fromHex('00'), 1000).length, 0);
    equal(ext().decode(new Uint8Array(0), 1000).length, 0);
  });
});

describe('permessage-deflate receive errors', () => {
  it('corrupt data (invalid block type 3) fails with 1007 WS_ERR_INFLATE_FAILED', () => {
    const e = throws(() => new PerMessageDeflate(agreed()).decode(fromHex('ff ff ff'), 1000), ErrorCodes.INFLATE_FAILED) as ProtocolError;
    equal(e.closeCode, 1007);
  });
  it('a stored block whose NLEN runs past the end fails with 1007', () => {
    throws(() => new PerMessageDeflate(agreed()).decode(fromHex('00 05 00 fa ff 48 65'), 1000), ErrorCodes.INFLATE_FAILED);
  });
  it('the limit applies after inflation: maxLength passes, maxLength + 1 is 1009', () => {
    const msg = new Uint8Array(5000).fill(0x61);
    const wire = new MessageDeflater({ level: 6, historySize: 0, windowBits: 15 }).compress(msg)!;
    ok(wire.length < 100, `compressed to ${wire.length}`);
    equal(new MessageInflater(false).decode(wire, 5000).length, 5000);
    const e = throws(() => new MessageInflater(false).decode(wire, 4999), ErrorCodes.MESSAGE_TOO_BIG) as ProtocolError;
    equal(e.closeCode, 1009);
  });
  it('a stored block larger than the limit is 1009, not a RangeError', () => {
    const wire = fromHex('00 05 00 fa ff 48 65 6c 6c 6f 00');
    throws(() => new MessageInflater(true).decode(wire, 4), ErrorCodes.MESSAGE_TOO_BIG);
    equal(dec.decode(new MessageInflater(true).decode(wire, 5)), 'Hello');
  });
  it('a large payload (streaming route) over the limit is 1009', () => {
    const rnd = prng(7);
    const msg = new Uint8Array(200_000);
    for (let i = 0; i < msg.length; i++) msg[i] = (rnd() * 256) | 0;
    const wire = new MessageDeflater({ level: 1, historySize: 0, windowBits: 15 }).compress(msg)!;
    ok(wire.length > 64 * 1024);
    throws(() => new MessageInflater(false).decode(wire, 199_999), ErrorCodes.MESSAGE_TOO_BIG);
    deepEqual(new MessageInflater(false).decode(wire, 200_000), msg);
  });
});

describe('permessage-deflate send policy', () => {
  const small = enc.encode('{"a":1}');
  const big = enc.encode('{"type":"tick","value":12345}'.repeat(50));
  it('below the threshold (default 1024) goes uncompressed; at or above it is compressed', () => {
    const e = new PerMessageDeflate(agreed());
    equal(e.encode(small, undefined), null);
    equal(e.encode(new Uint8Array(1023), undefined), null);
    ok(e.encode(new Uint8Array(1024), undefined) !== null);
    ok(e.encode(big, undefined) !== null);
  });
  it('compress: true compresses any size, compress: false never', () => {
    const e = new PerMessageDeflate(agreed());
    ok(e.encode(small, true) !== null);
    ok(e.encode(new Uint8Array(0), true) !== null);
    equal(e.encode(big, false), null);
  });
  it('threshold 0 compresses everything', () => {
    const e = new PerMessageDeflate(agreed(), { threshold: 0 });
    ok(e.encode(new Uint8Array(0), undefined) !== null);
  });

  function roundTrip(p: Partial<PerMessageDeflateParams>, opts: PerMessageDeflateOptions, n: number, seed: number): number {
    const tx = new PerMessageDeflate(agreed(p), { threshold: 0, ...opts });
    const rx = new PerMessageDeflate(agreed({ ...p, serverNoContextTakeover: p.clientNoContextTakeover ?? false }));
    const rnd = prng(seed);
    let wire = 0;
    let plain = 0;
    for (let i = 0; i < n; i++) {
      const text = JSON.stringify({ seq: i, kind: ['quote', 'trade', 'book'][i % 3], px: Math.floor(rnd() * 1e6) / 100, qty: Math.floor(rnd() * 1000) });
      const msg = enc.encode(i % 10 === 9 ? text.repeat(400) : text);
      const compress = i % 7 === 3 ? false : undefined; // interleave uncompressed messages (RFC 7692 §6.1)
      const out = tx.encode(msg, compress);
      if (out === null) {
        equal(compress, false);
        continue;
      }
      plain += msg.length;
      wire += out.length;
      equal(hex(rx.decode(out, 1 << 24)), hex(msg), `message ${i}`);
    }
    return wire / plain;
  }
  it('our output inflates with our inflater, context kept, uncompressed messages interleaved', () => {
    const ratio = roundTrip({}, {}, 300, 1);
    ok(ratio < 0.2, `ratio ${ratio}`);
  });
  it('context takeover beats no context on a stream of small similar messages', () => {
    const withCtx = roundTrip({}, { historySize: 32768 }, 200, 2);
    const without = roundTrip({ clientNoContextTakeover: true }, {}, 200, 2);
    ok(withCtx < without, `${withCtx} vs ${without}`);
  });
  for (const bits of [8, 9, 12]) {
    it(`client_max_window_bits=${bits}: round-trips (zlib check in test/node)`, () => {
      roundTrip({ clientMaxWindowBits: bits }, {}, 60, bits);
    });
  }
  it('dispose() drops the context: the next message needs no history', () => {
    const e = new PerMessageDeflate(agreed(), { threshold: 0 });
    e.encode(big, undefined);
    e.dispose();
    const w = e.encode(big, undefined)!;
    deepEqual(new PerMessageDeflate(agreed({ serverNoContextTakeover: true })).decode(w, 1 << 20), big);
  });
});

describe('permessage-deflate hostile input', () => {
  it('3000 mutated payloads: every failure is a ProtocolError 1007 or 1009, never a leak of another error', () => {
    const rnd = prng(4242);
    const tx = new PerMessageDeflate(agreed(), { threshold: 0, historySize: 32768 });
    const samples: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) {
      const text = JSON.stringify({ i, words: 'lorem ipsum dolor sit amet '.repeat(1 + (i % 9)), n: rnd() });
      samples.push(tx.encode(enc.encode(text), true)!);
    }
    let failures = 0;
    for (let k = 0; k < 3000; k++) {
      const base = samples[k % samples.length]!;
      const m = base.slice(0, Math.max(1, base.length - (k % 5 === 0 ? (rnd() * base.length) | 0 : 0)));
      const flips = 1 + ((rnd() * 4) | 0);
      for (let f = 0; f < flips; f++) m[(rnd() * m.length) | 0]! ^= 1 << ((rnd() * 8) | 0);
      const rx = new PerMessageDeflate(agreed({ serverNoContextTakeover: k % 2 === 0 }));
      try {
        const out = rx.decode(m, 4096);
        ok(out.length <= 4096);
      } catch (e) {
        failures++;
        ok(e instanceof ProtocolError, `mutation ${k}: ${String(e)}`);
        ok(
          (e.code === ErrorCodes.INFLATE_FAILED && e.closeCode === 1007) || (e.code === ErrorCodes.MESSAGE_TOO_BIG && e.closeCode === 1009),
          `mutation ${k}: ${e.code} ${e.closeCode}`,
        );
      }
    }
    ok(failures > 300, `only ${failures} of 3000 mutations were rejected`);
  });

  it('payloads that are views into a larger buffer (pooled chunks) encode and decode correctly', () => {
    const big = enc.encode('xx' + '{"k":"v","n":1}'.repeat(200) + 'yy');
    const view = big.subarray(2, big.length - 2);
    const w = new PerMessageDeflate(agreed(), { threshold: 0 }).encode(view, undefined)!;
    const framed = new Uint8Array(w.length + 6);
    framed.set(w, 3);
    deepEqual(new PerMessageDeflate(agreed()).decode(framed.subarray(3, 3 + w.length), 1 << 20), view);
  });
});
