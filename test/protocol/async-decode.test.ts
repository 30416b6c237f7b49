// The core waiting for an extension that decodes a message asynchronously
// (Extension.decodeOrDefer returning a promise; in lifeline, permessage-deflate
// inflating a large message on zlib's thread pool). What must hold, whatever
// the timing: messages, control frames, close and EOF keep the wire order;
// nothing is parsed or delivered while the decode runs; a failure fails the
// connection with the extension's close code and drops everything after;
// the payload's memory stays retained until the decode settles. Uses a test
// extension (bytes XOR 0xFF under RSV1) whose decode is deferred for
// payloads starting with 0x00 (flipped: 0xFF) and settles only when the test
// says so, so every interleaving is chosen by the test, not by a clock.
import { describe, it, equal, deepEqual, ok } from '../support/harness.js';
import { ErrorCodes, ProtocolError } from '../../src/protocol/errors.js';
import type { Extension } from '../../src/protocol/types.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { frame, concat, te, Recorder, fixedRandom, closePayload } from './helpers.js';

const flip = (b: Uint8Array) => b.map((x) => x ^ 0xff);

interface Deferred {
  payload: Uint8Array;
  resolve(bytes: Uint8Array): void;
  reject(error: unknown): void;
}

class DeferringExtension implements Extension {
  readonly name = 'x-defer';
  readonly rsvMask = 0x40;
  deferred: Deferred[] = [];
  decode(payload: Uint8Array): Uint8Array {
    return flip(payload);
  }
  decodeOrDefer(payload: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (payload[0] !== 0xff) return flip(payload);
    return new Promise<Uint8Array>((resolve, reject) => this.deferred.push({ payload, resolve, reject }));
  }
  encode(): Uint8Array | null {
    return null;
  }
  dispose(): void {}
}

/** A message whose decode is deferred: its decoded text starts with NUL. */
const slow = (text: string) => frame(1, flip(te.encode(`\0${text}`)), { rsv: 0x40 });
const fast = (text: string) => frame(1, flip(te.encode(text)), { rsv: 0x40 });
/** Lets promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

class DecodingRecorder extends Recorder {
  decodingCalls: boolean[] = [];
  decoding(pending: boolean): void {
    this.decodingCalls.push(pending);
    this.events.push(['ping', pending ? 'decoding' : 'resumed']);
  }
}

function setup(maxPayload?: number) {
  const ext = new DeferringExtension();
  const rec = new DecodingRecorder();
  const p = new Protocol(rec, { random: fixedRandom, extensions: [ext], ...(maxPayload ? { maxPayload } : {}) });
  return { ext, rec, p };
}

/** Completes the i-th deferred decode as the extension would (flip). */
function finish(ext: DeferringExtension, i = 0): void {
  const d = ext.deferred[i]!;
  d.resolve(flip(d.payload));
}

describe('core: asynchronous decode', () => {
  it('waits: frames after the deferred message (messages, a ping, a close) are handled only after it, in order', async () => {
    const { ext, rec, p } = setup();
    p.receive(concat(fast('a'), slow('big'), fast('b'), frame(1, 'plain'), frame(9, 'x'), frame(8, closePayload(1000, 'bye'))));
    deepEqual(rec.events, [['message', 'a', false], ['ping', 'decoding']]);
    equal(rec.written.length, 0, 'the ping is not answered yet: it has not been parsed');
    equal(ext.deferred.length, 1);
    finish(ext);
    await settle();
    deepEqual(rec.events, [
      ['message', 'a', false],
      ['ping', 'decoding'],
      ['ping', 'resumed'],
      ['message', '\0big', false],
      ['message', 'b', false],
      ['message', 'plain', false],
      ['ping', '78'],
      ['close', 1000, 'bye'],
    ]);
    deepEqual(rec.written.map((w) => w.opcode), [0xa, 0x8]);
    equal(p.state, 'closed');
  });

  it('bytes received while waiting are queued, whatever their chunking, and parsed after', async () => {
    const { ext, rec, p } = setup();
    const rest = concat(fast('c'), slow('second'), fast('d'));
    p.receive(slow('first'));
    for (let i = 0; i < rest.length; i += 3) p.receive(rest.subarray(i, i + 3));
    equal(ext.deferred.length, 1);
    finish(ext, 0);
    await settle();
    // The second deferred message waits again; 'd' behind it.
    deepEqual(rec.events.filter((e) => e[0] === 'message'), [['message', '\0first', false], ['message', 'c', false]]);
    equal(ext.deferred.length, 2);
    finish(ext, 1);
    await settle();
    deepEqual(rec.events.filter((e) => e[0] === 'message').map((e) => e[1]), ['\0first', 'c', '\0second', 'd']);
    deepEqual(rec.decodingCalls, [true, false, true, false]);
  });

  it('EOF while waiting comes after the message and what was queued before it (then 1006)', async () => {
    const { ext, rec, p } = setup();
    p.receive(concat(slow('last'), fast('tail')));
    p.receiveEof();
    deepEqual(rec.events.filter((e) => e[0] !== 'ping'), []);
    finish(ext);
    await settle();
    deepEqual(rec.events.filter((e) => e[0] !== 'ping'), [
      ['message', '\0last', false],
      ['message', 'tail', false],
      ['error', ErrorCodes.UNEXPECTED_EOF, 1006],
    ]);
    equal(p.state, 'closed');
  });

  it('a close frame then EOF while waiting: the close is clean, no 1006', async () => {
    const { ext, rec, p } = setup();
    p.receive(concat(slow('m'), frame(8, closePayload(1000))));
    p.receiveEof();
    finish(ext);
    await settle();
    deepEqual(rec.events.filter((e) => e[0] !== 'ping'), [['message', '\0m', false], ['close', 1000, '']]);
    equal(rec.errors.length, 0);
  });

  it('a rejection with a ProtocolError fails with its close code; frames after it are never delivered', async () => {
    const { ext, rec, p } = setup();
    p.receive(concat(slow('bomb'), fast('after'), frame(9, 'x')));
    ext.deferred[0]!.reject(new ProtocolError(ErrorCodes.MESSAGE_TOO_BIG, 'too big', 1009));
    await settle();
    deepEqual(rec.events.filter((e) => e[0] !== 'ping'), [['error', ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
    equal(rec.closeWritten(), 1009);
    deepEqual(rec.written.map((w) => w.opcode), [0x8], 'no pong for the ping queued behind it');
    p.receive(fast('later'));
    equal(rec.events.filter((e) => e[0] === 'message').length, 0);
  });

  it('any other rejection is undecodable data: WS_ERR_INFLATE_FAILED, 1007', async () => {
    const { ext, rec, p } = setup();
    p.receive(slow('x'));
    ext.deferred[0]!.reject(new Error('invalid distance too far back'));
    await settle();
    deepEqual(rec.events.filter((e) => e[0] !== 'ping'), [['error', ErrorCodes.INFLATE_FAILED, 1007]]);
    equal(rec.closeWritten(), 1007);
  });

  it('the limit and UTF-8 rules apply to what the promise delivers (1009, 1007)', async () => {
    const big = setup(8);
    big.p.receive(slow('x'));
    big.ext.deferred[0]!.resolve(new Uint8Array(9));
    await settle();
    deepEqual(big.rec.errors.map((e) => [e.code, e.closeCode]), [[ErrorCodes.MESSAGE_TOO_BIG, 1009]]);
    const bad = setup();
    bad.p.receive(slow('x'));
    bad.ext.deferred[0]!.resolve(Uint8Array.of(0x00, 0xc3, 0x28));
    await settle();
    deepEqual(bad.rec.errors.map((e) => [e.code, e.closeCode]), [[ErrorCodes.INVALID_UTF8, 1007]]);
  });

  it('the payload stays retained while the decode runs (a transport must not read into it)', async () => {
    const { ext, p } = setup();
    const read = concat(slow('x'), fast('y'));
    p.receive(read);
    ok(p.retains(read.buffer), 'retained while waiting');
    ok(ext.deferred[0]!.payload.buffer === read.buffer, 'the extension got a view, not a copy');
    finish(ext);
    await settle();
    ok(!p.retains(read.buffer), 'released once settled and parsed');
  });

  it('a result that arrives after the connection was disposed (or failed) is dropped', async () => {
    const { ext, rec, p } = setup();
    p.receive(slow('x'));
    p.dispose();
    finish(ext);
    await settle();
    deepEqual(rec.events.filter((e) => e[0] === 'message'), []);
    const failed = setup();
    failed.p.receive(slow('x'));
    failed.p.fault(new Error('transport bug'));
    finish(failed.ext);
    await settle();
    deepEqual(failed.rec.events.filter((e) => e[0] === 'message'), []);
    deepEqual(failed.rec.errors.map((e) => e.closeCode), [1011]);
  });

  it('a sink that throws on the deferred message fails with 1011 (as a transport does for receive())', async () => {
    const { ext, rec, p } = setup();
    rec.message = () => {
      throw new Error('handler bug');
    };
    p.receive(concat(slow('x'), fast('y')));
    finish(ext);
    await settle();
    deepEqual(rec.errors.map((e) => [e.code, e.closeCode]), [[ErrorCodes.INTERNAL, 1011]]);
  });

  it('sending works while waiting (only receiving is held)', async () => {
    const { ext, rec, p } = setup();
    p.receive(slow('x'));
    p.send('out', false);
    equal(rec.written.length, 1);
    finish(ext);
    await settle();
    equal(rec.events.filter((e) => e[0] === 'message').length, 1);
  });
});
