/**
 * Leak checks on the process's active resources (`process.getActiveResourcesInfo()`:
 * sockets, servers, timers by kind): take a baseline once earlier tests'
 * sockets have finished closing, run the case, then ask what is left over
 * it. Only kinds that grew count, so a socket of an earlier test that
 * closes meanwhile does not fail the check; one the case leaked does.
 * Event-driven enough for a loaded machine: both waits poll for seconds.
 * Node-only.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process's active resources by kind. */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The active resources once they have not changed for a few turns (what earlier tests closed is gone), at most about 2 s. */
export async function settledResources(): Promise<Record<string, number>> {
  let last = JSON.stringify(resources());
  let steady = 0;
  for (let turn = 0; turn < 100 && steady < 3; turn++) {
    await sleep(20);
    const now = JSON.stringify(resources());
    steady = now === last ? steady + 1 : 0;
    last = now;
  }
  return resources();
}

/**
 * The kinds there are more of than in `baseline`, with how many more,
 * once there are none ({}) or after about 3 s (sockets take a few turns to
 * close on both ends of a loopback connection).
 */
export async function leftOver(baseline: Record<string, number>): Promise<Record<string, number>> {
  let over: Record<string, number> = {};
  for (let turn = 0; turn < 150; turn++) {
    over = {};
    for (const [kind, count] of Object.entries(resources())) {
      const extra = count - (baseline[kind] ?? 0);
      if (extra > 0) over[kind] = extra;
    }
    if (Object.keys(over).length === 0) return over;
    await sleep(20);
  }
  return over;
}
