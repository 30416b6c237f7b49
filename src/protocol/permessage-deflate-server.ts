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
 * Imports permessage-deflate.ts (the extension), server-handshake.ts types,
 * input.ts (checkOptions) and types.ts; never node:* and never the core.
 */
import { PERMESSAGE_DEFLATE, PerMessageDeflate, type PerMessageDeflateParams, type PerMessageDeflatePlatform } from './permessage-deflate.js';
import type { ServerExtensionFactory } from './server-handshake.js';
import type { ExtensionParams } from './types.js';
import { checkOptions, type OptionSpec } from './input.js';

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

/**
 * The rule of PerMessageDeflateServerOptions, checked by `checkOptions` as
 * the client's options are: an unknown key or a wrong type is a TypeError,
 * a value out of range a RangeError, both with `WS_ERR_INVALID_OPTION`.
 * Window bits are 8..15 (RFC 7692 §7.1.2.1, §7.1.2.2); historySize at
 * most the 32 KiB window; level is zlib's 0..9.
 */
const SERVER_OPTIONS: OptionSpec = {
  defaults: { threshold: 1024, level: 6, historySize: 4096, serverNoContextTakeover: false, clientNoContextTakeover: false },
  types: { serverMaxWindowBits: 'number', clientMaxWindowBits: 'number' },
  least: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  most: { threshold: Number.MAX_SAFE_INTEGER, level: 9, historySize: 32768, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  integers: ['level', 'historySize', 'serverMaxWindowBits', 'clientMaxWindowBits'],
};

const WHERE = 'perMessageDeflateServer():';

function resolveServer(given: PerMessageDeflateServerOptions | undefined): ResolvedServer {
  const checked = checkOptions<Required<Omit<PerMessageDeflateServerOptions, 'serverMaxWindowBits' | 'clientMaxWindowBits'>> & PerMessageDeflateServerOptions>(given, SERVER_OPTIONS, WHERE);
  return {
    threshold: checked.threshold,
    level: checked.level,
    historySize: checked.historySize,
    // No history is no context takeover (§7.1.1.1), so the answer says so.
    serverNoContextTakeover: checked.serverNoContextTakeover || checked.historySize === 0,
    clientNoContextTakeover: checked.clientNoContextTakeover,
    serverMaxWindowBits: checked.serverMaxWindowBits,
    clientMaxWindowBits: checked.clientMaxWindowBits,
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
 * in the server role. Options are validated here (TypeError / RangeError
 * with `WS_ERR_INVALID_OPTION`, see SERVER_OPTIONS).
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
