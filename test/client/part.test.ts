/**
 * The part seam (src/client/part.ts) on its own, with small parts written
 * here: each hook is called when the seam says, and the host does what it
 * says. The session (./session.test.ts) and heartbeat (./heartbeat.test.ts)
 * are tested as parts elsewhere.
 */
import { describe, it, equal, ok, deepEqual } from '../support/harness.js';
import { rig, names, NODE, settle } from './fakes.js';
import { heartbeat } from '../../src/client/heartbeat.js';
import { json } from '../../src/client/codecs.js';
import type { Part, PartHooks, PartHost } from '../../src/client/part.js';
import type { QueuedMessage } from '../../src/client/send-queue.js';
import type { IncomingData } from '../../src/transport/types.js';

/** A part built from `hooks`, which also gets hold of its host. */
function part(hooks: (host: PartHost) => PartHooks): { part: Part; host: () => PartHost } {
  let given: PartHost | undefined;
  return {
    part: (host) => {
      given = host;
      return hooks(host);
    },
    host: () => given!,
  };
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

describe('part seam: negotiation', () => {
  it('offer adds to the subprotocols offered; handshake says what the application sees (and its codec follows)', async () => {
    const seen: string[] = [];
    const wrapper = part(() => ({
      offer: (protocols) => [...protocols, ...protocols.map((name) => `wrapped+${name}`)],
      handshake(protocol) {
        seen.push(protocol);
        return { protocol: protocol.replace('wrapped+', ''), hold: false };
      },
    }));
    const r = rig<unknown>({ protocols: ['json'], codecs: { json }, session: wrapper.part });
    await r.settle();
    deepEqual(r.sock.options.protocols, ['json', 'wrapped+json']);
    r.sock.open('wrapped+json');
    deepEqual(seen, ['wrapped+json']);
    equal(r.conn.protocol, 'json');
    equal((r.events.find((e) => e[0] === 'open')![1] as { protocol: string }).protocol, 'json');
    r.sock.message('{"n":1}');
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), [{ n: 1 }], 'decoded by the codec of the subprotocol the application sees');
  });

  it('a held open waits for host.ready(): the part sends meanwhile, then the queue flushes and open is emitted', async () => {
    const holder = part((host) => ({
      handshake(protocol) {
        host.send('hello');
        return { protocol, hold: true };
      },
    }));
    const r = rig({ session: holder.part, connectTimeout: 1000 });
    void r.conn.send('queued');
    const s = await r.openNow();
    equal(r.conn.state, 'connecting', 'still connecting while held');
    deepEqual(s.sent, ['hello'], 'the part can send; the queue waits');
    deepEqual(names(r.events, ['open']), []);
    holder.host().ready();
    equal(r.conn.state, 'open');
    deepEqual(s.sent, ['hello', 'queued']);
    deepEqual(names(r.events, ['open', 'state']), ['state', 'state', 'open']);
    holder.host().ready();
    equal(names(r.events, ['open']).length, 1, 'a second ready() does nothing');
  });

  it('connectTimeout covers a held open', async () => {
    const holder = part(() => ({ handshake: (protocol) => ({ protocol, hold: true }) }));
    const r = rig({ session: holder.part, connectTimeout: 1000, minDelay: 1 });
    const s = await r.openNow();
    r.clock.advance(1000);
    equal(s.terminated, true);
    equal(r.conn.state, 'waiting');
    equal(codeOf((r.events.find((e) => e[0] === 'close')![1] as { error: unknown }).error), 'WS_ERR_CONNECT_TIMEOUT');
  });

  it('host.lost() during the handshake fails the attempt with its code; the retry rules decide (1002: not retried)', async () => {
    const refuser = part((host) => ({
      handshake(protocol) {
        host.lost(new Error('not my kind of server'), 1002);
        return { protocol, hold: false };
      },
    }));
    const r = rig({ session: refuser.part });
    const s = await r.openNow();
    equal(s.terminated, true);
    equal(r.conn.state, 'closed');
    deepEqual(names(r.events, ['open']), [], 'never opened');
    const end = r.events.find((e) => e[0] === 'end')![1] as { reason: string; close: { code: number } };
    deepEqual([end.reason, end.close.code], ['noRetry', 1002]);
  });
});

describe('part seam: messages', () => {
  it('received: each part passes on (changed) data or keeps it; the parts after one that kept it see activity', async () => {
    const later: string[] = [];
    const unwrapper = part(() => ({
      received: (data) => (data === 'control' ? undefined : (data as string).replace(/^w:/, '')),
    }));
    const watcher = part(() => ({
      received(data) {
        later.push(`received ${data as string}`);
        return data;
      },
      activity: () => void later.push('activity'),
    }));
    const r = rig({ session: unwrapper.part, heartbeat: watcher.part });
    const s = await r.openNow();
    s.message('w:one');
    s.message('control');
    s.message('two');
    deepEqual(later, ['received one', 'activity', 'received two']);
    deepEqual(r.events.filter((e) => e[0] === 'message').map((e) => e[1]), ['one', 'two']);
    equal(r.conn.stats.messagesIn, 2, 'only what reached the application is counted');
  });

  it('stats count the size the transport reported, unless a part changed the message: then what reached the application', async () => {
    const unwrapper = part(() => ({ received: (data) => (typeof data === 'string' && data.startsWith('w:') ? data.slice(2) : data) }));
    const r = rig({ session: unwrapper.part });
    const s = await r.openNow();
    // A transport knows a frame's size without looking at the text (Node: the frame header): that is what counts.
    s.message('plain', 100);
    equal(r.conn.stats.bytesIn, 100);
    // The part unwrapped it: the 4 UTF-8 bytes of 'éé' reached the application, not the 9 the transport saw.
    s.message('w:éé', 9);
    equal(r.conn.stats.bytesIn, 104);
  });

  it('deliver: a taken message is the part’s to settle; wait keeps it first in the queue until host.flush(); undefined sends it as usual', async () => {
    const taken: QueuedMessage[] = [];
    let answer: 'taken' | 'wait' | undefined = 'taken';
    const carrier = part((host) => ({
      deliver(message) {
        if (answer === 'taken') {
          taken.push(message);
          host.send(`[${message.data as string}]`);
        }
        return answer;
      },
    }));
    const r = rig({ session: carrier.part });
    const s = await r.openNow();
    let firstDone = false;
    const first = r.conn.send('a').then(() => (firstDone = true));
    await settle();
    deepEqual(s.sent, ['[a]']);
    equal(firstDone, false, 'not resolved by the queue');
    taken[0]!.resolve();
    await first;
    answer = 'wait';
    let secondDone = false;
    const second = r.conn.send('b').then(() => (secondDone = true));
    await settle();
    equal(r.conn.stats.queued, 1, 'waits in the queue');
    equal(secondDone, false);
    answer = undefined;
    carrier.host().flush();
    await second;
    deepEqual(s.sent, ['[a]', 'b'], 'sent as usual, resolved by the queue');
    equal(r.conn.stats.messagesOut, 2, 'each application message counted once; the part’s own frame is not');
  });

  it('host.send() is false when no socket can take the message', async () => {
    const sender = part(() => ({}));
    const r = rig({ session: sender.part, startClosed: true });
    equal(sender.host().send('x'), false);
    r.conn.open();
    const s = await r.openNow();
    s.refuseSend = true;
    equal(sender.host().send('x'), false, 'the socket refused it');
    s.refuseSend = false;
    equal(sender.host().send('x'), true);
  });

  it('host.emit() hands out a connection event after the current operation, in order', async () => {
    const reporter = part((host) => ({
      opened: () => host.emit('session', { type: 'started', id: 'x', replayed: 0, rejected: 0 }),
    }));
    const r = rig({ session: reporter.part });
    await r.openNow();
    deepEqual(names(r.events, ['state', 'session', 'open']), ['state', 'state', 'session', 'open']);
  });
});

describe('part seam: probes and the end', () => {
  it('the heartbeat probes with a part’s ping before its message or a protocol ping; without one it uses those', async () => {
    let offer = true;
    const pings: ((roundTrip: number) => void)[] = [];
    const prober = part(() => ({
      ping: () => (offer ? new Promise<number>((resolve) => pings.push(resolve)) : undefined),
    }));
    const r = rig({ session: prober.part, heartbeat: heartbeat({ interval: 1000, timeout: 500, message: 'ping' }) }, { platform: NODE });
    const s = await r.openNow();
    r.clock.advance(1000);
    equal(pings.length, 1, 'the part was asked');
    deepEqual(s.sent, [], 'no app-level message');
    equal(s.pings.length, 0, 'no protocol ping');
    pings[0]!(7);
    await settle();
    equal((r.events.find((e) => e[0] === 'heartbeat')![1] as { rtt: number }).rtt, 7);
    offer = false;
    r.clock.advance(1000);
    deepEqual(s.sent, ['ping'], 'the part offers none: the message goes out');
  });

  it('close(): closing while the socket still sends, closed when the handshake is over, then ended; terminate() skips closing', async () => {
    const calls: string[] = [];
    const recorder = part((host) => ({
      closing() {
        calls.push(`closing (send: ${host.send('last')})`);
      },
      closed: () => void calls.push('closed'),
      ended: () => void calls.push('ended'),
    }));
    const r = rig({ session: recorder.part });
    const s = await r.openNow();
    r.conn.close();
    deepEqual(calls, ['closing (send: true)']);
    deepEqual(s.sent, ['last']);
    s.end({ code: 1000, wasClean: true });
    deepEqual(calls, ['closing (send: true)', 'closed', 'ended']);
    calls.length = 0;
    r.conn.open();
    await r.openNow();
    r.conn.terminate();
    deepEqual(calls, ['closed', 'ended']);
  });

  it('closed() follows a connection lost during a held handshake', async () => {
    let closed = 0;
    const holder = part(() => ({ handshake: (protocol) => ({ protocol, hold: true }), closed: () => void closed++ }));
    const r = rig({ session: holder.part, minDelay: 1 });
    const s = await r.openNow();
    s.end();
    equal(closed, 1);
    equal(r.conn.state, 'waiting');
    ok(!names(r.events).includes('open'));
  });
});

// A type-level check: what a part's received() may return.
const passOn: PartHooks['received'] = (data: IncomingData) => data;
void passOn;
