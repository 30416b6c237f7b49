// Child-process plumbing for the benchmark: every child is tracked, has a
// deadline, and is SIGKILLed when the runner exits for any reason.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const children = new Set();

function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

function track(child, timeoutMs, what) {
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });
  const timer = setTimeout(() => {
    stderr += `\n[runner] ${what}: killed after ${timeoutMs} ms`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { exited, stderr: () => stderr };
}

/** Starts a server child; resolves once it listens. */
export async function startServer(args, { timeoutMs = 30 * 60_000 } = {}) {
  const child = fork(here('./server.mjs'), args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  const t = track(child, timeoutMs, `server ${args.join(' ')}`);
  const ready = await new Promise((resolve, reject) => {
    const startTimer = setTimeout(() => reject(new Error(`server ${args.join(' ')} did not start: ${t.stderr()}`)), 30_000);
    child.once('message', (m) => {
      clearTimeout(startTimer);
      resolve(m);
    });
    t.exited.then(({ code }) => reject(new Error(`server exited ${code}: ${t.stderr()}`)));
  });
  /** Sends {cmd} and resolves the answer's field of that name. */
  const ask = (cmd) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (!m || !(cmd in m)) return;
        child.off('message', on);
        resolve(m[cmd]);
      };
      child.on('message', on);
      child.send({ cmd });
    });
  return {
    ...ready,
    url: `ws://127.0.0.1:${ready.port}/`,
    /** The server process's CPU time so far, µs (user + system). */
    cpu() {
      return ask('cpu').then((cpu) => cpu.user + cpu.system);
    },
    /** A sink server's counts for its latest connection (null for other modes). */
    stats() {
      return ask('stats');
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await t.exited;
    },
  };
}

/**
 * Runs one client trial in a fresh process. Resolves {result} or {error}; never
 * rejects, so one broken implementation does not stop the run.
 */
export async function runClient(job, { nodeArgs = [], env = {}, timeoutMs = 120_000, onMark } = {}) {
  const child = fork(here('./client.mjs'), [JSON.stringify({ ...job, hardTimeoutMs: timeoutMs })], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    execArgv: nodeArgs,
    env: { ...process.env, ...env },
  });
  const t = track(child, timeoutMs + 5000, `client ${job.impl} ${job.scenario}`);
  let result;
  child.on('message', (m) => {
    if (m?.result) result = m.result;
    if (m?.mark) onMark?.();
  });
  const { code, signal } = await t.exited;
  if (result) return { result };
  const err = t.stderr().trim().split('\n').slice(-3).join(' | ');
  return { error: `exit ${code ?? signal}: ${err || 'no output'}` };
}

/** Runs `fn(opts)` exported by a benchmark module in its own process. */
export async function runModule(file, exportName, opts, { timeoutMs = 5 * 60_000 } = {}) {
  const child = fork(here('./run-module.mjs'), [file, exportName, JSON.stringify(opts)], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const t = track(child, timeoutMs, `${file} ${exportName}`);
  child.stderr.pipe(process.stderr);
  let value;
  child.on('message', (m) => {
    if (m && 'value' in m) value = m.value;
  });
  const { code, signal } = await t.exited;
  if (code === 0) return { value };
  return { error: `exit ${code ?? signal}: ${t.stderr().trim().split('\n').slice(-3).join(' | ')}` };
}

/**
 * Copies dist/ to build/bench/<name> and points LIFELINE_DIST (inherited by
 * every child) at it, so a rebuild by someone else during a run can neither
 * break trials nor mix two builds. Returns the copy's path.
 */
export async function snapshotDist(root, name = 'lifeline-dist') {
  const to = join(root, 'build/bench', name);
  // rollup writes the browser build, then the CommonJS build, then its ESM wrappers (node.mjs, protocol.mjs): a copy holding all is whole.
  const whole = (d) => ['browser.mjs', 'lifeline.min.js', 'node.mjs', 'protocol.mjs', 'node.cjs', 'protocol.cjs'].every((f) => existsSync(join(d, f)));
  for (let i = 0; i < 90; i++) {
    rmSync(to, { recursive: true, force: true });
    try {
      if (whole(join(root, 'dist'))) cpSync(join(root, 'dist'), to, { recursive: true });
    } catch {}
    if (whole(to)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!whole(to)) console.error('dist/ is incomplete: run npm run build');
  process.env.LIFELINE_DIST = to;
  return to;
}
