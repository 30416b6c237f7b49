/**
 * `lifeline connect` as a person uses it: in a terminal (under script(1),
 * so stdin/stdout are a TTY) with the prompt, and Ctrl-C closing with 1000;
 * SIGINT in pipe mode; the progress indicator on a terminal only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startCli, runCli } from '../support/cli-runner.js';
import { startRawServer } from '../support/raw-server.js';

describe('cli connect: terminal and signals', () => {
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  /** Close codes the server received, in order. */
  const closes: number[] = [];
  const waitClose = async (n: number) => {
    for (let i = 0; i < 200 && closes.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  };
  before(async () => {
    http = createServer();
    wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws, req) => {
      ws.on('close', (code) => closes.push(code));
      // /silent answers pings (ws does by default) but never echoes messages.
      if (req.url === '/silent') return;
      ws.on('message', (d, binary) => ws.send(d, { binary }));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/echo`;
  });
  after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });

  it('in a terminal: prompt, typed line echoed back, Ctrl-C closes with 1000 and exits 0', async () => {
    const before = closes.length;
    const cli = await startCli(['connect', url], { tty: true });
    await cli.waitFor(/connected to .*\\help for commands/);
    await cli.waitFor(/> /);
    cli.child.stdin.write('typed line\r');
    await cli.waitFor(/< \d\d:\d\d:\d\d\.\d{3} +10 B {2}typed line/);
    cli.child.stdin.write('\x03');
    await cli.waitFor(/closing \(1000\)/);
    const r = await cli.result;
    cli.child.stdin.end();
    assert.equal(r.code, 0, r.stdout);
    await waitClose(before + 1);
    assert.deepEqual(closes.slice(before), [1000]);
    assert.match(r.stdout, /closed 1000 \(normal closure\)/);
  });

  it('in a pipe: SIGINT closes with 1000 and exits 0', async () => {
    const before = closes.length;
    const cli = await startCli(['connect', url]);
    await cli.waitFor(/connected to/, 'stderr');
    cli.child.stdin.write('still here\n');
    await cli.waitFor(/still here/);
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 0, r.stderr);
    await waitClose(before + 1);
    assert.deepEqual(closes.slice(before), [1000]);
  });

  it('Ctrl-C before the handshake completes exits 130', async () => {
    const mute = await startRawServer(() => {}); // reads the upgrade request, never answers
    try {
      const cli = await startCli(['connect', mute.url('/'), '--timeout', '15']);
      for (let i = 0; i < 200 && mute.connections.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(mute.connections.length, 1);
      cli.child.kill('SIGINT');
      const r = await cli.result;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /interrupted/);
    } finally {
      await mute.close();
    }
  });

  it('--ping prints round trips while the session waits; a missing reply still exits 3', async () => {
    const r = await runCli(['connect', url.replace('/echo', '/silent'), '--ping', '0.1', '-x', 'hi', '--wait', '0.6', '--json']);
    assert.equal(r.code, 3, r.stderr);
    const ev = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const pongs = ev.filter((e) => e['event'] === 'pong');
    assert.ok(pongs.length >= 2, `pongs: ${pongs.length}`);
    assert.ok(pongs.every((p) => typeof p['rttMs'] === 'number' && (p['rttMs'] as number) >= 0));
  });

  it('a reader that goes away early (EPIPE) ends the session quietly', async () => {
    const cli = await startCli(['connect', url, '--json']);
    await cli.waitFor(/"event":"open"/);
    cli.child.stdout.destroy();
    cli.child.stdin.write('one\n');
    const r = await cli.result;
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stderr, /Error|EPIPE/);
  });

  it('the progress indicator draws on a terminal after a second, never with --json or a pipe', async () => {
    // An echo that never comes, with a 1.6 s --timeout, keeps the probe running long enough.
    const tty = await startCli(['probe', url.replace('/echo', '/silent'), '--echo', '-n', '1', '--timeout', '1.6'], { tty: true });
    const r = await tty.result;
    tty.child.stdin.end();
    assert.equal(r.code, 1);
    assert.match(r.stdout, /echo 1\/1 \(\d+\.\ds\)/);
    assert.match(r.stdout, /\r\x1b\[2K/, 'the line is erased when done');
    const json = await runCli(['probe', url.replace('/echo', '/silent'), '--echo', '-n', '1', '--timeout', '0.5', '--json']);
    assert.equal(json.code, 1);
    assert.equal(json.stderr, '');
    assert.equal(json.lines.length, 1);
  });
});
