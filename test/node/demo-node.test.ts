/**
 * The terminal side of the demo, run as real child processes: the Node demo
 * (demo/node-demo.mjs: lifeline's Node transport, permessage-deflate, faults
 * injected by --tour) exits cleanly by itself and on Ctrl-C (SIGINT), and the
 * demo server (demo/server.mjs) serves the page, takes fault commands on
 * stdin and over HTTP, falls back to a free port, and shuts down with exit 0.
 *
 * Needs dist/ (the test runner builds it first).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket as WsClient } from 'ws';

const root = resolve(import.meta.dirname, '../../..');

interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Everything printed so far (stdout + stderr). */
  out(): string;
  /** Resolves when the output matches `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (rejects after `ms`, killing the child). */
  exited(ms?: number): Promise<number | null>;
}

/** Children still running; killed after each suite so a failed test cannot hang the run. */
const children = new Set<ChildProcessWithoutNullStreams>();
const killAll = () => {
  for (const p of children) p.kill('SIGKILL');
  children.clear();
};

/** `p`, or a rejection naming `what` after `ms`. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

function run(script: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [join(root, script), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    text += b.toString();
    for (const w of waiters) w();
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  children.add(proc);
  const exit = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      children.delete(proc);
      r(code);
    }),
  );
  return {
    proc,
    out: () => text,
    waitFor: (re, ms = 10_000) =>
      new Promise((res, rej) => {
        const check = () => {
          const m = text.match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            res(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`timed out waiting for ${re} in:\n${text}`));
        }, ms);
        waiters.add(check);
        check();
      }),
    exited: (ms = 10_000) =>
      Promise.race([
        exit,
        new Promise<never>((_, rej) =>
          setTimeout(() => {
            proc.kill('SIGKILL');
            rej(new Error(`did not exit within ${ms} ms:\n${text}`));
          }, ms).unref(),
        ),
      ]),
  };
}

// The tests of each suite start processes and servers of their own (the first one runs for its
// whole --duration of 5.5 s): they run at the same time.
describe('Node demo (demo/node-demo.mjs)', { timeout: 60_000, concurrency: true }, () => {
  after(killAll);
  it('runs with its own server, survives the faults of --tour, and exits 0 after --duration', async () => {
    const c = run('demo/node-demo.mjs', ['--duration', '5.5', '--tour', '--no-color']);
    assert.equal(await c.exited(20_000), 0);
    const out = c.out();
    assert.match(out, /open {2}subprotocol ticker\.v2 · extensions permessage-deflate/);
    assert.match(out, /tour: drop → dropped 1 connection\(s\)/);
    assert.match(out, /close 1006 \(WS_ERR_UNEXPECTED_EOF\)/);
    assert.match(out, /state open → waiting/);
    assert.match(out, /reconnecting: attempt 1 in \d+ ms/);
    assert.equal(out.match(/open {2}subprotocol/g)!.length >= 2, true, 'reconnected after the drop');
    assert.match(out, /close 1006 HTTP 503 Retry-After \d+ ms \(WS_ERR_HANDSHAKE_STATUS\)/, 'the Node transport sees the refused status');
    assert.match(out, /ack {3}server #1 for node-1/);
    // A stats line after a heartbeat answered shows its round trip (in whichever state the line falls).
    assert.match(out, /stats \w+ · heartbeats [1-9]\d*, rtt [\d.]+ ms/);
    assert.match(out, /stopping \(--duration 5.5\)[\s\S]*end \(closed\)[\s\S]*done: \d+ in, \d+ out/);
  });

  it('connects to a given URL and closes cleanly on Ctrl-C (SIGINT)', async () => {
    const mod = await import(pathToFileURL(join(root, 'demo/server.mjs')).href);
    const logs: string[] = [];
    const server = await mod.startDemoServer({ port: 0, log: (l: string) => logs.push(l) });
    try {
      const c = run('demo/node-demo.mjs', [server.wsUrl + '?client=sigint-test', '--no-color']);
      await c.waitFor(/ack {3}server #\d+ for node-1/, 10_000);
      c.proc.kill('SIGINT');
      assert.equal(await c.exited(), 0);
      assert.match(c.out(), /stopping \(Ctrl-C\)[\s\S]*close 1000 "bye"[\s\S]*end \(closed\)/);
      assert.doesNotMatch(c.out(), /started the demo server in-process/);
      const chats = server.stats().chats as { from: string; text: string }[];
      assert.deepEqual(chats.filter((m) => m.from === 'sigint-test').map((m) => m.text)[0], 'hello #1 from Node');
      assert.ok(logs.some((l) => /\(sigint-test\) protocol=ticker\.v2 extensions=permessage-deflate/.test(l)), logs.join('\n'));
      // The server saw a clean close (1000), not a dropped socket.
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(logs.some((l) => /\(sigint-test\) closed 1000/.test(l)), logs.join('\n'));
    } finally {
      await server.close();
    }
  });

  it('rejects an unknown argument with exit code 2', async () => {
    const c = run('demo/node-demo.mjs', ['--bogus']);
    assert.equal(await c.exited(), 2);
    assert.match(c.out(), /unknown argument '--bogus'/);
  });
});

describe('demo server (demo/server.mjs) from the command line', { timeout: 60_000, concurrency: true }, () => {
  after(killAll);
  it('serves the page, takes faults on stdin and over HTTP, and exits 0 on Ctrl-C', async () => {
    const c = run('demo/server.mjs', [], { PORT: '0' });
    const [, base] = (await c.waitFor(/lifeline demo running: open (http:\/\/127\.0\.0\.1:\d+)\//)) as unknown as [string, string];
    await c.waitFor(/curl '.*\/fault\/stats'/);

    const page = await fetch(base + '/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="\/lifeline\.min\.js"><\/script>/);
    const lib = await fetch(base + '/lifeline.min.js');
    assert.equal(lib.status, 200);
    assert.match(lib.headers.get('content-type')!, /javascript/);
    assert.equal((await fetch(base + '/nope')).status, 404);

    // A fault typed on stdin: the next handshake is refused with that status and a Retry-After.
    c.proc.stdin.write('refuse 429 5\n');
    await c.waitFor(/refusing handshakes with 429 for 5 s/);
    const wsUrl = base.replace('http', 'ws') + '/';
    const refused = await within(5000, 'refused handshake', new Promise<{ status: number; retryAfter: string | undefined }>((res, rej) => {
      const ws = new WsClient(wsUrl, ['ticker.v1']);
      ws.on('unexpected-response', (_req, r) => {
        res({ status: r.statusCode!, retryAfter: r.headers['retry-after'] as string | undefined });
        ws.terminate();
      });
      ws.on('open', () => rej(new Error('handshake should have been refused')));
      ws.on('error', () => {});
    }));
    assert.deepEqual(refused.status, 429);
    assert.match(refused.retryAfter ?? '', /^[1-5]$/, 'Retry-After: the seconds left');

    // Faults over HTTP: reset, then a connection negotiates ticker.v1 and is dropped by /fault/drop.
    assert.deepEqual(await (await fetch(base + '/fault/reset', { method: 'POST' })).json(), { ok: true, fault: 'reset', message: 'faults cleared' });
    const ws = new WsClient(wsUrl + '?client=cli-test', ['ticker.v1']);
    ws.on('error', () => {});
    const welcome = await within(5000, 'welcome', new Promise<{ type: string; protocol: string }>((res) => ws.once('message', (d) => res(JSON.parse(String(d))))));
    assert.deepEqual([welcome.type, welcome.protocol, ws.protocol], ['welcome', 'ticker.v1', 'ticker.v1']);
    const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
    const drop = await (await fetch(base + '/fault/drop', { method: 'POST' })).json();
    assert.deepEqual(drop, { ok: true, fault: 'drop', message: 'dropped 1 connection(s)' });
    assert.equal(await within(5000, 'close after drop', closed), 1006);
    const bad = await fetch(base + '/fault/explode', { method: 'POST' });
    assert.equal(bad.status, 404);
    const badProto = await fetch(base + '/fault/protocol?name=ticker.v9', { method: 'POST' });
    assert.equal(badProto.status, 400);
    assert.match((await badProto.json()).error, /unknown subprotocol 'ticker\.v9'/);

    c.proc.stdin.write('bogus\n');
    await c.waitFor(/unknown command 'bogus'/);
    c.proc.kill('SIGINT');
    assert.equal(await c.exited(), 0);
    assert.match(c.out(), /shutting down: closing connections/);
  });

  it('falls back to a free port when PORT is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const c = run('demo/server.mjs', [], { PORT: String(taken) });
      await c.waitFor(new RegExp(`port ${taken} is taken; using a free port`));
      const [, port] = (await c.waitFor(/lifeline demo running: open http:\/\/127\.0\.0\.1:(\d+)\//)) as unknown as [string, string];
      assert.notEqual(Number(port), taken);
      assert.equal((await fetch(`http://127.0.0.1:${port}/style.css`)).status, 200);
      c.proc.stdin.write('quit\n');
      assert.equal(await c.exited(), 0);
    } finally {
      blocker.close();
    }
  });
});
