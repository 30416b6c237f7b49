/**
 * The seam between the resilient client and a transport. The client never
 * imports a concrete transport; the entry points (src/index.ts, src/node.ts)
 * hand it a `TransportFactory`. A transport is one connection attempt: it
 * opens once, delivers messages, and closes once. It never reconnects.
 *
 * Imports: nothing but types.
 */

/** What a transport can do beyond the WHATWG WebSocket surface; an absent capability is one it lacks. */
export interface TransportCapabilities {
  /** Can send protocol pings and report the round trip (Node yes, browsers no). */
  readonly ping?: boolean;
  /** Sees HTTP status and headers of a refused handshake (Node yes, browsers no). */
  readonly handshakeStatus?: boolean;
  /** Can stop reading from the network for receive backpressure. */
  readonly pause?: boolean;
  /** Accepts request headers. */
  readonly headers?: boolean;
}

/** Binary messages are delivered as Uint8Array (a Buffer in Node); text as string. */
export type IncomingData = string | Uint8Array;
/** What a transport can send. */
export type OutgoingData = string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob;

export interface CloseInfo {
  /** 1000-4999 from the peer; 1005 no status; 1006 abnormal (no close frame). */
  code: number;
  reason: string;
  wasClean: boolean;
  /** Set when the connection failed before opening (handshake or network). */
  error?: Error;
  /** HTTP status of a refused handshake, where the transport can see it. */
  status?: number;
  /** Delay the server asked for (Retry-After), in ms, where visible. */
  retryAfterMs?: number;
}

export interface TransportHandlers {
  open(info: { protocol: string; extensions: string }): void;
  message(data: IncomingData): void;
  /** Exactly once per transport, after which it emits nothing. */
  close(info: CloseInfo): void;
  /** Any inbound traffic (frames, pongs) — feeds idle timers. Optional. */
  activity?(): void;
  /** A pong (protocol or app-level) arrived, with the round trip if known. */
  pong?(rttMs: number | undefined): void;
}

export interface TransportConnectOptions {
  protocols: readonly string[];
  /** Request headers (ignored by transports without the `headers` capability). */
  headers?: Readonly<Record<string, string>>;
}

/** One connection attempt. Its capabilities are those of the factory that made it. */
export interface Transport {
  /** Bytes queued in the transport and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Hand `data` to the socket; throws if the socket can no longer send (closing), so the caller keeps it. */
  send(data: OutgoingData, options?: { compress?: boolean }): void;
  /** Start the close handshake; `handlers.close` follows. */
  close(code?: number, reason?: string): void;
  /** Drop now, no handshake; `handlers.close` follows with 1006. */
  terminate(): void;
  /** Protocol ping; present only with the `ping` capability. Resolves with the RTT in ms. */
  ping?(data?: Uint8Array): Promise<number>;
  /** Receive backpressure; present only with the `pause` capability. */
  pause?(): void;
  resume?(): void;
  /** Called by the client when the socket's buffer drains (Node); optional. */
  onDrain?: (() => void) | undefined;
}

export type TransportFactory = {
  (url: string, options: TransportConnectOptions, handlers: TransportHandlers): Transport;
  readonly capabilities: TransportCapabilities;
};
