/**
 * transport/node/proxy.ts on its own: NO_PROXY matching, which proxy a URL
 * goes through (option, environment, NO_PROXY), the proxy URL rule, and the
 * CONNECT exchange (RFC 9110 §9.3.6) against a raw node:net proxy that
 * answers with hand-built bytes: the request it receives, the bytes after a
 * 2xx head handed back, a refusal with status and headers, a garbled answer,
 * and a proxy that hangs up; the words for a proxy that failed before its
 * tunnel was up.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { ErrorCodes, HandshakeError, LifelineError } from '../../src/protocol/errors.js';
import { connectTunnel, noProxyMatches, proxyEndpoint, proxyFailure, proxySource, resolveProxy } from '../../src/transport/node/proxy.js';

describe('noProxyMatches', () => {
  const table: [string, string, number, boolean][] = [
    ['*', 'anything.example', 80, true],
    ['example.com', 'example.com', 80, true],
    ['example.com', 'a.example.com', 80, true],
    ['.example.com', 'a.example.com', 80, true],
    ['.example.com', 'example.com', 80, true],
    ['*.example.com', 'b.example.com', 443, true],
    ['example.com', 'notexample.com', 80, false],
    ['example.com:8080', 'example.com', 8080, true],
    ['example.com:8080', 'example.com', 80, false],
    ['other.org, EXAMPLE.com', 'Example.COM', 80, true],
    ['other.org example.com', 'example.com', 80, true],
    ['127.0.0.1', '127.0.0.1', 80, true],
    ['127.0.0.1', '127.0.0.10', 80, false],
    ['[::1]:9000', '::1', 9000, true],
    ['[::1]', '::2', 80, false],
    ['', 'example.com', 80, false],
  ];
  for (const [list, host, port, expected] of table) {
    it(`${JSON.stringify(list)} ${expected ? 'exempts' : 'does not exempt'} ${host}:${port}`, () => {
      assert.equal(noProxyMatches(list, host, port), expected);
    });
  }
});

describe('resolveProxy', () => {
  const saved = { ...process.env };
  const clearEnv = () => {
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']) delete process.env[name];
  };
  after(() => {
    clearEnv();
    Object.assign(process.env, saved);
  });

  it('false: no proxy, whatever the environment says', () => {
    clearEnv();
    process.env.HTTPS_PROXY = 'http://proxy:3128';
    assert.equal(resolveProxy(false, true, 'example.com', 443), undefined);
  });

  it('an option URL is used as given (a bare host:port counts as http://), NO_PROXY notwithstanding', () => {
    clearEnv();
    process.env.NO_PROXY = '*';
    assert.equal(resolveProxy('proxy.local:3128', true, 'example.com', 443)?.href, 'http://proxy.local:3128/');
  });

  // A value without a scheme is read as http:// (as curl reads it; undici's ProxyAgent throws for
  // it, https-proxy-agent takes `host:` for a scheme), port 80 when none (the http: default, as
  // undici and https-proxy-agent use for http://host; curl would use 1080). README, proxy option.
  const schemeless: [string, string, { host: string; port: number }][] = [
    ['proxy.local:3128', 'http://proxy.local:3128/', { host: 'proxy.local', port: 3128 }],
    ['proxy.local', 'http://proxy.local/', { host: 'proxy.local', port: 80 }],
    ['u%40x:p@10.0.0.1:8080', 'http://u%40x:p@10.0.0.1:8080/', { host: '10.0.0.1', port: 8080 }],
    ['[::1]:3128', 'http://[::1]:3128/', { host: '::1', port: 3128 }],
    ['HTTP://Proxy.Local:1', 'http://proxy.local:1/', { host: 'proxy.local', port: 1 }],
  ];
  for (const [value, href, endpoint] of schemeless) {
    it(`${JSON.stringify(value)} in the option or HTTP_PROXY is ${href}`, () => {
      clearEnv();
      assert.equal(resolveProxy(value, false, 'example.com', 80)?.href, href);
      process.env.HTTP_PROXY = value;
      const fromEnv = resolveProxy(undefined, false, 'example.com', 80)!;
      assert.equal(fromEnv.href, href);
      assert.deepEqual(proxyEndpoint(fromEnv), endpoint);
    });
  }

  it('a scheme-less value that is no host[:port] is refused like any invalid proxy', () => {
    clearEnv();
    for (const value of ['::1:3128', 'proxy:port', 'proxy:99999', ':3128']) {
      assert.throws(() => resolveProxy(value, false, 'example.com', 80), { name: 'TypeError', code: ErrorCodes.INVALID_PROXY }, value);
    }
  });

  it('wss: reads HTTPS_PROXY, ws: reads HTTP_PROXY; the lower-case name wins (as curl)', () => {
    clearEnv();
    process.env.HTTPS_PROXY = 'http://upper:1';
    process.env.https_proxy = 'http://lower:2';
    process.env.HTTP_PROXY = 'http://plain:3';
    assert.equal(resolveProxy(undefined, true, 'example.com', 443)?.host, 'lower:2');
    assert.equal(resolveProxy(undefined, false, 'example.com', 80)?.host, 'plain:3');
  });

  it('NO_PROXY exempts hosts from the environment proxy; an empty variable counts as unset', () => {
    clearEnv();
    process.env.HTTP_PROXY = 'http://proxy:3128';
    process.env.NO_PROXY = 'internal.example';
    assert.equal(resolveProxy(undefined, false, 'api.internal.example', 80), undefined);
    assert.equal(resolveProxy(undefined, false, 'example.com', 80)?.host, 'proxy:3128');
    process.env.HTTP_PROXY = '';
    assert.equal(resolveProxy(undefined, false, 'example.com', 80), undefined);
  });

  it('refuses a proxy that is not http:// or has a bad escape, naming its source and hiding the password', () => {
    clearEnv();
    for (const [option, source] of [
      ['socks5://user:s3cr3t@proxy:1080', 'the proxy option'],
      ['http://user:%zz@proxy:1', 'the proxy option'],
    ] as const) {
      assert.throws(
        () => resolveProxy(option, false, 'example.com', 80),
        (error: Error & { code?: string }) => {
          assert.ok(error instanceof TypeError);
          assert.equal(error.code, ErrorCodes.INVALID_PROXY);
          assert.match(error.message, new RegExp(source));
          assert.doesNotMatch(error.message, /s3cr3t/);
          return true;
        },
      );
    }
    process.env.HTTPS_PROXY = 'ftp://proxy';
    assert.throws(() => resolveProxy(undefined, true, 'example.com', 443), /HTTPS_PROXY/);
  });

  it('an https: proxy (TLS to the proxy) is refused with words that say so', () => {
    clearEnv();
    process.env.HTTPS_PROXY = 'https://user:s3cr3t@proxy:443';
    assert.throws(
      () => resolveProxy(undefined, true, 'example.com', 443),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, ErrorCodes.INVALID_PROXY);
        assert.equal(error.message, 'HTTPS_PROXY must be an http:// URL of a CONNECT proxy (TLS to the proxy, https://, is not supported), got "https://user:***@proxy:443"');
        return true;
      },
    );
  });
});

describe('proxyEndpoint', () => {
  it('defaults to port 80 and drops the brackets of an IPv6 literal', () => {
    assert.deepEqual(proxyEndpoint(new URL('http://proxy')), { host: 'proxy', port: 80 });
    assert.deepEqual(proxyEndpoint(new URL('http://[::1]:3128')), { host: '::1', port: 3128 });
  });
});

describe('proxySource and proxyFailure', () => {
  it('names the option, or the variable read for the scheme', () => {
    assert.equal(proxySource('http://p:1', true), 'the proxy option');
    assert.equal(proxySource(undefined, true), 'HTTPS_PROXY');
    assert.equal(proxySource(undefined, false), 'HTTP_PROXY');
  });

  const sys = (code: string, message: string) => Object.assign(new Error(message), { code });
  const table: [string, boolean, Error, string][] = [
    ['http://user:s3cr3t@notaurl', false, sys('ENOTFOUND', 'getaddrinfo ENOTFOUND notaurl'), 'Could not reach the proxy notaurl:80 (from HTTP_PROXY): DNS lookup failed (getaddrinfo ENOTFOUND notaurl)'],
    ['http://[::1]:3128/path', false, sys('ECONNREFUSED', 'connect ECONNREFUSED ::1:3128'), 'Could not reach the proxy [::1]:3128 (from HTTP_PROXY): connection refused (connect ECONNREFUSED ::1:3128)'],
    // Node's AggregateError when every address of a name refused: no message, the code.
    ['http://localhost:3128', false, Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }), 'Could not reach the proxy localhost:3128 (from HTTP_PROXY): connection refused (ECONNREFUSED)'],
    ['http://p:3128', false, new LifelineError('WS_ERR_HANDSHAKE_TIMEOUT', 'Opening handshake timed out after 5 ms'), 'Could not reach the proxy p:3128 (from HTTP_PROXY): Opening handshake timed out after 5 ms'],
    ['http://p:3128', true, new LifelineError('WS_ERR_HANDSHAKE_TIMEOUT', 'Opening handshake timed out after 5 ms'), 'The proxy p:3128 (from HTTP_PROXY) did not answer CONNECT: Opening handshake timed out after 5 ms'],
    ['http://p:3128', true, sys('ECONNRESET', 'read ECONNRESET'), 'The proxy p:3128 (from HTTP_PROXY) failed during CONNECT: connection reset (read ECONNRESET)'],
  ];
  for (const [proxy, reached, cause, message] of table) {
    it(`${(cause as { code?: string }).code}${reached ? ' after connecting' : ''}: ${message}`, () => {
      const error = proxyFailure(new URL(proxy), 'HTTP_PROXY', reached, cause);
      assert.ok(error instanceof LifelineError);
      assert.equal(error.code, ErrorCodes.PROXY_FAILED);
      assert.equal(error.message, message);
      assert.equal(error.cause, cause);
    });
  }
});

describe('connectTunnel against a raw proxy', () => {
  /** A proxy that records the request head it receives and answers with `answer` (or hangs up when null). */
  async function rawProxy(answer: string | null): Promise<{ server: Server; port: number; request: Promise<string> }> {
    let resolveRequest!: (head: string) => void;
    const request = new Promise<string>((resolve) => {
      resolveRequest = resolve;
    });
    const server = createServer((socket) => {
      let head = '';
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        resolveRequest(head);
        if (answer === null) socket.end();
        else socket.write(Buffer.from(answer, 'latin1'));
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    return { server, port: address.port, request };
  }

  async function tunnel(answer: string | null, proxyUrl: (port: number) => string, hostname = 'example.com', port = 443) {
    const proxy = await rawProxy(answer);
    const socket: Socket = connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    const result = await new Promise<{ error: Error | undefined; rest: Buffer | undefined }>((resolve) => {
      connectTunnel(socket, new URL(proxyUrl(proxy.port)), 'HTTPS_PROXY', hostname, port, (error, rest) => resolve({ error, rest }));
    });
    const request = await proxy.request;
    socket.destroy();
    proxy.server.close();
    return { ...result, request };
  }

  it('sends CONNECT with Host and Basic Proxy-Authorization (percent-decoded), and hands back the bytes after a 200 head', async () => {
    const { error, rest, request } = await tunnel('HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01', (port) => `http://us%40er:p%3Ass@127.0.0.1:${port}`);
    assert.equal(error, undefined);
    assert.deepEqual([...rest!], [0x16, 0x03, 0x01]);
    const credentials = Buffer.from('us@er:p:ss').toString('base64');
    assert.equal(request, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic ${credentials}\r\n\r\n`);
  });

  it('brackets an IPv6 target in the authority and sends no credentials when there are none', async () => {
    const { error, request } = await tunnel('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', (port) => `http://127.0.0.1:${port}`, '::1', 9001);
    assert.equal(error, undefined, 'an interim 100 is skipped');
    assert.equal(request, 'CONNECT [::1]:9001 HTTP/1.1\r\nHost: [::1]:9001\r\n\r\n');
  });

  it('a refusal is a HandshakeError WS_ERR_PROXY with the status and headers (Retry-After for the retry rules)', async () => {
    const { error } = await tunnel('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n', (port) => `http://127.0.0.1:${port}`);
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, ErrorCodes.PROXY_FAILED);
    assert.equal(error.status, 503);
    assert.equal(error.headers?.['retry-after'], '7');
    assert.match(error.message, /^The proxy 127\.0\.0\.1:\d+ \(from HTTPS_PROXY\) refused CONNECT: 503 Service Unavailable$/);
  });

  it('a garbled answer fails with WS_ERR_PROXY and the parser\'s error as its cause', async () => {
    const { error } = await tunnel('SSH-2.0-OpenSSH\r\n\r\n', (port) => `http://127.0.0.1:${port}`);
    assert.ok(error instanceof LifelineError);
    assert.equal((error as LifelineError).code, ErrorCodes.PROXY_FAILED);
    assert.ok((error as Error & { cause?: unknown }).cause instanceof HandshakeError);
    assert.match(error!.message, /^The proxy 127\.0\.0\.1:\d+ \(from HTTPS_PROXY\) sent an unusable answer to CONNECT: /);
  });

  it('a proxy that hangs up during CONNECT fails with WS_ERR_PROXY', async () => {
    const { error } = await tunnel(null, (port) => `http://127.0.0.1:${port}`);
    assert.ok(error instanceof LifelineError);
    assert.equal((error as LifelineError).code, ErrorCodes.PROXY_FAILED);
    assert.match(error.message, /^The proxy 127\.0\.0\.1:\d+ \(from HTTPS_PROXY\) closed the connection during CONNECT$/);
  });
});
