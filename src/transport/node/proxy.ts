/**
 * HTTP CONNECT proxies for the Node transport: which proxy (if any) a URL
 * goes through, and opening the tunnel (RFC 9110 §9.3.6).
 *
 * Owns: reading HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lower-case
 * forms, lower-case winning as curl does), the CONNECT exchange on an
 * already-connected socket. Must not import the WebSocket class or the
 * protocol core; it speaks plain HTTP/1.1 to the proxy and hands back the
 * socket with any bytes the proxy sent past its response (none expected).
 */
import type { Socket } from 'node:net';
import { LifelineError, ErrorCodes } from '../../protocol/errors.js';

/** Largest CONNECT response header block we accept from a proxy. */
const MAX_PROXY_RESPONSE = 16 * 1024;

function env(name: string): string | undefined {
  const v = process.env[name.toLowerCase()] ?? process.env[name.toUpperCase()];
  return v === undefined || v === '' ? undefined : v;
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
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (m) {
      entry = m[1]!;
      if (m[2] !== undefined) entryPort = Number(m[2]);
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
  if (option !== undefined) return parseProxyUrl(String(option));
  const raw = secure ? env('https_proxy') : env('http_proxy');
  if (raw === undefined) return undefined;
  const noProxy = env('no_proxy');
  if (noProxy !== undefined && noProxyMatches(noProxy, hostname, port)) return undefined;
  return parseProxyUrl(raw);
}

function parseProxyUrl(raw: string): URL {
  let url: URL;
  try {
    // Environment values are often bare `host:port`.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new LifelineError(ErrorCodes.PROXY_FAILED, `Invalid proxy URL: ${raw}`);
  }
  if (url.protocol !== 'http:') {
    throw new LifelineError(ErrorCodes.PROXY_FAILED, `Unsupported proxy protocol ${url.protocol} (only http: CONNECT proxies)`);
  }
  return url;
}

/** Host and port of a proxy URL (brackets removed from IPv6 literals). */
export function proxyEndpoint(proxy: URL): { host: string; port: number } {
  const host = proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname;
  return { host, port: proxy.port === '' ? 80 : Number(proxy.port) };
}

/**
 * Sends `CONNECT host:port` on `socket` (connected to the proxy) and calls
 * `done` once with an error or with the bytes that followed the proxy's 2xx
 * response. Basic credentials in the proxy URL go in Proxy-Authorization.
 */
export function connectTunnel(
  socket: Socket,
  proxy: URL,
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
  let buffered: Buffer | undefined;
  let finished = false;
  const finish = (error: Error | undefined, rest: Buffer | undefined) => {
    if (finished) return;
    finished = true;
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    done(error, rest);
  };
  const onEnd = () => finish(new LifelineError(ErrorCodes.PROXY_FAILED, 'Proxy closed the connection during CONNECT'), undefined);
  const onData = (chunk: Buffer) => {
    buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buffered.length > MAX_PROXY_RESPONSE) {
        finish(new LifelineError(ErrorCodes.PROXY_FAILED, 'Proxy response header too large'), undefined);
      }
      return;
    }
    const statusLine = buffered.toString('latin1', 0, buffered.indexOf('\r\n'));
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (m === null || m[1]![0] !== '2') {
      finish(new LifelineError(ErrorCodes.PROXY_FAILED, `Proxy refused CONNECT: ${statusLine}`), undefined);
      return;
    }
    finish(undefined, buffered.subarray(end + 4));
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.write(request, 'latin1');
}
