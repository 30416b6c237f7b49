// URL handling as browsers do it (WHATWG WebSocket constructor, RFC 6455 §3).
import { describe, it, deepEqual, equal, throws, throwsInput } from '../support/harness.js';
import { checkUrl, parseUrl, withoutPassword } from '../../src/protocol/url.js';
import { ErrorCodes } from '../../src/protocol/errors.js';

const OK: [string, { href: string; secure: boolean; hostname: string; port: number; host: string; resource: string }][] = [
  ['ws://example.com', { href: 'ws://example.com/', secure: false, hostname: 'example.com', port: 80, host: 'example.com', resource: '/' }],
  ['wss://example.com', { href: 'wss://example.com/', secure: true, hostname: 'example.com', port: 443, host: 'example.com', resource: '/' }],
  ['ws://example.com:80/', { href: 'ws://example.com/', secure: false, hostname: 'example.com', port: 80, host: 'example.com', resource: '/' }],
  ['ws://example.com:443/', { href: 'ws://example.com:443/', secure: false, hostname: 'example.com', port: 443, host: 'example.com:443', resource: '/' }],
  ['wss://example.com:80/', { href: 'wss://example.com:80/', secure: true, hostname: 'example.com', port: 80, host: 'example.com:80', resource: '/' }],
  ['ws://localhost:8080/chat?room=1&x=%20', { href: 'ws://localhost:8080/chat?room=1&x=%20', secure: false, hostname: 'localhost', port: 8080, host: 'localhost:8080', resource: '/chat?room=1&x=%20' }],
  ['http://example.com/a', { href: 'ws://example.com/a', secure: false, hostname: 'example.com', port: 80, host: 'example.com', resource: '/a' }],
  ['https://example.com/a', { href: 'wss://example.com/a', secure: true, hostname: 'example.com', port: 443, host: 'example.com', resource: '/a' }],
  ['HTTPS://EXAMPLE.com:8443', { href: 'wss://example.com:8443/', secure: true, hostname: 'example.com', port: 8443, host: 'example.com:8443', resource: '/' }],
  ['ws://[::1]:9000/x', { href: 'ws://[::1]:9000/x', secure: false, hostname: '::1', port: 9000, host: '[::1]:9000', resource: '/x' }],
  ['wss://[2001:db8::1]/', { href: 'wss://[2001:db8::1]/', secure: true, hostname: '2001:db8::1', port: 443, host: '[2001:db8::1]', resource: '/' }],
  ['ws://127.0.0.1:1/?', { href: 'ws://127.0.0.1:1/?', secure: false, hostname: '127.0.0.1', port: 1, host: '127.0.0.1:1', resource: '/' }],
  ['ws://example.com/a b', { href: 'ws://example.com/a%20b', secure: false, hostname: 'example.com', port: 80, host: 'example.com', resource: '/a%20b' }],
  ['ws://ex.com/é?q=ü', { href: 'ws://ex.com/%C3%A9?q=%C3%BC', secure: false, hostname: 'ex.com', port: 80, host: 'ex.com', resource: '/%C3%A9?q=%C3%BC' }],
  ['ws://bücher.example/', { href: 'ws://xn--bcher-kva.example/', secure: false, hostname: 'xn--bcher-kva.example', port: 80, host: 'xn--bcher-kva.example', resource: '/' }],
];

const BAD: [string, string][] = [
  ['not a url', 'not a url'],
  ['empty', ''],
  ['ftp scheme', 'ftp://example.com/'],
  ['file scheme', 'file:///etc/passwd'],
  ['javascript scheme', 'javascript:alert(1)'],
  ['fragment', 'ws://example.com/#frag'],
  ['empty fragment', 'ws://example.com/#'],
  ['fragment after query', 'wss://example.com/?a=1#b'],
  ['no host', 'ws://'],
  ['bad port', 'ws://example.com:99999/'],
  ['bad IPv6', 'ws://[::1/'],
];

describe('url: parseUrl', () => {
  for (const [input, expected] of OK) {
    it(`parses ${input}`, () => {
      deepEqual(parseUrl(input), expected);
      deepEqual(parseUrl(new URL(input)), expected);
    });
  }
  for (const [name, input] of BAD) {
    it(`refuses ${name} with SyntaxError WS_ERR_INVALID_URL`, () => {
      throwsInput(() => parseUrl(input), 'SyntaxError', 'WS_ERR_INVALID_URL');
      throws(() => parseUrl(input), ErrorCodes.INVALID_URL);
    });
  }
});

describe('url: checkUrl relative to a base (browsers: the document base URL)', () => {
  it('resolves a relative URL against the base, mapping http(s) to ws(s); an absolute one ignores it', () => {
    equal(checkUrl('/live?x=1', 'https://example.com/app/page'), 'wss://example.com/live?x=1');
    equal(checkUrl('feed', 'http://127.0.0.1:8080/app/'), 'ws://127.0.0.1:8080/app/feed');
    equal(checkUrl('//other.example/ws', 'https://example.com/'), 'wss://other.example/ws');
    equal(checkUrl('ws://example.org/x', 'https://example.com/'), 'ws://example.org/x');
  });

  it('still refuses what resolves to another scheme, a fragment, and relative URLs without a base', () => {
    throwsInput(() => checkUrl('feed', 'file:///home/me/page.html'), 'SyntaxError', 'WS_ERR_INVALID_URL');
    throwsInput(() => checkUrl('feed#top', 'https://example.com/'), 'SyntaxError', 'WS_ERR_INVALID_URL');
    throwsInput(() => checkUrl('/feed'), 'SyntaxError', 'WS_ERR_INVALID_URL');
  });
});

describe('url: credentials', () => {
  it('user:pass@ moves from href to a Basic authorization value (percent-decoded, UTF-8)', () => {
    deepEqual(parseUrl('wss://us%40er:p%3Ass%C3%A9@example.com/x'), {
      href: 'wss://example.com/x',
      secure: true,
      hostname: 'example.com',
      port: 443,
      host: 'example.com',
      resource: '/x',
      authorization: 'Basic dXNAZXI6cDpzc8Op',
    });
    equal(parseUrl('ws://user@example.com/').authorization, 'Basic dXNlcjo=');
    equal(parseUrl('ws://example.com/').authorization, undefined);
  });
  it('an invalid percent-escape in the credentials is an invalid URL, named without the password', () => {
    throwsInput(() => parseUrl('ws://user:secret%zz@example.com/'), 'SyntaxError', 'WS_ERR_INVALID_URL');
    try {
      parseUrl('ws://user:secret%zz@example.com/');
    } catch (error) {
      equal((error as Error).message.includes('secret'), false);
    }
  });
  it('withoutPassword replaces the password of a URL-like text', () => {
    equal(withoutPassword('ws://user:secret@host/p'), 'ws://user:***@host/p');
    equal(withoutPassword('http://user:se@cr:et@host:1'), 'http://user:***@host:1');
    equal(withoutPassword('user:secret@proxy:8080'), 'user:***@proxy:8080');
    equal(withoutPassword('ws://user@host/'), 'ws://user@host/');
    equal(withoutPassword('ws://host:80/a@b'), 'ws://host:80/a@b');
    equal(withoutPassword('not a url'), 'not a url');
  });
});
