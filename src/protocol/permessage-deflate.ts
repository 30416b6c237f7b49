/**
 * permessage-deflate (RFC 7692) for the protocol core's extension seam: the
 * offer we put in `Sec-WebSocket-Extensions`, the validation of the server's
 * answer, and the `Extension` that compresses and inflates whole messages.
 *
 * Owns negotiation, the rule of its options and per-message policy
 * (threshold, per-send `compress`); the byte work lives in deflate-codec.ts.
 * Imports types.ts, errors.ts, input.ts (checkOptions) and deflate-codec.ts
 * only: never the core (protocol.ts, handshake.ts) and never node:* (the
 * module is browser-safe, though browsers negotiate natively).
 *
 * The core's side of the contract:
 * - RSV1 on the first frame of a data message means "compressed" (RFC 7692
 *   §6); RSV1 on a continuation or control frame is a 1002 error (§6.1) that
 *   the core enforces. Uncompressed messages may arrive at any time.
 * - `accept()` is called once per response element named
 *   `permessage-deflate`; a second call throws (§5.1: at most one accepted
 *   permessage-deflate per response).
 * - The header parser must not merge duplicate parameters silently: pass them
 *   to `negotiatePerMessageDeflate` as a list, or fail with
 *   WS_ERR_HANDSHAKE_EXTENSION itself (§7.1: a duplicate parameter fails the
 *   connection).
 */
import { ErrorCodes, HandshakeError } from './errors.js';
import { checkOptions, type OptionSpec } from './input.js';
import type { Extension, ExtensionFactory, ExtensionParams } from './types.js';
import { MessageDeflater, MessageInflater, type AsyncInflate, type NativeDeflate, type NativeInflate } from './deflate-codec.js';

export type { AsyncInflate, NativeDeflate, NativeInflate } from './deflate-codec.js';

/** What a transport may add from its platform (not user options). */
export interface PerMessageDeflatePlatform {
  /** A native synchronous raw inflater for large messages (Node: node:zlib). Default: fflate only. */
  inflateRaw?: NativeInflate;
  /** A native synchronous raw compressor, used for every message sent compressed (Node: node:zlib). Default: fflate only. */
  deflateRaw?: NativeDeflate;
  /**
   * An inflater that works off the event loop (Node: node:zlib on the thread
   * pool), for messages that would block it for more than a few ms (see
   * `MessageInflater.decodeOrDefer`). Default: none, every message is
   * inflated synchronously.
   */
  inflateRawAsync?: AsyncInflate;
}

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** Options for {@link perMessageDeflate}. */
export interface PerMessageDeflateOptions {
  /**
   * Messages smaller than this many bytes are sent uncompressed unless the
   * send passes `compress: true` (0 up to 2^53-1). Default `1024`.
   */
  threshold?: number;
  /**
   * Offer `client_no_context_takeover`: compress every message on its own, so
   * the server can drop its inflate window between messages. Costs ratio on
   * streams of small similar messages. Default `false` (we keep context,
   * using `historySize` bytes of what we sent as the dictionary). Implied when
   * `historySize` is `0`. The server may impose it even if not offered.
   */
  clientNoContextTakeover?: boolean;
  /**
   * Offer `server_no_context_takeover`: ask the server to compress every
   * message on its own. Saves us the 32 KiB window per connection, costs
   * ratio. Default `false`. A server that leaves it out of its answer
   * (tornado does) keeps its context, and we inflate keeping ours: the
   * connection still opens.
   */
  serverNoContextTakeover?: boolean;
  /**
   * Offer `server_max_window_bits=N` (8..15): limit the server's LZ77 window.
   * Default: not offered (15). A server that leaves it out of its answer may
   * use 15 (aiohttp leaves out 15, its default); we inflate any window.
   */
  serverMaxWindowBits?: number;
  /**
   * Offer `client_max_window_bits`, bare (`true`: the server may pick 8..15)
   * or with a value 8..15 (our upper bound); `false` leaves it out of the
   * offer (the server must then assume 15). Default `true`, as browsers and
   * ws offer it: a server short of memory may then ask for a smaller window.
   * Any value the server sets is honoured: with a platform compressor (the
   * Node transport passes node:zlib) each message is compressed at exactly
   * that window; without one, fflate's input is cut into segments that keep
   * dictionary + segment within the window, which costs ratio and CPU
   * (segments of 128 bytes at 8 bits).
   */
  clientMaxWindowBits?: number | boolean;
  /** fflate compression level 0..9 for what we send. Default `6` (zlib's default). */
  level?: number;
  /**
   * Bytes of previously sent plaintext used as the dictionary for the next
   * message when context is kept (0..32768). The CPU/ratio knob: fflate
   * hashes the whole dictionary on every compressed message, while a bigger
   * history finds more matches. Measured on a JSON-like stream of 16 B / 1 KiB
   * messages (test/bench/deflate.mjs, loaded 2-core VM): 4096 costs about
   * 90 / 136 µs of CPU per message for a ratio of 0.56 / 0.34; 32768 about
   * 177 / 426 µs for 0.53 / 0.32; 0 about 52 / 124 µs for 1.12 / 0.45 (zlib
   * via ws: 0.53 / 0.30). `0` means no context takeover on send (and offers
   * `client_no_context_takeover`). Default `4096`.
   */
  historySize?: number;
}

/** What both sides agreed, after `accept`. */
export interface PerMessageDeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** The server's window (15 unless it set server_max_window_bits). */
  serverMaxWindowBits: number;
  /** Our window (15 unless the server set client_max_window_bits). */
  clientMaxWindowBits: number;
}

interface Resolved {
  threshold: number;
  clientNoContextTakeover: boolean;
  serverNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `false`: not offered; `true`: offered bare; a number: offered with that bound. */
  clientMaxWindowBits: number | boolean;
  level: Level;
  historySize: number;
}

/**
 * The rule of PerMessageDeflateOptions, one for every way they arrive:
 * `perMessageDeflate()` here, and the Node transport's `perMessageDeflate`
 * option (`new WebSocket()`, `connect({ socket })`), which checks them at
 * the call through `checkPerMessageDeflateOptions`. Window bits are 8..15
 * (RFC 7692 §7.1.2.1, §7.1.2.2) for both ends. zlib cannot deflate with an
 * 8-bit raw window, so at 8 the Node compressor runs zlib at 9, whose
 * distances stay within 250 bytes (< 256, see zlib-inflate.ts), as ws's
 * zlib does; fflate works in segments that fit (deflate-codec.ts).
 */
const PER_MESSAGE_DEFLATE_OPTIONS: OptionSpec = {
  defaults: { threshold: 1024, clientNoContextTakeover: false, serverNoContextTakeover: false, level: 6, historySize: 4096 },
  // clientMaxWindowBits: `true` (the default, applied in resolve()) offers it bare, `false` leaves it out, a number bounds it.
  types: { serverMaxWindowBits: 'number', clientMaxWindowBits: 'boolean|number' },
  least: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  // threshold: any size a message can have; level: zlib's 0..9; historySize: up to the 32 KiB window (RFC 7692 §7.1.2.1, 2^15).
  most: { threshold: Number.MAX_SAFE_INTEGER, level: 9, historySize: 32768, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  integers: ['level', 'historySize', 'serverMaxWindowBits', 'clientMaxWindowBits'],
};

/**
 * Checks permessage-deflate options against their rule (see
 * `checkOptions`: an unknown key or a wrong type is a TypeError, a value
 * out of range a RangeError, both with `WS_ERR_INVALID_OPTION`) and returns
 * them over their defaults. `where` names the API in messages; `path` the
 * option they are nested in (`'perMessageDeflate'`: `option
 * perMessageDeflate.level must be ...`).
 */
export function checkPerMessageDeflateOptions(options: unknown, where: string, path?: string): PerMessageDeflateOptions {
  return checkOptions<PerMessageDeflateOptions>(options, PER_MESSAGE_DEFLATE_OPTIONS, where, path);
}

function resolve(options: PerMessageDeflateOptions | undefined): Resolved {
  const checked = checkPerMessageDeflateOptions(options, 'perMessageDeflate():');
  const historySize = checked.historySize!;
  return {
    threshold: checked.threshold!,
    clientNoContextTakeover: checked.clientNoContextTakeover! || historySize === 0,
    serverNoContextTakeover: checked.serverNoContextTakeover!,
    serverMaxWindowBits: checked.serverMaxWindowBits,
    clientMaxWindowBits: checked.clientMaxWindowBits ?? true,
    level: checked.level as Level,
    historySize,
  };
}

function fail(message: string): HandshakeError {
  return new HandshakeError(ErrorCodes.HANDSHAKE_EXTENSION, `permessage-deflate: ${message}`);
}

/**
 * A window-bits value from the response: an integer 8..15 without leading
 * zeroes (RFC 7692 §7.1.2.1). A quoted-string form is unquoted first (RFC 6455
 * §9.1: the unescaped value must still be a token).
 */
function windowBitsValue(name: string, value: string | true): number {
  if (value === true) throw fail(`${name} needs a value`);
  let unquoted = value;
  if (unquoted.length >= 2 && unquoted.startsWith('"') && unquoted.endsWith('"')) unquoted = unquoted.slice(1, -1).replace(/\\(.)/g, '$1');
  if (!/^(?:8|9|1[0-5])$/.test(unquoted)) throw fail(`${name} must be 8..15, got ${JSON.stringify(value)}`);
  return Number(unquoted);
}

function noValue(name: string, value: string | true): void {
  if (value !== true) throw fail(`${name} takes no value, got ${JSON.stringify(value)}`);
}

/**
 * Checks one server response element against what `options` offered
 * (RFC 7692 §7.1) and returns the agreed parameters, or throws a
 * `HandshakeError` with code WS_ERR_HANDSHAKE_EXTENSION. Parameters are a
 * list so duplicates are visible.
 */
export function negotiatePerMessageDeflate(
  options: PerMessageDeflateOptions | undefined,
  params: ReadonlyArray<readonly [string, string | true]>,
): PerMessageDeflateParams {
  const offered = resolve(options);
  const seen = new Set<string>();
  const agreed: PerMessageDeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: offered.clientNoContextTakeover,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  for (const [rawName, value] of params) {
    const name = rawName.toLowerCase();
    // §7.1: "MUST NOT include more than one of the same extension parameter".
    if (seen.has(name)) throw fail(`duplicate parameter ${name}`);
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        // §7.1.1.1: the server may add it even if not offered.
        noValue(name, value);
        agreed.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        // §7.1.1.2: the server may add it even if not offered; we then compress each message alone.
        noValue(name, value);
        agreed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // §7.1.2.1: allowed even if not offered; never above what we offered.
        const windowBits = windowBitsValue(name, value);
        if (offered.serverMaxWindowBits !== undefined && windowBits > offered.serverMaxWindowBits) {
          throw fail(`server_max_window_bits=${windowBits} is above the offered ${offered.serverMaxWindowBits}`);
        }
        agreed.serverMaxWindowBits = windowBits;
        break;
      }
      case 'client_max_window_bits': {
        // §7.1.2.2: only if we offered it, and then with a value.
        if (offered.clientMaxWindowBits === false) throw fail('client_max_window_bits was not offered');
        const windowBits = windowBitsValue(name, value);
        if (offered.clientMaxWindowBits !== true && windowBits > offered.clientMaxWindowBits) {
          throw fail(`client_max_window_bits=${windowBits} is above the offered ${offered.clientMaxWindowBits}`);
        }
        agreed.clientMaxWindowBits = windowBits;
        break;
      }
      default:
        throw fail(`unknown parameter ${JSON.stringify(rawName)}`);
    }
  }
  // An offered server_no_context_takeover or server_max_window_bits left out
  // of the response is no failure: RFC 7692 §7 fails the connection only for
  // a parameter not defined for a response, an invalid value, a duplicate, or
  // "a configuration the client does not support", and we support the one
  // the response represents: the server keeps its context (we inflate with
  // the window kept, §7.1.1.1) and may use a 32 KiB window (§7.1.2.1: 15
  // when absent; our inflaters always accept it). Servers do answer so:
  // tornado 6.2 drops server_no_context_takeover and keeps its context,
  // aiohttp 3.8 leaves out server_max_window_bits=15, gorilla/websocket 1.5
  // and Jetty 9.4 never answer server_max_window_bits (their window is 15).
  // ws connects to all four; failing would refuse them outright. `agreed`
  // says what the server said.
  // We offered a bound on our own window: keep to it even if the server did not repeat it (§7.1.2.2).
  if (typeof offered.clientMaxWindowBits === 'number' && !seen.has('client_max_window_bits')) {
    agreed.clientMaxWindowBits = offered.clientMaxWindowBits;
  }
  return agreed;
}

/** The offer string for `options` (one element, RFC 7692 §5). */
function buildOffer(options: Resolved): string {
  let offer = PERMESSAGE_DEFLATE;
  if (options.clientNoContextTakeover) offer += '; client_no_context_takeover';
  if (options.serverNoContextTakeover) offer += '; server_no_context_takeover';
  if (options.serverMaxWindowBits !== undefined) offer += `; server_max_window_bits=${options.serverMaxWindowBits}`;
  if (options.clientMaxWindowBits === true) offer += '; client_max_window_bits';
  else if (options.clientMaxWindowBits !== false) offer += `; client_max_window_bits=${options.clientMaxWindowBits}`;
  return offer;
}

/**
 * The agreed extension: inflates RSV1 messages, compresses outgoing ones
 * past the threshold. `role` says which end we are: a client inflates with
 * the server's parameters and compresses with the client's; a server the
 * other way round (RFC 7692 §7.1: each `*_no_context_takeover` and
 * `*_max_window_bits` names the end that compresses).
 */
export class PerMessageDeflate implements Extension {
  readonly name = PERMESSAGE_DEFLATE;
  readonly rsvMask = 0x40;
  /** What was agreed in the handshake. */
  readonly params: Readonly<PerMessageDeflateParams>;
  private readonly threshold: number;
  private inflater: MessageInflater | undefined;
  private deflater: MessageDeflater | undefined;
  private readonly level: Level;
  private readonly historySize: number;

  private readonly native: NativeInflate | undefined;
  private readonly nativeDeflate: NativeDeflate | undefined;
  private readonly inflateAsync: AsyncInflate | undefined;
  /** The peer's compressor drops its window after every message: inflate each one alone. */
  private readonly peerNoContextTakeover: boolean;
  /** Our compressor's window (the receiver's limit on our match distances). */
  private readonly windowBits: number;

  constructor(params: PerMessageDeflateParams, options?: PerMessageDeflateOptions, platform?: PerMessageDeflatePlatform, role: 'client' | 'server' = 'client') {
    const resolved = resolve(options);
    this.native = platform?.inflateRaw;
    this.nativeDeflate = platform?.deflateRaw;
    this.inflateAsync = platform?.inflateRawAsync;
    this.params = Object.freeze({ ...params });
    this.threshold = resolved.threshold;
    this.level = resolved.level;
    const server = role === 'server';
    this.peerNoContextTakeover = server ? params.clientNoContextTakeover : params.serverNoContextTakeover;
    this.windowBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    const ownNoContextTakeover = server ? params.serverNoContextTakeover : params.clientNoContextTakeover;
    this.historySize = ownNoContextTakeover ? 0 : resolved.historySize;
  }

  /**
   * RFC 7692 §7.2.2: inflate with the peer's window (kept unless the peer
   * agreed to no context takeover). The result may be a read-only view that
   * the next `decode()` overwrites: copy it to keep it.
   */
  decode(payload: Uint8Array, maxLength: number): Uint8Array {
    const inf = (this.inflater ??= new MessageInflater(this.peerNoContextTakeover, this.native));
    return inf.decode(payload, maxLength);
  }

  /**
   * `decode`, or with an asynchronous platform inflater a promise for a
   * large message (the core waits for it and keeps the order; see
   * `Extension.decodeOrDefer`). The promised buffer is fresh and not kept.
   */
  decodeOrDefer(payload: Uint8Array, maxLength: number): Uint8Array | Promise<Uint8Array> {
    const inf = (this.inflater ??= new MessageInflater(this.peerNoContextTakeover, this.native));
    if (this.inflateAsync === undefined) return inf.decode(payload, maxLength);
    return inf.decodeOrDefer(payload, maxLength, this.inflateAsync);
  }

  /**
   * RFC 7692 §7.2.1. `compress`: `true` compresses whatever the size,
   * `false` never, `undefined` when the payload is at least `threshold` bytes.
   * Returns `null` to send the message as is.
   */
  encode(payload: Uint8Array, compress: boolean | undefined): Uint8Array | null {
    if (compress === false || (compress === undefined && payload.length < this.threshold)) return null;
    const def = (this.deflater ??= new MessageDeflater({
      level: this.level,
      historySize: this.historySize,
      windowBits: this.windowBits,
      native: this.nativeDeflate,
    }));
    return def.compress(payload);
  }

  dispose(): void {
    this.inflater?.dispose();
    this.deflater?.dispose();
    this.inflater = undefined;
    this.deflater = undefined;
  }
}

/**
 * permessage-deflate (RFC 7692) for the Node transport, on fflate,
 * synchronous and order-preserving. Options are validated here: an unknown
 * key or a wrong type throws a TypeError, a value out of range a
 * RangeError, both with `WS_ERR_INVALID_OPTION`.
 *
 * Defaults: offer `permessage-deflate; client_max_window_bits` (as browsers
 * and ws do, so the server may bound our window); threshold 1024; level 6;
 * context kept on send with a 4 KiB history.
 *
 * `platform` is for transports: the Node transport can pass node:zlib's
 * synchronous inflater for large messages (see `PerMessageDeflatePlatform`).
 *
 * `offer()` builds the request value and starts a negotiation; `accept()`
 * checks one response element and may be called once per `offer()` (a second
 * accepted permessage-deflate in the same response fails).
 */
export function perMessageDeflate(options?: PerMessageDeflateOptions, platform?: PerMessageDeflatePlatform): ExtensionFactory {
  const resolved = resolve(options);
  const offer = buildOffer(resolved);
  let accepted = false;
  return {
    name: PERMESSAGE_DEFLATE,
    offer(): string {
      // A new handshake starts with the offer: a reused factory (reconnects) may accept again.
      accepted = false;
      return offer;
    },
    accept(response: ExtensionParams): Extension {
      if (response.name.toLowerCase() !== PERMESSAGE_DEFLATE) throw fail(`unexpected extension ${JSON.stringify(response.name)}`);
      // RFC 7692 §5.1 / RFC 6455 §9.1: a response may not accept the same extension twice.
      if (accepted) throw fail('accepted more than once in one response');
      accepted = true;
      const agreed = negotiatePerMessageDeflate(options, Object.entries(response.params));
      return new PerMessageDeflate(agreed, options, platform);
    },
  };
}
