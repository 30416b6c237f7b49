/**
 * The core's sink in the Node connection (src/transport/node/sink.ts),
 * driven by the real protocol core fed server frames as bytes: messages
 * reach the owner with the right stability (a view of the current read, a
 * fresh owned buffer, or the core's reused assembly buffer), pings and
 * pongs reach the owner (a pong with the round trip of the ping it
 * answers), the peer's close and a protocol violation reach the closing
 * steps, and frames the core writes go to the outbox.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Protocol } from '../../src/protocol/protocol.js';
import type { ProtocolError } from '../../src/protocol/errors.js';
import { CoreSink, type ConnectionOwner, type ClosingSteps } from '../../src/transport/node/sink.js';
import { Outbox } from '../../src/transport/node/outbox.js';
import { PingRegistry } from '../../src/transport/node/pings.js';
import { concat, fixedRandom, frame } from '../protocol/helpers.js';

interface Heard {
  messages: { text: string; binary: boolean; stable: boolean }[];
  pings: number[][];
  pongs: { payload: number[]; rtt: number | undefined }[];
  steps: string[];
}

function rig(options: { keep?: boolean; trace?: (frame: unknown) => void; noPings?: boolean } = {}) {
  const heard: Heard = { messages: [], pings: [], pongs: [], steps: [] };
  const owner: ConnectionOwner = {
    _open() {},
    _message(data, binary, stable) {
      heard.messages.push({ text: new TextDecoder().decode(data), binary, stable });
      return options.keep === true && binary && stable;
    },
    _ping: (payload) => heard.pings.push([...payload]),
    _pong: (payload, rtt) => heard.pongs.push({ payload: [...payload], rtt }),
    _error() {},
    _closed() {},
    _drain() {},
  };
  const closing: ClosingSteps = {
    peerClosed: () => heard.steps.push('peerClosed'),
    peerFailed: (error: ProtocolError) => heard.steps.push(`peerFailed ${error.code} ${error.closeCode}`),
  };
  let time = 0;
  const pings = new PingRegistry(() => time);
  const outbox = new Outbox();
  const sink = new CoreSink(outbox, owner, closing, options.trace);
  // The connection gives the sink its registry with the first ping it sends.
  if (options.noPings !== true) sink.pings = pings;
  // A fixed mask source: Node 18 has no Web Crypto global for the core's default.
  const protocol = new Protocol(sink, { maxPayload: 1 << 20, random: fixedRandom });
  /** Receives `bytes` as one socket read: the sink sees it as the current read's memory. */
  const read = (bytes: Uint8Array) => {
    sink.rx = bytes.buffer;
    try {
      protocol.receive(bytes);
    } finally {
      sink.rx = undefined;
    }
  };
  const advance = (ms: number) => {
    time += ms;
  };
  return { heard, sink, protocol, pings, read, advance };
}

describe('CoreSink', () => {
  it('a message viewing the current read is stable; one the core assembled is not', () => {
    const r = rig();
    r.read(frame(0x1, 'whole'));
    // A message in two fragments is assembled in the core's reused buffer.
    r.read(concat(frame(0x1, 'frag', { fin: false }), frame(0x0, 'ment')));
    assert.deepEqual(r.heard.messages, [
      { text: 'whole', binary: false, stable: true },
      { text: 'fragment', binary: false, stable: false },
    ]);
  });

  it('bytes not from the current read (rx unset) are not stable; an owned buffer always is', () => {
    const r = rig();
    r.protocol.receive(frame(0x2, 'no read'));
    // A binary frame split over two reads: the core copies it into a fresh buffer it gives away (owned).
    const whole = frame(0x2, 'x'.repeat(300));
    r.read(whole.subarray(0, 100));
    r.read(whole.subarray(100));
    assert.deepEqual(
      r.heard.messages.map((m) => [m.text.length, m.stable]),
      [
        [7, false],
        [300, true],
      ],
    );
  });

  it('a ping reaches the owner, and its pong goes to the outbox', () => {
    const r = rig();
    r.read(frame(0x9, Uint8Array.of(1, 2, 3)));
    assert.deepEqual(r.heard.pings, [[1, 2, 3]]);
  });

  it('a pong reaches the owner with the round trip of the ping it answers; an unsolicited one without', () => {
    const r = rig();
    void r.pings.add(Uint8Array.of(7));
    r.advance(12);
    r.read(frame(0xa, Uint8Array.of(7)));
    r.read(frame(0xa, Uint8Array.of(8)));
    assert.deepEqual(r.heard.pongs, [
      { payload: [7], rtt: 12 },
      { payload: [8], rtt: undefined },
    ]);
  });

  it('a pong before any ping was sent (no registry yet) reaches the owner without a round trip', () => {
    const r = rig({ noPings: true });
    r.read(frame(0xa, Uint8Array.of(9)));
    assert.equal(r.sink.pings, undefined);
    assert.deepEqual(r.heard.pongs, [{ payload: [9], rtt: undefined }]);
  });

  it("the peer's close reaches the closing steps once", () => {
    const r = rig();
    r.read(frame(0x8, Uint8Array.of(0x03, 0xe8)));
    assert.deepEqual(r.heard.steps, ['peerClosed']);
    assert.equal(r.protocol.peerCloseCode, 1000);
  });

  it('a protocol violation (reserved opcode 0x3) reaches the closing steps with its close code', () => {
    const r = rig();
    r.read(frame(0x3, 'x'));
    assert.deepEqual(r.heard.steps, ['peerFailed WS_ERR_INVALID_OPCODE 1002']);
  });

  it('has a trace hook only when one is given (the core checks for it once)', () => {
    assert.equal('trace' in rig().sink, false);
    const traced: unknown[] = [];
    const r = rig({ trace: (f) => traced.push(f) });
    r.read(frame(0x1, 'hi'));
    assert.equal(traced.length, 1);
  });
});
