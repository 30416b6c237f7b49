/**
 * Scripted fault schedules (`lifeline serve --chaos drop:every=5s`): each
 * spec names a fault, its parameters, and when to run it.
 *
 *   <fault>[:<key>=<value>[,<key>=<value>...]]
 *   timing keys: every=<duration>  repeat at this interval
 *                after=<duration>  first run after this long (default: every, or 0)
 *                times=<n>         stop after n runs (default: unlimited with every, else 1)
 *   other keys are the fault's own parameters (refuse:status=503,seconds=3)
 *   durations: 5, 1.5, 5s, 500ms, 2m (a bare number is seconds)
 *
 * Owns: parsing and running schedules. Imports the fault table only.
 */
import { FaultError, parseSeconds, resolveFault, type Faults } from './faults.js';

/** One parsed schedule entry. */
export interface ChaosSpec {
  /** The spec as given, for messages. */
  text: string;
  fault: string;
  params: Record<string, string>;
  /** Repeat interval in ms; undefined: no repeat. */
  everyMs: number | undefined;
  /** Delay before the first run, ms. */
  afterMs: number;
  /** How many runs at most (Infinity: no limit). */
  times: number;
}

function duration(spec: string, key: string, value: string, min: number): number {
  const seconds = parseSeconds(value);
  if (!Number.isFinite(seconds) || seconds * 1000 < min) throw new FaultError(`--chaos ${spec}: ${key} must be a duration${min > 0 ? ` of at least ${min} ms` : ''} (5, 1.5, 500ms, 2m), got '${value}'`);
  return Math.round(seconds * 1000);
}

/** Parses one `--chaos` value; throws `FaultError` naming what is wrong (an unknown fault, parameter or value). */
export function parseChaos(text: string): ChaosSpec {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const params: Record<string, string> = {};
  let everyMs: number | undefined;
  let afterMs: number | undefined;
  let times: number | undefined;
  for (const part of rest.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultError(`--chaos ${text}: expected key=value, got '${part}'`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'every') everyMs = duration(text, key, value, 100);
    else if (key === 'after') afterMs = duration(text, key, value, 0);
    else if (key === 'times') {
      if (!/^[1-9]\d*$/.test(value)) throw new FaultError(`--chaos ${text}: times must be a positive integer, got '${value}'`);
      times = Number(value);
    } else params[key] = value;
  }
  // Validates the fault and its parameters now, so a typo fails at startup, not minutes later.
  const { spec } = resolveFault(name, params);
  return {
    text,
    fault: spec.name,
    params,
    everyMs,
    afterMs: afterMs ?? everyMs ?? 0,
    times: times ?? (everyMs === undefined ? 1 : Infinity),
  };
}

/**
 * Runs the schedules against `faults` (each run reported through the
 * faults' `onFault`, source `chaos`). Returns a function that stops them.
 * `onError` hears a run that failed (it should not: parameters were checked).
 */
export function startChaos(faults: Faults, specs: readonly ChaosSpec[], onError: (spec: ChaosSpec, error: Error) => void = () => {}): () => void {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const spec of specs) {
    let runs = 0;
    const fire = () => {
      if (stopped) return;
      runs++;
      try {
        faults.run(spec.fault, spec.params, 'chaos');
      } catch (err) {
        onError(spec, err as Error);
      }
      if (spec.everyMs !== undefined && runs < spec.times) schedule(spec.everyMs);
    };
    const schedule = (ms: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fire();
      }, ms);
      timers.add(timer);
    };
    schedule(spec.afterMs);
  }
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
}
