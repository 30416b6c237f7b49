// The server half of the opening handshake (RFC 6455 §4.2): request parsing
// at any chunking, the §4.2.1 checks with the status each refusal answers,
// the 101 answer checked by lifeline's own client-side verifier, refusals
// parsed by the client's response parser, subprotocol selection, and
// permessage-deflate answered for every RFC 7692 parameter, then used
// end to end between a client core and a server core.
import { describe, it, equal, deepEqual, ok, throws, throwsInput } from '../support/harness.js';
import { ErrorCodes, HandshakeError } from '../../src/protocol/errors.js';
import {
  RequestParser,
  checkUpgrade,
  isUpgradeRequest,
  acceptResponse,
  refusalResponse,
  selectSubprotocol,
  negotiateServerExtensions,
  type HttpRequest,
} from '../../src/protocol/server-handshake.js';
import { acceptFor, verifyResponse, parseExtensionHeader } from '../../src/protocol/handshake.js';
import { ResponseParser } from '../../src/protocol/http.js';
import { perMessageDeflate, type PerMessageDeflateOptions } from '../../src/protocol/permessage-deflate.js';
import { perMessageDeflateServer, respondToOffer, type PerMessageDeflateServerOptions } from '../../src/protocol/permessage-deflate-server.js';
import { Protocol, type ProtocolCoreOptions } from '../../src/protocol/protocol.js';
import type { ProtocolSink } from '../../src/protocol/types.js';

const te = new TextEncoder();
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(lines: string[], extra: number[] = []): Uint8Array {
  const head = te.encode(lines.join('\r\n') + '\r\n\r\n');
  const out = new Uint8Array(head.length + extra.length);
  out.set(head);
  out.set(extra, head.length);
  return out;
}

const GOOD = [
  'GET /chat?room=1 HTTP/1.1',
  'Host: server.example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  `Sec-WebSocket-Key: ${KEY}`,
  'Origin: http://example.com',
  'Sec-WebSocket-Protocol: chat, superchat',
  'Sec-WebSocket-Version: 13',
];

function parse(bytes: Uint8Array): HttpRequest {
  const req = new RequestParser().push(bytes);
  ok(req !== undefined, 'request complete');
  return req;
}

/** The same request with header `name` replaced (or removed when value is undefined). */
function withHeader(name: string, value: string | undefined, base = GOOD): string[] {
  const lines = base.filter((l) => !l.toLowerCase().startsWith(name.toLowerCase() + ':'));
  return value === undefined ? lines : [...lines, `${name}: ${value}`];
}

function refusal(lines: string[]): HandshakeError {
  const err = throws(() => checkUpgrade(parse(request(lines))), HandshakeError) as HandshakeError;
  return err;
}

describe('server handshake: RequestParser', () => {
  it('parses the RFC 6455 §1.3 request, whether it arrives whole or byte by byte, keeping the bytes after it', () => {
    const bytes = request(GOOD, [0x81, 0x85]);
    const whole = parse(bytes);
    const p = new RequestParser();
    let got: HttpRequest | undefined;
    for (let i = 0; i < bytes.length && got === undefined; i++) got = p.push(bytes.subarray(i, i + 1));
    ok(got !== undefined);
    for (const r of [whole]) {
      equal(r.method, 'GET');
      equal(r.target, '/chat?room=1');
      equal(r.version, '1.1');
      equal(r.headers['sec-websocket-protocol'], 'chat, superchat');
      equal(r.rawHeaders[0]![0], 'Host');
      deepEqual(Array.from(r.rest), [0x81, 0x85]);
    }
    // Fed byte by byte, the head completes on its last byte: nothing after it yet.
    equal(got.rest.length, 0);
    deepEqual(got.headers, whole.headers);
  });

  it('joins repeated headers with ", " and tolerates an empty line before the request line (RFC 7230 §3.5)', () => {
    const r = parse(request(['', 'GET / HTTP/1.1', 'Host: a', 'X-A: 1', 'x-a: 2']));
    equal(r.headers['x-a'], '1, 2');
  });

  const malformed: Array<[string, string[]]> = [
    ['a request line without version', ['GET /']],
    ['an HTTP/2 preface', ['PRI * HTTP/2.0']],
    ['a header without a colon', ['GET / HTTP/1.1', 'Host a']],
    ['an obs-folded header', ['GET / HTTP/1.1', 'Host: a', ' folded']],
    ['a header name with a space', ['GET / HTTP/1.1', 'Bad Name: x']],
    ['a control character in a value', ['GET / HTTP/1.1', 'Host: a\x01b']],
  ];
  for (const [name, lines] of malformed) {
    it(`${name}: 400 WS_ERR_HANDSHAKE_MALFORMED`, () => {
      const err = throws(() => new RequestParser().push(request(lines)), HandshakeError) as HandshakeError;
      equal(err.code, ErrorCodes.HANDSHAKE_MALFORMED);
      equal(err.status, 400);
    });
  }

  it('a head past maxHeaderBytes or maxHeaders: 431 WS_ERR_HANDSHAKE_TOO_LARGE, before the end arrives', () => {
    const p = new RequestParser({ maxHeaderBytes: 1024 });
    p.push(te.encode('GET / HTTP/1.1\r\n'));
    const err = throws(() => p.push(te.encode('X-Big: ' + 'a'.repeat(1100))), HandshakeError) as HandshakeError;
    equal(err.code, ErrorCodes.HANDSHAKE_TOO_LARGE);
    equal(err.status, 431);
    const many = ['GET / HTTP/1.1', ...Array.from({ length: 11 }, (_v, i) => `X-${i}: v`)];
    const err2 = throws(() => new RequestParser({ maxHeaders: 10 }).push(request(many)), HandshakeError) as HandshakeError;
    equal(err2.status, 431);
  });
});

describe('server handshake: checkUpgrade (§4.2.1)', () => {
  it('a valid request: key, offered subprotocols in order, extensions, origin, target', () => {
    const lines = withHeader('Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits, permessage-deflate');
    const up = checkUpgrade(parse(request(lines)));
    equal(up.key, KEY);
    deepEqual(up.protocols, ['chat', 'superchat']);
    deepEqual(up.extensions.map((e) => [e.name, { ...e.params }]), [
      ['permessage-deflate', { client_max_window_bits: true }],
      ['permessage-deflate', {}],
    ]);
    equal(up.origin, 'http://example.com');
    equal(up.target, '/chat?room=1');
  });

  it('Upgrade and Connection are lists, compared case-insensitively', () => {
    const lines = withHeader('Connection', 'keep-alive, UPGRADE', withHeader('Upgrade', 'h2c, WebSocket'));
    const req = parse(request(lines));
    ok(isUpgradeRequest(req));
    equal(checkUpgrade(req).key, KEY);
    ok(!isUpgradeRequest(parse(request(['GET / HTTP/1.1', 'Host: a']))));
  });

  const table: Array<[string, string[], string, number, Record<string, string>?]> = [
    ['POST', ['POST / HTTP/1.1', ...GOOD.slice(1)], ErrorCodes.HANDSHAKE_METHOD, 405, { allow: 'GET' }],
    ['HTTP/1.0', ['GET / HTTP/1.0', ...GOOD.slice(1)], ErrorCodes.HANDSHAKE_MALFORMED, 400],
    ['no Host', withHeader('Host', undefined), ErrorCodes.HANDSHAKE_MALFORMED, 400],
    ['Connection: keep-alive', withHeader('Connection', 'keep-alive'), ErrorCodes.HANDSHAKE_CONNECTION, 400],
    ['no Connection', withHeader('Connection', undefined), ErrorCodes.HANDSHAKE_CONNECTION, 400],
    ['version 8', withHeader('Sec-WebSocket-Version', '8'), ErrorCodes.HANDSHAKE_VERSION, 426, { 'sec-websocket-version': '13' }],
    ['no version', withHeader('Sec-WebSocket-Version', undefined), ErrorCodes.HANDSHAKE_VERSION, 426, { 'sec-websocket-version': '13' }],
    ['no key', withHeader('Sec-WebSocket-Key', undefined), ErrorCodes.HANDSHAKE_KEY, 400],
    ['a key of 15 bytes', withHeader('Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAA'), ErrorCodes.HANDSHAKE_KEY, 400],
    ['a key that is not base64', withHeader('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ!!'), ErrorCodes.HANDSHAKE_KEY, 400],
    ['a key with one = of padding', withHeader('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ='), ErrorCodes.HANDSHAKE_KEY, 400],
    ['a key with three = of padding', withHeader('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==='), ErrorCodes.HANDSHAKE_KEY, 400],
    ['two keys', [...GOOD, `Sec-WebSocket-Key: ${KEY}`], ErrorCodes.HANDSHAKE_KEY, 400],
    ['a subprotocol that is not a token', withHeader('Sec-WebSocket-Protocol', 'chat, su per'), ErrorCodes.HANDSHAKE_PROTOCOL, 400],
    ['a subprotocol offered twice', withHeader('Sec-WebSocket-Protocol', 'chat, chat'), ErrorCodes.HANDSHAKE_PROTOCOL, 400],
    ['a malformed extension offer', withHeader('Sec-WebSocket-Extensions', 'permessage-deflate; ;'), ErrorCodes.HANDSHAKE_EXTENSION, 400],
  ];
  for (const [name, lines, code, status, headers] of table) {
    it(`${name}: ${status} ${code}`, () => {
      const err = refusal(lines);
      equal(err.code, code);
      equal(err.status, status);
      if (headers) deepEqual({ ...err.headers }, headers);
    });
  }
});

describe('server handshake: answers', () => {
  it('101 with the RFC §1.3 accept value, passing lifeline client-side checks', () => {
    equal(acceptFor(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const text = acceptResponse({ key: KEY, protocol: 'chat', extensions: 'permessage-deflate; server_no_context_takeover', headers: { 'X-Served-By': 'lifeline' } });
    const res = new ResponseParser().push(te.encode(text));
    ok(res !== undefined);
    equal(res.status, 101);
    equal(res.headers['x-served-by'], 'lifeline');
    const negotiated = verifyResponse(res, { key: KEY, protocols: ['chat'], extensions: [perMessageDeflate({ serverNoContextTakeover: true })] });
    equal(negotiated.protocol, 'chat');
    equal(negotiated.extensions.length, 1);
    for (const e of negotiated.extensions) e.dispose();
  });

  it('a 101 without subprotocol or extensions carries neither header', () => {
    const text = acceptResponse({ key: KEY });
    ok(!/Sec-WebSocket-Protocol|Sec-WebSocket-Extensions/i.test(text));
    ok(text.endsWith('\r\n\r\n'));
  });

  it('refusals carry a status, the given headers, a Content-Length that matches and Connection: close', () => {
    const text = refusalResponse(503, { headers: { 'Retry-After': '5' }, body: 'down for maintenance\n' });
    const res = new ResponseParser().push(te.encode(text));
    ok(res !== undefined);
    equal(res.status, 503);
    equal(res.statusText, 'Service Unavailable');
    equal(res.headers['retry-after'], '5');
    equal(res.headers['connection'], 'close');
    equal(new TextDecoder().decode(res.body), 'down for maintenance\n');
    const v = new ResponseParser().push(te.encode(refusalResponse(426, { headers: { 'Sec-WebSocket-Version': '13' } })));
    equal(v?.headers['sec-websocket-version'], '13');
    throws(() => refusalResponse(101), RangeError);
    throws(() => refusalResponse(400, { headers: { 'Content-Length': '3' } }), TypeError);
  });

  it('selectSubprotocol takes the server preference among those offered, else none', () => {
    equal(selectSubprotocol(['a', 'b', 'c'], ['c', 'b']), 'c');
    equal(selectSubprotocol(['a'], ['b']), '');
    equal(selectSubprotocol([], ['b']), '');
  });
});

describe('server handshake: permessage-deflate answers (RFC 7692 §7.1)', () => {
  const offer = (header: string) => parseExtensionHeader(header)[0]!;
  const table: Array<[string, PerMessageDeflateServerOptions, string, string | null]> = [
    ['a bare offer', {}, 'permessage-deflate', 'permessage-deflate'],
    ['server_no_context_takeover asked', {}, 'permessage-deflate; server_no_context_takeover', 'permessage-deflate; server_no_context_takeover'],
    ['server_no_context_takeover forced', { serverNoContextTakeover: true }, 'permessage-deflate', 'permessage-deflate; server_no_context_takeover'],
    ['historySize 0 implies server_no_context_takeover', { historySize: 0 }, 'permessage-deflate', 'permessage-deflate; server_no_context_takeover'],
    ['client_no_context_takeover hinted', {}, 'permessage-deflate; client_no_context_takeover', 'permessage-deflate; client_no_context_takeover'],
    ['client_no_context_takeover demanded', { clientNoContextTakeover: true }, 'permessage-deflate', 'permessage-deflate; client_no_context_takeover'],
    ['server_max_window_bits=10 asked', {}, 'permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=10'],
    ['server_max_window_bits=10 asked, 9 wanted', { serverMaxWindowBits: 9 }, 'permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=9'],
    ['server_max_window_bits announced unasked', { serverMaxWindowBits: 12 }, 'permessage-deflate', 'permessage-deflate; server_max_window_bits=12'],
    ['client_max_window_bits offered, not limited', {}, 'permessage-deflate; client_max_window_bits', 'permessage-deflate'],
    ['client_max_window_bits offered, limited', { clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits', 'permessage-deflate; client_max_window_bits=10'],
    ['client_max_window_bits=9 offered, limit 12 keeps 9', { clientMaxWindowBits: 12 }, 'permessage-deflate; client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=9'],
    ['client_max_window_bits limit without the offer', { clientMaxWindowBits: 10 }, 'permessage-deflate', 'permessage-deflate'],
    ['an unknown parameter: declined', {}, 'permessage-deflate; x_custom', null],
    ['server_max_window_bits without a value: declined', {}, 'permessage-deflate; server_max_window_bits', null],
    ['server_max_window_bits=7: declined', {}, 'permessage-deflate; server_max_window_bits=7', null],
    ['server_max_window_bits=010: declined', {}, 'permessage-deflate; server_max_window_bits=010', null],
    ['client_max_window_bits=16: declined', {}, 'permessage-deflate; client_max_window_bits=16', null],
    ['a value on server_no_context_takeover: declined', {}, 'permessage-deflate; server_no_context_takeover=1', null],
  ];
  for (const [name, options, header, expected] of table) {
    it(`${name}: ${expected ?? 'declined'}`, () => {
      const got = respondToOffer(options, offer(header));
      equal(got === null ? null : got.response, expected);
    });
  }

  it('picks the first acceptable of several offers; ignores extensions it does not know', () => {
    const offers = parseExtensionHeader('x-webkit-deflate-frame, permessage-deflate; x_bad, permessage-deflate; client_max_window_bits');
    const agreed = negotiateServerExtensions(offers, [perMessageDeflateServer({ clientMaxWindowBits: 11 })]);
    equal(agreed.header, 'permessage-deflate; client_max_window_bits=11');
    equal(agreed.extensions.length, 1);
    equal(agreed.extensions[0]!.rsvMask, 0x40);
    for (const e of agreed.extensions) e.dispose();
    const none = negotiateServerExtensions(parseExtensionHeader('permessage-deflate; x_bad'), [perMessageDeflateServer()]);
    deepEqual(none, { header: '', extensions: [] });
  });

  it('invalid server options fail at creation with WS_ERR_INVALID_OPTION and a message naming the option, the rule and what came', () => {
    const cases: { what: string; options: unknown; kind: 'TypeError' | 'RangeError'; message: RegExp }[] = [
      { what: 'window bits above 15', options: { serverMaxWindowBits: 16 }, kind: 'RangeError', message: /^perMessageDeflateServer\(\): option serverMaxWindowBits must be an integer from 8 to 15, got 16$/ },
      { what: 'window bits below 8', options: { clientMaxWindowBits: 7 }, kind: 'RangeError', message: /option clientMaxWindowBits must be an integer from 8 to 15, got 7$/ },
      { what: 'fractional window bits', options: { clientMaxWindowBits: 9.5 }, kind: 'RangeError', message: /option clientMaxWindowBits must be an integer from 8 to 15, got 9\.5$/ },
      { what: 'negative history', options: { historySize: -1 }, kind: 'RangeError', message: /option historySize must be an integer from 0 to 32768, got -1$/ },
      { what: 'history above the window', options: { historySize: 32769 }, kind: 'RangeError', message: /option historySize must be an integer from 0 to 32768, got 32769$/ },
      { what: 'level 11', options: { level: 11 }, kind: 'RangeError', message: /option level must be an integer from 0 to 9, got 11$/ },
      { what: 'a string flag', options: { clientNoContextTakeover: 'yes' }, kind: 'TypeError', message: /option clientNoContextTakeover must be a boolean, got/ },
      { what: 'a string threshold', options: { threshold: '1024' }, kind: 'TypeError', message: /option threshold must be a number, got/ },
      // A typo is refused, not silently ignored (it would leave the default in force).
      { what: 'an unknown key', options: { serverMaxWindowsBits: 10 }, kind: 'TypeError', message: /option names must be among threshold, .*, got "serverMaxWindowsBits"$/ },
      { what: 'not an object', options: 'fast', kind: 'TypeError', message: /options must be an object/ },
    ];
    for (const { what, options, kind, message } of cases) {
      const error = throwsInput(() => perMessageDeflateServer(options as PerMessageDeflateServerOptions), kind, 'WS_ERR_INVALID_OPTION', what);
      ok(message.test(error.message), `${what}: ${error.message}`);
    }
  });

  it('historySize 0 answers server_no_context_takeover unasked', () => {
    const agreed = respondToOffer({ historySize: 0 }, parseExtensionHeader('permessage-deflate')[0]!);
    equal(agreed!.response, 'permessage-deflate; server_no_context_takeover');
  });
});

describe('server handshake: permessage-deflate end to end, a client core against a server core', () => {
  interface End {
    core: Protocol;
    got: string[];
    peer?: End;
  }
  function end(role: 'client' | 'server', options: ProtocolCoreOptions): End {
    const self: End = { core: undefined as unknown as Protocol, got: [] };
    const sink: ProtocolSink = {
      write: (bytes) => self.peer!.core.receive(bytes.slice()),
      message: (data) => self.got.push(new TextDecoder().decode(data)),
      close() {},
      error(e) {
        throw e;
      },
    };
    self.core = new Protocol(sink, { ...options, role });
    return self;
  }

  const variants: Array<[string, PerMessageDeflateOptions, PerMessageDeflateServerOptions]> = [
    ['defaults', {}, {}],
    ['server_no_context_takeover asked', { serverNoContextTakeover: true }, {}],
    ['client_no_context_takeover offered', { clientNoContextTakeover: true }, {}],
    ['client_no_context_takeover demanded', {}, { clientNoContextTakeover: true }],
    ['server_max_window_bits=9 asked', { serverMaxWindowBits: 9 }, {}],
    ['server_max_window_bits=8 announced', {}, { serverMaxWindowBits: 8 }],
    ['client_max_window_bits limited to 9', { clientMaxWindowBits: true }, { clientMaxWindowBits: 9 }],
    ['everything reduced', { clientMaxWindowBits: 10, serverMaxWindowBits: 10, serverNoContextTakeover: true, clientNoContextTakeover: true }, {}],
  ];
  for (const [name, clientOptions, serverOptions] of variants) {
    it(`${name}: messages both ways arrive intact`, () => {
      const factory = perMessageDeflate({ ...clientOptions, threshold: 0 });
      const offers = parseExtensionHeader(factory.offer());
      const agreed = negotiateServerExtensions(offers, [perMessageDeflateServer({ ...serverOptions, threshold: 0 })]);
      ok(agreed.header.startsWith('permessage-deflate'), agreed.header);
      const clientExt = factory.accept(parseExtensionHeader(agreed.header)[0]!);
      const client = end('client', { extensions: [clientExt], random: (b: Uint8Array) => b.fill(5) });
      const server = end('server', { extensions: agreed.extensions });
      client.peer = server;
      server.peer = client;
      const texts = ['{"op":"hello"}', 'x'.repeat(3000), '{"op":"hello","n":2}', 'ü€'.repeat(900), 'abc'.repeat(2000)];
      for (const t of texts) {
        client.core.send(t, false);
        server.core.send(t.toUpperCase(), false);
      }
      deepEqual(server.got, texts);
      deepEqual(client.got, texts.map((t) => t.toUpperCase()));
      client.core.dispose();
      server.core.dispose();
    });
  }
});
