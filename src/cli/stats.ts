/**
 * Latency statistics for `lifeline probe`: count, min, max, mean and
 * nearest-rank percentiles over a list of samples in ms.
 *
 * Pure functions; imports nothing.
 */

export interface LatencySummary {
  count: number;
  minMs: number;
  maxMs: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Nearest-rank percentile (the smallest sample with at least `percent`% of samples
 * at or below it), so every reported value is a real measurement.
 * `sorted` must be ascending and non-empty; `percent` in (0, 100].
 */
export function percentile(sorted: readonly number[], percent: number): number {
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Summary of `samples`, or null when there are none. Values rounded to µs. */
export function summarize(samples: readonly number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((left, right) => left - right);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  let sum = 0;
  for (const sample of sorted) sum += sample;
  return {
    count: sorted.length,
    minMs: round(sorted[0]!),
    maxMs: round(sorted[sorted.length - 1]!),
    avgMs: round(sum / sorted.length),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
  };
}
