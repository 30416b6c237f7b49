/**
 * The retry rules: whether an attempt or connection that ended without our
 * asking is retried, and after how long.
 *
 * Owns: `defaultShouldReconnect`, `RetryInfo`, `retryDelay` (backoff, plus a
 * delay the server asked for where a platform sees one). Retry-After itself
 * is read by the Node entry's features (src/client/node-features.ts): the
 * browser bundle never carries it, browsers cannot see the response.
 * Imports: transport types and ./backoff.ts.
 */
import type { CloseInfo } from '../transport/types.js';
import { ErrorCodes } from '../protocol/errors.js';
import { backoff, type BackoffOptions } from './backoff.js';

/** What `shouldReconnect` is asked about: the close of an attempt or connection. */
export interface RetryInfo extends CloseInfo {
  /** Failed attempts in a row so far (0 after a connection that stayed open `stableAfter`). */
  attempt: number;
}

/**
 * Close codes after which the same request would fail the same way (RFC
 * 6455 §7.4.1): 1002 protocol error, 1003 unsupported data, 1007 invalid
 * data, 1008 policy violation, 1009 too big, 1010 missing extension.
 */
const PERMANENT_CLOSE_CODES: readonly number[] = [1002, 1003, 1007, 1008, 1009, 1010];

/**
 * Failures the same request meets again: the server redirects wss: to ws:,
 * which the transport refuses, or to a Location that is no WebSocket URL.
 */
const PERMANENT_ERRORS: readonly string[] = [ErrorCodes.REDIRECT_DOWNGRADE, ErrorCodes.REDIRECT_LOCATION];

/**
 * The default retry rules. Not retried:
 * - close codes 1002, 1003, 1007, 1008, 1009, 1010 (see above);
 * - close codes 4400-4499, the application convention for "the client's
 *   request is wrong" (graphql-ws and others mirror HTTP 4xx there);
 * - a refused handshake with a 4xx status other than 408 (timeout) and 429
 *   (too many requests), where the platform can see the status (Node; a
 *   browser reports 1006 with no status), a proxy's 407 included;
 * - a wss: to ws: redirect the transport refused (WS_ERR_HANDSHAKE_DOWNGRADE),
 *   or a redirect to a Location that is no WebSocket URL (WS_ERR_HANDSHAKE_LOCATION).
 * Everything else is retried: network errors, 1001, 1006, 1011-1014, other
 * 4xxx codes, 5xx, timeouts. A close the application asked for never
 * reaches this function.
 */
export function defaultShouldReconnect(info: RetryInfo): boolean {
  if (PERMANENT_CLOSE_CODES.includes(info.code)) return false;
  if (PERMANENT_ERRORS.includes((info.error as { code?: string } | undefined)?.code as string)) return false;
  if (info.code >= 4400 && info.code <= 4499) return false;
  const status = info.status;
  return status === undefined || status < 400 || status > 499 || status === 408 || status === 429;
}

/**
 * The delay before retry number `attempt + 1`: the jittered backoff, but
 * never less than what the server asked for (`serverDelay`, already capped
 * by whoever read it).
 */
export function retryDelay(attempt: number, options: BackoffOptions, random: () => number, serverDelay: number | undefined): number {
  return Math.max(backoff(attempt, options, random), serverDelay ?? 0);
}
