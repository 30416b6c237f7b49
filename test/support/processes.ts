/**
 * Child processes the test support starts (Xvfb, WebKitWebDriver and the
 * browser it starts) must not outlive the test process, also when it exits
 * through process.exit() or an uncaught error without stopping them first.
 * Node-only test support.
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

/**
 * Kills `child` (with `group`, its process group) when this process exits;
 * returns a function that forgets it (call it once the child was stopped
 * properly).
 */
export function killOnExit(child: ChildProcess, { group = false } = {}): () => void {
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous: a signal is all that can be sent.
    process.on('exit', () => {
      for (const entry of owned) killNow(entry);
    });
  }
  const entry: Owned = { child, group };
  owned.add(entry);
  return () => {
    owned.delete(entry);
  };
}
