/**
 * The numbered message streams of the session fault tests, shared by the
 * Node test, the browser test and the server side of the browser test
 * (runs in Node and in browsers): message `n` of a stream, and a reader
 * that checks each message is the next one, of its type.
 */
import type { IncomingData } from '../../src/transport/types.js';

/** The session options of the fault runs (small buffers, frequent acks, so cuts land mid-window). */
export const FAULT_RUN_SESSION = { maxBuffered: 64, ackEvery: 16 };

/**
 * The client options of the fault runs beside their session and heartbeat
 * parts (which each test makes from the build it tests): retries at once,
 * a short connect timeout (a blackhole can also swallow a connection still
 * in its handshake), and room in the queue for the whole stream.
 */
export function faultRunOptions(count: number) {
  return { minDelay: 1, maxDelay: 10, stableAfter: 0, connectTimeout: 1000, maxQueued: count, maxQueuedBytes: 1 << 24 };
}

/** Message `index` of stream `prefix`: every third binary (the index in 4 bytes, then 0-60 bytes), the rest text (every seventh starting with U+0010, the session's mark). */
export function streamMessage(prefix: string, index: number): string | Uint8Array {
  if (index % 3 === 2) {
    const bytes = new Uint8Array(4 + (index % 61));
    new DataView(bytes.buffer).setUint32(0, index);
    bytes.fill(index & 0xff, 4);
    return bytes;
  }
  return index % 7 === 0 ? `\u0010${prefix}${index}` : `${prefix}${index}`;
}

/** Why `data` is not message `expected` of stream `prefix`, or undefined when it is. */
export function streamProblem(prefix: string, expected: number, data: IncomingData): string | undefined {
  const want = streamMessage(prefix, expected);
  if (typeof want === 'string') return data === want ? undefined : `expected ${JSON.stringify(want)}, got ${typeof data === 'string' ? JSON.stringify(data.slice(0, 30)) : `${data.byteLength} bytes`}`;
  if (typeof data === 'string') return `expected binary message ${expected}, got text ${JSON.stringify(data.slice(0, 30))}`;
  const index = data.byteLength >= 4 ? new DataView(data.buffer, data.byteOffset).getUint32(0) : -1;
  const same = index === expected && data.byteLength === want.byteLength && data[data.byteLength - 1] === want[want.byteLength - 1];
  return same ? undefined : `expected binary message ${expected}, got ${index} (${data.byteLength} bytes)`;
}

/** One side's incoming stream: counts messages that are the next one; keeps the first problems. */
export class StreamReader {
  next = 0;
  readonly problems: string[] = [];
  constructor(readonly prefix: string) {}
  take(data: IncomingData): void {
    const problem = streamProblem(this.prefix, this.next, data);
    if (problem === undefined) this.next++;
    else if (this.problems.length < 5) this.problems.push(`message ${this.next}: ${problem}`);
  }
}
