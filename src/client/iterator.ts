/**
 * `for await (const message of messages(connection))`: the messages that
 * arrive while the loop runs, ending when the client ends. The iterator
 * buffers what its loop has not taken yet; above `highWaterMark` messages
 * it pauses the connection's reading (where the platform can: Node), and
 * resumes it when the loop has caught up to a quarter of the mark, so a
 * slow consumer is not buffered without bound.
 *
 * Owns: `messages()`, one iterator's buffer and its pause/resume.
 * Imports: the Connection type, the input rules.
 */
import { checkOptions } from '../protocol/input.js';
import type { Connection } from './client.js';

/** Options of `messages()`. */
export interface MessagesOptions {
  /** Messages the iterator may hold before the connection stops reading from the network (Node). Default 64. */
  highWaterMark?: number;
}

/** The messages of `connection` as an async iterable; options are checked at the call (RangeError / TypeError, `WS_ERR_INVALID_OPTION`). */
export function messages<In>(connection: Connection<In, any>, options?: MessagesOptions): AsyncGenerator<In, void, undefined> {
  const { highWaterMark } = checkOptions<Required<MessagesOptions>>(options, { defaults: { highWaterMark: 64 }, least: { highWaterMark: 1 } }, 'messages():');
  return iterate(connection, highWaterMark);
}

async function* iterate<In>(connection: Connection<In, any>, highWaterMark: number): AsyncGenerator<In, void, undefined> {
  const buffer: In[] = [];
  let ended = connection.state === 'closed';
  let paused = false;
  let wake: (() => void) | undefined;
  const offMessage = connection.on('message', (message) => {
    buffer.push(message);
    if (!paused && buffer.length >= highWaterMark) {
      paused = true;
      connection.pause();
    }
    wake?.();
  });
  const offEnd = connection.on('end', () => {
    ended = true;
    wake?.();
  });
  try {
    for (;;) {
      if (buffer.length > 0) {
        if (paused && buffer.length <= highWaterMark / 4 + 1) {
          paused = false;
          connection.resume();
        }
        yield buffer.shift()!;
      } else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    offMessage();
    offEnd();
    if (paused) connection.resume();
  }
}
