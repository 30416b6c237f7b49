/**
 * Reconnect delay: capped exponential backoff with full jitter (the delay is
 * drawn uniformly from [0, min(maxDelay, minDelay * factor^attempt))), so the
 * first retry is already randomised and a fleet of clients dropped at once
 * does not return in lockstep. A pure function of its inputs: the random
 * source is injected (tests pass a seeded one).
 *
 * Owns: the delay formula. Imports: nothing.
 */

/** The backoff knobs (see `ConnectOptions` for defaults). */
export interface BackoffOptions {
  /** Upper bound of the first delay, ms. */
  readonly minDelay: number;
  /** Cap of the upper bound, ms. */
  readonly maxDelay: number;
  /** Growth of the upper bound per failed attempt. */
  readonly factor: number;
}

/**
 * Delay in ms before retry number `attempt + 1` (`attempt` = failed attempts
 * so far, 0 for the first retry). `random` returns a number in [0, 1).
 */
export function backoff(attempt: number, options: BackoffOptions, random: () => number): number {
  const bound = Math.min(options.maxDelay, options.minDelay * options.factor ** attempt);
  return random() * bound;
}
