// Statistics for the benchmark: medians, paired ratios and a distribution-free
// interval for their median, and the verdict a row gets from that interval.
//
// Why paired ratios: on a shared machine the load changes from one second to
// the next, and it slows every implementation that runs then. The runner
// alternates implementations within a round, so the ratio of two trials of
// the same round cancels most of that drift; the spread of those ratios
// over the rounds is the noise that remains.
//
// Why an order-statistic interval: a load spike makes one trial very slow,
// which a mean and a t-interval take at face value. For n independent paired
// ratios, the k-th smallest and the k-th largest enclose their median with
// probability 1 - 2·P(Binomial(n, 1/2) < k), whatever their distribution
// (the sign test's interval). We take the narrowest such pair that still
// covers with at least LEVEL, and say which coverage it has.
// Imports nothing.

/** Memory per connection below this many bytes is noise or nothing allocated: no ratio is taken against it. */
export const MEMORY_FLOOR = 64;

/** The coverage the intervals aim for. */
export const LEVEL = 0.9;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** P(Binomial(n, 1/2) <= k). */
function binomialCdf(k, n) {
  let term = 0.5 ** n;
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/**
 * The interval around the median of `values`: `{ low, high, coverage }`,
 * with `coverage` the probability that it holds the true median (for fewer
 * than 5 values the min-max range, whose coverage is below LEVEL). Null for
 * no values.
 */
export function medianInterval(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  if (n === 1) return { low: s[0], high: s[0], coverage: 0 };
  let best = { low: s[0], high: s[n - 1], coverage: 1 - 2 * binomialCdf(0, n) };
  for (let k = 2; k <= n / 2; k++) {
    const coverage = 1 - 2 * binomialCdf(k - 1, n);
    if (coverage < LEVEL) break;
    best = { low: s[k - 1], high: s[n - k], coverage };
  }
  return best;
}

/**
 * Paired ratios a/b over the rounds both have a value for. `a` and `b` are
 * arrays of `{ round, value }`.
 */
export function pairedRatios(a, b) {
  const byRound = new Map(b.map((t) => [t.round, t.value]));
  const out = [];
  for (const t of a) {
    const other = byRound.get(t.round);
    if (other !== undefined && other > 0 && t.value > 0) out.push(t.value / other);
  }
  return out;
}

/**
 * A ratio's verdict from its interval. `higherIsBetter`: true for msg/s
 * (lifeline/peer > 1 is good), false for CPU per message.
 * 'ahead' | 'behind' | 'level' (the interval holds 1.0).
 */
export function verdict(interval, higherIsBetter) {
  if (!interval) return 'n/a';
  if (interval.low > 1) return higherIsBetter ? 'ahead' : 'behind';
  if (interval.high < 1) return higherIsBetter ? 'behind' : 'ahead';
  return 'level';
}

/** Both metrics' verdicts in one word: any 'behind' is behind; 'ahead' needs the other metric not behind. */
export function standing(rateVerdict, cpuVerdict) {
  const both = [rateVerdict, cpuVerdict].filter((v) => v !== 'n/a');
  if (both.length === 0) return 'n/a';
  if (both.includes('behind')) return both.includes('ahead') ? 'mixed' : 'behind';
  if (both.includes('ahead')) return 'ahead';
  return 'level';
}
