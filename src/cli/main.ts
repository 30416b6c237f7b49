/**
 * The `lifeline` command (bundled to dist/cli.cjs, which dist/cli.mjs runs;
 * `bin` in package.json). Parses the command line, dispatches to connect / serve /
 * probe / autobahn, and exits with the documented code (see ./exit.ts).
 *
 * Owns: dispatch and top-level error handling. Imports the command modules.
 */
import { parseCommandLine } from './args.js';
import { ExitCode, UsageError } from './exit.js';
import { helpFor } from './help.js';
import { runConnect } from './connect.js';
import { reconnectLink } from './reconnect.js';
import { runProbe } from './probe.js';
import { runAutobahnCommand } from './autobahn.js';
import { runServe } from './serve.js';

export const VERSION = '__LIFELINE_VERSION__';

async function main(argv: readonly string[]): Promise<number> {
  let cmd;
  try {
    cmd = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      const where = err.command ? ` ${err.command}` : '';
      process.stderr.write(`lifeline${where}: ${err.message}\nRun 'lifeline${where} --help' for usage.\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
  switch (cmd.command) {
    case 'help':
      process.stdout.write(helpFor(cmd.topic) + '\n');
      return ExitCode.OK;
    case 'version':
      process.stdout.write(`lifeline ${VERSION}\n`);
      return ExitCode.OK;
    case 'connect':
      return runConnect(cmd, cmd.reconnect ? reconnectLink : undefined);
    case 'probe':
      return runProbe(cmd);
    case 'autobahn':
      return runAutobahnCommand(cmd);
    case 'serve':
      return runServe(cmd);
  }
}

/** Exits once stdout has flushed (pipes may be asynchronous). */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

// A reader that goes away (`lifeline connect ... | head -1`) is a normal end, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.OK);
    throw err;
  });
}

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  // Input the library refused at the call that no flag check saw (an invalid HTTPS_PROXY in the environment): a usage error, one line.
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof Error && typeof code === 'string' && code.startsWith('WS_ERR_INVALID_')) {
    process.stderr.write(`lifeline: ${err.message}\n`);
    return exit(ExitCode.USAGE);
  }
  process.stderr.write(`lifeline: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exit(ExitCode.FAILURE);
});
