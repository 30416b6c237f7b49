/**
 * http.ts on its own: ResponseParser, bytes in, one response out (RFC 7230
 * §3, RFC 9112 §2.2, RFC 9110 §15.2, RFC 6455 §4.1). A 101 completes at the
 * end of its header block with the following bytes in `rest`, at any
 * chunking; other statuses wait for a bounded body (Content-Length, chunked,
 * or the end of the connection); interim 1xx heads are skipped; malformed
 * and oversized heads fail with stable codes.
 */
import { describe, it, equal, deepEqual, ok, hex, throws } from '../support/harness.js';
import { ErrorCodes, HandshakeError } from '../../src/protocol/errors.js';
import { MAX_CHUNK_FRAMING, ResponseParser, type HttpResponse } from '../../src/protocol/http.js';

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';

/** Feeds `bytes` in pieces of `size`, returning the response once complete. */
function pushInPieces(parser: ResponseParser, bytes: Uint8Array, size: number): HttpResponse | undefined {
  let response: HttpResponse | undefined;
  for (let at = 0; at < bytes.length && response === undefined; at += size) response = parser.push(bytes.subarray(at, at + size));
  return response;
}

function failsWith(fn: () => unknown, code: string): void {
  const error = throws(fn, HandshakeError) as HandshakeError;
  equal(error.code, code);
}

describe('ResponseParser: 101', () => {
  it('completes at the end of the header block with lower-cased, joined headers and the raw ones in order', () => {
    const response = new ResponseParser().push(latin1('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-A: 1\r\nx-a: 2\r\n\r\n'));
    ok(response !== undefined);
    deepEqual([response.status, response.statusText], [101, 'Switching Protocols']);
    deepEqual(response.headers, { upgrade: 'websocket', 'x-a': '1, 2' });
    deepEqual(response.rawHeaders, [
      ['Upgrade', 'websocket'],
      ['X-A', '1'],
      ['x-a', '2'],
    ]);
    equal(response.rest.length, 0);
  });

  it('keeps the bytes after the head (the first frames) in `rest`, at every chunking', () => {
    const frames = [0x81, 0x02, 0x68, 0x69];
    const bytes = new Uint8Array([...latin1(SWITCHING), ...frames]);
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      const parser = new ResponseParser();
      let response = pushInPieces(parser, bytes, size);
      ok(response !== undefined, `piece size ${size}`);
      // Pieces after the one that completed the head carry more frame bytes: the caller passes them to the core.
      const consumed = Math.ceil(latin1(SWITCHING).length / size) * size;
      const more = bytes.subarray(Math.min(consumed, bytes.length));
      equal(hex(new Uint8Array([...response.rest, ...more])), '81026869', `piece size ${size}`);
      response = undefined;
    }
  });

  it('trims optional whitespace around values and accepts an empty value and no reason phrase', () => {
    const response = new ResponseParser().push(latin1('HTTP/1.1 101\r\nA: \t x \t\r\nB:\r\n\r\n'));
    deepEqual([response?.statusText, response?.headers], ['', { a: 'x', b: '' }]);
  });

  it('skips interim 1xx responses before the final one (RFC 9110 §15.2)', () => {
    const response = new ResponseParser().push(latin1('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + SWITCHING));
    equal(response?.status, 101);
    equal(response?.headers['link'], undefined);
  });

  it('refuses a second push once complete (WS_ERR_INVALID_STATE)', () => {
    const parser = new ResponseParser();
    parser.push(latin1(SWITCHING));
    const error = throws(() => parser.push(latin1('x'))) as Error & { code?: string };
    equal(error.code, ErrorCodes.INVALID_STATE);
  });
});

describe('ResponseParser: other statuses and their body', () => {
  it('waits for Content-Length bytes of body', () => {
    const parser = new ResponseParser();
    equal(parser.push(latin1('HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nno')), undefined);
    equal(parser.responseHead?.status, 403, 'the head is known before the body');
    const response = parser.push(latin1('pe!'));
    deepEqual([response?.status, new TextDecoder().decode(response?.body)], [403, 'nope!']);
  });

  it('keeps at most maxBodyBytes of a body, and completes once it has them', () => {
    const parser = new ResponseParser({ maxBodyBytes: 4 });
    const response = parser.push(latin1('HTTP/1.1 500 Oops\r\nContent-Length: 1000000\r\n\r\n123456'));
    equal(new TextDecoder().decode(response?.body), '1234');
  });

  it('de-chunks a chunked body (RFC 7230 §4.1)', () => {
    const response = new ResponseParser().push(latin1('HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n'));
    equal(new TextDecoder().decode(response?.body), 'abcde');
  });

  it('a body without a length ends with the connection: end() returns what came', () => {
    const parser = new ResponseParser();
    equal(parser.push(latin1('HTTP/1.1 502 Bad Gateway\r\n\r\npartial')), undefined);
    const response = parser.end();
    deepEqual([response.status, new TextDecoder().decode(response.body)], [502, 'partial']);
  });

  it('cut() takes the response with the body so far; undefined before the head', () => {
    const parser = new ResponseParser();
    equal(parser.cut(), undefined);
    parser.push(latin1('HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nContent-Length: 10\r\n\r\nab'));
    const response = parser.cut();
    deepEqual([response?.status, response?.headers['retry-after'], new TextDecoder().decode(response?.body)], [429, '3', 'ab']);
  });

  it('takes 599, the last valid status (RFC 9110 §15), as a refusal', () => {
    equal(new ResponseParser().push(latin1('HTTP/1.1 599 Network Connect Timeout\r\nContent-Length: 0\r\n\r\n'))?.status, 599);
  });

  it('204 and 304 have no body', () => {
    equal(new ResponseParser().push(latin1('HTTP/1.1 204 No Content\r\n\r\n'))?.body.length, 0);
  });

  it('headOnly completes any status at the end of its head, with `rest` (a CONNECT answer)', () => {
    const response = new ResponseParser({ headOnly: true }).push(latin1('HTTP/1.1 200 Connection established\r\n\r\n\x16\x03'));
    deepEqual([response?.status, hex(response!.rest)], [200, '1603']);
  });

  it('end() before the head is complete fails with WS_ERR_HANDSHAKE_EOF', () => {
    const parser = new ResponseParser();
    parser.push(latin1('HTTP/1.1 101 Switching'));
    failsWith(() => parser.end(), ErrorCodes.HANDSHAKE_EOF);
  });
});

describe('ResponseParser: a chunked refusal body stays within maxBodyBytes + MAX_CHUNK_FRAMING bytes', () => {
  const CHUNKED_503 = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n';
  const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

  /** Pushes the head, then `body` in pieces of `size` bytes; returns the response and how many body bytes it took. */
  function bodyBytesUntilComplete(parser: ResponseParser, body: Uint8Array, size: number): { response: HttpResponse | undefined; pushed: number } {
    let response = parser.push(latin1(CHUNKED_503));
    let pushed = 0;
    for (let at = 0; response === undefined && at < body.length; at += size) {
      const piece = body.subarray(at, at + size);
      response = parser.push(piece);
      pushed += piece.length;
    }
    return { response, pushed };
  }

  it('a chunk-size line that never ends (no CRLF, ever) completes the response once MAX_CHUNK_FRAMING bytes are in', () => {
    const piece = new Uint8Array(64 * 1024).fill(0x78); // 'x'
    const flood = new Uint8Array(20 * piece.length).fill(0x78);
    // Unbounded, 400 such 64 KiB pushes were all kept (25 MiB, copied again at every push); bounded, the first one completes it.
    const whole = bodyBytesUntilComplete(new ResponseParser({ maxBodyBytes: 4096 }), flood, piece.length);
    deepEqual([whole.response?.status, whole.response?.body.length, whole.pushed], [503, 0, piece.length]);
    for (const size of [1, 100, 1000]) {
      const { response, pushed } = bodyBytesUntilComplete(new ResponseParser({ maxBodyBytes: 4096 }), flood, size);
      equal(response?.status, 503, `pieces of ${size}`);
      ok(pushed > MAX_CHUNK_FRAMING && pushed <= MAX_CHUNK_FRAMING + size, `pieces of ${size}: completed after ${pushed} bytes`);
    }
  });

  it('framing that outweighs its data (long extensions, one-byte chunks) ends the body at MAX_CHUNK_FRAMING', () => {
    for (const chunk of [`1;ext=${'e'.repeat(200)}\r\nx\r\n`, '1\r\nx\r\n']) {
      const { response, pushed } = bodyBytesUntilComplete(new ResponseParser({ maxBodyBytes: 4096 }), latin1(chunk.repeat(1000)), 7);
      ok(response !== undefined && pushed <= 4096 + MAX_CHUNK_FRAMING + 7, `${JSON.stringify(chunk.slice(0, 8))}: completed after ${pushed} bytes`);
      // Every chunk is one data byte and chunk.length - 1 bytes of framing.
      const chunks = MAX_CHUNK_FRAMING / (chunk.length - 1);
      equal(text(response.body), 'x'.repeat(response.body.length));
      ok(response.body.length >= Math.floor(chunks) && response.body.length <= Math.ceil(chunks), `${response.body.length} body bytes`);
    }
  });

  it('a large chunk is cut at maxBodyBytes, and the response completes then', () => {
    const parser = new ResponseParser({ maxBodyBytes: 8 });
    equal(parser.push(latin1(`${CHUNKED_503}100000\r\nabcd`)), undefined);
    equal(text(parser.push(latin1('efghijkl'))?.body), 'abcdefgh');
  });

  it('framing that breaks the grammar ends the body where it broke', () => {
    for (const [what, body, expected] of [
      ['a size that is not hex', '3\r\nabc\r\nzz\r\nmore', 'abc'],
      ['data not followed by CRLF', '3\r\nabcXY\r\n2\r\nde\r\n', 'abc'],
      ['a bare LF after the size', '3\nabc\r\n', ''],
      ['the last chunk, with trailers left unread', '3\r\nabc\r\n0\r\nX-Trailer: 1', 'abc'],
    ]) {
      equal(text(new ResponseParser().push(latin1(CHUNKED_503 + body))?.body), expected, what);
    }
  });

  it('de-chunks the same at every chunking, and keeps copies of what it was pushed', () => {
    const bytes = latin1(`${CHUNKED_503}4\r\nmain\r\n7;x="y"\r\ntenance\r\n0\r\n\r\n`);
    for (const size of [1, 2, 3, 5, 8, 13, bytes.length]) {
      const parser = new ResponseParser();
      let response: HttpResponse | undefined;
      for (let at = 0; at < bytes.length && response === undefined; at += size) {
        // Once the head is in, the caller may read into the memory it pushed again: the body is kept as copies.
        const piece = bytes.slice(at, at + size);
        response = parser.push(piece);
        if (parser.responseHead !== undefined) piece.fill(0xee);
      }
      equal(text(response?.body), 'maintenance', `pieces of ${size}`);
    }
  });
});

describe('ResponseParser: malformed and oversized heads', () => {
  const malformed: [string, string][] = [
    ['a status line that is not HTTP/1.x', 'HTTP/2 101\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 10 x\r\n\r\n'],
    ['a status below 100 (RFC 9110 §15)', 'HTTP/1.1 099 X\r\n\r\n'],
    ['a status of 000', 'HTTP/1.1 000 X\r\nContent-Length: 0\r\n\r\n'],
    ['a status above 599', 'HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 101 x\r\nUpgrade websocket\r\n\r\n'],
    ['obs-fold (a line starting with a space)', 'HTTP/1.1 101 x\r\nA: 1\r\n continued\r\n\r\n'],
    ['a header name that is not a token', 'HTTP/1.1 101 x\r\nBad Name: 1\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 101 x\r\nA: 1\x012\r\n\r\n'],
    ['an invalid Content-Length', 'HTTP/1.1 400 x\r\nContent-Length: 12abc\r\n\r\n'],
  ];
  for (const [what, text] of malformed) {
    it(`refuses ${what}: WS_ERR_HANDSHAKE_MALFORMED`, () => failsWith(() => new ResponseParser().push(latin1(text)), ErrorCodes.HANDSHAKE_MALFORMED));
  }

  it('fails at a bare LF at once, without waiting for a CRLFCRLF', () => {
    failsWith(() => new ResponseParser().push(latin1('HTTP/1.1 101 x\n')), ErrorCodes.HANDSHAKE_MALFORMED);
  });

  it('fails when the head outgrows maxHeaderBytes, before it is complete', () => {
    const parser = new ResponseParser({ maxHeaderBytes: 64 });
    parser.push(latin1('HTTP/1.1 101 x\r\n'));
    failsWith(() => parser.push(latin1(`X-Long: ${'a'.repeat(60)}`)), ErrorCodes.HANDSHAKE_TOO_LARGE);
  });

  it('counts interim heads against maxHeaderBytes', () => {
    const interim = 'HTTP/1.1 100 Continue\r\n\r\n';
    const parser = new ResponseParser({ maxHeaderBytes: interim.length * 3 });
    failsWith(() => parser.push(latin1(interim.repeat(4) + SWITCHING)), ErrorCodes.HANDSHAKE_TOO_LARGE);
  });

  it('fails with more than maxHeaders header fields', () => {
    const fields = Array.from({ length: 4 }, (_, index) => `X-${index}: 1\r\n`).join('');
    failsWith(() => new ResponseParser({ maxHeaders: 3 }).push(latin1(`HTTP/1.1 101 x\r\n${fields}\r\n`)), ErrorCodes.HANDSHAKE_TOO_LARGE);
    equal(new ResponseParser({ maxHeaders: 4 }).push(latin1(`HTTP/1.1 101 x\r\n${fields}\r\n`))?.status, 101);
  });
});
