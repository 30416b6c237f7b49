// The opening handshake (RFC 6455 §4.1, §4.2.2): key and accept, the
// request text and its validation (no header injection), the incremental
// response parser with its limits, and every class of failed response.
import { describe, it, equal, deepEqual, throws, throwsInput, ok, hex } from '../support/harness.js';
import { ErrorCodes, HandshakeError } from '../../src/protocol/errors.js';
import { createKey, acceptFor, buildRequest, verifyResponse, parseExtensionHeader, offerExtensions } from '../../src/protocol/handshake.js';
import { ResponseParser, type HttpResponse } from '../../src/protocol/http.js';
import { parseUrl } from '../../src/protocol/url.js';
import { sha1 } from '../../src/protocol/sha1.js';
import { base64Encode } from '../../src/protocol/base64.js';
import { Protocol } from '../../src/protocol/protocol.js';
import type { Extension, ExtensionFactory, ExtensionParams } from '../../src/protocol/types.js';
import { td, frame, concat, Recorder, fixedRandom } from './helpers.js';
import { seededRandom } from '../support/harness.js';

const latin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('handshake: key, SHA-1, base64, accept', () => {
  it('RFC 6455 §1.3 example accept value', () => {
    equal(acceptFor('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
  const shaVectors: [string, string][] = [
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
    ['a'.repeat(1000), '291e9a6c66994949b57ba5e650361e98fc36b1ba'],
  ];
  for (const [input, digest] of shaVectors) {
    it(`sha1 of ${input.length} bytes`, () => equal(hex(sha1(latin(input))), digest));
  }
  // Reference digests from node:crypto, at the lengths where SHA-1 padding changes block count.
  const boundary: [number, string][] = [[55, '7b271259bf2d2d3311f75d398745f5309ff76e09'], [56, 'cc30d5bc02bd26f3da6c5801880078dad9a63032'], [63, '0807f7f930492f9e95070290aeac189e3721bf07'], [64, 'ce2798652a5cbba06c6f736ddeca9724e479e5b7'], [65, 'b0931a65ae5cf3e027199de5f7c56eb0f073c552'], [119, 'c69516277e59324c6533caed0d3f7974cbc86061'], [120, 'b265d110f022092352c9471f056c857b31ad79d8']];
  for (const [n, digest] of boundary) {
    it(`sha1 of ${n} bytes (padding boundary)`, () => equal(hex(sha1(latin('q'.repeat(n)))), digest));
  }
  const b64: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
    ['\xff\xfe\xfd', '//79'],
  ];
  for (const [input, out] of b64) it(`base64(${JSON.stringify(input)}) = ${out} (RFC 4648 §10)`, () => equal(base64Encode(latin(input)), out));
  it('createKey: 16 random bytes, base64 (24 chars), fresh per call', () => {
    const rnd = seededRandom(3);
    const a = createKey(rnd);
    const b = createKey(rnd);
    equal(a.length, 24);
    ok(a.endsWith('=='));
    ok(a !== b);
    const ref = new Uint8Array(32);
    seededRandom(3)(ref.subarray(0, 16));
    equal(a, base64Encode(ref.subarray(0, 16)));
  });
});

describe('handshake: buildRequest', () => {
  const url = parseUrl('ws://example.com:8080/chat?x=1');
  it('builds the exact request (§4.1)', () => {
    equal(
      buildRequest({ url, key: 'dGhlIHNhbXBsZSBub25jZQ==', protocols: ['chat', 'superchat'], extensions: 'permessage-deflate; client_max_window_bits', origin: 'http://example.com', headers: { 'X-Token': 'abc', Cookie: 'a=b; c=d' } }),
      'GET /chat?x=1 HTTP/1.1\r\n' +
        'Host: example.com:8080\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        'Sec-WebSocket-Version: 13\r\n' +
        'Origin: http://example.com\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' +
        'X-Token: abc\r\n' +
        'Cookie: a=b; c=d\r\n' +
        '\r\n',
    );
  });
  it('minimal request: default port omitted, IPv6 host in brackets, headers as entries', () => {
    const req = buildRequest({ url: parseUrl('wss://[::1]/'), key: 'k', headers: [['A', '1'], ['A', '2']] });
    equal(req, 'GET / HTTP/1.1\r\nHost: [::1]\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\nA: 1\r\nA: 2\r\n\r\n');
  });
  const badProtocols: [string, string[]][] = [
    ['empty string', ['']],
    ['space', ['a b']],
    ['comma', ['a,b']],
    ['non-ASCII', ['chät']],
    ['separator', ['a/b']],
    ['CRLF', ['a\r\nX: y']],
    ['duplicate', ['chat', 'chat']],
  ];
  for (const [name, protocols] of badProtocols) {
    it(`refuses subprotocols (${name}) with SyntaxError WS_ERR_INVALID_SUBPROTOCOL`, () => {
      throwsInput(() => buildRequest({ url, key: 'k', protocols }), 'SyntaxError', 'WS_ERR_INVALID_SUBPROTOCOL');
      throws(() => buildRequest({ url, key: 'k', protocols }), ErrorCodes.INVALID_SUBPROTOCOL);
    });
  }
  const badHeaders: [string, Record<string, string> | [string, string][]][] = [
    ['CRLF in value (injection)', { 'X-A': 'v\r\nInjected: yes' }],
    ['LF in value', { 'X-A': 'v\nx' }],
    ['CR in value', { 'X-A': 'v\rx' }],
    ['NUL in value', { 'X-A': 'v\0x' }],
    ['other control char', { 'X-A': 'v\x01' }],
    ['colon in name', { 'X:A': 'v' }],
    ['space in name', { 'X A': 'v' }],
    ['CRLF in name', { 'X\r\nY': 'v' }],
    ['empty name', { '': 'v' }],
    ['Host that is not host[:port]', { Host: 'evil host' }],
    ['Host with a port above 65535', { Host: 'a:65536' }],
    ['Host given twice', [['Host', 'a'], ['host', 'b']] as [string, string][]],
    ['upgrade', { upgrade: 'h2c' }],
    ['CONNECTION', { CONNECTION: 'close' }],
    ['Sec-WebSocket-Key', { 'Sec-WebSocket-Key': 'x' }],
    ['Sec-WebSocket-Version', { 'sec-websocket-version': '8' }],
    ['Sec-WebSocket-Extensions', { 'Sec-WebSocket-Extensions': 'x' }],
    ['Sec-WebSocket-Protocol', { 'Sec-WebSocket-Protocol': 'x' }],
    ['Content-Length', { 'Content-Length': '5' }],
    ['Transfer-Encoding', { 'Transfer-Encoding': 'chunked' }],
  ];
  for (const [name, headers] of badHeaders) {
    it(`refuses header ${name} with TypeError WS_ERR_INVALID_HEADER`, () => {
      throwsInput(() => buildRequest({ url, key: 'k', headers }), 'TypeError', 'WS_ERR_INVALID_HEADER');
      throws(() => buildRequest({ url, key: 'k', headers }), ErrorCodes.INVALID_HEADER);
    });
  }
  it('Host: a valid host[:port] replaces the URL host (RFC 9110 §7.2), once, in its place', () => {
    const req = buildRequest({ url: parseUrl('ws://127.0.0.1:9000/x'), key: 'k', headers: { 'X-A': '1', host: 'virtual.test:8443' } });
    equal(req, 'GET /x HTTP/1.1\r\nHost: virtual.test:8443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\nX-A: 1\r\n\r\n');
    for (const host of ['[::1]', '[2001:db8::1]:443', '10.0.0.1:80', 'a-b.example', 'xn--bcher-kva.example', '%41.test']) {
      ok(buildRequest({ url, key: 'k', headers: { Host: host } }).includes(`\r\nHost: ${host}\r\n`), host);
    }
  });
  it('Origin: as a header when the option is absent; refused when both are given; validated', () => {
    ok(buildRequest({ url, key: 'k', headers: { Origin: 'https://a' } }).includes('\r\nOrigin: https://a\r\n'));
    throws(() => buildRequest({ url, key: 'k', origin: 'https://a', headers: { origin: 'https://b' } }), ErrorCodes.INVALID_HEADER);
    throws(() => buildRequest({ url, key: 'k', origin: 'https://a\r\nX: y' }), ErrorCodes.INVALID_HEADER);
  });
  it('offerExtensions joins factory offers', () => {
    const f = (offer: string) => ({ name: 'x', offer: () => offer, accept: () => null as unknown as Extension });
    equal(offerExtensions([f('a; b'), f(''), f('c')]), 'a; b, c');
  });
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const GOOD = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`;

function parse(text: string | Uint8Array, limits = {}): HttpResponse {
  const p = new ResponseParser(limits);
  const res = p.push(typeof text === 'string' ? latin(text) : text);
  return res ?? p.end();
}

describe('handshake: ResponseParser', () => {
  it('101: completes at the end of the header block; bytes after it are the first frame bytes', () => {
    const first = frame(1, 'hi');
    const res = parse(concat(latin(GOOD), first));
    equal(res.status, 101);
    equal(res.statusText, 'Switching Protocols');
    deepEqual(res.headers, { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT });
    equal(hex(res.rest), hex(first));
    // ...which the protocol then parses.
    const rec = new Recorder();
    new Protocol(rec, { random: fixedRandom }).receive(res.rest);
    deepEqual(rec.events, [['message', 'hi', false]]);
  });
  it('headers split across reads at every byte boundary give the same response', () => {
    const all = concat(latin(GOOD), frame(2, new Uint8Array([7])));
    for (let cut = 0; cut <= all.length; cut++) {
      const p = new ResponseParser();
      const a = p.push(all.subarray(0, cut));
      const res = a ?? p.push(all.subarray(cut));
      ok(res, `cut ${cut}`);
      equal(res.status, 101);
      if (a) equal(hex(concat(a.rest, all.subarray(cut))), hex(frame(2, new Uint8Array([7]))));
      else equal(hex(res.rest), hex(frame(2, new Uint8Array([7]))));
    }
  });
  it('one byte at a time', () => {
    const p = new ResponseParser();
    const bytes = latin(GOOD);
    let res: HttpResponse | undefined;
    for (let i = 0; i < bytes.length; i++) {
      equal(res, undefined);
      res = p.push(bytes.subarray(i, i + 1));
    }
    equal(res?.status, 101);
    equal(res?.rest.length, 0);
  });
  it('repeated headers are joined with ", " and kept raw in order', () => {
    const res = parse('HTTP/1.1 101 OK\r\nX-A: 1\r\nx-a:2\r\nX-B:  spaced  \r\n\r\n');
    equal(res.headers['x-a'], '1, 2');
    equal(res.headers['x-b'], 'spaced');
    deepEqual(res.rawHeaders, [
      ['X-A', '1'],
      ['x-a', '2'],
      ['X-B', 'spaced'],
    ]);
  });
  it('non-101 with Content-Length: waits for the body, keeps at most maxBodyBytes', () => {
    const p = new ResponseParser({ maxBodyBytes: 10 });
    equal(p.push(latin('HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nno')), undefined);
    const res = p.push(latin('pe!extra'));
    equal(res?.status, 403);
    equal(td.decode(res!.body), 'nope!');
    const big = parse(`HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\n${'x'.repeat(100)}`, { maxBodyBytes: 10 });
    equal(td.decode(big.body), 'x'.repeat(10));
  });
  it('non-101 chunked: de-chunked up to the limit', () => {
    const res = parse('HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n');
    equal(td.decode(res.body), 'Wikipedia');
    const p = new ResponseParser();
    equal(p.push(latin('HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi')), undefined);
    equal(td.decode(p.end().body), 'Wi');
  });
  it('non-101 without length: body until end() or maxBodyBytes', () => {
    const p = new ResponseParser({ maxBodyBytes: 8 });
    equal(p.push(latin('HTTP/1.1 502 Bad Gateway\r\n\r\nabc')), undefined);
    equal(td.decode(p.end().body), 'abc');
    const q = new ResponseParser({ maxBodyBytes: 8 });
    equal(td.decode(q.push(latin('HTTP/1.1 502 Bad Gateway\r\n\r\n0123456789'))!.body), '01234567');
  });
  it('204/304 have no body', () => {
    for (const st of [204, 304]) equal(parse(`HTTP/1.1 ${st} X\r\nContent-Length: 9\r\n\r\n`).body.length, 0);
  });
  it('interim 1xx responses before the final one are skipped (RFC 9110 §15.2), split at every byte', () => {
    const first = frame(1, 'hi');
    const all = concat(latin('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' + GOOD), first);
    for (let cut = 0; cut <= all.length; cut++) {
      const p = new ResponseParser();
      const a = p.push(all.subarray(0, cut));
      const res = a ?? p.push(all.subarray(cut));
      ok(res, `cut ${cut}`);
      equal(res.status, 101);
      equal(res.headers['link'], undefined, 'the interim headers are not the final ones');
      equal(hex(a ? concat(a.rest, all.subarray(cut)) : res.rest), hex(first));
    }
    const refused = parse('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno');
    equal(refused.status, 403);
    equal(td.decode(refused.body), 'no');
  });
  it('interim heads count against maxHeaderBytes: an endless stream of 100 Continue fails', () => {
    const p = new ResponseParser({ maxHeaderBytes: 1000 });
    throws(() => {
      for (let i = 0; i < 100; i++) p.push(latin('HTTP/1.1 100 Continue\r\n\r\n'));
    }, ErrorCodes.HANDSHAKE_TOO_LARGE);
  });
  it('a bare LF fails at once as malformed, before the header block could end', () => {
    const p = new ResponseParser();
    throws(() => p.push(latin('HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n')), ErrorCodes.HANDSHAKE_MALFORMED);
    const q = new ResponseParser();
    equal(q.push(latin('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r')), undefined, 'a CR whose LF comes in the next read is fine');
    throws(() => q.push(latin('\nConnection: Upgrade\n')), ErrorCodes.HANDSHAKE_MALFORMED);
    throws(() => parse('\n'), ErrorCodes.HANDSHAKE_MALFORMED);
  });
  it('headOnly: any status completes at the end of its head, with the bytes after it as rest (a CONNECT answer)', () => {
    const ok200 = new ResponseParser({ headOnly: true }).push(latin('HTTP/1.1 200 Connection Established\r\n\r\nxy'));
    equal(ok200?.status, 200);
    equal(td.decode(ok200!.rest), 'xy');
    const refused = new ResponseParser({ headOnly: true }).push(latin('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 100\r\n\r\n'));
    equal(refused?.status, 407);
    equal(refused?.body.length, 0);
  });
  it('responseHead is there once the head is in; cut() takes the body received so far', () => {
    const p = new ResponseParser();
    equal(p.push(latin('HTTP/1.1 503 Busy\r\nRetry-After: 5\r\nContent-Length: 100\r\n\r\nmaint')), undefined);
    equal(p.responseHead?.status, 503);
    equal(p.responseHead?.headers['retry-after'], '5');
    const res = p.cut();
    equal(res?.status, 503);
    equal(td.decode(res!.body), 'maint');
    equal(new ResponseParser().cut(), undefined);
  });
  it('EOF before the header block ends: WS_ERR_HANDSHAKE_EOF', () => {
    for (const partial of ['', 'HTTP/1.1 101', GOOD.slice(0, -2)]) {
      const p = new ResponseParser();
      p.push(latin(partial));
      throws(() => p.end(), ErrorCodes.HANDSHAKE_EOF);
    }
  });
  it('oversized header block: WS_ERR_HANDSHAKE_TOO_LARGE without waiting for the end', () => {
    const p = new ResponseParser({ maxHeaderBytes: 100 });
    equal(p.push(latin('HTTP/1.1 101 OK\r\n')), undefined);
    throws(() => p.push(latin(`X-Big: ${'a'.repeat(100)}`)), ErrorCodes.HANDSHAKE_TOO_LARGE);
    throws(() => parse(`HTTP/1.1 101 OK\r\nX: ${'a'.repeat(200)}\r\n\r\n`, { maxHeaderBytes: 100 }), ErrorCodes.HANDSHAKE_TOO_LARGE);
    throws(() => parse(`HTTP/1.1 101 OK\r\n${'X: 1\r\n'.repeat(101)}\r\n`), ErrorCodes.HANDSHAKE_TOO_LARGE);
    equal(parse(`HTTP/1.1 101 OK\r\n${'X: 1\r\n'.repeat(100)}\r\n`).status, 101);
  });
  const malformed: [string, string][] = [
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['HTTP/2 status line', 'HTTP/2 101\r\n\r\n'],
    ['HTTP/1.1 two-digit status', 'HTTP/1.1 10 X\r\n\r\n'],
    ['status with letters', 'HTTP/1.1 1O1 X\r\n\r\n'],
    ['header without colon', 'HTTP/1.1 101 OK\r\nUpgrade websocket\r\n\r\n'],
    ['obs-fold continuation', 'HTTP/1.1 101 OK\r\nUpgrade: web\r\n socket\r\n\r\n'],
    ['space before colon', 'HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n'],
    ['bare CR in value', 'HTTP/1.1 101 OK\r\nUpgrade: web\rsocket\r\n\r\n'],
    ['NUL in value', 'HTTP/1.1 101 OK\r\nUpgrade: web\0socket\r\n\r\n'],
    ['bad content-length', 'HTTP/1.1 400 OK\r\nContent-Length: 1x\r\n\r\n'],
  ];
  for (const [name, text] of malformed) {
    it(`malformed response (${name}): WS_ERR_HANDSHAKE_MALFORMED`, () => {
      throws(() => parse(text), ErrorCodes.HANDSHAKE_MALFORMED);
      throws(() => parse(text), HandshakeError);
    });
  }
  it('push after completion is a caller error', () => {
    const p = new ResponseParser();
    p.push(latin(GOOD));
    throws(() => p.push(new Uint8Array(1)), ErrorCodes.INVALID_STATE);
  });
});

class TestFactory implements ExtensionFactory {
  readonly name: string;
  accepted: ExtensionParams[] = [];
  disposed = 0;
  constructor(name = 'permessage-test', private readonly rsv = 0x40, private readonly refuse = false) {
    this.name = name;
  }
  offer(): string {
    return this.name;
  }
  accept(params: ExtensionParams): Extension {
    if (this.refuse) throw new HandshakeError(ErrorCodes.HANDSHAKE_EXTENSION, 'bad params');
    this.accepted.push(params);
    const self = this;
    return { name: this.name, rsvMask: this.rsv, decode: (p) => p, encode: () => null, dispose: () => void self.disposed++ };
  }
}

function response(extra: string, status = '101 Switching Protocols', base = true): HttpResponse {
  const head = base ? `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n` : '';
  return parse(`HTTP/1.1 ${status}\r\n${head}${extra}\r\n`);
}
const opts = (protocols: string[] = [], extensions: ExtensionFactory[] = []) => ({ key: KEY, protocols, extensions });

describe('handshake: verifyResponse', () => {
  it('accepts a correct response', () => {
    deepEqual(verifyResponse(response(''), opts()), { protocol: '', extensions: [], extensionsHeader: '' });
  });
  it('a non-101 status fails with WS_ERR_HANDSHAKE_STATUS carrying status, headers and the bounded body', () => {
    for (const st of [200, 301, 400, 401, 403, 404, 426, 500, 503]) {
      const res = parse(`HTTP/1.1 ${st} Nope\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\ngo away!!`);
      const err = throws(() => verifyResponse(res, opts()), ErrorCodes.HANDSHAKE_STATUS) as HandshakeError;
      equal(err.status, st);
      equal(err.headers['content-type'], 'text/plain');
      equal(err.bodyText, 'go away!!');
    }
  });
  const cases: [string, string, string, boolean?][] = [
    ['missing Upgrade', `Connection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_UPGRADE, false],
    ['Upgrade: h2c', `Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_UPGRADE, false],
    ['Upgrade: websocket2', `Upgrade: websocket2\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_UPGRADE, false],
    ['missing Connection', `Upgrade: websocket\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_CONNECTION, false],
    ['Connection: keep-alive', `Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_CONNECTION, false],
    ['Connection: upgraded', `Upgrade: websocket\r\nConnection: upgraded\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_CONNECTION, false],
    ['missing accept', 'Upgrade: websocket\r\nConnection: Upgrade\r\n', ErrorCodes.HANDSHAKE_ACCEPT, false],
    ['wrong accept', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOX=\r\n', ErrorCodes.HANDSHAKE_ACCEPT, false],
    ['accept of the key itself', `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${KEY}\r\n`, ErrorCodes.HANDSHAKE_ACCEPT, false],
    ['two accept headers', `Sec-WebSocket-Accept: ${ACCEPT}\r\n`, ErrorCodes.HANDSHAKE_ACCEPT],
    ['subprotocol when none was offered', 'Sec-WebSocket-Protocol: chat\r\n', ErrorCodes.HANDSHAKE_PROTOCOL],
    ['extension when none was offered', 'Sec-WebSocket-Extensions: permessage-deflate\r\n', ErrorCodes.HANDSHAKE_EXTENSION],
  ];
  for (const [name, headers, code, base] of cases) {
    it(`${name}: ${code}`, () => {
      const err = throws(() => verifyResponse(response(headers, undefined, base ?? true), opts()), code) as HandshakeError;
      equal(err.status, 101);
    });
  }
  it('case-insensitive Upgrade value and Connection token lists pass', () => {
    for (const [u, c] of [
      ['WebSocket', 'upgrade'],
      ['WEBSOCKET', 'keep-alive, Upgrade'],
      ['websocket', 'Upgrade,keep-alive'],
    ]) {
      verifyResponse(parse(`HTTP/1.1 101 OK\r\nUpgrade: ${u}\r\nConnection: ${c}\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`), opts());
    }
  });
  it('subprotocols: must be one offered; none chosen is allowed; two headers fail', () => {
    equal(verifyResponse(response('Sec-WebSocket-Protocol: superchat\r\n'), opts(['chat', 'superchat'])).protocol, 'superchat');
    equal(verifyResponse(response(''), opts(['chat'])).protocol, '');
    throws(() => verifyResponse(response('Sec-WebSocket-Protocol: other\r\n'), opts(['chat'])), ErrorCodes.HANDSHAKE_PROTOCOL);
    throws(() => verifyResponse(response('Sec-WebSocket-Protocol: Chat\r\n'), opts(['chat'])), ErrorCodes.HANDSHAKE_PROTOCOL);
    throws(() => verifyResponse(response('Sec-WebSocket-Protocol: chat, superchat\r\n'), opts(['chat', 'superchat'])), ErrorCodes.HANDSHAKE_PROTOCOL);
    throws(() => verifyResponse(response('Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n'), opts(['chat'])), ErrorCodes.HANDSHAKE_PROTOCOL);
  });
  it('extensions: the factory gets the parsed params and builds the extension', () => {
    const f = new TestFactory();
    const r = verifyResponse(response('Sec-WebSocket-Extensions: permessage-test; a; b=2; c="3"\r\n'), opts([], [f]));
    equal(r.extensions.length, 1);
    equal(r.extensionsHeader, 'permessage-test; a; b=2; c="3"');
    deepEqual(f.accepted, [{ name: 'permessage-test', params: { a: true, b: '2', c: '3' } }]);
  });
  it('extensions: not offered, offered twice in the response, RSV clash, factory refusal, malformed header', () => {
    const f = new TestFactory();
    throws(() => verifyResponse(response('Sec-WebSocket-Extensions: x-other\r\n'), opts([], [f])), ErrorCodes.HANDSHAKE_EXTENSION);
    throws(() => verifyResponse(response('Sec-WebSocket-Extensions: permessage-test, permessage-test\r\n'), opts([], [f])), ErrorCodes.HANDSHAKE_EXTENSION);
    equal(f.disposed, 1, 'the first accepted extension is released');
    const g = new TestFactory('x-second', 0x40);
    throws(() => verifyResponse(response('Sec-WebSocket-Extensions: permessage-test, x-second\r\n'), opts([], [new TestFactory(), g])), ErrorCodes.HANDSHAKE_EXTENSION);
    throws(() => verifyResponse(response('Sec-WebSocket-Extensions: permessage-test\r\n'), opts([], [new TestFactory('permessage-test', 0x40, true)])), ErrorCodes.HANDSHAKE_EXTENSION);
    throws(() => verifyResponse(response('Sec-WebSocket-Extensions: permessage-test;;\r\n'), opts([], [new TestFactory()])), ErrorCodes.HANDSHAKE_EXTENSION);
  });
});

describe('handshake: parseExtensionHeader (RFC 6455 §9.1)', () => {
  const good: [string, ExtensionParams[]][] = [
    ['permessage-deflate', [{ name: 'permessage-deflate', params: {} }]],
    ['permessage-deflate; client_max_window_bits', [{ name: 'permessage-deflate', params: { client_max_window_bits: true } }]],
    ['permessage-deflate;server_max_window_bits=10', [{ name: 'permessage-deflate', params: { server_max_window_bits: '10' } }]],
    ['permessage-deflate ; server_max_window_bits = "10" ', [{ name: 'permessage-deflate', params: { server_max_window_bits: '10' } }]],
    ['a, b; c, d', [{ name: 'a', params: {} }, { name: 'b', params: { c: true } }, { name: 'd', params: {} }]],
    ['mux; max-channels=4; flow-control, deflate-stream', [{ name: 'mux', params: { 'max-channels': '4', 'flow-control': true } }, { name: 'deflate-stream', params: {} }]],
    ['a; q="t\\ok"', [{ name: 'a', params: { q: 'tok' } }]],
    // RFC 7230 §7: empty list elements are ignored (several header lines, one empty, joined by ', ').
    ['permessage-deflate, ', [{ name: 'permessage-deflate', params: {} }]],
    [', a', [{ name: 'a', params: {} }]],
    ['a,, b ,', [{ name: 'a', params: {} }, { name: 'b', params: {} }]],
  ];
  for (const [value, expected] of good) {
    it(`parses ${JSON.stringify(value)}`, () => deepEqual(parseExtensionHeader(value), expected));
  }
  const bad = ['', ' ', ',', ' , ,', 'a;', 'a; =1', 'a; b=', 'a; b="', 'a; b="x y"', 'a; b="', 'a; b=1; b=2', 'a b', 'a; b=1 2', 'a; b="1"x', 'ä', 'a; b=@'];
  for (const value of bad) {
    it(`refuses ${JSON.stringify(value)} with WS_ERR_HANDSHAKE_EXTENSION`, () => {
      throws(() => parseExtensionHeader(value), ErrorCodes.HANDSHAKE_EXTENSION);
    });
  }
});

