// The pieces of the fault machinery in-process: the fault table and its
// parameter checks, stdin command parsing, --chaos specs and their
// scheduler, the handshake gate (refuse with Retry-After, delay, silent),
// and the self-signed certificate (checked with node:crypto's X509 reader
// and a real TLS handshake in server-peers / cli-serve).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { WebSocketServer, type ServerConnection } from '../../src/server/server.js';
import { Faults, FaultError, FAULTS, resolveFault, runFaultCommand, parseSeconds, faultHelp } from '../../src/server/faults.js';
import { parseChaos, startChaos } from '../../src/server/chaos.js';
import { selfSignedCertificate } from '../../src/server/self-signed.js';

const server = new WebSocketServer();
after(() => server.close());

/** A connection waiting for its upgrade answer (all the gate looks at). */
const deciding = { phase: 'deciding' } as ServerConnection;

describe('faults: table and parameters', () => {
  it('parseSeconds reads 5, 1.5, 500ms, 2s, 2m', () => {
    assert.deepEqual(['5', '1.5', '500ms', '2s', '2m', ' 3 '].map(parseSeconds), [5, 1.5, 0.5, 2, 120, 3]);
    for (const bad of ['', 'soon', '-1', '1h', '1e3']) assert.ok(Number.isNaN(parseSeconds(bad)), bad);
  });

  it('resolveFault fills defaults and checks every kind of parameter', () => {
    assert.deepEqual(resolveFault('refuse', {}).values, { status: '503', seconds: '5', 'retry-after': 'auto' });
    assert.deepEqual(resolveFault('halfopen', { seconds: '500ms' }).values, { seconds: '0.5' });
    assert.equal(resolveFault('SILENT', {}).spec.name, 'silent');
    const bad: Array<[string, Record<string, string>, RegExp]> = [
      ['explode', {}, /no fault 'explode'/],
      ['drop', { now: '1' }, /drop: unknown parameter 'now' \(it takes none\)/],
      ['refuse', { status: '99' }, /status must be an integer from 400 to 599, got '99'/],
      ['close', { code: '1006' }, /code must be a close code a server may send/],
      ['slow', { seconds: 'a while' }, /seconds must be a duration/],
      ['malformed', { kind: 'weird' }, /kind must be one of opcode, rsv, mask, length, control, continuation, utf8, close-code/],
    ];
    for (const [name, params, re] of bad) assert.throws(() => resolveFault(name, params), (e: Error) => e instanceof FaultError && re.test(e.message), name);
  });

  it('stdin commands: positional and name=value parameters, aliases, a reason with spaces, errors as messages', () => {
    const faults = new Faults(server);
    try {
      assert.equal(runFaultCommand(faults, 'refuse 429 7'), 'refusing handshakes with 429 for 7 s');
      assert.equal(runFaultCommand(faults, 'refuse seconds=2'), 'refusing handshakes with 503 for 2 s');
      assert.equal(runFaultCommand(faults, '  HALFOPEN  '), '0 connection(s) went silent (half-open)');
      assert.equal(runFaultCommand(faults, 'close 4000 see you soon'), 'closed 0 connection(s) with 4000');
      assert.equal(runFaultCommand(faults, 'drop 5'), 'drop: too many arguments (none)');
      assert.equal(runFaultCommand(faults, 'slow forever'), "slow: seconds must be a duration from 0 to 3600 s (5, 1.5, 500ms, 2m), got 'forever'");
      assert.equal(runFaultCommand(faults, 'nope'), "unknown command 'nope' (type help)");
      assert.equal(runFaultCommand(faults, ''), '');
      assert.equal(runFaultCommand(faults, 'stats'), '0 connection(s); faults: refuse 503 (2 s)');
      assert.equal(runFaultCommand(faults, 'reset'), 'faults cleared');
      assert.equal(runFaultCommand(faults, 'stats'), '0 connection(s); faults: none');
      const help = runFaultCommand(faults, 'help');
      for (const f of FAULTS) assert.match(help, new RegExp(`^  ${f.name}\\b`, 'm'));
      assert.equal(help, faultHelp());
    } finally {
      faults.dispose();
    }
  });

  it('an application adds its own commands (the demo\'s protocol)', () => {
    const faults = new Faults(server);
    const seen: Record<string, string>[] = [];
    const extra = { protocol: { params: ['name'], help: 'prefer a subprotocol', run: (v: Record<string, string>) => (seen.push({ ...v }), `preferring ${v['name']}`) } };
    assert.equal(runFaultCommand(faults, 'protocol v1', extra), 'preferring v1');
    assert.deepEqual(seen, [{ name: 'v1' }]);
    assert.match(runFaultCommand(faults, 'help', extra), /protocol <name> +prefer a subprotocol/);
    faults.dispose();
  });
});

describe('faults: the handshake gate', () => {
  it('refuse answers with the status and a Retry-After of the seconds left (or the given value, or none)', () => {
    const faults = new Faults(server);
    faults.refuse(503, 3);
    assert.deepEqual(faults.gate(deciding, () => undefined), {
      refuse: 503,
      headers: { 'Retry-After': '3' },
      body: 'refused by lifeline serve (fault: refuse 503, 3 s left)\n',
    });
    faults.refuse(429, 3, '60');
    assert.equal((faults.gate(deciding, () => undefined) as { headers: Record<string, string> }).headers['Retry-After'], '60');
    faults.refuse(429, 3, 'none');
    assert.deepEqual((faults.gate(deciding, () => undefined) as { headers: Record<string, string> }).headers, {});
    assert.throws(() => faults.refuse(429, 3, 'later'), FaultError);
    faults.reset();
    assert.deepEqual(faults.gate(deciding, () => ({ protocol: 'x' })), { protocol: 'x' }, 'no fault: the application answers');
    faults.dispose();
  });

  it('delay answers later; a refusal that starts during the delay applies to the delayed answer', async () => {
    const faults = new Faults(server);
    assert.equal(faults.delay(0.15), 'delaying handshake answers by 0.15 s until reset');
    const t0 = Date.now();
    const answer = faults.gate(deciding, () => ({ protocol: 'late' }));
    assert.ok(answer instanceof Promise);
    assert.deepEqual(await answer, { protocol: 'late' });
    assert.ok(Date.now() - t0 >= 140);
    const refusedLater = faults.gate(deciding, () => undefined) as Promise<unknown>;
    faults.refuse(503, 1);
    assert.equal(((await refusedLater) as { refuse: number }).refuse, 503);
    faults.reset();
    assert.equal(faults.delay(0.1, 0.05), 'delaying handshake answers by 0.1 s for 0.05 s');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(faults.gate(deciding, () => undefined), undefined, 'the delay window is over');
    faults.dispose();
  });
});

describe('chaos specs', () => {
  it('parses timing keys and fault parameters; repeats only with every', () => {
    const one = parseChaos('close:code=1013,after=250ms');
    assert.deepEqual([one.fault, one.params, one.everyMs, one.afterMs, one.times], ['close', { code: '1013' }, undefined, 250, 1]);
    const rep = parseChaos('halfopen:every=2s');
    assert.deepEqual([rep.fault, rep.everyMs, rep.afterMs, rep.times], ['silent', 2000, 2000, Infinity]);
    assert.deepEqual(parseChaos('drop').afterMs, 0);
    const bad: Array<[string, RegExp]> = [
      ['drop:every', /expected key=value, got 'every'/],
      ['drop:every=10ms', /every must be a duration of at least 100 ms/],
      ['drop:times=0', /times must be a positive integer/],
      ['slow:seconds=x', /seconds must be a duration/],
      ['boom', /no fault 'boom'/],
    ];
    for (const [text, re] of bad) assert.throws(() => parseChaos(text), (e: Error) => e instanceof FaultError && re.test(e.message), text);
  });

  it('runs each spec on schedule, at most `times` times, until stopped', async () => {
    const runs: string[] = [];
    const fake = { run: (name: string, params: Record<string, string>, source: string) => (runs.push(`${name}:${JSON.stringify(params)}:${source}`), '') } as unknown as Faults;
    const stop = startChaos(fake, [parseChaos('drop:every=100ms,times=3'), parseChaos('close:code=1012,after=50ms')]);
    await new Promise((r) => setTimeout(r, 450));
    stop();
    assert.deepEqual(runs.filter((r) => r.startsWith('drop')), ['drop:{}:chaos', 'drop:{}:chaos', 'drop:{}:chaos']);
    assert.deepEqual(runs.filter((r) => r.startsWith('close')), ['close:{"code":"1012"}:chaos']);
    const more: string[] = [];
    const stop2 = startChaos({ run: () => (more.push('x'), '') } as unknown as Faults, [parseChaos('drop:every=100ms')]);
    stop2();
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(more, [], 'nothing runs after stop');
  });
});

describe('self-signed certificate', () => {
  it('is a valid self-signed X.509 v3 CA certificate for localhost, 127.0.0.1, ::1 and the given names, with a matching key', () => {
    const c = selfSignedCertificate(['example.test', '10.1.2.3', '0.0.0.0']);
    const x = new X509Certificate(c.cert);
    assert.ok(x.verify(x.publicKey), 'signed by its own key');
    assert.ok(x.checkPrivateKey(createPrivateKey(c.key)));
    assert.equal(x.ca, true);
    assert.equal(x.subject, 'CN=lifeline serve (self-signed)');
    assert.equal(x.issuer, x.subject);
    assert.equal(x.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:example.test, IP Address:10.1.2.3');
    assert.deepEqual(c.names, ['localhost', '127.0.0.1', '::1', 'example.test', '10.1.2.3']);
    assert.equal(c.fingerprint256, x.fingerprint256);
    assert.match(c.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(x.checkHost('localhost') && x.checkIP('::1') && x.checkIP('127.0.0.1'));
    const from = Date.parse(x.validFrom);
    const to = Date.parse(x.validTo);
    assert.ok(from <= Date.now() && to > Date.now() + 29 * 86_400_000);
    assert.notEqual(selfSignedCertificate().fingerprint256, c.fingerprint256, 'a fresh key and serial each time');
  });
});
