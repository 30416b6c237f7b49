/**
 * @web/test-runner output for the multi-engine browser suite:
 * - each test file that fails in an engine is reported in full as soon as
 *   it finishes there (engine, file, suite path > test name, error with
 *   stack and diff, file-level errors, 404s, the page's console output);
 * - console output of passing files is one line per call, prefixed with
 *   engine and file;
 * - at the end one line per engine:
 *   `firefox: 888 passed, 0 failed (15.2 s)`.
 * `PlainLogger` replaces WTR's console-based logger when stdout is not a
 * terminal, so a log file gets plain lines (no progress bars, no cursor
 * escapes). Node-only test support; imports nothing from src/.
 */
import { format } from 'node:util';
import { relative } from 'node:path';
import { formatError } from '@web/test-runner';
import type { ErrorWithLocation, Logger, Reporter, ReporterArgs, TestResultError, TestSession, TestSuiteResult } from '@web/test-runner';

interface EngineTotals {
  passed: number;
  failed: number;
  skipped: number;
  /** Test files that did not run to completion (load error, timeout, browser crash). */
  brokenFiles: number;
  /** When WTR began starting this engine's first test file (includes launching the browser). */
  startedAt: number;
  finishedAt: number;
}

interface FailedTest {
  path: string[];
  error: TestResultError;
}

function countTests(suite: TestSuiteResult | undefined, totals: EngineTotals, path: string[], failures: FailedTest[]): void {
  if (!suite) return;
  for (const test of suite.tests) {
    if (test.skipped) totals.skipped++;
    else if (test.passed) totals.passed++;
    else {
      totals.failed++;
      failures.push({ path: [...path, test.name], error: test.error ?? { message: 'failed without an error' } });
    }
  }
  for (const child of suite.suites) countTests(child, totals, [...path, child.name], failures);
}

const engineOf = (session: TestSession) => session.browser.name.toLowerCase();

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function engineSummaryLine(engine: string, totals: EngineTotals): string {
  const parts = [`${totals.passed} passed`, `${totals.failed} failed`];
  if (totals.skipped > 0) parts.push(`${totals.skipped} skipped`);
  if (totals.brokenFiles > 0) parts.push(plural(totals.brokenFiles, 'test file did not finish', 'test files did not finish'));
  return `${engine}: ${parts.join(', ')} (${((totals.finishedAt - totals.startedAt) / 1000).toFixed(1)} s)`;
}

export function engineReporter(): Reporter {
  let args: ReporterArgs;
  const totals = new Map<string, EngineTotals>();
  const totalsFor = (engine: string, startedAt = Date.now()) => {
    let entry = totals.get(engine);
    if (!entry) {
      entry = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0, startedAt, finishedAt: startedAt };
      totals.set(engine, entry);
    }
    return entry;
  };

  function report(session: TestSession): void {
    const logger = args.config.logger;
    const engine = engineOf(session);
    const file = relative(process.cwd(), session.testFile);
    const entry = totalsFor(engine);
    entry.finishedAt = Date.now();
    const failures: FailedTest[] = [];
    countTests(session.testResults, entry, [], failures);
    const broken = session.errors.length > 0 || !session.testResults;
    if (broken) entry.brokenFiles++;
    const logs = session.logs.filter((logArgs) => logArgs.length > 0);
    if (session.passed && !broken) {
      for (const logArgs of logs) logger.log(`${engine} ${file}: ${format(...logArgs)}`);
      return;
    }
    logger.log(`\n✖ ${engine} ${file}`);
    logger.group();
    for (const error of session.errors) logger.log(`${formatError(error)}\n`);
    for (const failure of failures) {
      logger.log(`✖ ${failure.path.filter((name) => name !== '').join(' > ')}`);
      logger.group();
      logger.log(`${formatError(failure.error)}\n`);
      logger.groupEnd();
    }
    if (session.request404s.length > 0) logger.log(`404s: ${session.request404s.join(', ')}`);
    if (logs.length > 0) {
      logger.log('console output of the page:');
      logger.group();
      for (const logArgs of logs) logger.log(format(...logArgs));
      logger.groupEnd();
    }
    logger.groupEnd();
  }

  return {
    start(startArgs) {
      args = startArgs;
      // The runner starts the first engine's first file before reporters start: that engine began at startTime.
      for (const session of args.sessions.all()) {
        if (!session.debug && session.status !== 'SCHEDULED') totalsFor(engineOf(session), args.startTime);
      }
      args.sessions.on('session-status-updated', (session) => {
        if (session.debug) return;
        if (session.status === 'INITIALIZING') totalsFor(engineOf(session));
        else if (session.status === 'FINISHED') report(session);
      });
    },
    stop() {
      const lines: string[] = [];
      for (const browser of args.browserNames) {
        const entry = totals.get(browser.toLowerCase());
        if (entry) lines.push(engineSummaryLine(browser.toLowerCase(), entry));
      }
      args.config.logger.log(`\n${lines.join('\n')}`);
    },
  };
}

/**
 * WTR's logger interface writing plain lines straight to stdout/stderr,
 * bypassing WTR's console capture (which redraws the progress area with
 * cursor escapes after every console call, even into a file).
 */
export class PlainLogger implements Logger {
  #indent = '';
  /** Read and replaced by WTR's CLI, which prints them with a code frame after a run (as its own logger does). */
  loggedSyntaxErrors = new Map<string, ErrorWithLocation[]>();

  #write(stream: NodeJS.WriteStream, messages: unknown[]): void {
    const lines = format(...messages).split('\n');
    stream.write(`${lines.map((line) => (line === '' ? line : this.#indent + line)).join('\n')}\n`);
  }

  log(...messages: unknown[]): void {
    this.#write(process.stdout, messages);
  }

  debug(): void {}

  error(...messages: unknown[]): void {
    this.#write(process.stderr, messages);
  }

  warn(...messages: unknown[]): void {
    this.#write(process.stderr, messages);
  }

  group(): void {
    this.#indent += '  ';
  }

  groupEnd(): void {
    this.#indent = this.#indent.slice(2);
  }

  logSyntaxError(error: ErrorWithLocation): void {
    const list = this.loggedSyntaxErrors.get(error.filePath) ?? [];
    list.push(error);
    this.loggedSyntaxErrors.set(error.filePath, list);
  }

  clearLoggedSyntaxErrors(): void {
    this.loggedSyntaxErrors = new Map();
  }
}
