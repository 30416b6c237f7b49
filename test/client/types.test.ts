/**
 * What TypeScript users see: the message and send types follow the codec.
 * The assertions here are compile-time (tsc runs before the tests; a wrong
 * inference fails the build); the runtime test only touches the values.
 */
import { describe, it, equal } from '../support/harness.js';
import type { Codec, MessageOf, SendOf } from '../../src/client/codecs.js';
import type { IncomingData, OutgoingData } from '../../src/transport/types.js';
import type { Sharing } from '../../src/client/shared/shared.js';

/** Compiles only when A and B are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(check: Same<A, B>): Same<A, B> => check;

interface Tick {
  n: number;
}
declare const ticks: Codec<Tick, { op: 'sub' }>;

describe('types follow the codec', () => {
  it('codec: the message type is what it decodes to, send takes what it encodes', () => {
    const checks = [
      same<MessageOf<{ codec: typeof ticks }>, Tick>(true),
      same<SendOf<{ codec: typeof ticks }>, { op: 'sub' }>(true),
      // Without a codec: raw data both ways.
      same<MessageOf<{ minDelay: 5 }>, IncomingData>(true),
      same<SendOf<{ minDelay: 5 }>, OutgoingData>(true),
      // Codecs by subprotocol: a server may select none of them, so raw data is possible too.
      same<MessageOf<{ codecs: { tick: typeof ticks } }>, Tick | IncomingData>(true),
      // Shared across tabs: the same types (each tab decodes with its own codec).
      same<MessageOf<{ codec: typeof ticks; shared: Sharing }>, Tick>(true),
      same<SendOf<{ codec: typeof ticks; shared: Sharing }>, { op: 'sub' }>(true),
    ];
    equal(checks.every(Boolean), true);
  });
});
