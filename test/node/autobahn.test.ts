/**
 * The Autobahn driver against a small fake fuzzingserver (a `ws` server
 * implementing getCaseCount, runCase, getCaseInfo, getCaseStatus and
 * updateReports). Each fake case checks the echo itself, the way the real
 * fuzzingserver does, so a driver that drops, reorders or retypes messages
 * gets FAILED verdicts.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket as WsSocket, type RawData } from 'ws';
import { runAutobahn } from '../../src/transport/node/autobahn.js';

interface FakeCase {
  id: string;
  /** Drives the case; resolves with the verdict. */
  run(ws: WsSocket): Promise<string>;
}

function expectEcho(ws: WsSocket, send: (ws: WsSocket) => void, check: (data: RawData, binary: boolean) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('FAILED'), 2000);
    ws.once('message', (data, binary) => {
      clearTimeout(t);
      const ok = check(data, binary);
      ws.close(1000);
      resolve(ok ? 'OK' : 'FAILED');
    });
    send(ws);
  });
}

const CASES: FakeCase[] = [
  { id: '1.1.1', run: (ws) => expectEcho(ws, (s) => s.send('hello'), (d, b) => !b && d.toString() === 'hello') },
  { id: '1.2.1', run: (ws) => expectEcho(ws, (s) => s.send(Buffer.from([1, 2, 3])), (d, b) => b && Buffer.from(d as Buffer).equals(Buffer.from([1, 2, 3]))) },
  {
    id: '5.1',
    run: (ws) =>
      expectEcho(
        ws,
        (s) => {
          s.send('frag', { fin: false });
          s.send('mented', { fin: true });
        },
        (d, b) => !b && d.toString() === 'fragmented',
      ),
  },
  {
    id: '2.2',
    run: (ws) =>
      new Promise((resolve) => {
        ws.once('pong', (d) => {
          ws.close(1000);
          resolve(d.toString() === 'ping!' ? 'NON-STRICT' : 'FAILED');
        });
        ws.ping('ping!');
      }),
  },
];

let wss: WebSocketServer;
let base = '';
const verdicts = new Map<string, string>();
const calls: string[] = [];

before(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: true });
  await new Promise((r) => wss.once('listening', r));
  base = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws: WsSocket, req: IncomingMessage) => {
    ws.on('error', () => {});
    const u = new URL(req.url ?? '/', 'http://x');
    calls.push(u.pathname);
    const n = Number(u.searchParams.get('case'));
    const agent = u.searchParams.get('agent') ?? '';
    switch (u.pathname) {
      case '/getCaseCount':
        ws.send(String(CASES.length));
        ws.close(1000);
        return;
      case '/runCase':
        void CASES[n - 1]!.run(ws).then((v) => verdicts.set(`${agent}:${n}`, v));
        return;
      case '/getCaseInfo':
        ws.send(JSON.stringify({ id: CASES[n - 1]!.id, description: 'fake' }));
        ws.close(1000);
        return;
      case '/getCaseStatus':
        ws.send(JSON.stringify({ behavior: verdicts.get(`${agent}:${n}`) ?? 'FAILED' }));
        ws.close(1000);
        return;
      case '/updateReports':
        ws.close(1000);
        return;
      default:
        ws.close(1011);
    }
  });
});
after(async () => {
  await new Promise((r) => wss.close(r));
});

describe('runAutobahn', () => {
  it('follows the fuzzingserver procedure and tallies verdicts', async () => {
    const progress: string[] = [];
    const summary = await runAutobahn({ url: base, agent: 'test agent', onProgress: (r, done, total) => progress.push(`${r.id}:${done}/${total}`) });
    assert.equal(summary.total, 4);
    assert.deepEqual(summary.cases.map((c) => [c.case, c.id, c.behavior]), [
      [1, '1.1.1', 'OK'],
      [2, '1.2.1', 'OK'],
      [3, '5.1', 'OK'],
      [4, '2.2', 'NON-STRICT'],
    ]);
    assert.deepEqual([summary.passed, summary.nonStrict, summary.failed], [3, 1, 0]);
    assert.ok(summary.cases.every((c) => c.closeCode === 1000));
    assert.deepEqual(progress, ['1.1.1:1/4', '1.2.1:2/4', '5.1:3/4', '2.2:4/4']);
    assert.equal(calls[0], '/getCaseCount');
    assert.equal(calls.at(-1), '/updateReports');
    assert.ok(verdicts.has('test agent:1'), 'agent name reaches the server');
  });

  it('runs only the selected cases', async () => {
    const summary = await runAutobahn({ url: base, cases: [2] });
    assert.deepEqual(summary.cases.map((c) => c.id), ['1.2.1']);
    assert.equal(summary.passed, 1);
  });

  it('throws when the server cannot be reached', async () => {
    await assert.rejects(runAutobahn({ url: 'ws://127.0.0.1:1' }), /Could not reach/);
  });
});
