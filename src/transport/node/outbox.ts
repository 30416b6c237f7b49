/**
 * The Node connection's outbox: how the frames the core writes reach the
 * socket.
 *
 * Owns: write batching (every frame written in one tick goes out in one
 * writev: the socket is corked until the end of the tick), send
 * backpressure (once `socket.write` returns false, frames wait in a queue
 * that is counted exactly in `bufferedAmount` and handed over on 'drain'),
 * the pong rule while backed up (only the latest pong waits, RFC 6455
 * §5.5.3), and the half-close that must not overtake the queue (end after
 * flush: our close frame may still be waiting, and RFC 6455 §5.5.1 requires
 * it to be sent).
 *
 * Must not import the protocol core, the connection or the WebSocket class:
 * it sees bytes and a socket, nothing else.
 */
import type { Socket } from 'node:net';

/** First byte of an unfragmented pong frame (FIN, opcode 0xA): how a queued frame is known to be a pong. */
const PONG_FIRST_BYTE = 0x8a;

function uncorkAtEndOfTick(outbox: Outbox): void {
  outbox.corked = false;
  outbox.socket?.uncork();
}

export class Outbox {
  /** The socket frames go to; undefined until the connection opens and after it ended. */
  socket: Socket | undefined = undefined;
  /** @internal True from the first write of a tick until the uncork at its end. */
  corked = false;
  /** Frames held back while the socket is over its high-water mark; undefined when not backed up. */
  private queue: Uint8Array[] | undefined = undefined;
  /** Bytes in `queue`. */
  private queuedBytes = 0;
  /** Where in `queue` a pong waits, if one does. */
  private queuedPong: number | undefined = undefined;
  /** Half-close once `queue` has been handed to the socket (an end() before would drop it). */
  private endAfterFlush = false;

  /** Bytes written and not yet given to the kernel: the socket's buffer plus our queue. */
  get bufferedAmount(): number {
    const socket = this.socket;
    return (socket === undefined ? 0 : socket.writableLength) + this.queuedBytes;
  }

  /** True while frames wait in our queue (the socket said it is full and has not drained since). */
  get backedUp(): boolean {
    return this.queue !== undefined;
  }

  /** One frame, in order after every frame before it. Dropped once the socket is gone (the connection is ending). */
  write(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    const queue = this.queue;
    if (queue !== undefined) {
      if (bytes[0] === PONG_FIRST_BYTE) {
        // RFC 6455 §5.5.3: a pong for only the most recent ping is enough. While the peer does
        // not read, a ping flood then keeps one pong waiting here, not one per ping.
        const at = this.queuedPong;
        if (at !== undefined) {
          this.queuedBytes += bytes.length - queue[at]!.length;
          queue[at] = bytes;
          return;
        }
        this.queuedPong = queue.length;
      }
      queue.push(bytes);
      this.queuedBytes += bytes.length;
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncorkAtEndOfTick, this);
    }
    if (!socket.write(bytes)) this.queue = [];
  }

  /**
   * The socket's 'drain': hands the queue over, in one writev, until the
   * socket is full again. Returns true when nothing waits any more and the
   * socket has room (the owner may report its drain), false while still
   * backed up or when the half-close that waited for the queue went out.
   */
  flush(): boolean {
    const queue = this.queue;
    const socket = this.socket;
    if (queue === undefined || socket === undefined) return true;
    let handed = 0;
    let room = true;
    socket.cork();
    while (room && handed < queue.length) {
      const frame = queue[handed++]!;
      this.queuedBytes -= frame.length;
      room = socket.write(frame);
    }
    socket.uncork();
    const all = handed === queue.length;
    if (all) this.queue = room ? undefined : [];
    else queue.splice(0, handed);
    const pong = this.queuedPong;
    this.queuedPong = pong === undefined || pong < handed ? undefined : pong - handed;
    if (all && this.endAfterFlush) {
      // Everything, our close frame included, is with the socket now: half-close after it.
      this.endAfterFlush = false;
      this.queue = undefined;
      socket.end();
      return false;
    }
    return room && this.queue === undefined;
  }

  /**
   * Half-closes after everything written so far. A frame may still wait in
   * the queue (e.g. a big echo right before the server's close): ending now
   * would make its later write fail and lose the close frame behind it, so
   * the end then waits for `flush()` to hand the queue over.
   */
  end(): void {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    if (this.queue !== undefined) this.endAfterFlush = true;
    else socket.end();
  }

  /** The connection ended: forget the socket and whatever still waits. */
  clear(): void {
    this.socket = undefined;
    this.queue = undefined;
    this.queuedBytes = 0;
    this.queuedPong = undefined;
    this.endAfterFlush = false;
  }
}
