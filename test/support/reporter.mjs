// A compact reporter for `node --test` (Node 18.20+ and 20): nothing per
// passing test, every failure in full (its path from the file down, the
// error with its cause and stack, and the output the file printed), and the
// counts at the end. test/run.mjs uses it for every `node --test` stage:
//
//   node --test --test-reporter=./test/support/reporter.mjs ...
//
// With LIFELINE_TEST_COUNTS=<file> the counts are also written there as
// JSON ({ passed, failed, files }) for run.mjs's summary. On a terminal a
// single progress line is kept up to date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

const tty = process.stdout.isTTY === true;

/** Per file: names by nesting level (the path to a failure) and finished-children counts (to tell leaves from suites). */
class FileState {
  names = [];
  children = [0];
  output = [];
  failed = false;
}

/** Node 18 names a file's tests by URL and the file itself by path: one name for both. */
function fileName(file) {
  return typeof file === 'string' && file.startsWith('file://') ? fileURLToPath(file) : file;
}

function indent(text, prefix = '    ') {
  return text
    .split('\n')
    .map((line) => (line.length > 0 ? prefix + line : line))
    .join('\n');
}

/** The error a failed test carries: node:test wraps the thrown value in ERR_TEST_FAILURE with the real error as `cause`. */
function describeError(error) {
  if (error === undefined || error === null) return 'failed (no error given)';
  const real = error.code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  return typeof real === 'string' ? real : inspect(real, { depth: 6, colors: false, breakLength: 120 });
}

export default async function* compactReporter(source) {
  const files = new Map();
  const state = (file) => {
    const key = fileName(file) ?? '(no file)';
    let s = files.get(key);
    if (s === undefined) files.set(key, (s = new FileState()));
    return s;
  };
  let passed = 0;
  let failed = 0;
  const progress = () => (tty ? `\r\x1b[K  ${passed} passed, ${failed} failed` : '');

  for await (const event of source) {
    const data = event.data ?? {};
    switch (event.type) {
      case 'test:start': {
        const s = state(data.file);
        s.names[data.nesting] = data.name;
        s.names.length = data.nesting + 1;
        break;
      }
      case 'test:stdout':
      case 'test:stderr':
        // Kept, and shown only when the file has a failure.
        if (typeof data.message === 'string') state(data.file).output.push(data.message);
        break;
      case 'test:pass':
      case 'test:fail': {
        const s = state(data.file);
        const level = data.nesting;
        // A test whose children finished before it is a suite (or a file, on Node 18): not counted itself.
        const leaf = (s.children[level + 1] ?? 0) === 0;
        s.children[level + 1] = 0;
        s.children[level] = (s.children[level] ?? 0) + 1;
        const skipped = data.skip !== undefined || data.todo !== undefined;
        if (event.type === 'test:pass') {
          if (leaf && !skipped) passed++;
          if (tty && leaf) yield progress();
          break;
        }
        const error = data.details?.error;
        // A suite that failed because a test in it failed adds nothing new.
        if (!leaf && error?.failureType === 'subtestsFailed') break;
        if (leaf) failed++;
        s.failed = true;
        const file = fileName(data.file);
        const path = [...s.names.slice(0, level), data.name].filter((name) => name !== undefined && fileName(name) !== file);
        const where = [file, ...path].filter(Boolean).join(' › ');
        const ms = data.details?.duration_ms;
        let text = `${tty ? '\r\x1b[K' : ''}✖ ${where}${ms === undefined ? '' : ` (${Math.round(ms)} ms)`}\n`;
        if (error?.failureType === 'cancelledByParent') text += '    cancelled: its suite failed or the file ended first\n';
        else text += `${indent(describeError(error))}\n`;
        yield text;
        break;
      }
      default:
        break;
    }
  }

  // What the files with failures printed (stderr of a file that crashed, console output of a failing test).
  for (const [file, s] of files) {
    if (!s.failed || s.output.length === 0) continue;
    yield `\n--- output of ${file} ---\n${s.output.join('').trimEnd()}\n`;
  }
  if (tty) yield '\r\x1b[K';
  yield `${passed} passed, ${failed} failed\n`;
  const countsFile = process.env.LIFELINE_TEST_COUNTS;
  if (countsFile) writeFileSync(countsFile, JSON.stringify({ passed, failed, files: files.size }));
}
