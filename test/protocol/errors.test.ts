// src/protocol/errors.ts and its code constants: the namespaces users read
// and the error classes (in Node and in every browser engine). That the
// README documents every code: test/node/readme-codes.test.ts.
import { describe, it, equal, ok, throws } from '../support/harness.js';
import { ErrorCodes, HandshakeError, LifelineError, ProtocolError, SessionErrorCodes } from '../../src/protocol/errors.js';

describe('error codes', () => {
  const all: string[] = [...Object.values(ErrorCodes), ...Object.values(SessionErrorCodes)];

  it('every code is a distinct WS_ERR_ string', () => {
    for (const code of all) ok(/^WS_ERR_[A-Z0-9_]+$/.test(code), code);
    equal(new Set(all).size, all.length, 'two names share a code');
  });

  it('ErrorCodes and SessionErrorCodes are read-only tables of their own', () => {
    equal(ErrorCodes.QUEUE_FULL, 'WS_ERR_QUEUE_FULL');
    equal(SessionErrorCodes.SESSION_LOST, 'WS_ERR_SESSION_LOST');
    throws(() => {
      (ErrorCodes as Record<string, string>)['QUEUE_FULL'] = 'changed';
    }, TypeError);
    equal(ErrorCodes.QUEUE_FULL, 'WS_ERR_QUEUE_FULL');
    ok(!('SESSION_LOST' in ErrorCodes), 'the session codes stay in their own table');
  });
});

describe('error classes', () => {
  it('carry code, close code, name and cause', () => {
    const cause = new Error('inner');
    const error = new ProtocolError(ErrorCodes.INVALID_UTF8, 'bad text', 1007, { cause });
    ok(error instanceof LifelineError && error instanceof Error);
    equal(error.name, 'ProtocolError');
    equal(error.code, 'WS_ERR_INVALID_UTF8');
    equal(error.closeCode, 1007);
    equal(error.cause, cause);
  });

  it('HandshakeError exposes the status, headers, Retry-After and body text', () => {
    const body = new TextEncoder().encode('slow down');
    const error = new HandshakeError(ErrorCodes.HANDSHAKE_STATUS, 'status 429', { status: 429, headers: { 'retry-after': '5' }, body });
    equal(error.status, 429);
    equal(error.retryAfter, '5');
    equal(error.bodyText, 'slow down');
    equal(new HandshakeError(ErrorCodes.HANDSHAKE_EOF, 'eof').bodyText, '');
  });
});
