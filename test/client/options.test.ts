import { describe, it, equal, throws, ok, deepEqual } from '../support/harness.js';
import { rig, NODE } from './fakes.js';
import { heartbeat } from '../../src/client/heartbeat.js';
import { connect } from '../../src/index.js';

/** Asserts the error is a DOMException (or built-in) of `name` with stable `code`, and returns its message. */
function check(fn: () => unknown, name: string, code: string): string {
  const e = throws(fn, code) as Error & { code: string };
  equal(e.name, name, e.message);
  return e.message;
}

describe('bad input fails at the call, with a class, a code and a message that says what was expected', () => {
  it('invalid URLs → SyntaxError DOMException, WS_ERR_INVALID_URL (as new WebSocket() throws)', () => {
    for (const u of ['', 'nope', 'ftp://x', 'ws://x/#frag', 'ws://', 42, null, {}]) {
      const e = throws(() => rig({}, { url: u as string }), 'WS_ERR_INVALID_URL');
      ok(e instanceof DOMException, String(u));
      equal(e.name, 'SyntaxError');
    }
    const m = check(() => rig({}, { url: 'ftp://x' }), 'SyntaxError', 'WS_ERR_INVALID_URL');
    equal(m, 'a WebSocket URL must be absolute ws:, wss:, http: or https:, with a host, without a fragment, got "ftp://x"');
  });

  it('options of the wrong type → TypeError naming the option, what it must be and what came', () => {
    const cases: [string, unknown][] = [
      ['minDelay', '1000'],
      ['maxAttempts', 'many'],
      ['requireProtocol', 1],
      ['shouldReconnect', true],
      ['codecs', 'json'],
      ['lifecycle', 'yes'],
    ];
    for (const [k, v] of cases) {
      const m = check(() => rig({ [k]: v }), 'TypeError', 'WS_ERR_INVALID_OPTION');
      ok(m.includes(k) && m.includes('must be'), m);
    }
    equal(check(() => rig({ minDelay: '1000' as never }), 'TypeError', 'WS_ERR_INVALID_OPTION'), 'connect(): option minDelay must be a number, got "1000"');
    check(() => rig('x' as never), 'TypeError', 'WS_ERR_INVALID_OPTION');
    equal(check(() => rig({ heartbeat: { interval: 5 } as never }), 'TypeError', 'WS_ERR_INVALID_OPTION'), 'connect(): option heartbeat must be heartbeat({...}) or false, got an object');
    check(() => rig({ heartbeat: heartbeat({ interval: '1' as never }) }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    check(() => rig({ heartbeat: heartbeat({ isPong: 'pong' as never }) }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    check(() => rig({ codec: { encode: JSON.stringify } as never }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    equal(check(() => rig({ codecs: null as never }), 'TypeError', 'WS_ERR_INVALID_OPTION'), 'connect(): option codecs must be an object, got null');
    check(() => rig({ codecs: [] as never }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    // Options that are not an object at all (the entry point's connect(), before any transport exists).
    for (const options of [42, [], 'x']) check(() => connect('ws://x.invalid/', options as never), 'TypeError', 'WS_ERR_INVALID_OPTION');
  });

  it('unknown or misspelled option keys → TypeError naming the key (reconnect, maxRetries, protocol)', () => {
    for (const key of ['reconnect', 'maxRetries', 'protocol', 'minDelayMs']) {
      const m = check(() => rig({ [key]: 1 } as never), 'TypeError', 'WS_ERR_INVALID_OPTION');
      ok(m.includes(`got "${key}"`) && m.startsWith('connect(): option names must be among ') && m.includes('maxAttempts'), m);
    }
    const m = check(() => rig({ heartbeat: heartbeat({ intervall: 5 } as never) }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    equal(m, 'heartbeat(): option names must be among interval, timeout, isPong, whileHidden, message, got "intervall"');
  });

  it('options out of range → RangeError with the range and the value', () => {
    const cases: [string, unknown][] = [
      ['minDelay', -1],
      ['connectTimeout', NaN],
      ['connectTimeout', 2 ** 31],
      ['factor', 0.5],
      ['maxQueued', -5],
      ['overflow', 'drop-random'],
      ['stableAfter', Infinity],
    ];
    for (const [k, v] of cases) check(() => rig({ [k]: v }), 'RangeError', 'WS_ERR_INVALID_OPTION');
    equal(
      check(() => rig({ connectTimeout: 30 * 86_400_000 }), 'RangeError', 'WS_ERR_INVALID_OPTION'),
      'connect(): option connectTimeout must be from 0 to 2147483647, got 2592000000',
    );
    equal(check(() => rig({ minDelay: 50_000, maxDelay: 30_000 }), 'RangeError', 'WS_ERR_INVALID_OPTION'), 'connect(): minDelay (50000) must not exceed maxDelay (30000)');
    check(() => rig({ lowWaterMark: 10, highWaterMark: 5 }), 'RangeError', 'WS_ERR_INVALID_OPTION');
    check(() => rig({ heartbeat: heartbeat({ timeout: 0 }) }), 'RangeError', 'WS_ERR_INVALID_OPTION');
    ok(rig({ maxAttempts: Infinity }).conn, 'Infinity is a valid maxAttempts');
  });

  it('headers: a Node option; an unknown option in browsers', () => {
    const m = check(() => rig({ headers: { a: 'b' } } as never), 'TypeError', 'WS_ERR_INVALID_OPTION');
    ok(m.endsWith('got "headers"'), m);
    ok(rig({ headers: { a: 'b' } } as never, { platform: NODE }).conn);
  });

  it('invalid or duplicate subprotocols → SyntaxError DOMException, WS_ERR_INVALID_SUBPROTOCOL', () => {
    equal(check(() => rig({ protocols: ['a b'] }), 'SyntaxError', 'WS_ERR_INVALID_SUBPROTOCOL'), 'a subprotocol must be a token (RFC 7230), offered once, got "a b"');
    ok(check(() => rig({ protocols: ['chat', 'chat'] }), 'SyntaxError', 'WS_ERR_INVALID_SUBPROTOCOL').endsWith('got "chat"'));
    check(() => rig({ protocols: [''] }), 'SyntaxError', 'WS_ERR_INVALID_SUBPROTOCOL');
    check(() => rig({ protocols: ['ok', 7 as never] }), 'SyntaxError', 'WS_ERR_INVALID_SUBPROTOCOL');
  });

  it('codecs keyed by a subprotocol that is not offered → TypeError pointing at the codec option', () => {
    const json = { encode: JSON.stringify, decode: JSON.parse };
    const m = check(() => rig({ codecs: { json } }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    equal(m, 'connect(): codecs keys must be offered subprotocols (the codec option is for no subprotocol), got "json"');
    check(() => rig({ protocols: ['chat'], codecs: { '': json } }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    ok(rig({ protocols: ['json'], codecs: { json } }).conn);
    ok(rig({ protocols: () => ['json'], codecs: { json } }).conn, 'with a provider the offer is checked per attempt');
  });

  it('send: unsupported data → TypeError WS_ERR_INVALID_DATA at the call; bad send options → WS_ERR_INVALID_OPTION', () => {
    const r = rig();
    for (const d of [42, {}, null, undefined, Symbol('x'), true]) check(() => r.conn.send(d), 'TypeError', 'WS_ERR_INVALID_DATA');
    check(() => r.conn.send('x', { ttl: -1 }), 'RangeError', 'WS_ERR_INVALID_OPTION');
    check(() => r.conn.send('x', { ttl: 30 * 86_400_000 }), 'RangeError', 'WS_ERR_INVALID_OPTION');
    check(() => r.conn.send('x', { ttl: '5' as never }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    check(() => r.conn.send('x', { dropOnReconnect: 1 as never }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    check(() => r.conn.send('x', { compress: 'yes' as never }), 'TypeError', 'WS_ERR_INVALID_OPTION');
    check(() => r.conn.send('x', { priority: 1 } as never), 'TypeError', 'WS_ERR_INVALID_OPTION');
    equal(r.conn.stats.queued, 0, 'nothing queued by a bad call');
  });

  it('close: code outside 1000/3000-4999 → InvalidAccessError; reason over 123 bytes → SyntaxError (the WebSocket rules)', () => {
    const r = rig();
    for (const c of [999, 1001, 1005, 2999, 5000, 2999.4]) {
      const e = throws(() => r.conn.close(c), 'WS_ERR_INVALID_CLOSE_CODE');
      ok(e instanceof DOMException && e.name === 'InvalidAccessError', String(c));
    }
    equal(check(() => r.conn.close(1001), 'InvalidAccessError', 'WS_ERR_INVALID_CLOSE_CODE'), 'a close code must be 1000 or 3000-4999, got 1001');
    check(() => r.conn.close(1000, 'é'.repeat(62)), 'SyntaxError', 'WS_ERR_CLOSE_REASON_TOO_LONG');
    check(() => r.conn.close('1001' as never), 'InvalidAccessError', 'WS_ERR_INVALID_CLOSE_CODE');
    equal(r.conn.state, 'connecting', 'a refused close changes nothing');
    r.conn.close('3000' as never, 5 as never); // converted as WebSocket#close() converts (WebIDL)
    equal(r.conn.state, 'closed');
  });

  it('the same rule gives the same class and code from connect() and the protocol rules', async () => {
    const { checkProtocols, checkClose } = await import('../../src/protocol/input.js');
    const a = throws(() => rig({ protocols: ['a b'] }), 'WS_ERR_INVALID_SUBPROTOCOL');
    const b = throws(() => checkProtocols(['a b']), 'WS_ERR_INVALID_SUBPROTOCOL');
    deepEqual([a.name, a.message], [b.name, b.message]);
    const c = throws(() => rig().conn.close(1001), 'WS_ERR_INVALID_CLOSE_CODE');
    const d = throws(() => checkClose(1001, undefined), 'WS_ERR_INVALID_CLOSE_CODE');
    deepEqual([c.name, c.message], [d.name, d.message]);
  });
});
