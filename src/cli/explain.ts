/**
 * Turns a connection failure into plain words: which class of failure it is
 * (DNS, refused, TLS, HTTP status, bad handshake ...) and what to try. The
 * table is keyed by the stable `code` lifeline's errors carry and by Node's
 * own system and TLS error codes.
 *
 * Owns: the explanation table. Imports nothing from lifeline (codes are
 * matched as strings so this stays a leaf module).
 */

export type FailureKind =
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'reset'
  | 'tls'
  | 'http-status'
  | 'handshake'
  | 'extension'
  | 'subprotocol'
  | 'proxy'
  | 'protocol'
  | 'closed'
  | 'no-reply'
  | 'unknown';

export interface Failure {
  /** The error's stable code (`ECONNREFUSED`, `WS_ERR_HANDSHAKE_STATUS`, `DEPTH_ZERO_SELF_SIGNED_CERT` ...). */
  code: string;
  kind: FailureKind;
  /** The error's own message. */
  message: string;
  /** One or two sentences a person can act on. */
  explanation: string;
  /** HTTP status of a refused handshake. */
  status?: number;
  /** Start of the response body of a refused handshake (text). */
  body?: string;
}

/** Node TLS verification codes (`err.code` from node:tls) → what they mean. */
const TLS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presented a self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed root that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate was signed by an issuer that is not trusted (missing intermediate or private CA)',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the certificate is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the certificate is not in the trusted CA list',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet (check the clock)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  CERT_REVOKED: 'the server certificate was revoked',
  CERT_SIGNATURE_FAILURE: 'the certificate signature is invalid',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer with TLS (is this a plain ws:// port?)',
  EPROTO: 'the TLS handshake failed (is this a plain ws:// port, or an unsupported TLS version?)',
};

const STATUS: Record<number, string> = {
  400: 'the server rejected the upgrade request as malformed (wrong path, missing or bad headers)',
  401: 'the server requires authentication: pass credentials, e.g. -H "Authorization: Bearer <token>"',
  403: 'the server forbids this client: check credentials, the Origin (--origin) or IP restrictions',
  404: 'there is no WebSocket endpoint at this path',
  405: 'the server does not accept GET/upgrade at this path',
  408: 'the server timed out waiting for the request',
  426: 'the server wants a different protocol version or TLS (try wss://)',
  429: 'the server is rate limiting: wait (see Retry-After) and try again',
  500: 'the server failed while handling the upgrade',
  502: 'a proxy or load balancer could not reach the WebSocket backend',
  503: 'the server is unavailable or overloaded: retry later (see Retry-After)',
  504: 'a proxy or load balancer timed out waiting for the backend',
};

/**
 * What to check when the proxy failed before its tunnel was up, by the code
 * of the WS_ERR_PROXY error's `cause` (Node's system error, the handshake
 * timeout, or the resilient client's connectTimeout). The error's message
 * already names the proxy and where it came from; a refusal (with a status)
 * is not in here.
 */
const PROXY_NOT_REACHED: Record<string, string> = {
  ENOTFOUND: "Check the proxy's host name, or your network/DNS.",
  EAI_AGAIN: "Check the proxy's host name, or your network/DNS.",
  EAI_FAIL: "Check the proxy's host name, or your network/DNS.",
  EAI_NONAME: "Check the proxy's host name, or your network/DNS.",
  ECONNREFUSED: 'Is the proxy running, and is its port right?',
  EHOSTUNREACH: "Check the proxy's address and your network.",
  ENETUNREACH: "Check the proxy's address and your network.",
  ETIMEDOUT: "Check the proxy's address and firewalls, or raise --timeout.",
  WS_ERR_HANDSHAKE_TIMEOUT: "Check the proxy's address and firewalls, or raise --timeout.",
  WS_ERR_CONNECT_TIMEOUT: "Check the proxy's address and firewalls, or raise --timeout.",
  ECONNRESET: 'The proxy dropped the connection: check its access rules and logs.',
  EPIPE: 'The proxy dropped the connection: check its access rules and logs.',
};

/** Where a proxy comes from, for advice: the flag, the variables, and the way around them. */
const PROXY_SETTINGS = 'The proxy comes from --proxy, else HTTP_PROXY (ws://) or HTTPS_PROXY (wss://); hosts listed in NO_PROXY are reached directly.';

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The first error in a chain (`cause`, AggregateError) that carries a code. */
function withCode(err: unknown): (Error & { code?: unknown }) | undefined {
  let current: unknown = err;
  for (let i = 0; i < 5 && current && typeof current === 'object'; i++) {
    const candidate = current as Error & { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === 'string' && candidate.code !== '') return candidate;
    if (Array.isArray(candidate.errors) && candidate.errors.length > 0) current = candidate.errors[0];
    else current = candidate.cause;
  }
  return err instanceof Error ? (err as Error & { code?: unknown }) : undefined;
}

/** Text of a handshake error's body (`bodyText` getter or `body` bytes), trimmed to 500 chars. */
function bodyOf(err: Record<string, unknown>): string | undefined {
  let text = str(err['bodyText']);
  if (text === undefined && err['body'] instanceof Uint8Array) text = new TextDecoder().decode(err['body']);
  if (text === undefined || text === '') return undefined;
  text = text.trim();
  return text.length > 500 ? text.slice(0, 500) + '…' : text;
}

function headerOf(err: Record<string, unknown>, name: string): string | undefined {
  const headers = err['headers'];
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : str(value);
  return undefined;
}

/**
 * Explains `err` (what the transport reported) for a connection to `url`.
 * Unknown errors still get a message and kind `unknown`.
 */
export function explain(err: unknown, url: string): Failure {
  const coded = withCode(err);
  const rec = (coded ?? {}) as Record<string, unknown>;
  const code = str(rec['code']) ?? (coded ? coded.name : 'UNKNOWN');
  const message = coded?.message ?? String(err);
  let host = url;
  try {
    const parsed = new URL(url);
    host = parsed.host;
  } catch {
    /* keep url */
  }
  const make = (kind: FailureKind, explanation: string, extra: Partial<Failure> = {}): Failure => ({ code, kind, message, explanation, ...extra });

  if (code in TLS) {
    const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'connect with the name on the certificate, or use --insecure for testing' : 'pass the CA with --ca <file>, or use --insecure for testing only';
    return make('tls', `TLS failed: ${TLS[code]}. To trust it, ${hint}.`);
  }
  if (/^ERR_SSL_|^ERR_TLS_/.test(code)) return make('tls', `TLS failed (${code}): ${message}.`);

  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return make('dns', `DNS lookup failed: the host name in ${host} could not be resolved. Check the spelling, or your network/DNS.`);
    case 'ECONNREFUSED':
      return make('refused', `Connection refused: nothing is listening on ${host}. Is the server running, and is the port right?`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return make('unreachable', `The network cannot reach ${host} (${code}).`);
    case 'ETIMEDOUT':
    case 'WS_ERR_HANDSHAKE_TIMEOUT':
      return make('timeout', `Timed out: ${host} did not complete the WebSocket handshake in time (raise --timeout, or check firewalls).`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'WS_ERR_HANDSHAKE_EOF':
      return make('reset', `The server closed the connection before the WebSocket handshake finished (wrong port or scheme, e.g. ws:// to a TLS port, or the server dropped us).`);
    case 'WS_ERR_HANDSHAKE_STATUS': {
      const status = typeof rec['status'] === 'number' ? (rec['status'] as number) : undefined;
      const body = bodyOf(rec);
      let why = status !== undefined ? STATUS[status] : undefined;
      if (status !== undefined && status >= 300 && status < 400) {
        const loc = headerOf(rec, 'location');
        why = `the server redirects${loc ? ` to ${loc}` : ''}; connect there instead`;
      } else if (status === 200) why = 'this is a plain HTTP endpoint, not a WebSocket one (wrong path?)';
      else if (status === 429 || status === 503) {
        const ra = headerOf(rec, 'retry-after');
        if (ra && why) why += ` (Retry-After: ${ra})`;
      }
      why ??= status !== undefined && status >= 500 ? 'the server had an error' : 'the server refused the upgrade';
      const extra: Partial<Failure> = {};
      if (status !== undefined) extra.status = status;
      if (body !== undefined) extra.body = body;
      return make('http-status', `The server answered HTTP ${status ?? '?'} instead of 101 Switching Protocols: ${why}.${body ? `\nServer said: ${body}` : ''}`, extra);
    }
    case 'WS_ERR_HANDSHAKE_ACCEPT':
      return make('handshake', `Bad handshake: the server's Sec-WebSocket-Accept does not match the key we sent (RFC 6455 §4.1). A proxy may be rewriting headers, or this is not a real WebSocket server.`);
    case 'WS_ERR_HANDSHAKE_UPGRADE':
    case 'WS_ERR_HANDSHAKE_CONNECTION':
      return make('handshake', `Bad handshake: the 101 response lacks 'Upgrade: websocket' / 'Connection: Upgrade' (RFC 6455 §4.1); something between us and the server broke the upgrade.`);
    case 'WS_ERR_HANDSHAKE_MALFORMED':
    case 'WS_ERR_HANDSHAKE_TOO_LARGE':
      return make('handshake', `Bad handshake: the server's HTTP response could not be parsed (${message}). Is this an HTTP server?`);
    case 'WS_ERR_HANDSHAKE_PROTOCOL':
      return make('subprotocol', `Subprotocol mismatch: the server selected a subprotocol we did not offer, or none of the offered ones (${message}). Check --protocol.`);
    case 'WS_ERR_HANDSHAKE_EXTENSION':
      return make('extension', `Extension mismatch: the server accepted an extension we did not offer, or with parameters we cannot honour (${message}). Try --no-deflate.`);
    case 'WS_ERR_PROXY': {
      // Not reached (or dropped before answering): the message names the proxy; DNS or refused must not read as the server's.
      const causeCode = str((rec['cause'] as Record<string, unknown> | undefined)?.['code']);
      const hint = rec['status'] === undefined && causeCode !== undefined ? PROXY_NOT_REACHED[causeCode] : undefined;
      if (hint !== undefined) return make('proxy', `${message}. ${hint} ${PROXY_SETTINGS}`);
      return make('proxy', `The HTTP proxy refused or failed the CONNECT request (${message}). Check --proxy / HTTP_PROXY / HTTPS_PROXY.`);
    }
    case 'WS_ERR_HANDSHAKE_REDIRECTS':
      return make('http-status', `Too many redirects (${message}).`);
    case 'WS_ERR_CONNECT_TIMEOUT':
      return make('timeout', `Timed out: the connection to ${host} did not open in time (raise --timeout, or check firewalls).`);
    case 'WS_ERR_HEARTBEAT_TIMEOUT':
      return make('no-reply', `No answer to heartbeat pings: the connection is half-open or the server is stalled; it was dropped.`);
    case 'WS_ERR_CLOSE_TIMEOUT':
      return make('closed', `The server did not finish the closing handshake in time; the connection was dropped (RFC 6455 §7.1.1).`);
    case 'WS_ERR_MESSAGE_TOO_BIG':
    case 'WS_ERR_FRAME_TOO_BIG':
      return make('protocol', `The server sent a message larger than the client accepts; the connection was closed with 1009 (message too big).`);
    case 'WS_ERR_UNEXPECTED_EOF':
      return make('closed', `The connection dropped without a close frame (code 1006).`);
    case 'NO_REPLY':
      return make('no-reply', message);
    default:
      if (code.startsWith('WS_ERR_')) {
        const cc = typeof rec['closeCode'] === 'number' ? ` (close ${rec['closeCode']})` : '';
        return make('protocol', `The server broke the WebSocket protocol${cc}: ${message}.`);
      }
      return make('unknown', message || 'The connection failed.');
  }
}
