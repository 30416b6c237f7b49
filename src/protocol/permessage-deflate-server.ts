/**
 * permessage-deflate (RFC 7692) on the server side: answer a client's
 * offers and build the extension with the roles swapped (we compress with
 * the server's parameters and inflate with the client's).
 *
 * A client may send several offers, best first (§5); the server accepts at
 * most one: the first it can honour. It declines an offer with an unknown
 * parameter or an invalid value (§7.1), and honours every parameter the
 * RFC lets a client ask for:
 * - server_no_context_takeover: we compress each message alone (§7.1.1.1);
 * - client_no_context_takeover: answered, so we can drop our inflate window (§7.1.1.2);
 * - server_max_window_bits=N: our compressor keeps its distances within 2^N
 *   (§7.1.2.1; the codec bounds dictionary + segment, or a native zlib does);
 * - client_max_window_bits (bare or =N): we may limit the client's window
 *   (§7.1.2.2); our inflater reads any window, so that is only a choice.
 *
 * Owns: `perMessageDeflateServer`, its options and `respondToOffer`.
 * Imports permessage-deflate.ts (the extension), server-handshake.ts types
 * and types.ts; never node:* and never the core.
 */
import { PERMESSAGE_DEFLATE, PerMessageDeflate, type PerMessageDeflateParams, type PerMessageDeflatePlatform } from './permessage-deflate.js';
import type { ServerExtensionFactory } from './server-handshake.js';
import type { ExtensionParams } from './types.js';

/** Options of {@link perMessageDeflateServer}. */
export interface PerMessageDeflateServerOptions {
  /** Messages smaller than this many bytes are sent uncompressed unless the send passes `compress: true`. Default `1024`. */
  threshold?: number;
  /** fflate compression level 0..9 for what we send. Default `6`. */
  level?: number;
  /**
   * Bytes of previously sent plaintext used as the dictionary for the next
   * message (0..32768; see `PerMessageDeflateOptions.historySize`). `0`
   * answers `server_no_context_takeover`. Default `4096`.
   */
  historySize?: number;
  /** Answer `server_no_context_takeover` even when not asked: compress every message alone. Default `false`. */
  serverNoContextTakeover?: boolean;
  /** Answer `client_no_context_takeover`: the client must compress every message alone (we keep no inflate window). Default `false`. */
  clientNoContextTakeover?: boolean;
  /** Our LZ77 window, 8..15, answered as `server_max_window_bits`. Default: what the client asked for, else 15. */
  serverMaxWindowBits?: number;
  /** Limit the client's window to 8..15 when its offer allows (`client_max_window_bits`). Default: no limit. */
  clientMaxWindowBits?: number;
}

interface ResolvedServer {
  threshold: number;
  level: number;
  historySize: number;
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | undefined;
}

function bits(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 8 || value > 15) throw new RangeError(`perMessageDeflateServer: ${name} must be an integer in 8..15, got ${String(value)}`);
  return value;
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`perMessageDeflateServer: ${name} must be a boolean, got ${String(value)}`);
  return value;
}

function resolveServer(given: PerMessageDeflateServerOptions | undefined): ResolvedServer {
  const options = given ?? {};
  if (typeof options !== 'object' || options === null) throw new TypeError('perMessageDeflateServer: options must be an object');
  const historySize = options.historySize ?? 4096;
  if (typeof historySize !== 'number' || !Number.isInteger(historySize) || historySize < 0 || historySize > 32768) {
    throw new RangeError(`perMessageDeflateServer: historySize must be an integer in 0..32768, got ${String(historySize)}`);
  }
  return {
    threshold: options.threshold ?? 1024,
    level: options.level ?? 6,
    historySize,
    serverNoContextTakeover: flag('serverNoContextTakeover', options.serverNoContextTakeover) || historySize === 0,
    clientNoContextTakeover: flag('clientNoContextTakeover', options.clientNoContextTakeover),
    serverMaxWindowBits: bits('serverMaxWindowBits', options.serverMaxWindowBits),
    clientMaxWindowBits: bits('clientMaxWindowBits', options.clientMaxWindowBits),
  };
}

/** A window-bits value in an offer: 8..15 without leading zeroes (§7.1.2.1); a quoted form is unquoted by the header parser. */
function windowBits(value: string | true): number | undefined {
  if (value === true || !/^(?:8|9|1[0-5])$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Answers one offer, or returns `null` to decline it (§7.1: unknown
 * parameter or invalid value). The answer is the response element and
 * the agreed parameters as both ends will use them.
 */
export function respondToOffer(
  options: PerMessageDeflateServerOptions | undefined,
  offer: ExtensionParams,
): { response: string; params: PerMessageDeflateParams } | null {
  const resolved = resolveServer(options);
  let askedServerNoContext = false;
  let askedClientNoContext = false;
  let askedServerBits: number | undefined;
  /** undefined: not offered; true: offered bare; a number: offered with that bound. */
  let offeredClientBits: number | true | undefined;
  for (const [rawName, value] of Object.entries(offer.params)) {
    switch (rawName.toLowerCase()) {
      case 'server_no_context_takeover':
        if (value !== true) return null;
        askedServerNoContext = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return null;
        askedClientNoContext = true;
        break;
      case 'server_max_window_bits':
        // §7.1.2.1: this parameter needs a value.
        askedServerBits = windowBits(value);
        if (askedServerBits === undefined) return null;
        break;
      case 'client_max_window_bits':
        if (value === true) offeredClientBits = true;
        else {
          offeredClientBits = windowBits(value);
          if (offeredClientBits === undefined) return null;
        }
        break;
      default:
        return null;
    }
  }
  const params: PerMessageDeflateParams = {
    serverNoContextTakeover: askedServerNoContext || resolved.serverNoContextTakeover,
    clientNoContextTakeover: askedClientNoContext || resolved.clientNoContextTakeover,
    serverMaxWindowBits: Math.min(askedServerBits ?? 15, resolved.serverMaxWindowBits ?? 15),
    clientMaxWindowBits: typeof offeredClientBits === 'number' ? offeredClientBits : 15,
  };
  let response = PERMESSAGE_DEFLATE;
  if (params.serverNoContextTakeover) response += '; server_no_context_takeover';
  if (params.clientNoContextTakeover) response += '; client_no_context_takeover';
  // §7.1.2.1: a server that accepts an offer with server_max_window_bits must answer it; it may also announce a smaller window unasked.
  if (askedServerBits !== undefined || params.serverMaxWindowBits < 15) response += `; server_max_window_bits=${params.serverMaxWindowBits}`;
  // §7.1.2.2: only when the client offered it, and then never above its bound.
  if (offeredClientBits !== undefined && resolved.clientMaxWindowBits !== undefined) {
    params.clientMaxWindowBits = Math.min(resolved.clientMaxWindowBits, params.clientMaxWindowBits);
    response += `; client_max_window_bits=${params.clientMaxWindowBits}`;
  }
  return { response, params };
}

/**
 * permessage-deflate for a server: accepts the first of the client's
 * offers it can honour (see the module header) and builds the extension
 * in the server role. Options are validated here (TypeError / RangeError).
 * `platform` is as for the client: Node passes node:zlib's inflater for
 * large messages and its compressor for reduced windows.
 */
export function perMessageDeflateServer(options?: PerMessageDeflateServerOptions, platform?: PerMessageDeflatePlatform): ServerExtensionFactory {
  const resolved = resolveServer(options);
  const codecOptions = { threshold: resolved.threshold, level: resolved.level, historySize: resolved.historySize };
  // Validates threshold and level once (the extension's own checks), so a bad option fails at creation.
  new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, codecOptions).dispose();
  return {
    name: PERMESSAGE_DEFLATE,
    respond(offers) {
      for (const offer of offers) {
        const agreed = respondToOffer(options, offer);
        if (agreed !== null) return { response: agreed.response, extension: new PerMessageDeflate(agreed.params, codecOptions, platform, 'server') };
      }
      return null;
    },
  };
}
