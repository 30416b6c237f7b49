/**
 * Incremental parser for the server's answer to the opening handshake
 * (RFC 7230 §3 message syntax, RFC 6455 §4.1 "the client MUST validate the
 * server's response"), and for a proxy's answer to CONNECT. Bytes go in as
 * they arrive; a response comes out once it is complete:
 *  - status 101 (or any status with `headOnly`): at the end of the header
 *    block, with `rest` = the bytes after it in the same read (the first
 *    WebSocket frame bytes, which must not be dropped);
 *  - any other status: once `min(Content-Length, maxBodyBytes)` body bytes
 *    are in (chunked bodies are de-chunked up to the same bound), or at
 *    `end()` — so a failed handshake can report a bounded slice of the body.
 *    Body bytes are copied out as they come, never re-buffered: a chunked
 *    body whose framing (size lines, CRLFs) passes MAX_CHUNK_FRAMING bytes
 *    or breaks the grammar ends where it is, so a hostile body costs at most
 *    `maxBodyBytes + MAX_CHUNK_FRAMING` bytes read and `maxBodyBytes` kept.
 *    `responseHead` gives the status and headers meanwhile, and
 *    `cut()` takes the response with the body received so far (the caller
 *    bounds how long it waits for a body).
 * Interim 1xx responses before the final one (100 Continue, 103 Early
 * Hints) are skipped (RFC 9110 §15.2: a client MUST be able to parse them
 * even when it does not expect one). Lines end in CRLF (RFC 9112 §2.2); a
 * bare LF fails at once as malformed rather than leaving the parser waiting
 * for a CRLFCRLF that never comes. Header bytes (interim heads included)
 * and count are bounded before anything is buffered past them.
 *
 * Owns: `ResponseParser`, `HttpResponse`. Imports only errors and input (the token rule).
 */
import { ErrorCodes, HandshakeError, LifelineError } from './errors.js';
import { TOKEN } from './input.js';

/** A parsed HTTP response to the upgrade request. */
export interface HttpResponse {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ', ' (RFC 7230 §3.2.2). */
  headers: Record<string, string>;
  /** Names as sent, in order. */
  rawHeaders: [string, string][];
  /** Body bytes (non-101 only), at most `maxBodyBytes`. */
  body: Uint8Array;
  /** Bytes that followed the header block (101 only): the first frame bytes. */
  rest: Uint8Array;
}

/** Limits for `ResponseParser`. */
export interface ResponseLimits {
  /** Largest status line + header block, bytes. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Most header fields. Default 100. */
  maxHeaders?: number;
  /** Largest body slice kept for a non-101 answer. Default 4 KiB. */
  maxBodyBytes?: number;
  /** Complete every response at the end of its header block, with `rest` (a CONNECT answer: the tunnel follows it). Default false. */
  headOnly?: boolean;
}

const EMPTY = new Uint8Array(0);
// field-value: VCHAR / obs-text / SP / HTAB (no CTLs).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
/**
 * Most bytes of chunked framing (chunk-size lines with their extensions, and
 * the CRLF after each chunk's data) read from a refusal's body before the
 * body is taken as it stands. Without it a size line that never ends, endless
 * extensions or one-byte chunks would be read until the caller stops
 * waiting; a server framing a few KiB of error page needs a few dozen bytes.
 */
export const MAX_CHUNK_FRAMING = 1024;

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return text;
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  if (first.length === 0) return second;
  const out = new Uint8Array(first.length + second.length);
  out.set(first);
  out.set(second, first.length);
  return out;
}

function malformed(message: string): HandshakeError {
  return new HandshakeError(ErrorCodes.HANDSHAKE_MALFORMED, message);
}

type BodyMode = 'none' | 'length' | 'chunked' | 'eof';

/** Parses one HTTP/1.1 response incrementally. Throws `HandshakeError` on bad input. */
export class ResponseParser {
  private readonly maxHeaderBytes: number;
  private readonly maxHeaders: number;
  private readonly maxBodyBytes: number;
  private readonly headOnly: boolean;
  private buf: Uint8Array = EMPTY;
  /** Where to resume the search for CRLFCRLF. */
  private scanFrom = 0;
  /** Header bytes of interim (1xx) responses already skipped: they count against maxHeaderBytes. */
  private interimBytes = 0;
  private head: Omit<HttpResponse, 'body' | 'rest'> | undefined;
  private bodyMode: BodyMode = 'none';
  /** Body bytes to keep: min(Content-Length, maxBodyBytes), or maxBodyBytes. */
  private bodyWant = 0;
  /** Body bytes kept so far, as copies (once the head is in, the caller may read into the memory it pushed again). */
  private bodyParts: Uint8Array[] = [];
  private bodyLength = 0;
  /** Chunked body: data bytes still to come in the current chunk. */
  private chunkLeft = 0;
  /** Chunked body: the next line is the CRLF that ends a chunk's data, not a chunk-size line. */
  private chunkDataEnds = false;
  /** Chunked body: the line read so far (it may span pushes). */
  private chunkLine = '';
  /** Chunked body: framing bytes read so far (bounded by MAX_CHUNK_FRAMING). */
  private chunkFraming = 0;
  private result: HttpResponse | undefined;

  constructor(limits: ResponseLimits = {}) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
    this.maxHeaders = limits.maxHeaders ?? 100;
    this.maxBodyBytes = limits.maxBodyBytes ?? 4 * 1024;
    this.headOnly = limits.headOnly === true;
  }

  /** The complete response once parsed, else undefined. */
  get response(): HttpResponse | undefined {
    return this.result;
  }

  /** The final response's status line and headers once they are in (its body may still be arriving), else undefined. */
  get responseHead(): Readonly<Omit<HttpResponse, 'body' | 'rest'>> | undefined {
    return this.head;
  }

  /**
   * The response with the body received so far, once the head is complete
   * (the caller stopped waiting for the rest of a body); else undefined.
   */
  cut(): HttpResponse | undefined {
    if (this.result) return this.result;
    if (!this.head) return undefined;
    return this.finishBody();
  }

  /** Feeds bytes; returns the response when complete. */
  push(chunk: Uint8Array): HttpResponse | undefined {
    if (this.result) throw new LifelineError(ErrorCodes.INVALID_STATE, 'The response is already complete');
    // The head is in: the rest is body, taken as it comes (never appended to a buffer).
    if (this.head) return this.pushBody(chunk);
    this.buf = concat(this.buf, chunk);
    while (!this.head) {
      const end = this.findHeaderEnd();
      if (this.interimBytes + (end < 0 ? this.buf.length : end) > this.maxHeaderBytes) {
        throw new HandshakeError(ErrorCodes.HANDSHAKE_TOO_LARGE, `Response headers exceed ${this.maxHeaderBytes} bytes`);
      }
      if (end < 0) return undefined;
      const head = this.parseHead(latin1(this.buf, 0, end - 4));
      this.buf = this.buf.subarray(end);
      this.scanFrom = 0;
      if (head.status >= 100 && head.status < 200 && head.status !== 101) {
        // RFC 9110 §15.2: an interim response; the final one follows.
        this.interimBytes += end;
        continue;
      }
      this.head = head;
      if (head.status === 101 || this.headOnly) return this.finish(EMPTY, this.buf);
      this.chooseBodyMode();
    }
    const bodyStart = this.buf;
    this.buf = EMPTY;
    return this.pushBody(bodyStart);
  }

  /**
   * The connection ended. Returns the response (with the body received so
   * far) if the header block was complete; else throws HANDSHAKE_EOF.
   */
  end(): HttpResponse {
    if (this.result) return this.result;
    if (!this.head) {
      throw new HandshakeError(ErrorCodes.HANDSHAKE_EOF, 'The connection closed before the handshake response was complete');
    }
    return this.finishBody();
  }

  /**
   * The end of the header block (just past CRLFCRLF), or -1 while it is
   * incomplete. Looks only at line feeds and behind them, so it resumes
   * where the last call stopped. Throws HANDSHAKE_MALFORMED at a bare LF.
   */
  private findHeaderEnd(): number {
    const buffer = this.buf;
    for (let i = this.scanFrom; i < buffer.length; i++) {
      if (buffer[i] !== 10) continue;
      if (i === 0 || buffer[i - 1] !== 13) throw malformed('Response line ends in a bare LF (RFC 9112 §2.2: lines end in CRLF)');
      if (i >= 3 && buffer[i - 2] === 10 && buffer[i - 3] === 13) return i + 1;
    }
    this.scanFrom = buffer.length;
    return -1;
  }

  private parseHead(text: string): Omit<HttpResponse, 'body' | 'rest'> {
    const lines = text.split('\r\n');
    const match = STATUS_LINE.exec(lines[0]!);
    if (!match) throw malformed(`Invalid status line: ${JSON.stringify(lines[0]!.slice(0, 100))}`);
    const status = Number(match[2]);
    // RFC 9110 §15: a status code is three digits from 100 to 599; others are invalid. (A client
    // SHOULD treat one as a 5xx; failing as malformed gets the same default retry, without a
    // made-up status, and keeps 0xx from being taken for anything.)
    if (status < 100 || status > 599) throw malformed(`Invalid status code ${match[2]} (RFC 9110 §15: 100 to 599)`);
    if (lines.length - 1 > this.maxHeaders) {
      throw new HandshakeError(ErrorCodes.HANDSHAKE_TOO_LARGE, `More than ${this.maxHeaders} response headers`);
    }
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    const rawHeaders: [string, string][] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      // No obs-fold (RFC 7230 §3.2.4): a line starting with SP/HTAB has no valid name.
      if (colon <= 0) throw malformed(`Invalid header line: ${JSON.stringify(line.slice(0, 100))}`);
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (!TOKEN.test(name)) throw malformed(`Invalid header name: ${JSON.stringify(name.slice(0, 100))}`);
      if (!FIELD_VALUE.test(value)) throw malformed(`Invalid value for header ${name}`);
      rawHeaders.push([name, value]);
      const key = name.toLowerCase();
      const prev = headers[key];
      headers[key] = prev === undefined ? value : `${prev}, ${value}`;
    }
    return { status, statusText: match[3] ?? '', headers: { ...headers }, rawHeaders };
  }

  private chooseBodyMode(): void {
    const head = this.head!;
    const status = head.status;
    this.bodyWant = this.maxBodyBytes;
    if ((status >= 100 && status < 200) || status === 204 || status === 304) {
      this.bodyMode = 'none';
    } else if (head.headers['transfer-encoding'] !== undefined && /(^|,)\s*chunked\s*$/i.test(head.headers['transfer-encoding'])) {
      this.bodyMode = 'chunked';
    } else if (head.headers['content-length'] !== undefined) {
      const contentLength = head.headers['content-length'].trim();
      if (!/^\d+$/.test(contentLength)) throw malformed(`Invalid Content-Length: ${JSON.stringify(contentLength)}`);
      this.bodyMode = 'length';
      this.bodyWant = Math.min(Number(contentLength), this.maxBodyBytes);
    } else {
      this.bodyMode = 'eof';
    }
  }

  /** Body bytes after the head: returns the response once its body is complete, or once as much as is kept is in. */
  private pushBody(bytes: Uint8Array): HttpResponse | undefined {
    if (this.bodyLength >= this.bodyWant) return this.finishBody();
    switch (this.bodyMode) {
      case 'none':
        return this.finishBody();
      case 'length':
      case 'eof':
        this.keepBody(bytes);
        return this.bodyLength >= this.bodyWant ? this.finishBody() : undefined;
      case 'chunked':
        return this.dechunk(bytes) ? this.finishBody() : undefined;
    }
  }

  /** Copies as much of `bytes` as the body still has room for. */
  private keepBody(bytes: Uint8Array): void {
    const room = this.bodyWant - this.bodyLength;
    if (room <= 0 || bytes.length === 0) return;
    const kept = bytes.slice(0, room);
    this.bodyParts.push(kept);
    this.bodyLength += kept.length;
  }

  /**
   * Chunked decoding (RFC 9112 §7.1), incremental: chunk-size line (hex
   * size, then extensions after ';'), the data, CRLF; until the last chunk,
   * of size 0. Only a refusal's body comes here, and only as a diagnostic:
   * its status and headers are what count, so trailers are not read, and
   * framing that breaks the grammar (a bad size, a bare LF, data not
   * followed by CRLF) or passes MAX_CHUNK_FRAMING bytes ends the body where
   * it is rather than failing the response. Returns true once the body ended
   * or holds all that is kept.
   */
  private dechunk(bytes: Uint8Array): boolean {
    let position = 0;
    while (position < bytes.length) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, bytes.length - position);
        this.keepBody(bytes.subarray(position, position + take));
        if (this.bodyLength >= this.bodyWant) return true;
        this.chunkLeft -= take;
        position += take;
        continue;
      }
      // A framing line: counted before it is looked at, so a line that never ends costs at most the bound.
      const lineFeed = bytes.indexOf(10, position);
      const lineEnd = lineFeed < 0 ? bytes.length : lineFeed + 1;
      this.chunkFraming += lineEnd - position;
      if (this.chunkFraming > MAX_CHUNK_FRAMING) return true;
      this.chunkLine += latin1(bytes, position, lineEnd);
      position = lineEnd;
      if (lineFeed < 0) return false;
      const line = this.chunkLine;
      this.chunkLine = '';
      // RFC 9112 §2.2: lines end in CRLF.
      if (!line.endsWith('\r\n')) return true;
      if (this.chunkDataEnds) {
        // RFC 9112 §7.1: chunk-data is followed by CRLF, nothing else.
        if (line !== '\r\n') return true;
        this.chunkDataEnds = false;
        continue;
      }
      // chunk-size [ chunk-ext ]: extensions (and the whitespace allowed before them) are ignored.
      const size = line.slice(0, -2).split(';')[0]!.trim();
      if (!/^[0-9a-f]+$/i.test(size)) return true;
      this.chunkLeft = parseInt(size, 16);
      // The last chunk (size 0) ends the body; its trailer section is of no use here.
      if (this.chunkLeft === 0) return true;
      this.chunkDataEnds = true;
    }
    return false;
  }

  /** The response with the body kept so far. */
  private finishBody(): HttpResponse {
    const body = this.bodyParts.length === 1 ? this.bodyParts[0]! : concatAll(this.bodyParts, this.bodyLength);
    this.bodyParts = [];
    return this.finish(body, EMPTY);
  }

  private finish(body: Uint8Array, rest: Uint8Array): HttpResponse {
    this.result = { ...this.head!, body, rest };
    this.buf = EMPTY;
    return this.result;
  }
}

function concatAll(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
