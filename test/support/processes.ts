/**
 * Child processes the test support starts (Xvfb, WebKitWebDriver and the
 * browser it starts) must not outlive the test process, also when it exits
 * through process.exit(), an uncaught error, SIGTERM or SIGHUP without
 * stopping them first. (SIGINT from a terminal reaches them anyway: the
 * runner stops on it and exits.) Node-only test support.
 */
import type { ChildProcess } from 'node:child_process';

interface Owned {
  child: ChildProcess;
  /** Kill the child's whole process group (it was spawned `detached`). */
  group: boolean;
}

const owned = new Set<Owned>();
let hooked = false;

function killNow(entry: Owned): void {
  const pid = entry.child.pid;
  if (pid === undefined || entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  try {
    if (entry.group) process.kill(-pid, 'SIGKILL');
    else entry.child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

function killAll(): void {
  for (const entry of owned) killNow(entry);
}

/**
 * Kills `child` (with `group`, its process group) when this process exits;
 * returns a function that forgets it (call it once the child was stopped
 * properly).
 */
export function killOnExit(child: ChildProcess, { group = false } = {}): () => void {
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous: a signal is all that can be sent.
    process.on('exit', killAll);
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
      const onSignal = () => {
        killAll();
        // Without other listeners, die of the signal as Node would have without ours.
        if (process.listenerCount(signal) === 1) {
          process.removeListener(signal, onSignal);
          process.kill(process.pid, signal);
        }
      };
      process.on(signal, onSignal);
    }
  }
  const entry: Owned = { child, group };
  owned.add(entry);
  return () => {
    owned.delete(entry);
  };
}
