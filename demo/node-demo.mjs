#!/usr/bin/env node
/**
 * The lifeline Node demo: the same connection as the page, over lifeline's own
 * Node transport (RFC 6455 over node:net, permessage-deflate on, protocol
 * pings for the heartbeat), printing events and stats in the terminal.
 *
 *   node demo/node-demo.mjs [ws-url] [--duration <s>] [--tour] [--session] [--no-color]
 *
 * Without a URL it starts the demo server in-process (demo/server.mjs) and
 * accepts the server's fault commands on stdin (drop, refuse 503 5, silent,
 * restart, slow 10, ...). `--tour` injects a few faults by itself (drop,
 * refuse, half-open) so you can watch without typing. `--duration` exits
 * after that many seconds; Ctrl-C closes cleanly. Exit code 0 on a clean stop.
 * `--session` runs over a reliable session (the server's /session endpoint,
 * `session: lifeline.session()`) and prints what it resumed and replayed.
 *
 * Imports: the built package (dist/node.mjs) and demo/server.mjs.
 */
import { createInterface } from 'node:readline';
import { startDemoServer, runCommand } from './server.mjs';

function parseArgs(argv) {
  const a = { url: undefined, duration: 0, tour: false, session: false, color: process.stdout.isTTY && !process.env.NO_COLOR };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--duration' || x === '-d') a.duration = Number(argv[++i]);
    else if (x.startsWith('--duration=')) a.duration = Number(x.slice(11));
    else if (x === '--tour') a.tour = true;
    else if (x === '--session') a.session = true;
    else if (x === '--no-color') a.color = false;
    else if (x === '--help' || x === '-h') a.help = true;
    else if (!x.startsWith('-') && !a.url) a.url = x;
    else throw new Error(`unknown argument '${x}' (try --help)`);
  }
  if (!(a.duration >= 0)) throw new Error('--duration must be a number of seconds');
  return a;
}

const HELP = `usage: node demo/node-demo.mjs [ws-url] [--duration <s>] [--tour] [--session] [--no-color]
  ws-url        a demo server (default: start one in-process)
  --duration s  stop after s seconds (default: run until Ctrl-C)
  --tour        inject faults by itself: drop, refuse 503, half-open (in-process server only)
  --session     run over a reliable session (the server's /session endpoint)`;

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  let lifeline;
  try {
    lifeline = await import('../dist/node.mjs');
  } catch (e) {
    console.error(`cannot load dist/node.mjs (${e.message}): run \`npm run build\` first, or \`npm run demo:node\``);
    return 1;
  }

  const paint = (code) => (s) => (args.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const green = paint(32), red = paint(31), yellow = paint(33), dim = paint(2), bold = paint(1);
  const t0 = Date.now();
  const out = (s) => console.log(`${dim(((Date.now() - t0) / 1000).toFixed(1).padStart(6) + 's')}  ${s}`);

  let server;
  let url = args.url;
  if (!url) {
    server = await startDemoServer({ port: 0, log: (l) => out(dim('server ' + l.trim())) });
    url = server.wsUrl + (args.session ? 'session' : '') + '?client=node-demo';
    out(`started the demo server in-process: ${server.url}  (type drop, refuse 503 5, silent, restart, slow 5, help)`);
  }

  // Protocol pings (RFC 6455 §5.5.2): the Node transport can send them. After 500 ms of silence, shorter than the gaps
  // between the server's ticks (1.5 s) and the acks of the chat (2 s), so that probes and their round trips show in
  // every stretch between faults; at 1000 ms the messages could keep the heartbeat quiet for a whole connection.
  const HEARTBEAT = { interval: 500, timeout: 1500 };
  const conn = lifeline.connect(url, {
    protocols: ['ticker.v2', 'ticker.v1'],
    codec: lifeline.json, // both subprotocols carry JSON
    heartbeat: lifeline.heartbeat(HEARTBEAT),
    minDelay: 500,
    maxDelay: 5000,
    socket: { perMessageDeflate: true },
    ...(args.session ? { session: lifeline.session() } : {}),
  });
  out(`lifeline ${lifeline.version} (Node transport) → ${url}`);
  out(dim(`heartbeat: protocol ping after ${HEARTBEAT.interval} ms idle, dead after ${HEARTBEAT.timeout} ms without an answer`));

  const prices = {};
  let acked = 0;
  conn.on('state', ({ from, to }) => out(`${dim('state')} ${from} → ${bold(to)}`));
  conn.on('open', ({ protocol, extensions }) => out(green(`open  subprotocol ${protocol || '(none)'} · extensions ${extensions || '(none)'}`)));
  conn.on('close', (e) => {
    const why = e.error?.code === 'WS_ERR_HEARTBEAT_TIMEOUT' ? 'heartbeat timeout (half-open peer)' : e.error?.code ?? '';
    const status = e.status ? ` HTTP ${e.status}` : '';
    const retry = e.retryAfterMs !== undefined ? ` Retry-After ${e.retryAfterMs} ms` : '';
    out(red(`close ${e.code}${e.reason ? ` "${e.reason}"` : ''}${status}${retry}${why ? ` (${why})` : ''}`));
  });
  conn.on('reconnecting', ({ attempt, delay }) => out(yellow(`reconnecting: attempt ${attempt} in ${Math.round(delay)} ms`)));
  let beats = 0;
  conn.on('heartbeat', () => beats++); // the RTTs are in the stats line
  conn.on('drain', () => out('drain: socket buffer below the low-water mark'));
  conn.on('drop', ({ error }) => out(red(`dropped a queued message: ${error.code}`)));
  conn.on('error', () => {}); // failures are reported by their close events
  conn.on('end', ({ reason }) => out(`end (${reason})`));
  conn.on('session', (e) => {
    if (e.type === 'resumed') out(green(`session ${e.id} resumed: ${e.replayed} message(s) sent again`));
    else if (e.type === 'lost') out(red(`session ${e.id} lost: ${e.rejected} unacknowledged message(s) rejected`));
    else out(`session: ${e.type}${e.id ? ` ${e.id}` : ''}`);
  });
  conn.on('message', (m) => {
    if (m?.type === 'tick') for (const [k, v] of Object.entries(m.prices)) prices[k] = v;
    else if (m?.type === 'ack') {
      acked++;
      out(green(`ack   server #${m.n} for ${m.id}`));
    } else if (m?.type === 'welcome') out(`welcome: connection #${m.id}, ${m.clients} client(s)`);
    else if (m?.type === 'chat') out(`chat  ${m.from}: ${m.text}`);
  });

  // A chat message every 2 s: sent while open, queued while not, delivered on reconnect.
  let n = 0;
  const chatter = setInterval(() => {
    const id = `node-${++n}`;
    const queued = conn.state !== 'open';
    conn.send({ type: 'chat', id, text: `hello #${n} from Node` }).catch(() => {});
    if (queued) out(yellow(`queued ${id} (offline); ${conn.stats.queued} waiting`));
  }, 2000);
  const ms = (v) => (v === undefined ? '–' : `${v.toFixed(1)} ms`);
  const stats = setInterval(() => {
    const s = conn.stats;
    const px = Object.entries(prices).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('  ');
    out(
      dim('stats ') +
        `${conn.state} · heartbeats ${beats}, rtt ${ms(s.rtt)} (avg ${ms(s.rttAvg)}) · in ${s.messagesIn} / out ${s.messagesOut} · ` +
        `queued ${s.queued} · reconnects ${s.reconnects} · up ${(s.uptime / 1000).toFixed(0)} s` + (px ? dim(`  ${px}`) : ''),
    );
  }, 2000);

  const tour = [];
  if (args.tour && server) {
    const at = (ms, cmd) => tour.push(setTimeout(() => out(yellow(`tour: ${cmd} → ${runCommand(server, cmd) || 'ok'}`)), ms));
    // The first retry after a drop comes within 1 s (backoff bound for the first two
    // retries), so the 3 s refusal is sure to be seen.
    at(2500, 'drop');
    at(3800, 'refuse 503 3');
    at(3900, 'drop');
    at(9000, 'silent');
  }

  let rl;
  if (server) {
    rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      if (!line.trim()) return;
      try {
        out(runCommand(server, line) || 'ok');
      } catch (e) {
        out(red(e.message));
      }
    });
  }

  let stopping;
  const stop = (why) =>
    (stopping ??= (async () => {
      out(`stopping (${why})`);
      clearInterval(chatter);
      clearInterval(stats);
      tour.forEach(clearTimeout);
      rl?.close();
      const ended = new Promise((r) => conn.on('end', r));
      conn.close(1000, 'bye');
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000).unref())]);
      const s = conn.stats;
      out(`done: ${s.messagesIn} in, ${s.messagesOut} out, ${acked} acknowledged, ${s.reconnects} reconnect(s)`);
      if (server) await server.close();
      return 0;
    })());

  const code = await new Promise((resolve) => {
    process.once('SIGINT', () => stop('Ctrl-C').then(resolve));
    process.once('SIGTERM', () => stop('SIGTERM').then(resolve));
    if (args.duration) setTimeout(() => stop(`--duration ${args.duration}`).then(resolve), args.duration * 1000);
  });
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
    // stdin may still hold the loop open (a terminal); everything else is closed.
    if (process.stdin.isTTY) process.stdin.destroy();
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
