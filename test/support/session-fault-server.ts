/**
 * The server side of the browser session fault test (test/browser/
 * session.test.ts), started by the web-test-runner config beside the main
 * test server: a session server behind a blackholing proxy, with a stream
 * application and HTTP controls (CORS open) on the session server's port.
 *
 *   /control/session/start?count=N&seed=S  the next session streams N
 *       messages to its client, checks the client's N, and cuts the
 *       connection at random points of the stream (seeded): server-side
 *       destroys and blackholes (the page adds its own client-side cuts);
 *       `cuts=0`: no cuts
 *   /control/session/stats    what the server received, its problems, its
 *       cuts, its sends acknowledged, resumes seen
 *   /control/session/drop     destroys every server-side socket
 *   /control/session/restart  restarts like a new process (sessions lost)
 *
 * The page connects through the proxy (`proxyPort`); controls go straight
 * to the server (`controlPort`). Node-only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startBlackholeProxy, type BlackholeProxy } from './blackhole-proxy.js';
import { prng } from './harness.js';
import { startSessionServer, type SessionTestServer } from './session-server.js';
import { StreamReader, streamMessage } from './session-stream.js';
import type { ServerSession } from '../../src/session-server/session.js';

export interface SessionFaultServer {
  readonly proxyPort: number;
  readonly controlPort: number;
  close(): Promise<void>;
}

/** One run of the stream application. */
interface Run {
  count: number;
  random: () => number;
  reader: StreamReader;
  acknowledged: number;
  rejected: string[];
  cuts: { server: number; blackhole: number };
  resumes: number;
  sessions: number;
  carrying: boolean;
  nextCutAt: number;
  /** Whether the server cuts at all (`cuts=0` turns it off). */
  cutting: boolean;
}

export async function startSessionFaultServer(): Promise<SessionFaultServer> {
  let run: Run | undefined;
  let proxy: BlackholeProxy | undefined;

  /**
   * The server cuts rarely (every 300-1100 messages): Firefox delays the
   * next connection to a server that dropped one by about 300 ms; the
   * page's own cuts are cheap and many.
   */
  const schedule = (current: Run): void => {
    current.nextCutAt = current.reader.next + current.acknowledged + 300 + Math.floor(current.random() * 800);
  };

  /** The server's cuts, once per connection: on a message, when the stream passed the drawn point. */
  const maybeCut = (current: Run): void => {
    if (!current.cutting || !current.carrying || current.reader.next + current.acknowledged < current.nextCutAt) return;
    current.carrying = false;
    schedule(current);
    if (current.random() < 0.35) {
      proxy!.blackhole();
      current.cuts.blackhole++;
    } else {
      server.drop();
      current.cuts.server++;
    }
  };

  const pump = async (current: Run, session: ServerSession): Promise<void> => {
    for (let index = 0; index < current.count && session.state !== 'closed'; ) {
      if (!session.writable) {
        await new Promise((resolve) => session.once('drain', resolve));
        continue;
      }
      session.send(streamMessage('s', index)).then(
        () => current.acknowledged++,
        (error: { code?: string }) => current.rejected.push(error.code ?? String(error)),
      );
      index++;
      if (index % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const onSession = (session: ServerSession): void => {
    const current = run;
    if (!current) return;
    current.sessions++;
    session.on('attach', ({ resumed }) => {
      if (resumed) current.resumes++;
      current.carrying = true;
    });
    session.on('message', (data) => {
      current.reader.take(data);
      maybeCut(current);
    });
    void pump(current, session);
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://x');
    const reply = (body: unknown): void => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(body));
    };
    switch (url.pathname) {
      case '/control/session/start': {
        const seed = Number(url.searchParams.get('seed') ?? '1');
        run = {
          count: Number(url.searchParams.get('count') ?? '1000'),
          random: prng(seed),
          reader: new StreamReader('c'),
          acknowledged: 0,
          rejected: [],
          cuts: { server: 0, blackhole: 0 },
          resumes: 0,
          sessions: 0,
          carrying: false,
          nextCutAt: 0,
          cutting: url.searchParams.get('cuts') !== '0',
        };
        schedule(run);
        return reply({ ok: true });
      }
      case '/control/session/stats':
        return reply(
          run
            ? { received: run.reader.next, problems: run.reader.problems, acknowledged: run.acknowledged, rejected: run.rejected, cuts: run.cuts, resumes: run.resumes, sessions: run.sessions }
            : { error: 'no run started' },
        );
      case '/control/session/drop':
        return reply({ dropped: server.drop() });
      case '/control/session/restart':
        // Answer first: the restart closes this connection too.
        response.once('finish', () => void server.restart(50));
        return reply({ ok: true });
      default:
        response.writeHead(404).end();
    }
  };

  const server: SessionTestServer = await startSessionServer({ options: { maxBuffered: 64, ackEvery: 16 }, onSession, onRequest });
  proxy = await startBlackholeProxy(server.port);
  return {
    proxyPort: proxy.port,
    controlPort: server.port,
    async close() {
      await proxy!.close();
      await server.close();
    },
  };
}
