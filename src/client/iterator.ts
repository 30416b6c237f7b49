/**
 * `for await (const message of messages(connection))`: the messages that
 * arrive while the loop runs, ending when the client ends. The iterator
 * buffers what its loop has not taken yet; above `highWaterMark` messages
 * it pauses the connection's reading (where the platform can: Node), and
 * resumes it when the loop has caught up to a quarter of the mark, so a
 * slow consumer is not buffered without bound.
 *
 * Ending the loop from outside (`return()` or `throw()` from a timeout or
 * an AbortSignal) settles at once, also while a `next()` waits on a quiet
 * connection: an async generator suspended at an await takes a `return()`
 * only when it resumes, so the iterator's own `return()` and `throw()`
 * first wake it to finish (the waiting `next()` gets `done`, the listeners
 * go, reading resumes), then hand over to the generator's.
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

function iterate<In>(connection: Connection<In, any>, highWaterMark: number): AsyncGenerator<In, void, undefined> {
  /** Resumes a loop waiting for a message: to look again (a message, the end), or to finish (`return()`, `throw()`). */
  let wake: ((finish?: true) => void) | undefined;

  async function* read(): AsyncGenerator<In, void, undefined> {
    const buffer: In[] = [];
    let ended = connection.state === 'closed';
    let paused = false;
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
      // Waits for a message or the end; return() and throw() wake it with true to finish (they wait behind the await).
      for (;;) {
        if (buffer.length > 0) {
          if (paused && buffer.length <= highWaterMark / 4 + 1) {
            paused = false;
            connection.resume();
          }
          yield buffer.shift()!;
        } else if (ended) return;
        else {
          const finish = await new Promise<true | undefined>((resolve) => (wake = resolve));
          if (finish) return;
        }
      }
    } finally {
      offMessage();
      offEnd();
      if (paused) connection.resume();
    }
  }

  const generator = read();
  // Only a loop waiting at the await needs waking: at a yield, or not started, the generator takes them at once.
  // (A message that woke it just before still goes to the waiting next(); the calls after it get done.)
  const { return: generatorReturn, throw: generatorThrow } = generator;
  generator.return = (value) => {
    wake?.(true);
    return generatorReturn.call(generator, value);
  };
  generator.throw = (error) => {
    wake?.(true);
    return generatorThrow.call(generator, error);
  };
  return generator;
}
