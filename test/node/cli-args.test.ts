/**
 * The `lifeline` command line without a network: help, version, usage
 * errors (exit 2), and the pure pieces (flag parsing, input line syntax,
 * latency statistics, failure explanations, probe payloads).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/cli-runner.js';
import { parseCommandLine, normaliseUrl, type ConnectArgs, type ProbeArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/exit.js';
import { helpFor } from '../../src/cli/help.js';
import { parseHex, parseLine } from '../../src/cli/input.js';
import { percentile, summarize } from '../../src/cli/stats.js';
import { explain } from '../../src/cli/explain.js';
import { probePayload } from '../../src/cli/probe.js';
import { terminalSafe, toHex, messageLine } from '../../src/cli/format.js';
import { HandshakeError, LifelineError } from '../../src/protocol/errors.js';

describe('cli: help, version, usage errors (spawned)', () => {
  it('--version prints the package version (replaced at build) and exits 0', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^lifeline \d+\.\d+\.\d+\n$/);
  });

  it('--help lists the commands and exit codes', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const s of ['connect', 'probe', 'autobahn', 'Exit codes', '2  usage error']) assert.ok(r.stdout.includes(s), s);
    assert.ok(!r.stdout.includes('__LIFELINE_VERSION__'));
  });

  it('each command has --help with examples', async () => {
    for (const cmd of ['connect', 'probe', 'autobahn']) {
      const text = helpFor(cmd);
      assert.ok(text.startsWith(`Usage: lifeline ${cmd}`), cmd);
      assert.ok(/Examples?:/.test(text), cmd);
      assert.deepEqual(parseCommandLine([cmd, '--help']), { command: 'help', topic: cmd });
    }
    const r = await runCli(['probe', '--help']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, helpFor('probe') + '\n');
  });

  it('usage errors exit 2 with the problem named, a --help hint and nothing on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['connect', 'ws://a', '--bogus'], /Unknown option '--bogus'/],
      [['probe', 'ws://a', '--count', '0'], /--count expects an integer from 1/],
      [['connect', 'ws://a', '--ca', '/nonexistent/ca.pem'], /cannot read --ca file/],
      // A reserved header used to print "internal error" with a stack trace and exit 1.
      [['connect', 'ws://a', '-H', 'Upgrade: h2c'], /--header: header Upgrade is set by the WebSocket handshake/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.match(r.stderr, /--help/, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${args.join(' ')}: no stack trace`);
    }
  });
});

describe('cli: usage errors (in process)', () => {
  it('every malformed command line throws a UsageError naming the problem', () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['help', 'nope'], /unknown command 'nope'/],
      [['connect'], /missing <url>/],
      [['connect', 'ws://a', 'ws://b'], /one <url> only/],
      [['connect', 'ws://a', '--bogus'], /Unknown option '--bogus'/],
      [['connect', 'ftp://a'], /a WebSocket URL must be absolute ws:, wss:, http: or https:, with a host, without a fragment, got "ftp:\/\/a"/],
      [['connect', 'ws://a', '--ping', '0'], /--ping expects a positive number/],
      [['connect', 'ws://a', '--wait', 'soon'], /--wait expects a non-negative number/],
      [['connect', 'ws://a', '--timeout', '3000000'], /--timeout expects a positive number of seconds up to 2147483, got '3000000'/],
      [['connect', 'ws://a', '--ping', '1e9'], /--ping expects a positive number of seconds up to 2147483/],
      [['connect', 'ws://user:s3cr3t@a/#frag'], /a WebSocket URL must be .*without a fragment, got "ws:\/\/user:\*\*\*@a\/#frag"/],
      [['connect', 'ws://a/#'], /without a fragment, got "ws:\/\/a\/#"/],
      [['connect', 'ws://a', '--proxy', 'socks5://u:s3cr3t@p:1'], /--proxy: the proxy must be an http:\/\/ URL of a CONNECT proxy, got "socks5:\/\/u:\*\*\*@p:1"/],
      // The library refuses an https: proxy: the flag says so up front instead of passing it on.
      [['connect', 'ws://a', '--proxy', 'https://u:s3cr3t@p:1'], /--proxy: the proxy must be an http:\/\/ URL of a CONNECT proxy \(TLS to the proxy, https:\/\/, is not supported\), got "https:\/\/u:\*\*\*@p:1"/],
      [['probe', 'wss://a', '--proxy', 'HTTPS://p'], /--proxy: the proxy must be an http:\/\/ URL .*https:\/\/, is not supported/],
      [['connect', 'ws://a', '--proxy', 'p:99999'], /--proxy: the proxy must be an http:\/\/ URL of a CONNECT proxy, got "p:99999"/],
      [['connect', 'ws://a', '-H', 'no-colon'], /--header expects 'name: value'/],
      [['connect', 'ws://a', '--protocol', 'bad proto'], /--protocol: a subprotocol must be a token/],
      [['connect', 'ws://a', '-H', 'Upgrade: h2c'], /--header: header Upgrade is set by the WebSocket handshake/],
      [['connect', 'ws://a', '-H', 'Sec-WebSocket-Key: x'], /--header: header Sec-WebSocket-Key is set by/],
      [['connect', 'ws://a', '-H', 'X-Ünicode: x'], /--header: header name must be a token/],
      [['connect', 'ws://a', '-p', 'x', '-p', 'x'], /--protocol: a subprotocol must be a token \(RFC 7230\), offered once, got "x"/],
      [['connect', 'ws://a', '--proxy', 'socks5://p:1'], /--proxy: the proxy must be/],
      [['probe', 'ws://a', '--count', '0'], /--count expects an integer from 1/],
      [['probe', 'ws://a', '--size', '-1'], /--size|argument/],
      [['probe', 'ws://a', '--size', '1.5'], /--size expects an integer/],
      [['probe', 'ws://a', '--timeout'], /argument missing/],
      [['probe', 'ws://a', '--binary'], /Unknown option '--binary'/],
      [['autobahn'], /missing <url>/],
      [['--json'], /expected a command/],
    ];
    for (const [args, re] of cases) {
      assert.throws(() => parseCommandLine(args), (e: unknown) => e instanceof UsageError && re.test(e.message), args.join(' '));
    }
  });

  it('credentials in the URL move to an Authorization header (a -H Authorization wins); the URL keeps none', () => {
    const c = parseCommandLine(['connect', 'ws://us%40er:p%3Ass@a:1/x']) as { url: string; headers: Record<string, string> };
    assert.equal(c.url, 'ws://a:1/x');
    assert.deepEqual(c.headers, { Authorization: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}` });
    const own = parseCommandLine(['probe', 'ws://u:p@a/', '-H', 'authorization: Bearer t']) as { url: string; headers: Record<string, string> };
    assert.equal(own.url, 'ws://a/');
    assert.deepEqual(own.headers, { authorization: 'Bearer t' });
  });

  it('autobahn takes the URL positionally or as --url, and case ranges', () => {
    const a = parseCommandLine(['autobahn', '--url', 'ws://127.0.0.1:9001', '--cases', '3,1-2,2']);
    assert.deepEqual(a, { command: 'autobahn', url: 'ws://127.0.0.1:9001/', json: false, agent: 'lifeline', cases: [1, 2, 3], deflate: true });
    assert.equal((parseCommandLine(['autobahn', 'ws://h:9001']) as { url: string }).url, 'ws://h:9001/');
    assert.throws(() => parseCommandLine(['autobahn', 'ws://h', '--url', 'ws://h']), UsageError);
    assert.throws(() => parseCommandLine(['autobahn', 'ws://h', '--cases', '5-2']), /--cases expects/);
    assert.throws(() => parseCommandLine(['autobahn', 'ws://h', '--cases', '1.1.1']), /--cases expects/);
  });

  it('no arguments and `help <command>` show help', () => {
    assert.deepEqual(parseCommandLine([]), { command: 'help', topic: undefined });
    assert.deepEqual(parseCommandLine(['help', 'probe']), { command: 'help', topic: 'probe' });
    assert.deepEqual(parseCommandLine(['probe', '-h']), { command: 'help', topic: 'probe' });
  });
});

describe('cli: argument parsing', () => {
  it('parses connect flags with repeatable values and defaults', () => {
    const c = parseCommandLine(['connect', 'localhost:8080/chat', '-p', 'a', '--protocol', 'b', '-H', 'X-A: 1', '-H', 'x-a: 2', '--no-deflate', '-x', 'hi', '-x', 'there', '--ping', '1.5']) as ConnectArgs;
    assert.equal(c.command, 'connect');
    assert.equal(c.url, 'ws://localhost:8080/chat');
    assert.deepEqual(c.protocols, ['a', 'b']);
    assert.deepEqual(c.headers, { 'X-A': '1, 2' });
    assert.equal(c.deflate, false);
    assert.deepEqual(c.execute, ['hi', 'there']);
    assert.equal(c.pingIntervalMs, 1500);
    assert.equal(c.waitMs, 2000);
    assert.equal(c.timeoutMs, 10_000);
    assert.equal(c.insecure, false);
  });

  it('--deflate/--no-deflate: the last one wins', () => {
    assert.equal((parseCommandLine(['probe', 'ws://h', '--no-deflate', '--deflate']) as ProbeArgs).deflate, true);
    assert.equal((parseCommandLine(['probe', 'ws://h', '--deflate', '--no-deflate']) as ProbeArgs).deflate, false);
    assert.equal((parseCommandLine(['probe', 'ws://h']) as ProbeArgs).deflate, true);
  });

  it('maps http(s) to ws(s) and rejects fragments', () => {
    assert.equal(normaliseUrl('https://example.com/x?y=1'), 'wss://example.com/x?y=1');
    assert.equal(normaliseUrl('http://example.com'), 'ws://example.com/');
    assert.throws(() => normaliseUrl('ws://example.com/#frag'), UsageError);
    assert.throws(() => normaliseUrl('ws://'), UsageError);
  });
});

describe('cli: input line syntax', () => {
  it('plain lines are text, --binary makes them bytes, empty lines are skipped', () => {
    assert.deepEqual(parseLine('hello'), { kind: 'send', data: 'hello' });
    assert.deepEqual(parseLine('hi', true), { kind: 'send', data: new Uint8Array([0x68, 0x69]) });
    assert.deepEqual(parseLine(''), { kind: 'skip' });
  });

  it('\\x sends hex bytes; bad hex is an input error', () => {
    assert.deepEqual(parseLine('\\x 00 ff 10'), { kind: 'send', data: new Uint8Array([0, 255, 16]) });
    assert.deepEqual(parseLine('\\x0aFF'), { kind: 'send', data: new Uint8Array([10, 255]) });
    assert.deepEqual(parseLine('\\x'), { kind: 'send', data: new Uint8Array(0) });
    assert.equal(parseLine('\\x 0').kind, 'error');
    assert.equal(parseLine('\\x zz').kind, 'error');
    assert.deepEqual(parseHex('0x01:02 03'), new Uint8Array([1, 2, 3]));
  });

  it('\\\\ escapes a backslash; \\ping, \\close with RFC limits', () => {
    assert.deepEqual(parseLine('\\\\x 41'), { kind: 'send', data: '\\x 41' });
    assert.deepEqual(parseLine('\\ping abc'), { kind: 'ping', data: new TextEncoder().encode('abc') });
    assert.equal(parseLine('\\ping ' + 'a'.repeat(126)).kind, 'error');
    assert.deepEqual(parseLine('\\close'), { kind: 'close', code: 1000, reason: '' });
    assert.deepEqual(parseLine('\\close 4001 bye now'), { kind: 'close', code: 4001, reason: 'bye now' });
    assert.equal(parseLine('\\close 1006').kind, 'error');
    assert.equal(parseLine('\\close 1000 ' + 'r'.repeat(124)).kind, 'error');
    assert.equal(parseLine('\\nope').kind, 'error');
  });
});

describe('cli: statistics and formatting', () => {
  it('nearest-rank percentiles pick real samples', () => {
    const s = [5, 1, 4, 2, 3];
    assert.equal(percentile([1, 2, 3, 4, 5], 50), 3);
    assert.equal(percentile([1, 2, 3, 4, 5], 99), 5);
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 99), 99);
    assert.equal(percentile(sorted, 50), 50);
    assert.deepEqual(summarize(s), { count: 5, minMs: 1, maxMs: 5, avgMs: 3, p50Ms: 3, p99Ms: 5 });
    assert.equal(summarize([]), null);
  });

  it('probe payloads have the exact size and are repetitive', () => {
    for (const n of [0, 5, 40, 1024, 4097]) assert.equal(Buffer.byteLength(probePayload(3, n)), n);
    assert.ok(probePayload(1, 1024).startsWith('{"probe":"lifeline","seq":1,'));
    assert.doesNotThrow(() => JSON.parse(probePayload(7, 200)));
  });

  it('terminal output escapes control characters from the peer', () => {
    assert.equal(terminalSafe('a\x1b[31mred\r\n\tok'), 'a\\x1b[31mred\\r\\n\tok');
    assert.equal(toHex(new Uint8Array([1, 2, 3, 4]), 2), '01 02 … (+2 bytes)');
    assert.match(messageLine('<', new Uint8Array([0xca, 0xfe])), /^< \d\d:\d\d:\d\d\.\d{3} +2 B {2}\[binary\] ca fe$/);
  });
});

describe('cli: failure explanations', () => {
  const url = 'wss://api.example.com/ws';
  const sys = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  it('maps network and TLS codes to kinds with advice', () => {
    const table: [string, string, RegExp][] = [
      ['ENOTFOUND', 'dns', /DNS lookup failed.*api\.example\.com/],
      ['ECONNREFUSED', 'refused', /refused.*api\.example\.com/],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls', /self-signed.*--ca/],
      ['SELF_SIGNED_CERT_IN_CHAIN', 'tls', /--insecure/],
      ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', /does not name this host/],
      ['WS_ERR_HANDSHAKE_ACCEPT', 'handshake', /Sec-WebSocket-Accept/],
      ['WS_ERR_HANDSHAKE_EXTENSION', 'extension', /did not offer/],
      ['WS_ERR_HANDSHAKE_TIMEOUT', 'timeout', /--timeout/],
      ['WS_ERR_INVALID_UTF8', 'protocol', /broke the WebSocket protocol/],
      ['WS_ERR_MESSAGE_TOO_BIG', 'protocol', /1009/],
      ['WS_ERR_HEARTBEAT_TIMEOUT', 'no-reply', /half-open/],
      ['WS_ERR_CONNECT_TIMEOUT', 'timeout', /did not open in time/],
      ['WS_ERR_HANDSHAKE_EOF', 'reset', /closed the connection before/],
      ['WS_ERR_PROXY', 'proxy', /--proxy/],
    ];
    for (const [code, kind, re] of table) {
      const f = explain(sys(code), url);
      assert.equal(f.code, code);
      assert.equal(f.kind, kind, code);
      assert.match(f.explanation, re, code);
    }
  });

  it('an HTTP refusal keeps the status and the body; 3xx names the Location', () => {
    const e = new HandshakeError('WS_ERR_HANDSHAKE_STATUS', 'Unexpected response 401', { status: 401, headers: {}, body: new TextEncoder().encode('token expired') });
    const f = explain(e, url);
    assert.equal(f.kind, 'http-status');
    assert.equal(f.status, 401);
    assert.equal(f.body, 'token expired');
    assert.match(f.explanation, /HTTP 401.*authentication[\s\S]*Server said: token expired/);
    const r = explain(new HandshakeError('WS_ERR_HANDSHAKE_STATUS', 'Unexpected response 301', { status: 301, headers: { location: 'wss://new.example/ws' } }), url);
    assert.match(r.explanation, /redirects to wss:\/\/new\.example\/ws/);
  });

  it('WS_ERR_PROXY for a proxy not reached: its message (which names the proxy) and advice by the cause, not the target', () => {
    const notReached = (code: string, message: string) =>
      new LifelineError('WS_ERR_PROXY', `Could not reach the proxy proxy.corp:3128 (from HTTPS_PROXY): ${message}`, undefined, { cause: sys(code) });
    const table: [string, string, RegExp][] = [
      ['ENOTFOUND', 'DNS lookup failed (getaddrinfo ENOTFOUND proxy.corp)', /proxy's host name/],
      ['ECONNREFUSED', 'connection refused (connect ECONNREFUSED 10.0.0.1:3128)', /Is the proxy running/],
      ['WS_ERR_HANDSHAKE_TIMEOUT', 'Opening handshake timed out after 10000 ms', /--timeout/],
      // The resilient client's deadline (connect --reconnect) names the proxy the same way.
      ['WS_ERR_CONNECT_TIMEOUT', 'lifeline: not open after connectTimeout 10000 ms', /--timeout/],
    ];
    for (const [code, detail, advice] of table) {
      const f = explain(notReached(code, detail), url);
      assert.deepEqual([f.code, f.kind], ['WS_ERR_PROXY', 'proxy']);
      assert.ok(f.explanation.startsWith(`Could not reach the proxy proxy.corp:3128 (from HTTPS_PROXY): ${detail}. `), f.explanation);
      assert.match(f.explanation, advice);
      assert.doesNotMatch(f.explanation, /api\.example\.com/);
    }
    const refused = explain(new HandshakeError('WS_ERR_PROXY', 'The proxy p:3128 (from the proxy option) refused CONNECT: 407', { status: 407 }), url);
    assert.match(refused.explanation, /^The HTTP proxy refused or failed the CONNECT request \(The proxy p:3128 \(from the proxy option\) refused CONNECT: 407\)/);
  });

  it('finds the code through a cause chain; unknown errors still explain', () => {
    const wrapped = new Error('outer', { cause: sys('ECONNREFUSED') });
    assert.equal(explain(wrapped, url).kind, 'refused');
    const u = explain(new Error('something odd'), url);
    assert.equal(u.kind, 'unknown');
    assert.equal(u.explanation, 'something odd');
  });
});
