/**
 * `lifeline autobahn` spawned against a small fake fuzzingserver (a `ws`
 * server speaking getCaseCount / runCase / getCaseInfo / getCaseStatus /
 * updateReports). Each fake case judges the echo itself, as the real server
 * does; one case always reports FAILED so the failing path is exercised.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { jsonLines, runCli } from '../support/cli-runner.js';

const IDS = ['1.1.1', '2.2', '9.9.9'];

function runFakeCase(n: number, ws: WsSocket): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('FAILED'), 3000);
    const done = (v: string) => {
      clearTimeout(t);
      ws.close(1000);
      resolve(v);
    };
    if (n === 1) {
      ws.once('message', (d, binary) => done(!binary && d.toString() === 'hello' ? 'OK' : 'FAILED'));
      ws.send('hello');
    } else if (n === 2) {
      ws.once('pong', (d) => done(d.toString() === 'p' ? 'NON-STRICT' : 'FAILED'));
      ws.ping('p');
    } else {
      ws.once('message', () => done('FAILED'));
      ws.send(Buffer.from([1, 2, 3]));
    }
  });
}

describe('cli autobahn (fake fuzzingserver)', () => {
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  const verdicts = new Map<string, string>();
  const reports: string[] = [];
  before(async () => {
    http = createServer();
    wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    wss.on('connection', (ws, req) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const n = Number(u.searchParams.get('case'));
      const agent = u.searchParams.get('agent') ?? '';
      switch (u.pathname) {
        case '/getCaseCount':
          ws.send(String(IDS.length));
          ws.close(1000);
          break;
        case '/runCase':
          void runFakeCase(n, ws).then((v) => verdicts.set(`${agent}:${n}`, v));
          break;
        case '/getCaseInfo':
          ws.send(JSON.stringify({ id: IDS[n - 1], description: 'fake' }));
          ws.close(1000);
          break;
        case '/getCaseStatus':
          ws.send(JSON.stringify({ behavior: verdicts.get(`${agent}:${n}`) ?? 'FAILED' }));
          ws.close(1000);
          break;
        case '/updateReports':
          reports.push(agent);
          ws.close(1000);
          break;
        default:
          ws.close(1008);
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });

  it('--json: one object with the compliance block; a FAILED case makes it fail with exit 1', async () => {
    const r = await runCli(['autobahn', url, '--json', '--agent', 'cli-test']);
    assert.equal(r.code, 1, r.stderr);
    const lines = jsonLines(r);
    assert.equal(lines.length, 1);
    const rep = lines[0]!;
    assert.deepEqual(rep['compliance'], { rfc6455: 'fail', autobahnPassed: 1, autobahnFailed: 1, nonStrict: 1, informational: 0, unimplemented: 0, total: 3 });
    assert.deepEqual(rep['failedCases'].map((c: { case: number; id: string }) => [c.case, c.id]), [[3, '9.9.9']]);
    assert.equal(rep['agent'], 'cli-test');
    assert.ok(reports.includes('cli-test'), 'updateReports was called for the agent');
  });

  it('--cases selects case numbers; all passing exits 0 with a human summary', async () => {
    const r = await runCli(['autobahn', url, '--cases', '1-2', '--agent', 'subset']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /cases +2\n/);
    assert.match(r.stdout, /passed +1\n/);
    assert.match(r.stdout, /non-strict +1\n/);
    assert.match(r.stdout, /failed +0\n/);
    assert.match(r.stdout, /RFC 6455 compliance: pass/);
    assert.equal(verdicts.get('subset:3'), undefined, 'case 3 was not run');
  });

  it('an unreachable fuzzing server is a failure with an explanation', async () => {
    const r = await runCli(['autobahn', 'ws://127.0.0.1:1', '--json']);
    assert.equal(r.code, 1);
    const rep = jsonLines(r)[0]!;
    assert.equal(rep['compliance'], null);
    assert.match(rep['error']['explanation'], /127\.0\.0\.1:1/);
  });
});
