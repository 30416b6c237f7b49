// Closing (RFC 6455 §5.5.1, §7.1, §7.4): every close code 0..5000 on the
// wire class by class, reasons, malformed payloads, the echo, the states,
// and the browser rules for the application's own close().
import { describe, it, equal, deepEqual, throws, throwsInput, ok } from '../support/harness.js';
import { ErrorCodes, LifelineError } from '../../src/protocol/errors.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, run, closePayload, te, fromHexBytes, Recorder, fixedRandom } from './helpers.js';

/** RFC 6455 §7.4.1 + IANA registry: what a peer may send. */
const CLASSES: [string, number, number, boolean][] = [
  ['0-999 (unused)', 0, 999, false],
  ['1000-1003 (normal, going away, protocol error, unsupported)', 1000, 1003, true],
  ['1004 (reserved)', 1004, 1004, false],
  ['1005-1006 (local only)', 1005, 1006, false],
  ['1007-1011', 1007, 1011, true],
  ['1012-1014 (registered later)', 1012, 1014, true],
  ['1015 (TLS, local only)', 1015, 1015, false],
  ['1016-2999 (reserved for future RFCs)', 1016, 2999, false],
  ['3000-3999 (registered)', 3000, 3999, true],
  ['4000-4999 (private)', 4000, 4999, true],
  ['5000-65535 (invalid)', 5000, 65535, false],
];

describe('close: every code on the wire, class by class', () => {
  for (const [name, lo, hi, valid] of CLASSES) {
    it(`${name}: ${valid ? 'reported and echoed' : 'fails with 1002'}`, () => {
      const step = hi - lo > 5000 ? 97 : 1;
      for (let code = lo; code <= hi; code += step) {
        const r = run(concat(frame(8, closePayload(code)), frame(1, 'after')));
        if (valid) {
          deepEqual(r.events, [['close', code, '']], `code ${code}`);
          equal(r.closeWritten, code, `echo of ${code}`);
          equal(r.rec.written.length, 1);
          equal(r.rec.written[0]!.payload.length, 2);
        } else {
          deepEqual(r.events, [['error', ErrorCodes.INVALID_CLOSE_CODE, 1002]], `code ${code}`);
          equal(r.closeWritten, 1002, `code ${code}`);
        }
        equal(r.p.state, 'closed');
        equal(r.p.closeExpected(), true);
      }
    });
  }
});

describe('close: payloads and reasons', () => {
  it('an empty close is reported as 1005 and echoed empty', () => {
    const r = run(frame(8));
    deepEqual(r.events, [['close', 1005, '']]);
    equal(r.rec.written.length, 1);
    equal(r.rec.written[0]!.payload.length, 0);
    equal(r.closeWritten, 1005);
    equal(r.p.peerCloseCode, 1005);
  });
  it('a 1-byte payload fails with 1002', () => {
    for (const b of [0x03, 0xe8, 0x00]) {
      const r = run(frame(8, new Uint8Array([b])));
      deepEqual(r.events, [['error', ErrorCodes.INVALID_CLOSE_PAYLOAD, 1002]]);
      equal(r.closeWritten, 1002);
    }
  });
  const reasons: [string, string][] = [
    ['ascii', 'bye'],
    ['multi-byte', 'héllo wörld €'],
    ['emoji', '👋'],
    ['123 bytes (max)', 'r'.repeat(123)],
  ];
  for (const [name, reason] of reasons) {
    it(`reason ${name} is decoded; only the code is echoed`, () => {
      const r = run(frame(8, closePayload(4001, reason)));
      deepEqual(r.events, [['close', 4001, reason]]);
      equal(r.p.peerCloseReason, reason);
      equal(r.rec.written[0]!.payload.length, 2);
    });
  }
  const badReasons: [string, string][] = [
    ['lone continuation', '80'],
    ['truncated', 'e282'],
    ['surrogate', 'eda080'],
    ['overlong', 'c0af'],
    ['valid then invalid', '6f6bff'],
  ];
  for (const [name, h] of badReasons) {
    it(`invalid UTF-8 reason (${name}) fails with 1007`, () => {
      const r = run(frame(8, concat(closePayload(1000), fromHexBytes(h))));
      deepEqual(r.events, [['error', ErrorCodes.INVALID_UTF8, 1007]]);
      equal(r.closeWritten, 1007);
    });
  }
  it('a close payload over 125 bytes fails with 1002', () => {
    const r = run(frame(8, closePayload(1000, 'x'.repeat(124))));
    deepEqual(r.events, [['error', ErrorCodes.CONTROL_TOO_LONG, 1002]]);
  });
  it('a fragmented close fails with 1002', () => {
    const r = run(frame(8, closePayload(1000), { fin: false }));
    deepEqual(r.events, [['error', ErrorCodes.CONTROL_FRAGMENTED, 1002]]);
  });
  it('a close in the middle of a fragmented message ends it', () => {
    const r = run(concat(frame(1, 'par', { fin: false }), frame(8, closePayload(1001)), frame(0, 'tial')));
    deepEqual(r.events, [['close', 1001, '']]);
  });
});

describe('close: the closing handshake and states', () => {
  it('client-initiated: open -> closing -> closed, one close written', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    equal(p.state, 'open');
    equal(p.closeExpected(), false);
    p.close(1000, 'bye');
    equal(p.state, 'closing');
    equal(p.closeExpected(), true);
    deepEqual(Array.from(rec.written[0]!.payload), Array.from(closePayload(1000, 'bye')));
    // Data the server sent before seeing our close is still delivered.
    p.receive(frame(1, 'in flight'));
    // A ping after our close is not answered (§5.5.1: nothing after a close).
    p.receive(frame(9, 'x'));
    p.receive(frame(8, closePayload(1000)));
    deepEqual(rec.events, [
      ['message', 'in flight', false],
      ['ping', '78'],
      ['close', 1000, ''],
    ]);
    equal(rec.written.length, 1);
    equal(p.state, 'closed');
    p.receiveEof();
    equal(rec.events.length, 3);
  });
  it('server-initiated: the echo is written and sending afterwards throws WS_ERR_INVALID_STATE', () => {
    const r = run(frame(8, closePayload(1001, 'restart')));
    deepEqual(r.events, [['close', 1001, 'restart']]);
    equal(r.p.state, 'closed');
    throws(() => r.p.send('x', false), ErrorCodes.INVALID_STATE);
    throws(() => r.p.send('x', false), LifelineError);
    throws(() => r.p.ping(), ErrorCodes.INVALID_STATE);
    throws(() => r.p.pong(), ErrorCodes.INVALID_STATE);
    throws(() => r.p.close(), ErrorCodes.INVALID_STATE);
  });
  it('after a failure, sending throws and the state is closed', () => {
    const r = run(frame(3));
    equal(r.p.state, 'closed');
    equal(r.p.closeExpected(), true);
    ok(r.p.error);
    equal(r.p.error.code, ErrorCodes.INVALID_OPCODE);
    throws(() => r.p.send(new Uint8Array(1), true), ErrorCodes.INVALID_STATE);
  });
  it('EOF without a close frame reports WS_ERR_UNEXPECTED_EOF (1006) and writes nothing', () => {
    for (const tail of [new Uint8Array(0), frame(1, 'abc').subarray(0, 3), frame(1, 'x', { fin: false })]) {
      const r = run(tail);
      r.p.receiveEof();
      r.p.receiveEof();
      deepEqual(r.events, [['error', ErrorCodes.UNEXPECTED_EOF, 1006]]);
      equal(r.rec.written.length, 0);
      equal(r.p.state, 'closed');
      throws(() => r.p.send('x', false), ErrorCodes.INVALID_STATE);
    }
  });
  it('EOF after our close but before theirs is still abnormal (1006)', () => {
    const rec = new Recorder();
    const p = new Protocol(rec, { random: fixedRandom });
    p.close();
    p.receiveEof();
    deepEqual(rec.events, [['error', ErrorCodes.UNEXPECTED_EOF, 1006]]);
  });
});

describe('close: the application close() follows browser rules', () => {
  // After WebIDL's [Clamp] unsigned short: -1000 and NaN become 0, Infinity 65535, 4999.5 rounds (half to even) to 5000.
  const bad = [0, 1, 999, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1015, 2000, 2999, 5000, 65535, 1001.4, 4999.5, -1000, NaN, Infinity];
  for (const code of bad) {
    it(`close(${code}) throws InvalidAccessError WS_ERR_INVALID_CLOSE_CODE (as browsers do) and writes nothing`, () => {
      const rec = new Recorder();
      const p = new Protocol(rec, { random: fixedRandom });
      throwsInput(() => p.close(code), 'InvalidAccessError', ErrorCodes.INVALID_CLOSE_CODE);
      equal(rec.written.length, 0);
      equal(p.state, 'open');
    });
  }
  for (const code of [1000, 3000, 3500, 4000, 4999]) {
    it(`close(${code}) writes that code`, () => {
      const rec = new Recorder();
      new Protocol(rec, { random: fixedRandom }).close(code, 'ok');
      equal(rec.closeWritten(), code);
    });
  }
  for (const [given, written] of [[1000.5, 1000], [999.6, 1000], [3000.2, 3000], [2999.5, 3000], [4000.5, 4000], [4998.5, 4998]] as const) {
    it(`close(${given}) writes ${written}: the code is converted as WebIDL's [Clamp] unsigned short (rounded, half to even), as browsers do`, () => {
      const rec = new Recorder();
      new Protocol(rec, { random: fixedRandom }).close(given, 'ok');
      equal(rec.closeWritten(), written);
    });
  }
  it('reason limits: 123 bytes ok, 124 bytes SyntaxError (also with multi-byte characters)', () => {
    const mk = () => new Protocol(new Recorder(), { random: fixedRandom });
    mk().close(1000, 'x'.repeat(123));
    mk().close(1000, 'é'.repeat(61) + 'x');
    throwsInput(() => mk().close(1000, 'x'.repeat(124)), 'SyntaxError', ErrorCodes.CLOSE_REASON_TOO_LONG);
    throws(() => mk().close(1000, 'é'.repeat(62)), ErrorCodes.CLOSE_REASON_TOO_LONG);
  });
  it('close() sends an empty close; close(undefined, reason) uses 1000', () => {
    const a = new Recorder();
    new Protocol(a, { random: fixedRandom }).close();
    equal(a.written[0]!.payload.length, 0);
    const b = new Recorder();
    new Protocol(b, { random: fixedRandom }).close(undefined, 'why');
    deepEqual(Array.from(b.written[0]!.payload), Array.from(concat(closePayload(1000), te.encode('why'))));
  });
  it('a second close() throws WS_ERR_INVALID_STATE', () => {
    const p = new Protocol(new Recorder(), { random: fixedRandom });
    p.close(1000);
    throws(() => p.close(1000), ErrorCodes.INVALID_STATE);
  });
});
