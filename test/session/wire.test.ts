/**
 * The session wire format (src/session/wire.ts, src/session/PROTOCOL.md
 * §3-§4) from tables: every control frame's exact text both ways, malformed
 * frames refused, the data escape, subprotocol offer and selection.
 */
import { describe, it, equal, ok, deepEqual } from '../support/harness.js';
import { TOKEN } from '../../src/protocol/input.js';
import {
  MARK,
  SESSION_PROTOCOL,
  applicationProtocols,
  isControl,
  offerProtocols,
  readControl,
  selectProtocol,
  splitProtocol,
  unwrapData,
  wrapData,
  writeControl,
  type ControlFrame,
} from '../../src/session/wire.js';

const ID = 'Ab0_-zZ9Ab0_-zZ9';
const TOKEN_TEXT = 'tok_en-123456789012345678';

describe('session wire: control frames', () => {
  const table: [ControlFrame, string][] = [
    [{ type: 'new' }, '\u0010N'],
    [{ type: 'resume', id: ID, token: TOKEN_TEXT, received: 0 }, `\u0010R${ID} ${TOKEN_TEXT} 0`],
    [{ type: 'resume', id: ID, token: TOKEN_TEXT, received: 9007199254740991 }, `\u0010R${ID} ${TOKEN_TEXT} 9007199254740991`],
    [{ type: 'session', id: ID, token: TOKEN_TEXT, received: 42 }, `\u0010S${ID} ${TOKEN_TEXT} 42`],
    [{ type: 'lost' }, '\u0010L'],
    [{ type: 'ack', received: 0 }, '\u0010A0'],
    [{ type: 'ack', received: 1234567 }, '\u0010A1234567'],
    [{ type: 'ping' }, '\u0010P'],
    [{ type: 'pong' }, '\u0010O'],
    [{ type: 'end' }, '\u0010E'],
  ];

  it('writes each frame as MARK, a letter and its fields, and reads it back', () => {
    for (const [frame, text] of table) {
      equal(writeControl(frame), text, frame.type);
      ok(isControl(text), `${frame.type} is a control frame`);
      deepEqual(readControl(text), frame, frame.type);
    }
  });

  it('an ack costs 2 bytes plus its decimal count', () => {
    equal(writeControl({ type: 'ack', received: 10_000 }).length, 7);
  });

  it('refuses malformed frames (undefined), never throws', () => {
    const bad = [
      '\u0010', // no letter
      '\u0010X', // unknown letter
      '\u0010n', // letters are upper case
      '\u0010N ', // a bare frame with something after it
      '\u0010Lx',
      '\u0010A', // no count
      '\u0010A-1',
      '\u0010A01', // leading zero
      '\u0010A1.5',
      '\u0010A1e3',
      '\u0010A9007199254740992', // above 2^53 - 1
      '\u0010A99999999999999999',
      `\u0010R${ID} ${TOKEN_TEXT}`, // a field short
      `\u0010R${ID} ${TOKEN_TEXT} 1 2`, // a field too many
      `\u0010R${ID}  ${TOKEN_TEXT} 1`, // an empty field
      `\u0010Rid! ${TOKEN_TEXT} 1`, // not base64url
      `\u0010R${'a'.repeat(65)} ${TOKEN_TEXT} 1`, // id over 64 characters
      `\u0010S${ID} ${TOKEN_TEXT} x`,
    ];
    for (const text of bad) equal(readControl(text), undefined, JSON.stringify(text));
  });

  it('tells control frames from data: only text that starts with one MARK', () => {
    equal(isControl('\u0010A1'), true);
    equal(isControl('\u0010\u0010A1'), false, 'an escaped data message');
    equal(isControl('hello'), false);
    equal(isControl(''), false);
    equal(isControl(new Uint8Array([0x10, 0x41, 0x31])), false, 'binary is never a control frame');
  });
});

describe('session wire: data escape', () => {
  it('sends data as it is, unless text starts with MARK (then one MARK more), and reads it back', () => {
    const binary = new Uint8Array([0x10, 1, 2]);
    equal(wrapData(binary), binary, 'binary untouched, same object');
    equal(unwrapData(binary), binary);
    for (const text of ['', 'hello', '{"a":1}', 'x\u0010', '\u0010', '\u0010A1', '\u0010\u0010', '\u0010N']) {
      const wire = wrapData(text) as string;
      equal(wire.length - text.length, text.startsWith(MARK) ? 1 : 0, `overhead of ${JSON.stringify(text)}`);
      equal(isControl(wire), false, `${JSON.stringify(text)} never reads as a control frame`);
      equal(unwrapData(wire), text, `round trip of ${JSON.stringify(text)}`);
    }
  });
});

describe('session wire: subprotocols', () => {
  it('offers the application subprotocols first, then a session variant of each (lifeline.s1 alone for none)', () => {
    deepEqual(offerProtocols([]), [SESSION_PROTOCOL]);
    deepEqual(offerProtocols(['json']), ['json', 'lifeline.s1+json']);
    deepEqual(offerProtocols(['graphql-transport-ws', 'chat']), ['graphql-transport-ws', 'chat', 'lifeline.s1+graphql-transport-ws', 'lifeline.s1+chat']);
    for (const name of offerProtocols(['graphql-transport-ws', 'v2.json'])) ok(TOKEN.test(name), `${name} is a token (RFC 6455 §4.1)`);
  });

  it('takes a selected subprotocol apart', () => {
    deepEqual(splitProtocol('lifeline.s1'), { session: true, protocol: '' });
    deepEqual(splitProtocol('lifeline.s1+json'), { session: true, protocol: 'json' });
    deepEqual(splitProtocol('json'), { session: false, protocol: 'json' });
    deepEqual(splitProtocol(''), { session: false, protocol: '' });
    deepEqual(splitProtocol('lifeline.s2+json'), { session: false, protocol: 'lifeline.s2+json' }, 'another version is not this one');
  });

  it('selects the session variant of what the application chose, when offered', () => {
    const offered = new Set(offerProtocols(['json', 'chat']));
    deepEqual([...applicationProtocols(offered)], ['json', 'chat']);
    equal(selectProtocol(offered, 'chat'), 'lifeline.s1+chat');
    equal(selectProtocol(offered, false), false, 'the application chose none and lifeline.s1 alone was not offered');
    equal(selectProtocol(new Set(['json']), 'json'), 'json', 'a plain client');
    equal(selectProtocol(new Set([SESSION_PROTOCOL]), false), SESSION_PROTOCOL);
    equal(applicationProtocols(new Set([SESSION_PROTOCOL])).size, 0);
  });
});
