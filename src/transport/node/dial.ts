/**
 * Opening a WebSocket connection in Node: TCP or TLS (optionally through an
 * HTTP CONNECT proxy), the HTTP/1.1 upgrade (RFC 6455 §4.1) written and
 * checked by the protocol core, redirects when asked for, all bounded by
 * the handshake timeout.
 *
 * Owns: the socket until the server's 101 has been verified, then hands it
 * over with the bytes that followed the response (the first frames, which
 * may share a TCP read with the 101 — they must not be dropped).
 * Must not import the WebSocket class or the frame layer.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomFillSync } from 'node:crypto';
import { parseUrl, withoutPassword, type WsUrl } from '../../protocol/url.js';
import { buildRequest, createKey, offerExtensions, verifyResponse } from '../../protocol/handshake.js';
import { ResponseParser, type HttpResponse } from '../../protocol/http.js';
import { ErrorCodes, HandshakeError, LifelineError } from '../../protocol/errors.js';
import { invalid } from '../../protocol/input.js';
import type { Extension, ExtensionFactory } from '../../protocol/types.js';
import { SocketReader, readerSupported, type ReadTarget } from './reader.js';
import { connectTunnel, proxyEndpoint, proxyFailure, proxyName, proxySource, resolveProxy } from './proxy.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_REDIRECTS,
  timerDelay,
  type CreateConnectionOptions,
  type HandshakeTrace,
  type WebSocketOptions,
} from './options.js';

/** Most body bytes of a refused handshake kept for diagnostics. */
export const MAX_ERROR_BODY = 4096;
/**
 * How long a refusal's body is waited for once its status line and headers
 * are in, ms. The status and Retry-After decide the retry; the body is only
 * a diagnostic, so a slow or endless one must not hold the answer back
 * until the handshake timeout.
 */
export const ERROR_BODY_WAIT = 1000;

export const nodeRandom = (buf: Uint8Array): void => {
  randomFillSync(buf);
};

/** What a successful dial hands over. */
export interface DialResult {
  socket: net.Socket;
  url: WsUrl;
  protocol: string;
  extensions: Extension[];
  extensionsHeader: string;
  /** Bytes after the 101 response head: the first frames. */
  head: Uint8Array;
  /** The socket's reader when it reads into our buffers (direct TCP/TLS), else undefined: use 'data' events. */
  reader: SocketReader | undefined;
}

export type DialDone = (error: Error | undefined, result: DialResult | undefined) => void;

/**
 * Headers that must not follow a redirect to another origin: credentials,
 * and a Host override (it names the origin it was given for).
 */
const ORIGIN_BOUND_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'host']);

/** Basic credentials are a password (RFC 7617): a trace shows that they were sent, not what they are. */
function traceValue(name: string, value: string): string {
  return name.toLowerCase() === 'authorization' && /^basic /i.test(value) ? `${value.slice(0, 6)}***` : value;
}

function traceRequest(url: WsUrl, text: string): HandshakeTrace {
  const lines = text.split('\r\n').filter((line) => line !== '');
  return {
    handshake: 'request',
    direction: 'out',
    url: url.href,
    startLine: lines[0] ?? '',
    headers: lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      return [name, traceValue(name, line.slice(colon + 1).trim())] as [string, string];
    }),
  };
}

function traceResponse(url: WsUrl, res: HttpResponse): HandshakeTrace {
  const headers = res.rawHeaders.map(([name, value]) => [name, value] as [string, string]);
  return { handshake: 'response', direction: 'in', url: url.href, startLine: `HTTP/1.1 ${res.status} ${res.statusText}`, headers };
}

/** A proxy being connected to: the URL, where it came from, and whether TCP to it connected yet. */
interface ProxyAttempt {
  proxy: URL;
  source: string;
  reached: boolean;
}

/**
 * One connection attempt, possibly over several hops (redirects). Calls
 * `done` exactly once. `abort(error)` fails it at any point.
 */
export class Dial implements ReadTarget {
  private socket: net.Socket | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** Armed once a refusal's head is in: stop waiting for its body then (ERROR_BODY_WAIT). */
  private bodyTimer: NodeJS.Timeout | undefined = undefined;
  private parser: ResponseParser | undefined = undefined;
  private key = '';
  private hops = 0;
  private finished = false;
  /** Set at the first cross-origin hop: credentials stay with the origin they were given for. */
  private stripCredentials = false;
  private url: WsUrl;
  /** Basic credentials from the first URL's `user:pass@`. */
  private readonly urlAuthorization: string | undefined;
  private readonly onData = (chunk: Uint8Array) => this.readChunk(chunk);
  private reader: SocketReader | undefined = undefined;
  /** This hop's proxy until its tunnel is up: a failure until then is the proxy's and is named so (proxyFailure). */
  private proxyAttempt: ProxyAttempt | undefined = undefined;
  private readonly onError = (error: Error) => this.fail(this.blameProxy(error));
  private readonly onClose = () => this.closed();

  constructor(
    url: WsUrl,
    private readonly protocols: readonly string[],
    private readonly options: WebSocketOptions,
    private readonly factories: readonly ExtensionFactory[],
    private readonly done: DialDone,
  ) {
    this.url = url;
    this.urlAuthorization = url.authorization;
    const ms = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    if (ms > 0 && ms !== Infinity) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        // A refusal whose head is in is reported as such, even if its body is still coming.
        const refusal = this.parser?.responseHead === undefined ? undefined : this.parser.cut();
        if (refusal !== undefined) return this.answered(refusal);
        this.fail(this.blameProxy(new HandshakeError(ErrorCodes.HANDSHAKE_TIMEOUT, `Opening handshake timed out after ${ms} ms`)));
      }, timerDelay(ms));
    }
    this.start();
  }

  /** Fails the attempt (abort signal, close() while connecting, terminate()). */
  abort(error: Error): void {
    this.fail(error);
  }

  /**
   * One hop: build the request (caller errors such as a bad header or proxy
   * URL throw here, synchronously, on the first hop), then open the socket.
   */
  private start(): void {
    const { url, options } = this;
    this.parser = new ResponseParser({ maxBodyBytes: MAX_ERROR_BODY });
    this.proxyAttempt = undefined;
    let text: string;
    let proxy: URL | undefined;
    try {
      text = this.request();
      // socketPath and createConnection decide the route themselves: no proxy (an explicit one was refused at the call).
      const ownRoute = options.socketPath !== undefined || options.createConnection !== undefined;
      proxy = ownRoute ? undefined : resolveProxy(options.proxy, url.secure, url.hostname, url.port);
    } catch (error) {
      if (this.hops === 0) {
        this.finish();
        throw error;
      }
      return this.fail(error as Error);
    }
    let socket: net.Socket;
    try {
      if (proxy !== undefined) {
        const ep = proxyEndpoint(proxy);
        const attempt: ProxyAttempt = { proxy, source: proxySource(options.proxy, url.secure), reached: false };
        this.proxyAttempt = attempt;
        const raw = net.connect(this.netOptions(ep.host, ep.port));
        raw.setNoDelay(true);
        this.socket = raw;
        raw.once('connect', () => (attempt.reached = true));
        raw.on('error', this.onError);
        raw.on('close', this.onClose);
        connectTunnel(raw, proxy, attempt.source, url.hostname, url.port, (error, rest) => {
          if (this.finished) return;
          if (error !== undefined) return this.fail(error);
          // Neither an HTTP server nor a TLS one speaks first: bytes before our request are the proxy's, and wrong.
          if (rest !== undefined && rest.length > 0) {
            const message = `The proxy ${proxyName(proxy, attempt.source)} sent ${rest.length} bytes after its 2xx answer to CONNECT, before the tunnel was used`;
            return this.fail(new LifelineError(ErrorCodes.PROXY_FAILED, message));
          }
          // From here on the socket speaks to the target: its failures are the target's.
          this.proxyAttempt = undefined;
          raw.removeListener('error', this.onError);
          raw.removeListener('close', this.onClose);
          this.upgradeOn(url.secure ? tls.connect({ ...this.tlsOptions(), socket: raw }) : raw, text);
        });
        return;
      }
      const createConnection = options.createConnection;
      if (createConnection !== undefined) {
        // The caller's stream keeps 'data' events: lifeline cannot choose where its reads land.
        const where = this.netOptions(url.hostname, url.port);
        const connectOptions: CreateConnectionOptions = url.secure ? { ...this.tlsOptions(), ...where } : where;
        socket = ownStream(createConnection(connectOptions));
      } else {
        // Direct sockets read into memory we choose (reader.ts); a tunnelled one keeps 'data' events.
        const connectOptions: net.NetConnectOpts = options.socketPath !== undefined ? { path: options.socketPath } : this.netOptions(url.hostname, url.port);
        if (readerSupported) {
          const reader = (this.reader = new SocketReader());
          reader.target = this;
          connectOptions.onread = { buffer: reader.next, callback: reader.read };
        }
        socket = url.secure ? tls.connect({ ...connectOptions, ...this.tlsOptions() }) : net.connect(connectOptions);
      }
    } catch (error) {
      // Socket option errors (e.g. a bad localAddress, a throwing createConnection) arrive like network errors: async.
      this.socket = undefined;
      this.reader = undefined;
      queueMicrotask(() => this.fail(error as Error));
      return;
    }
    // Nagle off: frames go out as written (a Unix socket or a caller's stream has no such setting).
    if (typeof socket.setNoDelay === 'function' && options.socketPath === undefined) socket.setNoDelay(true);
    this.upgradeOn(socket, text);
  }

  /**
   * `error` as the proxy's failure while this hop's tunnel is not up yet,
   * else as it is. Also asked by the resilient client when its
   * connectTimeout ends the attempt (Transport.timedOut), so that a proxy
   * that stalls is named whichever deadline comes first.
   */
  blameProxy(error: Error): Error {
    const attempt = this.proxyAttempt;
    return attempt === undefined ? error : proxyFailure(attempt.proxy, attempt.source, attempt.reached, error);
  }

  /** The upgrade request for this hop, with a fresh key (RFC 6455 §4.1). */
  private request(): string {
    this.key = createKey(nodeRandom);
    const req: Parameters<typeof buildRequest>[0] = { url: this.url, key: this.key };
    if (this.protocols.length > 0) req.protocols = this.protocols;
    if (this.factories.length > 0) req.extensions = offerExtensions(this.factories);
    if (this.options.origin !== undefined) req.origin = this.options.origin;
    const headers = this.requestHeaders();
    if (headers !== undefined) req.headers = headers;
    return buildRequest(req);
  }

  private netOptions(host: string, port: number): net.TcpNetConnectOpts {
    const connectOptions: net.TcpNetConnectOpts = { host, port };
    if (this.options.family !== undefined) connectOptions.family = this.options.family;
    if (this.options.localAddress !== undefined) connectOptions.localAddress = this.options.localAddress;
    if (this.options.lookup !== undefined) connectOptions.lookup = this.options.lookup;
    return connectOptions;
  }

  /**
   * TLS options for the target of `url`. `host` is what node:tls checks the
   * certificate against when there is no `servername` (an IP literal): on a
   * tunnelled socket it would otherwise take the proxy's host name (or
   * `localhost`), so a certificate valid for the proxy would pass for the
   * target. With it, every route checks the target's identity alike.
   */
  private tlsOptions(): tls.ConnectionOptions {
    const { options, url } = this;
    const connectOptions: tls.ConnectionOptions = { ALPNProtocols: ['http/1.1'], host: url.hostname };
    const servername = options.servername ?? (net.isIP(url.hostname) === 0 ? url.hostname : undefined);
    if (servername !== undefined) connectOptions.servername = servername;
    if (options.ca !== undefined) connectOptions.ca = options.ca;
    if (options.cert !== undefined) connectOptions.cert = options.cert;
    if (options.key !== undefined) connectOptions.key = options.key;
    if (options.pfx !== undefined) connectOptions.pfx = options.pfx;
    if (options.passphrase !== undefined) connectOptions.passphrase = options.passphrase;
    if (options.ciphers !== undefined) connectOptions.ciphers = options.ciphers;
    if (options.minVersion !== undefined) connectOptions.minVersion = options.minVersion;
    if (options.maxVersion !== undefined) connectOptions.maxVersion = options.maxVersion;
    if (options.checkServerIdentity !== undefined) connectOptions.checkServerIdentity = options.checkServerIdentity;
    connectOptions.rejectUnauthorized = options.rejectUnauthorized !== false;
    return connectOptions;
  }

  /**
   * The caller's headers for this hop (credentials dropped after a
   * cross-origin redirect), plus Basic authorization for credentials in the
   * URL (`user:pass@`, as ws sends them): this hop's own, else the first
   * URL's while on its origin. A caller's Authorization header wins. The
   * proxy never sees them: CONNECT carries only the proxy's own credentials.
   */
  private requestHeaders(): Record<string, string> | undefined {
    const given = this.options.headers;
    let headers = given;
    if (given !== undefined && this.stripCredentials) {
      const kept: Record<string, string> = {};
      for (const name of Object.keys(given)) if (!ORIGIN_BOUND_HEADERS.has(name.toLowerCase())) kept[name] = given[name]!;
      headers = kept;
    }
    const authorization = this.url.authorization ?? (this.stripCredentials ? undefined : this.urlAuthorization);
    if (authorization === undefined) return headers;
    if (headers !== undefined && Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers;
    return { ...headers, Authorization: authorization };
  }

  /** Writes the upgrade request on a connected (or connecting: Node buffers) socket. */
  private upgradeOn(socket: net.Socket, text: string): void {
    this.socket = socket;
    if (this.reader === undefined) socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    this.options.trace?.(traceRequest(this.url, text));
    // Header values are ByteStrings (checked in buildRequest): one byte per character, as browsers send them.
    socket.write(text, 'latin1');
  }

  /** Bytes of the response (ReadTarget; also the 'data' listener of a tunnelled socket). */
  readChunk(chunk: Uint8Array): void {
    if (this.finished) return;
    const parser = this.parser!;
    let res: HttpResponse | undefined;
    try {
      res = parser.push(chunk);
    } catch (error) {
      return this.fail(error as Error);
    }
    if (res !== undefined) return this.answered(res);
    const head = parser.responseHead;
    if (head === undefined || this.bodyTimer !== undefined) return;
    // A refusal whose body is still coming: its status and headers are what count.
    // A redirect to follow needs no body at all; anything else gets ERROR_BODY_WAIT for it.
    if (this.redirectTarget(head) !== undefined) return this.answered(parser.cut()!);
    this.bodyTimer = setTimeout(() => {
      this.bodyTimer = undefined;
      if (!this.finished && this.parser === parser) this.answered(parser.cut()!);
    }, ERROR_BODY_WAIT);
  }

  /** The Location to follow for this response, or undefined when it is not a redirect we follow. */
  private redirectTarget(res: Pick<HttpResponse, 'status' | 'headers'>): string | undefined {
    if (this.options.followRedirects !== true || res.status < 300 || res.status >= 400) return undefined;
    return res.headers['location'];
  }

  /** A complete response: 101 (verify), a redirect to follow, or a refusal with its bounded body. */
  private answered(res: HttpResponse): void {
    this.stopBodyTimer();
    try {
      this.options.trace?.(traceResponse(this.url, res));
    } catch (error) {
      // A throwing trace hook fails this attempt (it would otherwise hang until the handshake timeout).
      return this.fail(error as Error);
    }
    const location = this.redirectTarget(res);
    if (location !== undefined) return this.redirect(location, res);
    this.upgraded(res);
  }

  private stopBodyTimer(): void {
    if (this.bodyTimer !== undefined) clearTimeout(this.bodyTimer);
    this.bodyTimer = undefined;
  }

  private upgraded(res: HttpResponse): void {
    let agreed: ReturnType<typeof verifyResponse>;
    try {
      agreed = verifyResponse(res, { key: this.key, protocols: this.protocols, extensions: this.factories as ExtensionFactory[] });
    } catch (error) {
      return this.fail(error as Error);
    }
    const socket = this.socket!;
    const reader = this.reader;
    this.finish();
    this.detach(socket);
    this.done(undefined, {
      socket,
      url: this.url,
      protocol: agreed.protocol,
      extensions: agreed.extensions,
      extensionsHeader: agreed.extensionsHeader,
      head: res.rest,
      reader,
    });
  }

  private redirect(location: string, res: HttpResponse): void {
    if (this.hops >= (this.options.maxRedirects ?? DEFAULT_MAX_REDIRECTS)) {
      return this.fail(new HandshakeError(ErrorCodes.TOO_MANY_REDIRECTS, `Maximum redirects (${this.hops}) exceeded`));
    }
    let next: WsUrl;
    try {
      // RFC 9110 §10.2.2: Location is a URI reference, resolved against the request's URL.
      const base = this.url.href.replace(/^ws/, 'http');
      next = parseUrl(new URL(location, base).href);
    } catch (error) {
      // Unparsable (Node's TypeError), or not a WebSocket URL (RFC 6455 §3; parseUrl's SyntaxError):
      // the server's answer is wrong, not the caller's input, and the same request gets it again.
      const shown = JSON.stringify(withoutPassword(location).slice(0, 200));
      const message = `Refused a ${res.status} redirect: its Location ${shown} is not a WebSocket URL (ws:, wss:, http: or https:, with a host, without a fragment)`;
      return this.fail(new HandshakeError(ErrorCodes.REDIRECT_LOCATION, message, { status: res.status, headers: res.headers, cause: error }));
    }
    // A wss: connection that a redirect would move to plaintext loses what the caller asked TLS for.
    if (this.url.secure && !next.secure && this.options.allowInsecureRedirects !== true) {
      const message = `Refused a redirect from wss: to ${next.href} (plaintext); set allowInsecureRedirects to follow it`;
      return this.fail(new HandshakeError(ErrorCodes.REDIRECT_DOWNGRADE, message, { status: res.status, headers: res.headers }));
    }
    this.hops++;
    // Credentials stay with the origin that was given them (as ws and fetch do).
    if (next.host !== this.url.host || next.secure !== this.url.secure) this.stripCredentials = true;
    const old = this.socket!;
    this.detach(old);
    this.reader = undefined;
    old.on('error', noop);
    old.destroy();
    this.url = next;
    this.start();
  }

  /** TCP closed before a complete answer: a refusal without Content-Length ends here, anything else is HANDSHAKE_EOF. */
  private closed(): void {
    if (this.finished) return;
    let res: HttpResponse;
    try {
      res = this.parser!.end();
    } catch (error) {
      return this.fail(error as Error);
    }
    this.answered(res);
  }

  /** Stops listening on a socket this attempt is done with; its reader (if any) drops further reads. */
  private detach(socket: net.Socket): void {
    this.reader?.detach();
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
  }

  private finish(): void {
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopBodyTimer();
  }

  private fail(error: Error): void {
    if (this.finished) return;
    this.finish();
    const socket = this.socket;
    if (socket !== undefined) {
      this.detach(socket);
      socket.on('error', noop);
      socket.destroy();
    }
    this.done(error, undefined);
  }
}

function noop(): void {}

/**
 * What a `createConnection` option returned, as the socket the dial and the
 * connection drive: any Duplex works (they use only stream members, and
 * `setNoDelay` when present). Anything else fails the attempt with a
 * TypeError (WS_ERR_INVALID_OPTION).
 */
function ownStream(stream: unknown): net.Socket {
  const candidate = stream as Partial<net.Socket> | null | undefined;
  const isDuplex =
    typeof candidate === 'object' &&
    candidate !== null &&
    ['on', 'write', 'end', 'destroy', 'cork', 'uncork', 'pause', 'resume'].every((name) => typeof candidate[name as keyof net.Socket] === 'function');
  if (!isDuplex) throw invalid('TypeError', ErrorCodes.INVALID_OPTION, 'option createConnection', 'a function returning a Duplex stream (e.g. a net.Socket)', stream);
  return stream as net.Socket;
}
