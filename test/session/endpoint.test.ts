/**
 * The session endpoint (src/session/endpoint.ts): numbering, the replay
 * buffer and its bounds, ack timing, and the protocol's core promise in a
 * model: two endpoints exchanging messages over connections that lose
 * whatever is in flight at random moments, resuming as §5 says, deliver
 * every message exactly once and in order, both ways.
 */
import { describe, it, equal, ok, deepEqual, prng } from '../support/harness.js';
import { ACK_BYTES, Endpoint } from '../../src/session/endpoint.js';
import { readControl, writeControl } from '../../src/session/wire.js';

const limits = { maxBuffered: 4, maxBufferedBytes: 100, ackEvery: 3 };

describe('session endpoint: sending side', () => {
  it('numbers messages from 1 and holds them in order until released', () => {
    const end = new Endpoint<string>(limits);
    deepEqual(['a', 'b', 'c'].map((item) => end.hold(item, 1, item).seq), [1, 2, 3]);
    equal(end.sent, 3);
    deepEqual(end.pending().map((held) => held.item), ['a', 'b', 'c']);
    deepEqual(end.release(2), ['a', 'b']);
    equal(end.acked, 2);
    deepEqual(end.pending().map((held) => held.seq), [3]);
    deepEqual(end.release(2), [], 'the same count again releases nothing');
    deepEqual(end.release(3), ['c']);
    equal(end.buffered, 0);
  });

  it('refuses an impossible count (below an earlier ack, above what was sent) and changes nothing', () => {
    const end = new Endpoint<string>(limits);
    end.hold('a', 1, 'a');
    end.hold('b', 1, 'b');
    end.release(1);
    equal(end.release(0), undefined, 'below the last ack');
    equal(end.release(3), undefined, 'more than was sent');
    equal(end.acked, 1);
    equal(end.buffered, 1);
  });

  it('bounds the buffer by count and bytes; one message larger than the byte bound fits an empty buffer', () => {
    const end = new Endpoint<number>(limits);
    equal(end.hasRoom(1000), true, 'empty: anything fits');
    end.hold('x', 60, 1);
    equal(end.hasRoom(40), true);
    equal(end.hasRoom(41), false, '60 + 41 bytes > 100');
    end.hold('x', 40, 2);
    equal(end.bufferedBytes, 100);
    equal(end.hasRoom(0), true);
    end.hold('x', 0, 3);
    end.hold('x', 0, 4);
    equal(end.hasRoom(0), false, `${limits.maxBuffered} messages held`);
    end.release(1);
    equal(end.hasRoom(0), true);
    equal(end.bufferedBytes, 40);
  });

  it('drained: down to half of both bounds (where a sender that found the buffer full goes on)', () => {
    const end = new Endpoint<number>(limits);
    for (let index = 1; index <= 4; index++) end.hold('x', 10, index);
    equal(end.drained, false, '4 of 4 held');
    end.release(1);
    equal(end.drained, false, '3 of 4 held');
    end.release(2);
    equal(end.drained, true, '2 of 4 held, 20 of 100 bytes');
    const heavy = new Endpoint<number>(limits);
    heavy.hold('x', 60, 1);
    equal(heavy.drained, false, '1 of 4 held, but 60 of 100 bytes');
  });

  it('reset() hands back every held item and starts the counts over', () => {
    const end = new Endpoint<string>(limits);
    end.hold('a', 1, 'a');
    end.hold('b', 1, 'b');
    end.arrived(5);
    deepEqual(end.reset(), ['a', 'b']);
    deepEqual([end.sent, end.acked, end.received, end.buffered, end.bufferedBytes, end.owesAck], [0, 0, 0, 0, 0, false]);
  });
});

describe('session endpoint: receiving side', () => {
  it('an ack is due after ackEvery messages; ack() writes it once', () => {
    const end = new Endpoint<never>(limits);
    equal(end.arrived(1), false);
    equal(end.arrived(1), false);
    equal(end.owesAck, true);
    equal(end.arrived(1), true, 'the third message');
    equal(end.ack(), writeControl({ type: 'ack', received: 3 }));
    equal(end.owesAck, false);
    equal(end.ack(), undefined, 'nothing new to acknowledge');
    end.arrived(1);
    deepEqual(readControl(end.ack()!), { type: 'ack', received: 4 });
  });

  it(`an ack is due once ${ACK_BYTES} bytes are unacknowledged, whatever the count`, () => {
    const end = new Endpoint<never>({ ...limits, ackEvery: 1000 });
    equal(end.arrived(ACK_BYTES - 1), false);
    equal(end.arrived(1), true);
    end.ack();
    equal(end.arrived(ACK_BYTES - 1), false, 'the byte count starts over after an ack');
  });

  it('announce() (the count in a resume or session frame) counts as an ack', () => {
    const end = new Endpoint<never>(limits);
    end.arrived(1);
    end.arrived(1);
    equal(end.announce(), 2);
    equal(end.owesAck, false);
    equal(end.arrived(1), false, 'ackEvery counts from the announced count');
  });
});

/**
 * A model of two ends and the connections between them. A connection is
 * two in-flight lists; a cut empties both (whatever TCP had not delivered is
 * gone). On each new connection both ends announce what they received,
 * release what the other has, and resend the rest first (§5).
 */
function simulate(seed: number, messages: number): { toB: string[]; toA: string[]; cuts: number } {
  const random = prng(seed);
  const a = new Endpoint<string>({ maxBuffered: 16, maxBufferedBytes: 1 << 20, ackEvery: 4 });
  const b = new Endpoint<string>({ maxBuffered: 16, maxBufferedBytes: 1 << 20, ackEvery: 4 });
  const delivered = { a: [] as string[], b: [] as string[] };
  let aNext = 0;
  let bNext = 0;
  let cuts = 0;
  /** In flight from A to B and from B to A: data (a string) or an ack count. */
  let toB: (string | { ack: number })[] = [];
  let toA: (string | { ack: number })[] = [];
  const connect = (): void => {
    // Each end's hello carries its received count; each releases and resends.
    const aHas = a.announce();
    const bHas = b.announce();
    ok(a.release(bHas), 'B claims a possible count');
    ok(b.release(aHas), 'A claims a possible count');
    toB = a.pending().map((held) => held.wire as string);
    toA = b.pending().map((held) => held.wire as string);
  };
  const receive = (end: Endpoint<string>, inbox: string[], frame: string | { ack: number }, reply: (string | { ack: number })[]): void => {
    if (typeof frame === 'string') {
      inbox.push(frame);
      if (end.arrived(1)) reply.push({ ack: end.announce() });
    } else ok(end.release(frame.ack), 'a possible ack');
  };
  connect();
  for (let step = 0; delivered.a.length < messages || delivered.b.length < messages; step++) {
    ok(step < messages * 200, 'makes progress');
    const roll = random();
    if (roll < 0.03) {
      // A cut: in-flight frames are lost; a new connection resumes.
      cuts++;
      connect();
    } else if (roll < 0.25 && aNext < messages && a.hasRoom(1)) toB.push(a.hold(`a${aNext}`, 1, `a${aNext++}`).wire as string);
    else if (roll < 0.45 && bNext < messages && b.hasRoom(1)) toA.push(b.hold(`b${bNext}`, 1, `b${bNext++}`).wire as string);
    else if (roll < 0.7 && toB.length) receive(b, delivered.b, toB.shift()!, toA);
    else if (roll < 0.95 && toA.length) receive(a, delivered.a, toA.shift()!, toB);
    else {
      // The ack timer of either side.
      if (a.owesAck) toB.push({ ack: a.announce() });
      if (b.owesAck) toA.push({ ack: b.announce() });
    }
  }
  return { toB: delivered.b, toA: delivered.a, cuts };
}

describe('session endpoint: the protocol in a model with random cuts', () => {
  it('every message arrives exactly once and in order, both ways, whatever the cuts (20 seeds)', () => {
    const expected = (prefix: string, n: number) => Array.from({ length: n }, (_, index) => `${prefix}${index}`);
    let totalCuts = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { toB, toA, cuts } = simulate(seed, 300);
      deepEqual(toB, expected('a', 300), `seed ${seed}: A to B`);
      deepEqual(toA, expected('b', 300), `seed ${seed}: B to A`);
      totalCuts += cuts;
    }
    ok(totalCuts > 100, `${totalCuts} cuts over the seeds`);
  });
});
