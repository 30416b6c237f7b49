/**
 * HTTP CONNECT proxies for the Node transport: which proxy (if any) a URL
 * goes through, and opening the tunnel (RFC 9110 §9.3.6).
 *
 * Owns: reading HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lower-case
 * forms, lower-case winning as curl does), the rule of a proxy URL, the
 * CONNECT exchange on an already-connected socket, and the words for a
 * proxy that failed before its tunnel was up. Must not import the
 * WebSocket class or the protocol core; it speaks plain HTTP/1.1 to the
 * proxy (its answer read by the protocol's response parser) and hands back
 * the socket with any bytes the proxy sent past its response (none expected).
 */
import type { Socket } from 'node:net';
import { LifelineError, ErrorCodes, HandshakeError } from '../../protocol/errors.js';
import { ResponseParser, type HttpResponse } from '../../protocol/http.js';
import { invalid } from '../../protocol/input.js';
import { withoutPassword } from '../../protocol/url.js';

function env(name: string): string | undefined {
  const value = process.env[name.toLowerCase()] ?? process.env[name.toUpperCase()];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * NO_PROXY matching as curl and most tools do it: a comma (or space)
 * separated list of host names, domain suffixes (`.example.com` or
 * `example.com` both match `a.example.com`), optional `:port`, and `*` for
 * everything. IP literals match exactly (no CIDR).
 */
export function noProxyMatches(noProxy: string, hostname: string, port: number): boolean {
  const host = hostname.toLowerCase();
  for (let entry of noProxy.split(/[\s,]+/)) {
    entry = entry.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (match) {
      entry = match[1]!;
      if (match[2] !== undefined) entryPort = Number(match[2]);
    }
    if (entry.startsWith('[') && entry.endsWith(']')) entry = entry.slice(1, -1);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) {
      if (host.endsWith(entry) || host === entry.slice(1)) return true;
    } else if (host === entry || host.endsWith('.' + entry)) {
      return true;
    }
  }
  return false;
}

/**
 * The proxy URL to use for a WebSocket URL, or undefined for a direct
 * connection. `option`: a URL string uses that proxy (NO_PROXY still applies
 * only to the environment variables), `false` disables proxies, `undefined`
 * reads the environment: `wss:` uses HTTPS_PROXY, `ws:` uses HTTP_PROXY;
 * NO_PROXY exempts hosts.
 */
export function resolveProxy(
  option: string | URL | false | undefined,
  secure: boolean,
  hostname: string,
  port: number,
): URL | undefined {
  if (option === false) return undefined;
  if (option !== undefined) return parseProxyUrl(String(option), proxySource(option, secure));
  const raw = env(secure ? 'https_proxy' : 'http_proxy');
  if (raw === undefined) return undefined;
  const noProxy = env('no_proxy');
  if (noProxy !== undefined && noProxyMatches(noProxy, hostname, port)) return undefined;
  return parseProxyUrl(raw, proxySource(option, secure));
}

/** How messages name a proxy given by the `proxy` option (of WebSocket, createNodeTransport, connect's `socket`). */
export const PROXY_OPTION = 'the proxy option';

/**
 * Where the proxy `resolveProxy` returned for these arguments came from, as
 * error messages name it: `the proxy option`, or the variable read for the
 * scheme (`HTTPS_PROXY` for wss:, `HTTP_PROXY` for ws:), so that a person
 * knows what to fix.
 */
export function proxySource(option: string | URL | false | undefined, secure: boolean): string {
  if (option !== undefined && option !== false) return PROXY_OPTION;
  return secure ? 'HTTPS_PROXY' : 'HTTP_PROXY';
}

/**
 * The rule of a proxy URL: an absolute http: URL (a bare `host[:port]`, as
 * environment values often are, counts as `http://host[:port]`, as curl
 * reads it) whose credentials, if any, are valid percent-encoding. Else a
 * `TypeError` with `WS_ERR_INVALID_PROXY` naming `source`, the password
 * left out. An https: proxy (TLS to the proxy itself) is refused with
 * words that say so. Exported for the CLI, which checks `--proxy` by this
 * same rule before it connects.
 */
export function parseProxyUrl(raw: string, source: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL | undefined;
  try {
    url = new URL(text);
    // Decoded when CONNECT is sent: a bad escape must fail here, at the call, not later.
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'http:' || url.hostname === '') {
    const expected = url?.protocol === 'https:' ? 'an http:// URL of a CONNECT proxy (TLS to the proxy, https://, is not supported)' : 'an http:// URL of a CONNECT proxy';
    throw invalid('TypeError', ErrorCodes.INVALID_PROXY, source, expected, withoutPassword(raw));
  }
  return url;
}

/** Host and port of a proxy URL (brackets removed from IPv6 literals). */
export function proxyEndpoint(proxy: URL): { host: string; port: number } {
  const host = proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname;
  return { host, port: proxy.port === '' ? 80 : Number(proxy.port) };
}

/**
 * How every WS_ERR_PROXY message names the proxy: `host:port (from
 * source)`, never its credentials, so that a reader knows which proxy
 * failed and which setting chose it, not only that one did.
 */
export function proxyName(proxy: URL, source: string): string {
  const { host, port } = proxyEndpoint(proxy);
  return `${host.includes(':') ? `[${host}]` : host}:${port} (from ${source})`;
}

/** Plain words for the system errors of reaching a host (DNS, TCP), by Node's code. */
const REACH_FAILURES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed',
  EAI_FAIL: 'DNS lookup failed',
  EAI_NONAME: 'DNS lookup failed',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/**
 * The error for a proxy that failed before its tunnel was up: not reached
 * (`reached` false: DNS, refused, unreachable, or the handshake timeout
 * or the client's connectTimeout while connecting), or reached but reset
 * or silent during CONNECT (either timeout).
 * Node's error would name only an address, and a timeout the whole
 * handshake, so a reader would blame the WebSocket server behind the proxy:
 * this names the proxy by host and port (never its credentials) and
 * `source`, code `WS_ERR_PROXY` (retried like a server that cannot be
 * reached), the original error as `cause` with its code (ENOTFOUND ...).
 */
export function proxyFailure(proxy: URL, source: string, reached: boolean, cause: Error): LifelineError {
  const where = proxyName(proxy, source);
  const code = (cause as { code?: unknown }).code;
  // Node's AggregateError (every address of a name refused) has an empty message and the code.
  const detail = cause.message !== '' ? cause.message : typeof code === 'string' ? code : cause.name;
  const label = typeof code === 'string' ? REACH_FAILURES[code] : undefined;
  const what = label === undefined ? detail : `${label} (${detail})`;
  let message: string;
  if (!reached) message = `Could not reach the proxy ${where}: ${what}`;
  else if (code === ErrorCodes.HANDSHAKE_TIMEOUT || code === ErrorCodes.CONNECT_TIMEOUT) message = `The proxy ${where} did not answer CONNECT: ${detail}`;
  else message = `The proxy ${where} failed during CONNECT: ${what}`;
  return new LifelineError(ErrorCodes.PROXY_FAILED, message, undefined, { cause });
}

/**
 * Sends `CONNECT host:port` on `socket` (connected to the proxy) and calls
 * `done` once with an error or with the bytes that followed the proxy's 2xx
 * response. Basic credentials in the proxy URL go in Proxy-Authorization.
 * A refusal is a `HandshakeError` (WS_ERR_PROXY) with the proxy's status and
 * headers, so the retry rules see a 407 (not retried) or a 503 with its
 * Retry-After as they see the server's. Every error names the proxy
 * (`proxyName`, with `source`, where it came from).
 */
export function connectTunnel(
  socket: Socket,
  proxy: URL,
  source: string,
  hostname: string,
  port: number,
  done: (error: Error | undefined, rest: Buffer | undefined) => void,
): void {
  const authority = hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  let request = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (proxy.username !== '' || proxy.password !== '') {
    const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    request += `Proxy-Authorization: Basic ${Buffer.from(cred).toString('base64')}\r\n`;
  }
  request += '\r\n';
  // The tunnel starts right after the 2xx head (RFC 9110 §9.3.6): no body is read; interim 1xx are skipped.
  const parser = new ResponseParser({ headOnly: true });
  let finished = false;
  const finish = (error: Error | undefined, rest: Buffer | undefined) => {
    if (finished) return;
    finished = true;
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    done(error, rest);
  };
  const where = proxyName(proxy, source);
  const onEnd = () => finish(new LifelineError(ErrorCodes.PROXY_FAILED, `The proxy ${where} closed the connection during CONNECT`), undefined);
  const onData = (chunk: Buffer) => {
    let res: HttpResponse | undefined;
    try {
      res = parser.push(chunk);
    } catch (error) {
      const message = `The proxy ${where} sent an unusable answer to CONNECT: ${(error as Error).message}`;
      return finish(new LifelineError(ErrorCodes.PROXY_FAILED, message, undefined, { cause: error }), undefined);
    }
    if (res === undefined) return;
    // Any 2xx opens the tunnel (RFC 9110 §9.3.6); anything else, a 101 or a 3xx included, is not followed.
    if (res.status < 200 || res.status > 299) {
      const message = `The proxy ${where} refused CONNECT: ${res.status}${res.statusText === '' ? '' : ' ' + res.statusText}`;
      return finish(new HandshakeError(ErrorCodes.PROXY_FAILED, message, { status: res.status, headers: res.headers }), undefined);
    }
    finish(undefined, Buffer.from(res.rest.buffer, res.rest.byteOffset, res.rest.length));
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.write(request, 'latin1');
}
