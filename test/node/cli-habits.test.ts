/**
 * wscat's and websocat's spellings in `lifeline connect` (README, "Coming
 * from wscat or websocat"): parsed in-process, then end to end against
 * lifeline's own server (src/server, in this process) with the built CLI
 * as a child process: -c, -s, -p 13, -n, -P, --auth, -L, -1,
 * --ping-interval/--ping-timeout, --slash, --host (the Host header); and
 * the flag that cannot mean what wscat means (-l) refused with a message
 * that says why.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine, type ConnectArgs, type ProbeArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/exit.js';
import { socketOptions } from '../../src/cli/socket.js';
import { parseLine } from '../../src/cli/input.js';
import { WebSocketServer, type ServerConnection } from '../../src/server/server.js';
import { runCli, jsonLines } from '../support/cli-runner.js';

const connect = (...args: string[]) => parseCommandLine(['connect', ...args]) as ConnectArgs;
const usage = (args: string[], re: RegExp) =>
  assert.throws(() => parseCommandLine(args), (e: Error) => e instanceof UsageError && re.test(e.message), args.join(' '));

describe('connect: wscat and websocat flags (parsing)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-habits-'));
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('-c/--connect <url> is the URL (wscat); given twice it is an error', () => {
    assert.equal(connect('-c', 'ws://a:1/x').url, 'ws://a:1/x');
    assert.equal(connect('--connect', 'b:2').url, 'ws://b:2/');
    usage(['connect', '-c', 'ws://a', 'ws://b'], /give the URL once/);
  });

  it('-s/--subprotocol and -p/--protocol offer subprotocols in order; -p 13 is wscat\'s version and offers nothing', () => {
    assert.deepEqual(connect('ws://a', '-p', 'chat', '-s', 'v2', '--subprotocol', 'v1').protocols, ['chat', 'v2', 'v1']);
    assert.deepEqual(connect('ws://a', '-p', '13').protocols, []);
    assert.deepEqual(connect('ws://a', '--protocol', '13', '-s', '13').protocols, ['13'], 'a numeric subprotocol through -s');
    usage(['connect', 'ws://a', '-p', '8'], /--protocol 8: lifeline speaks WebSocket version 13 \(RFC 6455\) only.*-s\/--subprotocol 8/);
    usage(['connect', 'ws://a', '-s', 'a b'], /--subprotocol: a subprotocol must be a token/);
  });

  it('-n/--no-check is -k; probe keeps -n for --count and takes --no-check long', () => {
    assert.equal(connect('ws://a', '-n').insecure, true);
    assert.equal(connect('ws://a').insecure, false);
    const probe = parseCommandLine(['probe', 'ws://a', '-n', '3', '--no-check']) as ProbeArgs;
    assert.deepEqual([probe.count, probe.insecure], [3, true]);
  });

  it('-P/--show-ping-pong and --show-control show control frames; -c no longer does', () => {
    assert.equal(connect('ws://a', '-P').showControl, true);
    assert.equal(connect('ws://a', '--show-control').showControl, true);
    usage(['connect', 'ws://a', '-c'], /argument missing/);
  });

  it('--auth user:pass sends HTTP Basic; with an Authorization header, or without a colon, it is an error', () => {
    assert.deepEqual(connect('ws://a', '--auth', 'aladdin:open sesame').headers, { Authorization: 'Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ==' });
    usage(['connect', 'ws://a', '--auth', 'u:p', '-H', 'authorization: Bearer x'], /--auth and an Authorization header/);
    usage(['connect', 'ws://a', '--auth', 'user'], /--auth expects user:password/);
  });

  it('-L/--location and --max-redirects follow redirects; --cert/--key/--passphrase a client certificate', () => {
    const c = connect('ws://a', '-L', '--max-redirects', '3', '--cert', join(dir, 'c.pem'), '--key', join(dir, 'k.pem'), '--passphrase', 'pw');
    assert.deepEqual([c.followRedirects, c.maxRedirects, c.cert, c.key, c.passphrase], [true, 3, 'CERT', 'KEY', 'pw']);
    const o = socketOptions(c, undefined);
    assert.deepEqual([o.followRedirects, o.maxRedirects, o.cert, o.key, o.passphrase], [true, 3, 'CERT', 'KEY', 'pw']);
    const plain = socketOptions(connect('ws://a', '--max-redirects', '3'), undefined);
    assert.equal(plain.followRedirects, undefined, '--max-redirects alone does not follow (as wscat)');
    usage(['connect', 'ws://a', '--cert', join(dir, 'c.pem')], /--cert and --key go together/);
    usage(['connect', 'ws://a', '--cert', join(dir, 'nope.pem'), '--key', join(dir, 'k.pem')], /cannot read --cert file/);
    usage(['connect', 'ws://a', '--passphrase', 'x'], /--passphrase is for the --key file/);
  });

  it('--ping-interval is --ping; --ping-timeout needs one; -1, --slash, --no-color, -w', () => {
    const c = connect('ws://a', '--ping-interval', '0.5', '--ping-timeout', '2', '-1', '--slash', '--no-color', '-w', '3');
    assert.deepEqual([c.pingIntervalMs, c.pingTimeoutMs, c.oneMessage, c.slash, c.waitMs], [500, 2000, true, true, 3000]);
    assert.equal(connect('ws://a', '--ping', '1').pingIntervalMs, 1000);
    usage(['connect', 'ws://a', '--ping-timeout', '2'], /--ping-timeout needs --ping-interval/);
    usage(['connect', 'ws://a', '--ping', '1', '--ping-interval', '2'], /--ping and --ping-interval are the same option/);
  });

  it('--host sets the Host header (checked as host[:port]); -H Host does too; not both, not twice', () => {
    assert.deepEqual(connect('ws://a', '--host', 'example.com:8080').headers, { Host: 'example.com:8080' });
    assert.deepEqual(connect('ws://a', '-H', 'host: v.test').headers, { host: 'v.test' });
    assert.equal(socketOptions(connect('ws://a', '--host', 'v.test'), undefined).headers?.['Host'], 'v.test');
    usage(['connect', 'ws://a', '--host', 'a b'], /--host: header Host must be host\[:port\] \(RFC 9110 §7\.2\), got "a b"/);
    usage(['connect', 'ws://a', '-H', 'Host: x:99999'], /--header: header Host must be host\[:port\]/);
    usage(['connect', 'ws://a', '--host', 'a', '-H', 'Host: b'], /--host and a Host header \(-H\) are given together/);
    usage(['connect', 'ws://a', '-H', 'Host: a', '-H', 'host: b'], /Host is given more than once/);
    usage(['probe', 'ws://a', '--host', 'a b'], /--host: header Host must be/);
  });

  it('-l cannot mean what wscat means: refused, saying why', () => {
    usage(['connect', '-l', '8080'], /-l\/--listen is wscat's server mode: run 'lifeline serve --port 8080' instead/);
  });

  it('--slash: /ping and /close are commands, // sends a line starting with /', () => {
    assert.deepEqual(parseLine('/ping hi', false, true).kind, 'ping');
    assert.deepEqual(parseLine('/close 1000 bye', false, true), { kind: 'close', code: 1000, reason: 'bye' });
    assert.deepEqual(parseLine('//path', false, true), { kind: 'send', data: '/path' });
    assert.deepEqual(parseLine('/path', false, false), { kind: 'send', data: '/path' }, 'without --slash a slash is text');
  });
});

describe('connect: wscat and websocat flags against lifeline\'s server', { timeout: 60_000 }, () => {
  let server: WebSocketServer;
  const requests: Array<Record<string, string>> = [];
  const pings: number[] = [];
  const received: string[] = [];
  let silentPaths = new Set<string>();
  before(async () => {
    server = new WebSocketServer(
      { protocols: ['chat'] },
      {
        upgrade: (up, conn) => {
          requests.push({ ...conn.request!.headers, path: up.target });
          if (up.target === '/old') return { refuse: 302, headers: { Location: `ws://127.0.0.1:${server.port}/new` } };
          return undefined;
        },
        open: (conn: ServerConnection) => {
          const path = conn.request!.target;
          if (path === '/greet') conn.send('welcome');
          if (path === '/ping-me') conn.sendPing(new Uint8Array([1, 2]));
          if (silentPaths.has(path)) conn.pause();
        },
        ping: (conn) => pings.push(conn.id),
        message: (conn, data) => {
          received.push(String(data));
          conn.send(data);
        },
      },
    );
    await server.listen(0);
  });
  after(() => server.close());

  const url = (path: string) => `ws://127.0.0.1:${server.port}${path}`;

  it('-c <url> -s chat --auth: connects, offers the subprotocol, sends Basic credentials', async () => {
    const r = await runCli(['connect', '-c', url('/auth'), '-s', 'chat', '--auth', 'user:secret', '-x', 'hi', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r);
    assert.equal(events.find((e) => e.event === 'open')!.protocol, 'chat');
    assert.equal(requests.find((q) => q.path === '/auth')!.authorization, `Basic ${Buffer.from('user:secret').toString('base64')}`);
  });

  it('--host: the server sees that Host; the connection still goes to the URL', async () => {
    const r = await runCli(['connect', url('/vhost'), '--host', 'chat.example.test', '-x', 'hi', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonLines(r).filter((e) => e.event === 'message').map((e) => e.data), ['hi']);
    assert.equal(requests.find((q) => q.path === '/vhost')!.host, 'chat.example.test');
  });

  it('-1: exits after the first message, sending at most one line', async () => {
    const greeted = await runCli(['connect', url('/greet'), '-1']);
    assert.equal(greeted.code, 0, greeted.stderr);
    assert.match(greeted.stdout, /welcome/);
    const before = received.length;
    const echoed = await runCli(['connect', url('/echo'), '-1', '--json'], { input: 'first\nsecond\n' });
    assert.equal(echoed.code, 0, echoed.stderr);
    assert.deepEqual(jsonLines(echoed).filter((e) => e.event === 'message').map((e) => e.data), ['first']);
    assert.deepEqual(received.slice(before), ['first']);
  });

  it('-1 with no message within --wait: exit 3, as --execute', async () => {
    const r = await runCli(['connect', url('/quiet'), '-1', '-w', '0.3']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /No reply within 0\.3 s/);
  });

  it('-L follows a 302 to the new location', async () => {
    const refused = await runCli(['connect', url('/old'), '-x', 'x']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /302/);
    const r = await runCli(['connect', url('/old'), '-L', '-x', 'moved', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonLines(r).filter((e) => e.event === 'message').map((e) => e.data), ['moved']);
    assert.ok(requests.some((q) => q.path === '/new'));
    assert.equal(jsonLines(r).find((e) => e.event === 'open')!.url, url('/new'), 'the open event names the URL connected to, after the redirect');
    const text = await runCli(['connect', url('/old'), '-L', '-x', 'moved']);
    assert.match(text.stderr, new RegExp(`connected to ${url('/new').replace(/[.?*+^$()[\]{}|\\]/g, '\\$&')} in `));
  });

  it('-P shows the server\'s ping; --slash sends /ping as a ping', async () => {
    const before = pings.length;
    const r = await runCli(['connect', url('/ping-me'), '-P', '--slash', '-w', '0.5'], { input: '/ping\n//not a command\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ping {2}← 2 B 01 02/);
    assert.match(r.stdout, /\/not a command/);
    assert.equal(pings.length, before + 1);
  });

  it('--ping-interval with --ping-timeout: a server that stops answering is dropped, exit 1', async () => {
    silentPaths = new Set(['/stalled']);
    // The message is never echoed (the server reads nothing), so the session would wait 60 s, past the
    // run's 20 s bound; the ping timeout ends it first, and says so (no wall-clock bound on a loaded machine).
    const r = await runCli(['connect', url('/stalled'), '-x', 'anyone?', '-w', '60', '--ping-interval', '0.2', '--ping-timeout', '0.5', '--json'], { timeout: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    const err = jsonLines(r).find((e) => e.event === 'error')!;
    assert.equal(err.code, 'WS_ERR_HEARTBEAT_TIMEOUT');
    assert.equal(jsonLines(r).find((e) => e.event === 'close')!.code, 1006);
  });
});
