/**
 * Runs the built `lifeline` command (dist/cli.mjs, which runs dist/cli.cjs
 * and its chunks) as a child process for the CLI tests. The files are copied once per test process into
 * build/.cli-under-test-<pid>/ so another build wiping dist/ mid-run cannot
 * pull it away; node_modules still resolves from the repo root. Node-only.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/<dir>/ → the repo root (import.meta.dirname is Node >= 20.11; this runs on 18 too).
const root = fileURLToPath(new URL('../../../', import.meta.url));
let copied: string | undefined;

/** Path of this process's copy of dist/cli.mjs (waits up to 30 s for a concurrent build to finish). */
export async function cliPath(): Promise<string> {
  if (copied) return copied;
  const dist = join(root, 'dist');
  const dir = join(root, 'build', `.cli-under-test-${process.pid}`);
  for (let i = 0; ; i++) {
    try {
      if (!existsSync(join(dist, 'cli.mjs'))) throw new Error('dist/cli.mjs missing');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const file of ['cli.mjs', 'cli.cjs']) cpSync(join(dist, file), join(dir, file));
      if (existsSync(join(dist, 'chunks'))) cpSync(join(dist, 'chunks'), join(dir, 'chunks'), { recursive: true });
      break;
    } catch (err) {
      if (i >= 60) throw new Error(`cannot copy the built CLI (run npx tsc -p tsconfig.json && npx rollup -c first): ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  copied = join(dir, 'cli.mjs');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return copied;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Non-empty stdout lines. */
  lines: string[];
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed. Omitted: stdin is closed at once (empty pipe). */
  input?: string;
  /** Kill after this long (ms); default 20,000. */
  timeout?: number;
  env?: Record<string, string>;
}

/** Environment without proxies, so loopback tests never go through a user's proxy. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']) delete env[k];
  return { ...env, ...extra };
}

/** Spawns `node cli.mjs ...args` and resolves when it exits. */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const p = await startCli(args, opts);
  if (opts.input !== undefined) p.child.stdin.end(opts.input);
  else p.child.stdin.end();
  return p.result;
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when `re` matches what the stream has printed so far (rejects after `ms`). */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr', ms?: number): Promise<void>;
  result: Promise<CliResult>;
}

/**
 * Starts the CLI with stdin left open (the test writes and ends it). With
 * `tty: true` it runs under `script(1)`, so the CLI sees a terminal on
 * stdin/stdout/stderr (all three arrive on stdout then).
 */
export async function startCli(args: string[], opts: RunOptions & { tty?: boolean } = {}): Promise<RunningCli> {
  const path = await cliPath();
  const child = opts.tty
    ? spawn('script', ['-qfec', [process.execPath, path, ...args].map(shellQuote).join(' '), '/dev/null'], { env: cleanEnv({ TERM: 'xterm', COLUMNS: '200', ...opts.env }), stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [path, ...args], { env: cleanEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  let closed = false;
  const poke = () => {
    for (const w of waiters.slice()) w();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    text.stdout += d;
    poke();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    text.stderr += d;
    poke();
  });
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 20_000);
  const result = new Promise<CliResult>((res) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      closed = true;
      poke();
      res({ code, signal, stdout: text.stdout, stderr: text.stderr, lines: text.stdout.split('\n').filter((l) => l !== '') });
    }),
  );
  const waitFor = (re: RegExp, stream: 'stdout' | 'stderr' = 'stdout', ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${re} on ${stream}; got:\n${text[stream]}`));
      }, ms);
      const check = () => {
        if (re.test(text[stream])) {
          done();
          resolve();
        } else if (closed) {
          done();
          reject(new Error(`exited (${child.exitCode}) before ${re} on ${stream}; got:\n${text[stream]}`));
        }
      };
      const done = () => {
        clearTimeout(t);
        const i = waiters.indexOf(check);
        if (i >= 0) waiters.splice(i, 1);
      };
      waiters.push(check);
      check();
    });
  return { child, waitFor, result };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Parses every stdout line as JSON (throws naming the line that is not). */
export function jsonLines(r: CliResult): Record<string, any>[] {
  return r.lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, any>;
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${l}\nstderr: ${r.stderr}`);
    }
  });
}
