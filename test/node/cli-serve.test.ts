/**
 * `lifeline serve` as a real child process (dist/cli.mjs), driven with
 * lifeline's own Node WebSocket and with a `ws` client through every fault
 * (from stdin, over HTTP and by --chaos), checked both from the clients'
 * side (close codes, refusals with Retry-After, missing pongs, timings) and
 * in the --json event log. Also the reply modes, TLS with the self-signed
 * certificate, usage errors, --help, and stopping.
 *
 * Loopback only; durations are fractions of a second, so the file takes a
 * few seconds.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { WebSocket as WsClient } from 'ws';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { HandshakeError } from '../../src/protocol/errors.js';
import { MALFORMED, FAULTS } from '../../src/server/faults.js';
import { startCli, runCli, type RunningCli, type CliResult } from '../support/cli-runner.js';
import { parseCommandLine, type ServeArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/exit.js';
import { openWs, next } from '../support/node-ws.js';

type Ev = Record<string, any>;

interface Serve {
  cli: RunningCli;
  url: string;
  http: string;
  port: number;
  events(): Ev[];
  /** The first event (after `from`) matching `test`; rejects after `ms`. */
  until(test: (e: Ev) => boolean, what: string, ms?: number, from?: number): Promise<Ev>;
  command(line: string): void;
  stop(): Promise<CliResult>;
}

const running = new Set<RunningCli>();

async function serve(args: string[]): Promise<Serve> {
  const cli = await startCli(['serve', '--json', '--port', '0', ...args], { timeout: 60_000 });
  running.add(cli);
  let stdout = '';
  cli.child.stdout.on('data', (d: string) => (stdout += d));
  const events = () =>
    stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Ev;
        } catch {
          throw new Error(`stdout line is not JSON: ${l}`);
        }
      });
  const until = async (test: (e: Ev) => boolean, what: string, ms = 5000, from = 0): Promise<Ev> => {
    const t0 = Date.now();
    for (;;) {
      const hit = events().slice(from).find(test);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; events:\n${stdout}`);
      if (cli.child.exitCode !== null) throw new Error(`lifeline serve exited (${cli.child.exitCode}) before ${what}:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  // A process start and a bind: seconds on a loaded machine (5 s ran out once with two test runs beside it), so a generous bound.
  const listening = await until((e) => e.event === 'listening', 'listening', 30_000);
  return {
    cli,
    url: listening.url,
    port: listening.port,
    http: String(listening.url).replace(/^ws/, 'http').replace(/\/$/, ''),
    events,
    until,
    command: (line) => cli.child.stdin.write(line + '\n'),
    async stop() {
      cli.child.stdin.write('quit\n');
      const r = await cli.result;
      running.delete(cli);
      return r;
    },
  };
}

/** A ws client, open. */
function wsOpen(url: string, protocols: string[] = [], options: ConstructorParameters<typeof WsClient>[2] = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WsClient(url, protocols, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The close code and reason a ws client saw. */
function wsClosed(ws: WsClient, ms = 5000): Promise<{ code: number; reason: string }> {
  return within(new Promise((res) => ws.once('close', (code, reason) => res({ code, reason: String(reason) }))), 'ws close', ms);
}

function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_r, rej) => (timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Resolves true if `p` settles within `ms`, false otherwise. */
async function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout;
  const r = await Promise.race([p.then(() => true, () => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
  clearTimeout(timer!);
  return r;
}

async function post(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST' });
  return { status: res.status, body: await res.json() };
}

after(() => {
  for (const c of running) c.child.kill('SIGKILL');
});

describe('lifeline serve: echo, the JSON log and every fault', { timeout: 120_000 }, () => {
  let s: Serve;
  before(async () => {
    s = await serve(['-s', 'chat']);
  });
  after(async () => {
    if (s) assert.equal((await s.stop()).code, 0);
  });

  it('echoes text and binary to lifeline and ws clients, and logs connection, message, sent and close', async () => {
    const from = s.events().length;
    const a = await openWs(s.url, ['chat']);
    a.binaryType = 'arraybuffer';
    assert.equal(a.protocol, 'chat');
    assert.equal(a.extensions, 'permessage-deflate');
    a.send('hello');
    a.send(new Uint8Array([1, 2, 3]));
    const got: unknown[] = [];
    await within(new Promise<void>((res) => a.addEventListener('message', (e: { data: unknown }) => (got.push(e.data), got.length === 2 && res()))), 'two echoes');
    assert.equal(got[0], 'hello');
    assert.deepEqual([...new Uint8Array(got[1] as ArrayBuffer)], [1, 2, 3]);
    const b = await wsOpen(s.url);
    const echo = new Promise<string>((res) => b.once('message', (d) => res(String(d))));
    b.send('from ws');
    assert.equal(await within(echo, 'ws echo'), 'from ws');
    const closedB = wsClosed(b);
    b.close(1000, 'bye');
    assert.deepEqual(await closedB, { code: 1000, reason: 'bye' });
    a.close(1000);
    await next(a, 'close');

    const conn = await s.until((e) => e.event === 'connection' && e.protocol === 'chat', 'the connection event', 5000, from);
    assert.equal(conn.extensions, 'permessage-deflate');
    assert.match(conn.remote, /^127\.0\.0\.1:\d+$/);
    assert.equal(conn.path, '/');
    assert.ok(typeof conn.time === 'string' && !Number.isNaN(Date.parse(conn.time)));
    await s.until((e) => e.event === 'close' && e.id === conn.id, 'the close event', 5000, from);
    const mine = s.events().slice(from).filter((e) => e.id === conn.id);
    assert.deepEqual(
      mine.filter((e) => e.event === 'message').map((e) => [e.type, e.size, e.data, e.encoding ?? null]),
      [
        ['text', 5, 'hello', null],
        ['binary', 3, '010203', 'hex'],
      ],
    );
    assert.deepEqual(mine.filter((e) => e.event === 'sent').map((e) => [e.type, e.size]), [
      ['text', 5],
      ['binary', 3],
    ]);
    assert.deepEqual(mine.filter((e) => e.event === 'close').map((e) => [e.code, e.wasClean]), [[1000, true]]);
    const wsClose = await s.until((e) => e.event === 'close' && e.reason === 'bye', 'the ws close event', 5000, from);
    assert.deepEqual([wsClose.code, wsClose.wasClean], [1000, true]);
  });

  it('drop (HTTP): both clients see 1006, the log has the fault and two 1006 closes', async () => {
    const from = s.events().length;
    const a = await openWs(s.url);
    const b = await wsOpen(s.url);
    const aClosed = next<{ code: number; wasClean: boolean }>(a, 'close');
    const bClosed = wsClosed(b);
    const r = await post(`${s.http}/fault/drop`);
    assert.deepEqual(r, { status: 200, body: { ok: true, fault: 'drop', message: 'dropped 2 connection(s)' } });
    const ca = await aClosed;
    assert.deepEqual([ca.code, ca.wasClean], [1006, false]);
    assert.equal((await bClosed).code, 1006);
    const f = await s.until((e) => e.event === 'fault', 'the fault event', 5000, from);
    assert.deepEqual([f.fault, f.source, f.message], ['drop', 'http', 'dropped 2 connection(s)']);
    await s.until((e) => e.event === 'close' && e.code === 1006, 'a 1006 close', 5000, from);
  });

  it('close 4001 with a reason (stdin): both clients see the code and reason, cleanly', async () => {
    const from = s.events().length;
    const a = await openWs(s.url);
    const b = await wsOpen(s.url);
    const aClosed = next<{ code: number; reason: string; wasClean: boolean }>(a, 'close');
    const bClosed = wsClosed(b);
    s.command('close 4001 going now');
    const ca = await aClosed;
    assert.deepEqual([ca.code, ca.reason, ca.wasClean], [4001, 'going now', true]);
    assert.deepEqual(await bClosed, { code: 4001, reason: 'going now' });
    const f = await s.until((e) => e.event === 'fault', 'the fault event', 5000, from);
    assert.deepEqual([f.fault, f.source, f.params], ['close', 'stdin', { code: '4001', reason: 'going now' }]);
  });

  it('refuse 429 (HTTP): lifeline gets a HandshakeError with status and Retry-After, ws an unexpected response; then it ends', async () => {
    const from = s.events().length;
    const r = await post(`${s.http}/fault/refuse?status=429&seconds=0.8`);
    assert.equal(r.body.message, 'refusing handshakes with 429 for 0.8 s');
    const a = new WebSocket(s.url);
    const err = (await next<{ error: HandshakeError }>(a, 'error')).error;
    assert.ok(err instanceof HandshakeError);
    assert.deepEqual([err.status, err.retryAfter], [429, '1']);
    assert.match(err.bodyText, /fault: refuse 429/);
    const b = new WsClient(s.url);
    b.on('error', () => {});
    const res = await within(new Promise<{ status: number; retry: unknown }>((ok) => b.on('unexpected-response', (_q, m) => ok({ status: m.statusCode!, retry: m.headers['retry-after'] }))), 'ws refusal');
    b.terminate();
    assert.deepEqual(res, { status: 429, retry: '1' });
    const refused = s.events().slice(from).filter((e) => e.event === 'refused');
    assert.ok(refused.length >= 1 && refused.every((e) => e.status === 429 && e.reason === 'fault' && e.retryAfter === '1'), JSON.stringify(refused));
    // Retry-After can be set or left out.
    await post(`${s.http}/fault/refuse?status=503&seconds=0.5&retry-after=none`);
    const c = new WebSocket(s.url);
    const err2 = (await next<{ error: HandshakeError }>(c, 'error')).error;
    assert.deepEqual([err2.status, err2.retryAfter], [503, undefined]);
    await new Promise((res) => setTimeout(res, 600));
    const d = await openWs(s.url);
    d.close();
    await next(d, 'close');
  });

  it('silent (stdin): no pong, no echo, TCP stays open (stats), for both clients', async () => {
    const a = await openWs(s.url);
    const b = await wsOpen(s.url);
    const from = s.events().length;
    s.command('silent');
    await s.until((e) => e.event === 'fault' && e.fault === 'silent', 'the fault event', 5000, from);
    const pong = a.ping();
    const echoA = next(a, 'message', 2000).catch(() => 'none');
    a.send('anyone?');
    const wsPong = new Promise<void>((res) => b.once('pong', () => res()));
    b.ping();
    const echoB = new Promise<void>((res) => b.once('message', () => res()));
    b.send('anyone?');
    assert.equal(await settles(pong, 600), false, 'lifeline: no pong');
    assert.equal(await settles(wsPong, 50), false, 'ws: no pong');
    assert.equal(await settles(echoB, 50), false, 'ws: no echo');
    assert.equal(await echoA, 'none');
    const stats = await (await fetch(`${s.http}/fault/stats`)).json();
    assert.deepEqual(stats.connections.map((c: { silent: boolean }) => c.silent), [true, true]);
    assert.equal(a.readyState, WebSocket.OPEN, 'half-open: still open on the client');
    const aClosed = next(a, 'close');
    const bClosed = wsClosed(b);
    s.command('drop');
    await aClosed;
    await bClosed;
  });

  it('slow (HTTP): echoes come only after the reader resumes; both clients stay connected', async () => {
    const a = await openWs(s.url);
    const b = await wsOpen(s.url);
    await post(`${s.http}/fault/slow?seconds=0.6`);
    const t0 = Date.now();
    const echoA = next<{ data: string }>(a, 'message', 5000);
    const echoB = within(new Promise<string>((res) => b.once('message', (d) => res(String(d)))), 'ws echo');
    a.send('patience');
    b.send('patience too');
    assert.equal((await echoA).data, 'patience');
    assert.equal(await echoB, 'patience too');
    assert.ok(Date.now() - t0 >= 450, `echoed after ${Date.now() - t0} ms`);
    await s.until((e) => e.event === 'log' && /slow reader over/.test(e.message), 'the end of the slow reader');
    a.close();
    b.close();
    await next(a, 'close');
  });

  it('delay (stdin): handshakes are answered late until delay 0', async () => {
    s.command('delay 0.4');
    await s.until((e) => e.event === 'fault' && e.fault === 'delay', 'the delay fault');
    let t0 = Date.now();
    const a = await openWs(s.url);
    assert.ok(Date.now() - t0 >= 350, `lifeline opened after ${Date.now() - t0} ms`);
    t0 = Date.now();
    const b = await wsOpen(s.url);
    assert.ok(Date.now() - t0 >= 350, `ws opened after ${Date.now() - t0} ms`);
    const from = s.events().length;
    s.command('delay 0');
    const f = await s.until((e) => e.event === 'fault' && e.fault === 'delay', 'delay 0', 5000, from);
    assert.equal(f.message, 'handshake answers are no longer delayed');
    t0 = Date.now();
    const c = await openWs(s.url);
    assert.ok(Date.now() - t0 < 350);
    for (const ws of [a, c]) ws.close();
    b.close();
    await next(c, 'close');
  });

  it('restart (HTTP): both clients dropped, connections refused while down, accepted again', async () => {
    const a = await openWs(s.url);
    const b = await wsOpen(s.url);
    const aClosed = next<{ code: number }>(a, 'close');
    const bClosed = wsClosed(b);
    const from = s.events().length;
    const r = await post(`${s.http}/fault/restart?seconds=0.6`);
    assert.equal(r.body.message, 'restarting: down for 0.6 s');
    assert.equal((await aClosed).code, 1006);
    assert.equal((await bClosed).code, 1006);
    const down = new WebSocket(s.url);
    const failed = (await next<{ error: Error & { code?: string } }>(down, 'error')).error;
    assert.match(String(failed.code ?? failed.message), /ECONNREFUSED/);
    await s.until((e) => e.event === 'log' && e.message === 'restarted', 'restarted', 5000, from);
    const again = await openWs(s.url);
    const again2 = await wsOpen(s.url);
    again.close();
    again2.close();
    await next(again, 'close');
  });

  for (const [kind, m] of Object.entries(MALFORMED)) {
    it(`malformed ${kind} (stdin): lifeline and ws both fail the connection with ${m.expect}`, async () => {
      const a = await openWs(s.url);
      const b = await wsOpen(s.url);
      const aClosed = next<{ code: number }>(a, 'close');
      const aError = next<{ error: { code: string; closeCode?: number } }>(a, 'error');
      const bError = within(new Promise<{ code?: string }>((res) => b.once('error', res)), 'ws error');
      const bClosed = wsClosed(b);
      const from = s.events().length;
      s.command(`malformed ${kind}`);
      // Both report their own failures as 1006 on close (RFC 6455 §7.1.5: no close frame is read after
      // ours, §7.1.7) and the code on the error; the server's log below shows the code on the wire.
      assert.equal((await aClosed).code, 1006);
      assert.match((await aError).error.code, /^WS_ERR_/);
      assert.equal((await aError).error.closeCode, m.expect);
      assert.match(String((await bError).code), /^WS_ERR_/);
      await bClosed;
      const f = await s.until((e) => e.event === 'fault' && e.fault === 'malformed', 'the fault event', 5000, from);
      assert.match(f.message, new RegExp(`to 2 connection\\(s\\); a conforming client closes with ${m.expect}`));
      // The server logged both closes, lifeline's with that code (ws answers some kinds otherwise: 1009 for length).
      const t0 = Date.now();
      while (s.events().slice(from).filter((e) => e.event === 'close').length < 2) {
        assert.ok(Date.now() - t0 < 5000, 'two closes in the log');
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(s.events().slice(from).some((e) => e.event === 'close' && e.code === m.expect));
    });
  }

  it('stats and bad commands on stdin (JSON mode: a stats event; errors on stderr)', async () => {
    const from = s.events().length;
    s.command('stats');
    const st = await s.until((e) => e.event === 'stats', 'the stats event', 5000, from);
    assert.ok(Array.isArray(st.connections));
    assert.deepEqual(Object.keys(st.faults).sort(), ['delay', 'refuse', 'restart', 'silent', 'slow']);
    s.command('refuse 700');
    await s.cli.waitFor(/refuse: status must be an integer from 400 to 599, got '700'/, 'stderr');
    s.command('explode');
    await s.cli.waitFor(/unknown command 'explode' \(type help\)/, 'stderr');
  });

  it('the control endpoint: 400 for a bad parameter, 404 for an unknown fault, 426 with a hint for other paths', async () => {
    const bad = await post(`${s.http}/fault/close?code=1005`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /code must be a close code a server may send/);
    const unknownParam = await post(`${s.http}/fault/drop?now=1`);
    assert.equal(unknownParam.status, 400);
    assert.equal((await post(`${s.http}/fault/explode`)).status, 404);
    const other = await fetch(`${s.http}/`);
    assert.equal(other.status, 426);
    assert.match(await other.text(), /lifeline connect ws:\/\/127\.0\.0\.1:\d+\//);
  });
});

describe('lifeline serve: modes, chaos, TLS, stopping', { timeout: 60_000 }, () => {
  it('--broadcast sends every message to every connection; --reply answers with fixed text', async () => {
    const s = await serve(['--broadcast']);
    try {
      const a = await openWs(s.url);
      const b = await wsOpen(s.url);
      const atA = next<{ data: string }>(a, 'message');
      const atB = within(new Promise<string>((res) => b.once('message', (d) => res(String(d)))), 'broadcast at ws');
      a.send('to all');
      assert.equal((await atA).data, 'to all');
      assert.equal(await atB, 'to all');
      a.close();
      b.close();
    } finally {
      await s.stop();
    }
    const r = await serve(['--reply', 'pong!']);
    try {
      const a = await openWs(r.url);
      const got = next<{ data: string }>(a, 'message');
      a.send('ping?');
      assert.equal((await got).data, 'pong!');
      a.close();
    } finally {
      await r.stop();
    }
  });

  it('--chaos drop:every=1s,times=2 drops twice, then leaves the connection alone', async () => {
    // A drop finds only the connections open at that moment: each connection below opens well within the
    // second before the next drop (a 300 ms period was too tight for a loaded machine to reconnect in).
    const s = await serve(['--chaos', 'drop:every=1s,times=2', '--no-deflate']);
    try {
      const listening = s.events().find((e) => e.event === 'listening')!;
      assert.deepEqual(listening.chaos, ['drop:every=1s,times=2']);
      for (let i = 0; i < 2; i++) {
        const a = await openWs(s.url);
        assert.equal(a.extensions, '', '--no-deflate');
        assert.equal((await next<{ code: number }>(a, 'close', 5000)).code, 1006);
      }
      const c = await openWs(s.url);
      assert.equal(await settles(next(c, 'close', 5000), 1500), false, 'no third drop');
      const faults = s.events().filter((e) => e.event === 'fault');
      assert.deepEqual(faults.map((f) => [f.fault, f.source]), [
        ['drop', 'chaos'],
        ['drop', 'chaos'],
      ]);
      c.close();
    } finally {
      await s.stop();
    }
  });

  it('--tls: a self-signed certificate made in-process; its printed fingerprint matches the saved PEM, which clients trust with --ca', async () => {
    const s = await serve(['--tls']);
    let certFile = '';
    try {
      const l = s.events().find((e) => e.event === 'listening')!;
      assert.match(s.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(l.tls, true);
      certFile = l.certFile;
      const pem = readFileSync(certFile, 'utf8');
      const x509 = new X509Certificate(pem);
      assert.equal(l.fingerprint, x509.fingerprint256);
      assert.match(x509.subjectAltName!, /DNS:localhost/);
      const a = await openWs(s.url, [], { ca: pem });
      const echo = next<{ data: string }>(a, 'message');
      a.send('secret');
      assert.equal((await echo).data, 'secret');
      a.close();
      const b = await wsOpen(`wss://localhost:${s.port}/`, [], { ca: pem });
      b.close();
      // Untrusted without the CA.
      const c = new WebSocket(s.url);
      const err = (await next<{ error: Error & { code?: string } }>(c, 'error')).error;
      assert.match(String(err.code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      await s.stop();
    }
    assert.equal(existsSync(certFile), false, 'the temporary certificate is removed on exit');
  });

  it("'quit' closes every connection with 1001 and exits 0 with a stopped event; so does SIGTERM", async () => {
    const s = await serve([]);
    const a = await openWs(s.url);
    const b = await wsOpen(s.url);
    const aClosed = next<{ code: number }>(a, 'close');
    const bClosed = wsClosed(b);
    const r = await s.stop();
    assert.equal(r.code, 0);
    assert.equal((await aClosed).code, 1001);
    assert.equal((await bClosed).code, 1001);
    assert.equal(JSON.parse(r.lines.at(-1)!).event, 'stopped');
    const t = await serve([]);
    t.cli.child.kill('SIGTERM');
    const rt = await t.cli.result;
    running.delete(t.cli);
    assert.equal(rt.code, 0);
    assert.deepEqual(JSON.parse(rt.lines.at(-1)!), { event: 'stopped', time: JSON.parse(rt.lines.at(-1)!).time, reason: 'SIGTERM' });
  });

  it('a port in use: exit 1 naming it', async () => {
    const s = await serve([]);
    try {
      const r = await runCli(['serve', '--port', String(s.port)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${s.port}: port ${s.port} is in use`));
    } finally {
      await s.stop();
    }
  });

  it('--no-control: /fault/ paths are not faults', async () => {
    const s = await serve(['--no-control']);
    try {
      const res = await fetch(`${s.http}/fault/drop`, { method: 'POST' });
      assert.equal(res.status, 426);
      assert.equal(s.events().filter((e) => e.event === 'fault').length, 0);
    } finally {
      await s.stop();
    }
  });
});

describe('lifeline serve: command line', () => {
  it('--help: a copy-paste example with lifeline connect, every fault, every malformed kind', async () => {
    const r = await runCli(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /lifeline serve --port 8080\n\s+lifeline connect ws:\/\/127\.0\.0\.1:8080 -x hello/);
    for (const f of FAULTS) assert.match(r.stdout, new RegExp(`\\n  ${f.name}\\b`), `help lists ${f.name}`);
    for (const kind of Object.keys(MALFORMED)) assert.ok(r.stdout.includes(kind), `help names malformed ${kind}`);
    assert.match(r.stdout, /no openssl needed/);
    const main = await runCli(['--help']);
    assert.match(main.stdout, /lifeline serve \[options\]/);
  });

  const usage: Array<[string[], RegExp]> = [
    [['--port', '70000'], /--port expects an integer from 0 to 65535/],
    [['--chaos', 'explode:every=1s'], /--chaos explode:every=1s: no fault 'explode'/],
    [['--chaos', 'drop:every=soon'], /every must be a duration/],
    [['--chaos', 'refuse:status=200'], /refuse: status must be an integer from 400 to 599/],
    [['--cert', 'x.pem'], /--cert and --key go together/],
    [['--broadcast', '--reply', 'x'], /choose one of --echo, --broadcast and --reply/],
    [['--no-deflate', '--server-max-window-bits', '10'], /needs permessage-deflate/],
    [['--server-max-window-bits', '7'], /--server-max-window-bits expects an integer from 8 to 15/],
    [['-s', 'bad name'], /a subprotocol must be a token/],
    [['8080'], /unexpected argument '8080'.*--port 8080\?/],
  ];
  for (const [args, re] of usage) {
    it(`serve ${args.join(' ')}: a usage error`, () => {
      assert.throws(() => parseCommandLine(['serve', ...args]), (err: Error) => err instanceof UsageError && re.test(err.message));
    });
  }

  it('a usage error exits 2 with the message and a pointer to --help', async () => {
    const r = await runCli(['serve', '--port', 'eighty']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^lifeline serve: --port expects an integer from 0 to 65535, got 'eighty'\nRun 'lifeline serve --help' for usage\.$/m);
  });

  it('parses the deflate parameters, subprotocol lists, TLS files and chaos specs', () => {
    const cmd = parseCommandLine(['serve', '-p', '0', '--host', '::1', '-s', 'a,b', '-s', 'c', '--deflate-threshold', '0', '--server-no-context-takeover', '--client-max-window-bits', '9', '--chaos', 'refuse:status=503,seconds=1,every=2s,after=1s,times=3', '--reply', 'ok']);
    assert.equal(cmd.command, 'serve');
    const serveCmd = cmd as ServeArgs;
    assert.deepEqual([serveCmd.port, serveCmd.host, serveCmd.protocols, serveCmd.mode, serveCmd.reply], [0, '::1', ['a', 'b', 'c'], 'reply', 'ok']);
    assert.deepEqual(serveCmd.deflate, { threshold: 0, serverNoContextTakeover: true, clientMaxWindowBits: 9 });
    assert.deepEqual(serveCmd.chaos.map((c) => [c.fault, c.params, c.everyMs, c.afterMs, c.times]), [['refuse', { status: '503', seconds: '1' }, 2000, 1000, 3]]);
    assert.equal((parseCommandLine(['serve', '--no-deflate']) as ServeArgs).deflate, false);
    assert.deepEqual((parseCommandLine(['serve', '--tls']) as ServeArgs).tls, { selfSigned: true });
    assert.deepEqual(parseCommandLine(['serve', '-h']), { command: 'help', topic: 'serve' });
  });
});
