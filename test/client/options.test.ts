import { describe, it, equal, throws, ok } from '../support/harness.js';
import { rig, NODE_CAPS } from './fakes.js';
import { checkUrl, checkProtocols } from '../../src/client/options.js';

describe('bad input fails at the call', () => {
  it('invalid URLs → TypeError', () => {
    for (const u of ['', 'nope', 'ftp://x', 'ws://x/#frag', 'ws://', 42, null, {}]) {
      throws(() => rig({}, { url: u as string }), TypeError, String(u));
    }
    equal(checkUrl('wss://example.com/a?b=1'), 'wss://example.com/a?b=1');
    equal(checkUrl('http://example.com'), 'http://example.com/');
  });

  it('options of the wrong type → TypeError naming the option', () => {
    const cases: [string, unknown][] = [
      ['minDelay', '1000'],
      ['maxAttempts', 'many'],
      ['requireProtocol', 1],
      ['shouldReconnect', true],
      ['codecs', 'json'],
      ['lifecycle', 'yes'],
      ['heartbeat', 5],
    ];
    for (const [k, v] of cases) {
      const e = throws(() => rig({ [k]: v }), TypeError, k);
      ok(e.message.includes(k), e.message);
    }
    throws(() => rig('x' as never), TypeError);
    throws(() => rig({ heartbeat: { interval: '1' as never } }), TypeError);
    throws(() => rig({ heartbeat: { isPong: 'pong' as never } }), TypeError);
  });

  it('options out of range → RangeError', () => {
    const cases: [string, unknown][] = [
      ['minDelay', -1],
      ['connectTimeout', NaN],
      ['factor', 0.5],
      ['maxQueued', -5],
      ['receiveHighWaterMark', 0],
      ['overflow', 'drop-random'],
    ];
    for (const [k, v] of cases) throws(() => rig({ [k]: v }), RangeError, k);
    throws(() => rig({ lowWaterMark: 10, highWaterMark: 5 }), RangeError);
    throws(() => rig({ minDelay: 10, maxDelay: 5 }), RangeError);
    throws(() => rig({ heartbeat: { timeout: 0 } }), RangeError);
  });

  it('headers where the transport cannot send them → TypeError; accepted in Node', () => {
    throws(() => rig({ headers: { a: 'b' } }), TypeError);
    ok(rig({ headers: { a: 'b' } }, { caps: NODE_CAPS }).conn);
  });

  it('invalid or duplicate subprotocols → TypeError', () => {
    throws(() => rig({ protocols: ['a b'] }), TypeError);
    throws(() => rig({ protocols: ['chat', 'chat'] }), TypeError);
    throws(() => rig({ protocols: [''] }), TypeError);
    throws(() => checkProtocols(['ok', 7 as never]), TypeError);
    equal(checkProtocols('json').length, 1);
  });

  it('send: unsupported data → TypeError at the call; bad send options → TypeError/RangeError', () => {
    const r = rig();
    for (const d of [42, {}, null, undefined, Symbol('x'), true]) throws(() => r.conn.send(d), TypeError);
    throws(() => r.conn.send('x', { ttl: -1 }), RangeError);
    throws(() => r.conn.send('x', { ttl: '5' as never }), TypeError);
    throws(() => r.conn.send('x', { dropOnReconnect: 1 as never }), TypeError);
    throws(() => r.conn.send('x', { compress: 'yes' as never }), TypeError);
    equal(r.conn.stats.queued, 0, 'nothing queued by a bad call');
  });

  it('close: code outside 1000/3000-4999 or reason over 123 bytes → RangeError', () => {
    const r = rig();
    for (const c of [999, 1001, 1005, 2999, 5000, 3000.5]) throws(() => r.conn.close(c), RangeError, String(c));
    throws(() => r.conn.close(1000, 'é'.repeat(62)), RangeError);
    throws(() => r.conn.close(1000, 5 as never), RangeError);
    r.conn.close(1000, 'é'.repeat(61));
    equal(r.conn.state, 'closed');
  });
});
