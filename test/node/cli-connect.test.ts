/**
 * `lifeline connect` spawned against loopback servers: a piped echo
 * session, `--execute` (reply and timeout), `--json` line by line, control
 * frames, close codes → exit codes, `--reconnect` state changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { closeFrame, decodeFrames, frame, startRawServer, type RawServer } from '../support/raw-server.js';
import { jsonLines, runCli } from '../support/cli-runner.js';

const LINE = /^< \d\d:\d\d:\d\d\.\d{3} +(\d+ B) {2}(.*)$/;

describe('cli connect', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('echo session through a pipe: text and \\x binary lines sent in order, replies printed with time and size, exit 0', async () => {
    server.reset();
    const r = await runCli(['connect', server.url('/echo')], { input: 'one\ntwo words\n\\x 01 02 ff\nlast without newline' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.received, ['one', 'two words', '0x0102ff', 'last without newline']);
    const got = r.lines.map((l) => LINE.exec(l)?.slice(1));
    assert.deepEqual(got, [
      ['3 B', 'one'],
      ['9 B', 'two words'],
      ['3 B', '[binary] 01 02 ff'],
      ['20 B', 'last without newline'],
    ]);
    assert.match(r.stderr, /connected to ws:\/\/127\.0\.0\.1:\d+\/echo/);
  });

  it('--json: every stdout line is one JSON event; open, sent, message, close in order', async () => {
    server.reset();
    const r = await runCli(['connect', server.url('/echo'), '--json', '-p', 'chat'], { input: 'hi\n\\x cafe\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const ev = jsonLines(r);
    for (const e of ev) assert.ok(typeof e['event'] === 'string' && !Number.isNaN(Date.parse(e['time'])), JSON.stringify(e));
    const names = ev.map((e) => e['event']);
    assert.equal(names[0], 'open');
    assert.equal(names.at(-1), 'close');
    assert.deepEqual([...names].sort(), ['close', 'message', 'message', 'open', 'sent', 'sent']);
    assert.ok(names.indexOf('sent') < names.indexOf('message'));
    assert.equal(ev[0]!['protocol'], 'chat');
    assert.equal(ev[0]!['status'], 101);
    const msgs = ev.filter((e) => e['event'] === 'message');
    assert.deepEqual(msgs.map((m) => [m['type'], m['size'], m['data']]), [
      ['text', 2, 'hi'],
      ['binary', 2, 'cafe'],
    ]);
    assert.deepEqual(ev.at(-1), { ...ev.at(-1), event: 'close', code: 1000, wasClean: true, initiatedBy: 'client' });
  });

  it('--execute sends, prints the reply and exits 0 without reading stdin', async () => {
    server.reset();
    const r = await runCli(['connect', server.url('/echo'), '-x', '{"op":"sub"}', '--json'], { input: 'ignored\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.received, ['{"op":"sub"}']);
    const msgs = jsonLines(r).filter((e) => e['event'] === 'message');
    assert.deepEqual(msgs.map((m) => m['data']), ['{"op":"sub"}']);
  });

  it('--binary with --execute sends binary messages and reports them so', async () => {
    server.reset();
    const r = await runCli(['connect', server.url('/echo'), '-b', '-x', 'hé', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.received, ['0x68c3a9']);
    const sent = jsonLines(r).filter((e) => e['event'] === 'sent');
    assert.deepEqual(sent.map((m) => [m['type'], m['data']]), [['binary', '68c3a9']]);
  });

  it('credentials in the URL go as Basic authorization and never show in the output', async () => {
    server.reset();
    const secretUrl = server.url('/echo').replace('ws://', 'ws://user:s3cr3t@');
    for (const extra of [['--json'], ['--trace'], ['--json', '--trace']]) {
      const r = await runCli(['connect', secretUrl, '-x', 'hi', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      const output = r.stdout + r.stderr;
      assert.equal(output.includes('s3cr3t') || output.includes(Buffer.from('user:s3cr3t').toString('base64')), false, output);
      if (extra.includes('--trace')) assert.match(output, /Authorization"?[:,] ?"?Basic \*\*\*/, 'the trace shows Basic credentials were sent');
    }
    const refused = await runCli(['connect', 'ws://user:s3cr3t@127.0.0.1:1/#frag']);
    assert.equal(refused.code, 2);
    assert.equal((refused.stdout + refused.stderr).includes('s3cr3t'), false, refused.stderr);
  });

  it('an invalid HTTPS_PROXY / HTTP_PROXY is a usage error: exit 2, one line, no password', async () => {
    for (const [name, url] of [['HTTP_PROXY', server.url('/echo')], ['HTTPS_PROXY', 'wss://127.0.0.1:1/']]) {
      const r = await runCli(['connect', url!, '-x', 'hi'], { env: { [name!]: 'http://user:s3cr3t@[::1' } });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^lifeline: ${name} must be an http:// URL`));
      assert.equal(r.stderr.includes('s3cr3t'), false, r.stderr);
    }
  });

  it('a proxy that cannot be reached is blamed, not the target: exit 1, the proxy named with advice, no password', async () => {
    // runCli clears NO_PROXY, and lifeline exempts no host by default: the loopback target goes through the proxy.
    server.reset();
    const dns = await runCli(['connect', server.url('/echo'), '-x', 'hi'], { env: { HTTP_PROXY: 'user:s3cr3t@notaurl.invalid' } });
    assert.equal(dns.code, 1, dns.stderr);
    assert.match(dns.stderr, /^error: Could not reach the proxy notaurl\.invalid:80 \(from HTTP_PROXY\): DNS lookup failed \(.*\)\. Check the proxy's host name.*\[WS_ERR_PROXY\]$/m);
    assert.doesNotMatch(dns.stderr, /host name in 127\.0\.0\.1/);

    const released = createServer().listen(0, '127.0.0.1');
    await once(released, 'listening');
    const closedPort = (released.address() as { port: number }).port;
    await new Promise((resolve) => released.close(resolve));
    const refused = await runCli(['connect', server.url('/echo'), '-x', 'hi', '--json'], { env: { HTTP_PROXY: `http://user:s3cr3t@127.0.0.1:${closedPort}/path` } });
    assert.equal(refused.code, 1, refused.stderr);
    const error = jsonLines(refused).find((e) => e['event'] === 'error');
    assert.deepEqual([error?.['code'], error?.['kind']], ['WS_ERR_PROXY', 'proxy']);
    assert.match(error?.['explanation'], new RegExp(`^Could not reach the proxy 127\\.0\\.0\\.1:${closedPort} \\(from HTTP_PROXY\\): connection refused .*Is the proxy running`));
    assert.doesNotMatch(error?.['explanation'], new RegExp(`127\\.0\\.0\\.1:${server.port}`));

    for (const r of [dns, refused]) assert.equal((r.stdout + r.stderr).includes('s3cr3t'), false, r.stdout + r.stderr);
    assert.deepEqual(server.received, []);
  });

  it('--execute without a reply times out after --wait: exit 3 and a no-reply error', async () => {
    server.reset();
    server.silent(true);
    try {
      const r = await runCli(['connect', server.url('/echo'), '-x', 'anyone?', '--wait', '0.3', '--json']);
      assert.equal(r.code, 3, r.stderr);
      const ev = jsonLines(r);
      const err = ev.find((e) => e['event'] === 'error');
      assert.equal(err?.['kind'], 'no-reply');
      assert.match(err?.['explanation'], /No reply within 0\.3 s/);
      assert.equal(ev.at(-1)?.['event'], 'close');
      const human = await runCli(['connect', server.url('/echo'), '-x', 'anyone?', '--wait', '0.2']);
      assert.equal(human.code, 3);
      assert.match(human.stderr, /timeout: No reply within 0\.2 s/);
    } finally {
      server.silent(false);
    }
  });

  it('a peer close: 1000 exits 0, an application code exits 1, both reported', async () => {
    const [ok, app] = await Promise.all([
      runCli(['connect', server.url('/close?code=1000&reason=done'), '--json', '-x', 'x']),
      runCli(['connect', server.url('/close?code=4001&reason=go%20away'), '-x', 'x']),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const close = jsonLines(ok).find((e) => e['event'] === 'close');
    assert.deepEqual([close?.['code'], close?.['reason'], close?.['initiatedBy']], [1000, 'done', 'server']);
    assert.equal(app.code, 1);
    assert.match(app.stderr, /closed 4001 \(application code\) go away/);
  });

  it('refused connection: plain-words error on stderr, exit 1', async () => {
    const r = await runCli(['connect', 'ws://127.0.0.1:1/', '-x', 'hi']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Connection refused: nothing is listening on 127\.0\.0\.1:1.*\[ECONNREFUSED\]/);
  });

  it('\\ping reports the round trip; \\close sends our code', async () => {
    server.reset();
    const r = await runCli(['connect', server.url('/echo'), '--json'], { input: '\\ping abc\nhello\n\\close 4321 bye\n' });
    assert.equal(r.code, 0, r.stderr);
    const ev = jsonLines(r);
    const pong = ev.find((e) => e['event'] === 'pong');
    assert.ok(typeof pong?.['rttMs'] === 'number' && pong['rttMs'] >= 0, JSON.stringify(pong));
    const close = ev.find((e) => e['event'] === 'close');
    assert.equal(close?.['code'], 4321);
    assert.equal(close?.['initiatedBy'], 'client');
  });
});

describe('cli connect: control frames and trace (raw server)', () => {
  let raw: RawServer;
  before(async () => {
    // Answers the first client frame with a ping and a text reply, then completes the close handshake.
    raw = await startRawServer((c) => {
      const greet = c.requestLine.startsWith('GET /greet');
      // /greet: a message in the same TCP write as the 101 (it must still print after `open`).
      c.socket.write(greet ? Buffer.concat([c.accept(), frame(0x1, 'welcome')]) : c.accept());
      void (async () => {
        await c.waitBytes(2);
        if (!greet) c.socket.write(Buffer.concat([frame(0x9, 'hb'), frame(0x1, 'reply')]));
        for (;;) {
          const frames = decodeFrames(await c.waitBytes(c.received().length + 1));
          if (frames.some((f) => f.opcode === 0x8)) break;
        }
        c.socket.end(closeFrame(1000));
      })().catch(() => {});
    });
  });
  after(() => raw.close());

  it('a message that arrives with the 101 is reported after open', async () => {
    const r = await runCli(['connect', raw.url('/greet'), '--json', '--no-deflate', '-x', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    const ev = jsonLines(r);
    assert.deepEqual(ev.map((e) => e['event']), ['open', 'sent', 'message', 'close']);
    assert.equal(ev[2]!['data'], 'welcome');
  });

  it('--show-control shows the server ping; --trace shows the handshake and every frame with flags', async () => {
    const r = await runCli(['connect', raw.url('/'), '--show-control', '--trace', '--json', '--no-deflate', '-x', 'go']);
    assert.equal(r.code, 0, r.stderr);
    const ev = jsonLines(r);
    const ping = ev.find((e) => e['event'] === 'ping');
    assert.deepEqual([ping?.['direction'], ping?.['data']], ['in', Buffer.from('hb').toString('hex')]);
    const traces = ev.filter((e) => e['event'] === 'trace');
    assert.deepEqual(
      traces.filter((t) => t['handshake']).map((t) => [t['handshake'], t['startLine']]),
      [
        ['request', 'GET / HTTP/1.1'],
        ['response', 'HTTP/1.1 101 Switching Protocols'],
      ],
    );
    const frames = traces.filter((t) => 'opcode' in t).map((t) => `${t['direction']} ${t['opcodeName']} ${t['length']} ${t['masked']}`);
    assert.ok(frames.includes('out TEXT 2 true'), frames.join(', '));
    assert.ok(frames.includes('in PING 2 false'), frames.join(', '));
    assert.ok(frames.includes('out PONG 2 true'), frames.join(', '));
    assert.ok(frames.includes('in TEXT 5 false'), frames.join(', '));
    assert.ok(frames.includes('out CLOSE 2 true'), frames.join(', '));

    const human = await runCli(['connect', raw.url('/'), '--show-control', '--trace', '--no-deflate', '-x', 'go']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stderr, /→ GET \/ HTTP\/1\.1/);
    assert.match(human.stderr, /← frame PING +fin len=2/);
    assert.match(human.stderr, /ping {2}← 2 B 68 62/);
    assert.match(human.stdout, /^< .* 5 B {2}reply$/m);
  });

  it('--reconnect --show-control shows the server ping with its payload, through the connection\'s ping event', async () => {
    const r = await runCli(['connect', raw.url('/'), '--reconnect', '--show-control', '--json', '--no-deflate', '-x', 'go']);
    const ev = jsonLines(r);
    const ping = ev.find((e) => e['event'] === 'ping');
    assert.deepEqual([ping?.['direction'], ping?.['data']], ['in', Buffer.from('hb').toString('hex')], JSON.stringify(ev));
  });
});

describe('cli connect --reconnect', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('shows state changes and retries through the resilient client', async () => {
    // The server closes every connection with 1012 (service restart), which is retried.
    const r = await runCli(['connect', server.url('/close?code=1012'), '--reconnect', '--json', '-x', 'x', '--wait', '2.5']);
    const ev = jsonLines(r);
    const states = ev.filter((e) => e['event'] === 'state').map((e) => `${e['from']}>${e['to']}`);
    assert.equal(states[0], 'closed>connecting');
    // Opened, lost it, waited, dialled again and opened again.
    assert.ok(states.filter((s) => s === 'connecting>open').length >= 2, states.join(' '));
    assert.ok(states.includes('open>waiting') && states.includes('waiting>connecting'), states.join(' '));
    assert.equal(states.at(-1)?.endsWith('>closed'), true, states.join(' '));
    assert.ok(ev.some((e) => e['event'] === 'reconnecting' && e['attempt'] >= 1), JSON.stringify(ev));
    assert.ok(ev.some((e) => e['event'] === 'close' && e['code'] === 1012 && e['willReconnect'] === true), JSON.stringify(ev));
    assert.equal(r.code, 3, r.stderr);
  });
});
