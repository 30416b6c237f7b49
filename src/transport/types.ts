/**
 * The seam between the resilient client and a transport. The client never
 * imports a concrete transport; the entry points (src/index.ts, src/node.ts)
 * hand it a `TransportFactory` and the platform's features
 * (src/client/features.ts). A transport is one connection attempt: it opens
 * once, delivers messages, and closes once. It never reconnects.
 *
 * Imports: nothing but types.
 */

/** Binary messages are delivered as Uint8Array (a Buffer in Node); text as string. */
export type IncomingData = string | Uint8Array;
/** What `send()` accepts. */
export type OutgoingData = string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob;
/** What a transport is handed: the client reads Blobs to bytes first, so that they keep their place in the order. */
export type TransportData = string | ArrayBuffer | ArrayBufferView;

export interface CloseInfo {
  /** 1000-4999 from the peer; 1005 no status; 1006 abnormal (no close frame). */
  code: number;
  reason: string;
  wasClean: boolean;
  /** Set when the connection failed before opening (handshake or network). */
  error?: Error;
  /** HTTP status of a refused handshake (or of a CONNECT proxy's refusal), where the transport can see it. */
  status?: number;
  /** Delay the server asked for (Retry-After), in ms, where visible. */
  retryAfterMs?: number;
}

export interface TransportHandlers {
  open(info: { protocol: string; extensions: string }): void;
  /** A message, and its payload size in bytes (UTF-8 for text), as the transport knows it: Node from the frame; a browser, which does not say, gives a text's length (exact for ASCII). */
  message(data: IncomingData, bytes: number): void;
  /** Exactly once per transport, after which it emits nothing. */
  close(info: CloseInfo): void;
  /** A ping or pong frame arrived, where the platform sees them (Node). `data` is valid only during the call. Optional. */
  control?(kind: 'ping' | 'pong', data: Uint8Array): void;
}

export interface TransportConnectOptions {
  protocols: readonly string[];
  /** Request headers, where the platform can send them (Node); unchecked (the transport applies the header rules). */
  headers?: unknown;
}

/** One connection attempt. */
export interface Transport {
  /** Bytes queued in the transport and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Hand `data` to the socket; throws if the socket can no longer send (closing), so the caller keeps it. */
  send(data: TransportData, options?: { compress?: boolean }): void;
  /** Start the close handshake; `handlers.close` follows. */
  close(code?: number, reason?: string): void;
  /** Drop now, no handshake; `handlers.close` follows with 1006. */
  terminate(): void;
  /** Protocol ping, where the platform can send one (Node). Resolves with the round trip in ms. */
  ping?(data?: Uint8Array): Promise<number>;
  /** Receive backpressure, where the platform has it (Node). */
  pause?(): void;
  resume?(): void;
  /** Set by the client to learn when the socket's buffer drains, where the platform reports it (Node). */
  onDrain?: (() => void) | undefined;
  /**
   * The error to report when the client stops waiting for this attempt to
   * open (its `connectTimeout`), asked just before it terminates the
   * transport. A transport that knows which hop it was still waiting on
   * says so (Node: a CONNECT proxy whose tunnel is not up yet, as the
   * `WS_ERR_PROXY` error that names it, `timeout` as its cause); else it
   * returns `timeout`. Optional: without it the client reports `timeout`.
   */
  timedOut?(timeout: Error): Error;
}

/**
 * Opens one transport. Throws synchronously only for input it refuses
 * (bad headers, options): the client ends with that error rather than retry.
 */
export type TransportFactory = (url: string, options: TransportConnectOptions, handlers: TransportHandlers) => Transport;
