/**
 * Caller-input rules: one home for every check of what an application hands
 * lifeline (subprotocol tokens, request headers, close code and reason,
 * option types and ranges), used alike by `connect()`, the Node `WebSocket`,
 * the protocol core and the CLI. The URL rule lives beside it in ./url.ts.
 *
 * One rule, one error class, one code, whoever asks:
 * - where the WHATWG WebSocket API names an exception, that one (a
 *   `DOMException` named `SyntaxError` for a bad URL, subprotocol or close
 *   reason, `InvalidAccessError` for a close code, `InvalidStateError` for
 *   a send before open), so code written for browsers keeps working;
 * - otherwise the built-in class a JavaScript API would throw: `TypeError`
 *   for a wrong type, an unknown option or a bad header, `RangeError` for a
 *   number out of range.
 * Every one carries a stable `code` (`WS_ERR_*`, README "Error codes") and a
 * message that says what was expected and what came.
 *
 * Owns: the token pattern, the header rules, the close rules an application
 * must follow, the control payload limit, option specs and their checker,
 * `utf8Length`, `TIMER_MAX`.
 * Imports only ./errors.ts: the browser bundle carries this module.
 */
import { ErrorCodes, type ErrorCode } from './errors.js';

/** The largest delay a timer honours (2^31 - 1 ms, about 24.8 days); `setTimeout` fires at once for anything larger. */
export const TIMER_MAX = 2 ** 31 - 1;

/** An RFC 7230 §3.2.6 token: the syntax of subprotocol names (RFC 6455 §4.1), header names and extension names. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What a caller error is thrown as; see the module header. */
export type InputErrorKind = 'SyntaxError' | 'InvalidAccessError' | 'InvalidStateError' | 'TypeError' | 'RangeError';

/** A caller error with a stable `code` (see the module header for which class each rule throws). */
export type InputError = Error & { readonly code: ErrorCode };

/** Builds the error a rule throws: a DOMException for the WHATWG names, else the built-in class; `code` is an own property either way. */
export function inputError(kind: InputErrorKind, code: ErrorCode, message: string): InputError {
  const error =
    kind === 'TypeError' ? new TypeError(message) : kind === 'RangeError' ? new RangeError(message) : new DOMException(message, kind);
  // DOMException has a legacy numeric `code` getter on its prototype; an own property shadows it.
  Object.defineProperty(error, 'code', { value: code, enumerable: true });
  return error as InputError;
}

/** A value as it appears in an error message: strings quoted (long ones cut), objects by their type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? value.slice(0, 64) + '…' : value);
  return value === null || typeof value !== 'object' ? String(value) : Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * The error a rule throws, with the one message shape every rule uses:
 * "<subject> must be <expected>, got <what came>".
 */
export function invalid(kind: InputErrorKind, code: ErrorCode, subject: string, expected: string, got: unknown): InputError {
  return inputError(kind, code, `${subject} must be ${expected}, got ${describe(got)}`);
}

const encoder = /* @__PURE__ */ new TextEncoder();
/** Where `utf8Length` encodes (48 KiB, allocated on first use); longer strings go through it in turns. */
let scratch: Uint8Array | undefined;

/**
 * UTF-8 byte length of a string (RFC 3629). A lone surrogate counts 3
 * bytes: encoders send it as U+FFFD. Encoded by the platform's
 * `TextEncoder.encodeInto` (native, with an ASCII fast path) into a reused
 * scratch buffer, as many turns as it takes (`encodeInto` stops before a
 * character that does not fit, never inside a surrogate pair): in Node about
 * 6 µs for 64 KiB of text where a counting loop in JS took about 110 µs, and
 * as fast as that loop at 16 B.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let rest = text; rest !== ''; ) {
    const done = encoder.encodeInto(rest, (scratch ??= new Uint8Array(49152)));
    bytes += done.written;
    rest = rest.slice(done.read);
  }
  return bytes;
}

// --- subprotocols (RFC 6455 §4.1 item 10; WHATWG WebSocket constructor steps 4-5) ---

/**
 * The subprotocols to offer, as a list: each a token, none twice. Accepts a
 * single name or a list (undefined: none). Throws a `SyntaxError`
 * DOMException with `WS_ERR_INVALID_SUBPROTOCOL`.
 */
export function checkProtocols(protocols: unknown): string[] {
  if (protocols === undefined) return [];
  const list: unknown[] = typeof protocols === 'string' ? [protocols] : Array.isArray(protocols) ? [...protocols] : [protocols];
  list.forEach((name, index) => {
    if (typeof name !== 'string' || !TOKEN.test(name) || list.indexOf(name) !== index) {
      throw invalid('SyntaxError', ErrorCodes.INVALID_SUBPROTOCOL, 'a subprotocol', 'a token (RFC 7230), offered once', name);
    }
  });
  return list as string[];
}

// --- close (RFC 6455 §5.5.1, §7.4; WHATWG WebSocket close() steps 1-3) ---

/**
 * WebIDL's `[Clamp] unsigned short` conversion (WebIDL §3.2.4.9
 * ConvertToInt), which WebSocket#close() applies to its code: NaN becomes
 * 0, the value is clamped to 0..65535 and rounded to the nearest integer,
 * half to even. So a browser takes close(1000.5) as close(1000).
 */
function clampUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (Number.isNaN(number)) return 0;
  const clamped = Math.min(Math.max(number, 0), 65535);
  const rounded = Math.round(clamped); // half up; WebIDL wants half to even
  return rounded - clamped === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
}

/**
 * What an application may put in its close frame, after the WebIDL
 * conversions of WebSocket#close() (the code `[Clamp] unsigned short`, the
 * reason to a string): code 1000 or 3000-4999 (else an `InvalidAccessError`
 * DOMException, `WS_ERR_INVALID_CLOSE_CODE`), a reason of at most 123 UTF-8
 * bytes so that code and reason fit a control frame's 125 (else a
 * `SyntaxError` DOMException, `WS_ERR_CLOSE_REASON_TOO_LONG`). Either may
 * be undefined. Returns the converted pair.
 */
export function checkClose(code: unknown, reason: unknown): { code: number | undefined; reason: string | undefined } {
  const number = code === undefined ? undefined : clampUnsignedShort(code);
  if (number !== undefined && number !== 1000 && !(number >= 3000 && number <= 4999)) {
    throw invalid('InvalidAccessError', ErrorCodes.INVALID_CLOSE_CODE, 'a close code', '1000 or 3000-4999', code);
  }
  const text = reason === undefined ? undefined : String(reason);
  if (text !== undefined) checkCloseReason('SyntaxError', text);
  return { code: number, reason: text };
}

/**
 * The close reason rule for either role: at most 123 UTF-8 bytes, so that
 * the 2-byte code and the reason fit a control frame's 125 (RFC 6455
 * §5.5). Throws a `kind` error with `WS_ERR_CLOSE_REASON_TOO_LONG` (a
 * `SyntaxError` DOMException for the browser rules, a `RangeError` for a
 * server).
 */
export function checkCloseReason(kind: InputErrorKind, reason: string): void {
  const bytes = utf8Length(reason);
  if (bytes > 123) throw invalid(kind, ErrorCodes.CLOSE_REASON_TOO_LONG, 'a close reason', 'at most 123 UTF-8 bytes', `${bytes} bytes`);
}

// --- control frames (RFC 6455 §5.5) ---

/**
 * A control frame's payload (ping, pong) as an application gives it: at
 * most 125 bytes (RFC 6455 §5.5). `subject` names it in the message. Throws
 * a `RangeError` with `WS_ERR_CONTROL_PAYLOAD_TOO_LONG`.
 */
export function checkControlPayload(subject: string, payload: Uint8Array): void {
  if (payload.length > 125) throw invalid('RangeError', ErrorCodes.CONTROL_TOO_LONG, subject, 'at most 125 bytes', `${payload.length} bytes`);
}

/**
 * A ping's payload as the application gives it to `ping()` (the resilient
 * client's and the Node WebSocket's alike), as bytes: text as UTF-8, a view
 * as the bytes it spans; undefined stays undefined (the caller picks its
 * default). Anything else is a `TypeError` with `WS_ERR_INVALID_DATA` (it
 * would otherwise go out as whatever `new Uint8Array(x)` makes of it: 5 zero
 * bytes for `5`, none for an object); over 125 bytes see `checkControlPayload`.
 */
export function checkPingPayload(data: unknown): Uint8Array | undefined {
  if (data === undefined) return undefined;
  let payload: Uint8Array;
  if (typeof data === 'string') payload = encoder.encode(data);
  else if (data instanceof Uint8Array) payload = data;
  else if (ArrayBuffer.isView(data)) payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) payload = new Uint8Array(data);
  else throw invalid('TypeError', ErrorCodes.INVALID_DATA, 'a ping payload', 'a string, an ArrayBuffer or a view of one (Uint8Array, Buffer, DataView)', data);
  checkControlPayload('a ping payload', payload);
  return payload;
}

// --- request headers (RFC 7230 §3.2; WHATWG Fetch: header values are ByteStrings) ---

/**
 * Headers the opening handshake owns (RFC 6455 §4.1 items 4-10) or that
 * would change how the request is framed: a caller header with one of these
 * names would make the upgrade ambiguous, so it is refused.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
  'content-length',
  'transfer-encoding',
]);

// HTAB, SP, VCHAR and obs-text: a Latin-1 ByteString without CR, LF, NUL or other controls.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Throws a `TypeError` (`WS_ERR_INVALID_HEADER`) unless `value` may go on the wire as the value of header `name`. */
export function checkHeaderValue(name: string, value: unknown): void {
  if (typeof value !== 'string') throw inputError('TypeError', ErrorCodes.INVALID_HEADER, `header ${name} must have a string value, got ${describe(value)}`);
  if (!HEADER_VALUE.test(value)) {
    throw inputError(
      'TypeError',
      ErrorCodes.INVALID_HEADER,
      `header ${name} must be Latin-1 text without CR, LF, NUL or other control characters (a ByteString), got ${describe(value)}`,
    );
  }
}

/**
 * RFC 9110 §7.2: `Host = uri-host [ ":" port ]`, uri-host per RFC 3986
 * §3.2.2: an IP literal in brackets, or a reg-name (unreserved characters,
 * percent-encodings and sub-delims, which covers IPv4 and DNS names); the
 * port, when present, is decimal.
 */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::([0-9]{1,5}))?$/;

/**
 * The value of a `Host` request header given to override the URL's (a
 * caller's explicit choice, e.g. a virtual host behind a fixed address).
 * Throws a `TypeError` (`WS_ERR_INVALID_HEADER`) unless it is `host[:port]`
 * with a port up to 65535.
 */
export function checkHostHeader(value: unknown): string {
  checkHeaderValue('Host', value);
  const match = HOST_VALUE.exec(value as string);
  if (match === null || (match[1] !== undefined && Number(match[1]) > 65535)) {
    throw invalid('TypeError', ErrorCodes.INVALID_HEADER, 'header Host', 'host[:port] (RFC 9110 §7.2)', value);
  }
  return value as string;
}

/**
 * Request headers as name/value pairs, checked: names are tokens and not
 * reserved (see RESERVED_HEADERS; `allow` lifts the ban for names the caller
 * set through a dedicated option), values are ByteStrings. Accepts a plain
 * object or an iterable of pairs; undefined is none. Throws a `TypeError`
 * with `WS_ERR_INVALID_HEADER`.
 */
export function checkHeaders(
  headers: unknown,
  allow: (lowerName: string) => boolean = () => false,
): [name: string, value: string][] {
  if (headers === undefined || headers === null) return [];
  if (typeof headers !== 'object') throw inputError('TypeError', ErrorCodes.INVALID_HEADER, `headers must be an object of name: value, got ${describe(headers)}`);
  const pairs = Symbol.iterator in headers ? [...(headers as Iterable<[unknown, unknown]>)] : Object.entries(headers);
  return pairs.map(([name, value]) => {
    if (typeof name !== 'string' || !TOKEN.test(name)) {
      throw inputError('TypeError', ErrorCodes.INVALID_HEADER, `header name must be a token (RFC 7230 §3.2.6), got ${describe(name)}`);
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) && !allow(lower)) {
      throw inputError('TypeError', ErrorCodes.INVALID_HEADER, `header ${name} is set by the WebSocket handshake and cannot be given`);
    }
    checkHeaderValue(name, value);
    return [name, value as string];
  });
}

// --- options ---

/**
 * The options an API takes, described by their defaults: an option's type
 * is its default's type (`types` gives it for options without a default:
 * a `typeof` name, several joined by `|` (`'boolean|number'`), or 'any'
 * when another rule checks it). Every number is from 0 (or its `least`) to
 * TIMER_MAX (or its `most`), a whole number where `integers` says;
 * Infinity only where `unbounded` says; `choices` lists the allowed values.
 */
export interface OptionSpec {
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly types?: Readonly<Record<string, string>>;
  readonly least?: Readonly<Record<string, number>>;
  readonly most?: Readonly<Record<string, number>>;
  readonly integers?: readonly string[];
  readonly unbounded?: readonly string[];
  readonly choices?: Readonly<Record<string, readonly (string | number)[]>>;
}

/** "a number", "an object", "a boolean or an object": what a `types` entry reads as in a message. */
function typeNames(type: string): string {
  return type
    .split('|')
    .map((one) => `${/^[aeiou]/.test(one) ? 'an' : 'a'} ${one}`)
    .join(' or ');
}

/** Whether `value` is of `type` (see OptionSpec): typeof null and of an array is 'object' too, but neither is an options object. */
function isOfType(value: unknown, type: string): boolean {
  return type === 'any' || type.split('|').some((one) => typeof value === one && !(one === 'object' && (value === null || Array.isArray(value))));
}

/**
 * Checks `given` against `spec` and returns it over the defaults (undefined
 * counts as absent). An unknown key (a typo such as `maxRetries`) or a
 * value of the wrong type throws a `TypeError`, a value out of range a
 * `RangeError`, both with `WS_ERR_INVALID_OPTION` and a message naming
 * `where`, the option, what it must be and what came. `path` names an
 * options object nested in another one (`'perMessageDeflate'`): its
 * options then read as `option perMessageDeflate.level`.
 */
export function checkOptions<T>(given: unknown, spec: OptionSpec, where: string, path?: string): T {
  const fail = (kind: 'TypeError' | 'RangeError', subject: string, expected: string, got: unknown) =>
    invalid(kind, ErrorCodes.INVALID_OPTION, `${where} ${subject}`, expected, got);
  const option = (name: string) => `option ${path === undefined ? '' : `${path}.`}${name}`;
  if (given === undefined) given = {};
  if (!isOfType(given, 'object')) throw fail('TypeError', path === undefined ? 'options' : `option ${path}`, 'an object', given);
  const { defaults, types = {} } = spec;
  const result: Record<string, unknown> = { ...defaults };
  for (const [name, value] of Object.entries(given as object)) {
    const type = name in defaults ? typeof defaults[name] : types[name];
    if (type === undefined) {
      const names = [...Object.keys(defaults), ...Object.keys(types)].join(', ');
      throw fail('TypeError', path === undefined ? 'option names' : `option names in ${path}`, `among ${names}`, name);
    }
    if (value === undefined) continue;
    if (!isOfType(value, type)) throw fail('TypeError', option(name), typeNames(type), value);
    const choices = spec.choices?.[name];
    if (choices && !choices.includes(value as string | number)) throw fail('RangeError', option(name), `one of ${choices.map(describe).join(', ')}`, value);
    if (typeof value === 'number') {
      const least = spec.least?.[name] ?? 0;
      const most = spec.most?.[name] ?? TIMER_MAX;
      const unbounded = spec.unbounded?.includes(name) === true;
      const integer = spec.integers?.includes(name) === true;
      const inRange = value >= least && (value <= most || (unbounded && value === Infinity));
      if (!inRange || (integer && !Number.isInteger(value))) {
        throw fail('RangeError', option(name), `${integer ? 'an integer ' : ''}from ${least} to ${most}${unbounded ? ' or Infinity' : ''}`, value);
      }
    }
    result[name] = value;
  }
  return result as T;
}

/** Throws a `RangeError` (`WS_ERR_INVALID_OPTION`) when option `low` is above option `high`, e.g. "minDelay (50000) must not exceed maxDelay (30000)". */
export function checkOrder(where: string, options: object, low: string, high: string): void {
  const values = options as Readonly<Record<string, number>>;
  if (values[low]! > values[high]!) {
    throw inputError('RangeError', ErrorCodes.INVALID_OPTION, `${where} ${low} (${values[low]}) must not exceed ${high} (${values[high]})`);
  }
}
