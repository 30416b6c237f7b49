/**
 * `Sec-WebSocket-Extensions` parsing (RFC 6455 §9.1, RFC 7230 §3.2.6,
 * RFC 7692 §5):
 *
 *   extension-list  = 1#extension   (empty list elements ignored, RFC 7230 §7)
 *   extension       = token *( OWS ";" OWS param )
 *   param           = token [ OWS "=" OWS ( token / quoted-string ) ]
 *
 * A quoted-string value must itself be a token once unescaped (§9.1). A
 * parameter repeated within one element is refused (RFC 7692 §7 makes that
 * a failure for permessage-deflate; no registered extension allows it).
 *
 * Owns: `parseExtensionHeader`, `formatExtensionOffer`. Imports only errors, input (the token rule) and types.
 */
import { ErrorCodes, HandshakeError } from './errors.js';
import { TOKEN } from './input.js';
import type { ExtensionParams } from './types.js';


function fail(value: string, why: string): HandshakeError {
  return new HandshakeError(ErrorCodes.HANDSHAKE_EXTENSION, `Invalid Sec-WebSocket-Extensions ${JSON.stringify(value.slice(0, 200))}: ${why}`);
}

/** Parses a `Sec-WebSocket-Extensions` value; throws HandshakeError `WS_ERR_HANDSHAKE_EXTENSION` when malformed. */
export function parseExtensionHeader(value: string): ExtensionParams[] {
  const out: ExtensionParams[] = [];
  const length = value.length;
  let offset = 0;
  const ows = () => {
    while (offset < length && (value[offset] === ' ' || value[offset] === '\t')) offset++;
  };
  const token = (what: string): string => {
    const start = offset;
    while (offset < length && TOKEN.test(value[offset]!)) offset++;
    if (offset === start) throw fail(value, `expected ${what} at offset ${start}`);
    return value.slice(start, offset);
  };
  // RFC 7230 §7: a recipient MUST accept and ignore empty list elements
  // ("1#element => *( "," OWS ) element *( OWS "," [ OWS element ] )"). They
  // appear when a server sends several Sec-WebSocket-Extensions lines, one of
  // them empty, which §3.2.2 joins with commas. At least one element is required.
  const skipEmpty = () => {
    ows();
    while (offset < length && value[offset] === ',') {
      offset++;
      ows();
    }
  };
  skipEmpty();
  if (offset === length) throw fail(value, 'empty');
  for (;;) {
    ows();
    const name = token('an extension name');
    const params: Record<string, string | true> = Object.create(null) as Record<string, string | true>;
    ows();
    while (offset < length && value[offset] === ';') {
      offset++;
      ows();
      const key = token('a parameter name');
      if (Object.prototype.hasOwnProperty.call(params, key)) throw fail(value, `parameter ${key} repeated`);
      ows();
      let paramValue: string | true = true;
      if (offset < length && value[offset] === '=') {
        offset++;
        ows();
        if (value[offset] === '"') {
          offset++;
          let unquoted = '';
          for (;;) {
            if (offset >= length) throw fail(value, 'unterminated quoted-string');
            const char = value[offset++]!;
            if (char === '"') break;
            if (char === '\\') {
              if (offset >= length) throw fail(value, 'unterminated quoted-string');
              unquoted += value[offset++]!;
            } else unquoted += char;
          }
          if (!TOKEN.test(unquoted)) throw fail(value, `quoted value of ${key} is not a token`);
          paramValue = unquoted;
        } else {
          paramValue = token(`a value for ${key}`);
        }
        ows();
      }
      params[key] = paramValue;
    }
    out.push({ name, params: { ...params } });
    if (offset === length) break;
    if (value[offset] !== ',') throw fail(value, `unexpected ${JSON.stringify(value[offset])} at offset ${offset}`);
    skipEmpty();
    if (offset === length) break;
  }
  return out;
}

/** Formats one offer element: `name; a; b=1`. Values that are not tokens are quoted. */
export function formatExtensionOffer(offer: ExtensionParams): string {
  let element = offer.name;
  for (const [key, value] of Object.entries(offer.params)) element += value === true ? `; ${key}` : `; ${key}=${TOKEN.test(value) ? value : JSON.stringify(value)}`;
  return element;
}
