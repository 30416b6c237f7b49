import { describe, it, equal, ok } from '../support/harness.js';
import { backoff } from '../../src/client/backoff.js';
import { prng } from '../support/harness.js';

const O = { minDelay: 1000, maxDelay: 30000, factor: 2 };

describe('backoff (pure)', () => {
  it('full jitter within [0, min(max, min*factor^attempt)) for every attempt', () => {
    const rnd = prng(1);
    for (let a = 0; a < 40; a++) {
      const bound = Math.min(O.maxDelay, O.minDelay * 2 ** a);
      for (let i = 0; i < 200; i++) {
        const d = backoff(a, O, rnd);
        ok(d >= 0 && d < bound, `attempt ${a}: ${d} not in [0, ${bound})`);
      }
    }
    equal(backoff(3, O, () => 0), 0);
    equal(backoff(3, O, () => 0.5), 4000);
    equal(backoff(100, O, () => 0.5), 15000, 'capped (no overflow at large attempts)');
  });

  it('spreads: the first delay is randomised, samples cover the range evenly', () => {
    const rnd = prng(42);
    const xs = Array.from({ length: 2000 }, () => backoff(0, O, rnd));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    ok(mean > 450 && mean < 550, `mean ${mean}`);
    ok(Math.min(...xs) < 20 && Math.max(...xs) > 980, 'reaches both ends');
    const buckets = [0, 0, 0, 0];
    for (const x of xs) buckets[Math.floor(x / 250)]!++;
    for (const b of buckets) ok(b > 400 && b < 600, `bucket ${b} of 2000`);
    ok(new Set(xs).size > 1990, 'no lockstep');
  });

  it('is pure: same attempt, options and random give the same delay', () => {
    const a = prng(9);
    const b = prng(9);
    for (let i = 0; i < 50; i++) equal(backoff(i % 8, O, a), backoff(i % 8, O, b));
  });
});

