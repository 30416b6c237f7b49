/**
 * `for await (const message of connection)`: an async iterator over the
 * messages that arrive while it runs, ending when the client ends. Each
 * iterator buffers what its loop has not taken yet; above
 * `receiveHighWaterMark` messages it reports that it lags (`lagging(true)`),
 * and below a quarter of that again that it caught up, so the client can
 * pause reading from the network where the platform can (Node) instead of
 * buffering without bound.
 *
 * Owns: one iterator's buffer and its lag signal.
 * Imports: the emitter's handler type only.
 */
import type { Handler } from './emitter.js';

/** What an iterator needs from the client. */
export interface IteratorSource<In> {
  onMessage(handler: Handler<In>): () => void;
  onEnd(handler: Handler<unknown>): () => void;
  /** True when the client is closed now (an iterator started then ends at once). */
  closed(): boolean;
  /** The iterator went over its mark (true) or back under it (false). */
  lagging(over: boolean): void;
  readonly highWaterMark: number;
}

export async function* iterate<In>(source: IteratorSource<In>): AsyncGenerator<In, void, undefined> {
  const buffer: In[] = [];
  let ended = source.closed();
  let over = false;
  let wake: (() => void) | undefined;
  const resumeBelow = Math.floor(source.highWaterMark / 4) + 1;
  const offMessage = source.onMessage((message) => {
    buffer.push(message);
    if (!over && buffer.length >= source.highWaterMark) {
      over = true;
      source.lagging(true);
    }
    wake?.();
  });
  const offEnd = source.onEnd(() => {
    ended = true;
    wake?.();
  });
  try {
    for (;;) {
      if (buffer.length > 0) {
        if (over && buffer.length <= resumeBelow) {
          over = false;
          source.lagging(false);
        }
        yield buffer.shift()!;
      } else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    offMessage();
    offEnd();
    if (over) source.lagging(false);
  }
}
