/**
 * `lifeline autobahn <fuzzingserver-url>`: runs the Autobahn|Testsuite
 * client cases through the Node transport's driver (`runAutobahn`, which
 * echoes every case with lifeline's `WebSocket`) and prints the summary the
 * server's verdicts add up to. `--json` prints one object with the
 * `compliance` block.
 *
 * Owns: the command's output and exit code. Imports the driver and CLI helpers.
 */
import { performance } from 'node:perf_hooks';
import { runAutobahn, type AutobahnCase, type AutobahnOptions, type AutobahnSummary } from '../transport/node/autobahn.js';
import type { AutobahnArgs } from './args.js';
import { ExitCode } from './exit.js';
import { explain } from './explain.js';
import { Output, formatMs } from './format.js';
import { Progress } from './progress.js';

export interface AutobahnReport {
  compliance: {
    /** "pass" when no case FAILED. */
    rfc6455: 'pass' | 'fail';
    autobahnPassed: number;
    autobahnFailed: number;
    nonStrict: number;
    informational: number;
    unimplemented: number;
    total: number;
  };
  target: string;
  agent: string;
  failedCases: Pick<AutobahnCase, 'case' | 'id' | 'behavior' | 'closeCode'>[];
  durationMs: number;
}

export function compliance(summary: AutobahnSummary, args: AutobahnArgs, durationMs: number): AutobahnReport {
  return {
    compliance: {
      rfc6455: summary.failed === 0 ? 'pass' : 'fail',
      autobahnPassed: summary.passed,
      autobahnFailed: summary.failed,
      nonStrict: summary.nonStrict,
      informational: summary.informational,
      unimplemented: summary.unimplemented,
      total: summary.total,
    },
    target: args.url,
    agent: args.agent,
    failedCases: summary.cases.filter((testCase) => testCase.behavior === 'FAILED' || !['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED'].includes(testCase.behavior)).map((testCase) => ({ case: testCase.case, id: testCase.id, behavior: testCase.behavior, closeCode: testCase.closeCode })),
    durationMs: Math.round(durationMs),
  };
}

export async function runAutobahnCommand(args: AutobahnArgs, out: Output = new Output(args.json)): Promise<number> {
  const progress = new Progress({ quiet: args.json });
  const t0 = performance.now();
  const opts: AutobahnOptions = {
    url: args.url,
    agent: args.agent,
    onProgress: (testCase, done, total) => progress.update(`case ${done}/${total}${testCase.id ? ` (${testCase.id})` : ''} ${testCase.behavior}`),
  };
  if (args.cases !== undefined) opts.cases = args.cases;
  if (!args.deflate) opts.options = { perMessageDeflate: false };
  let summary: AutobahnSummary;
  try {
    progress.start(`running Autobahn cases against ${args.url}`);
    summary = await runAutobahn(opts);
  } catch (err) {
    progress.stop();
    const failure = explain(err, args.url);
    if (out.json) out.document({ compliance: null, target: args.url, agent: args.agent, error: failure });
    else out.error(`autobahn: ${failure.explanation}${failure.code ? ` [${failure.code}]` : ''}`);
    return ExitCode.FAILURE;
  } finally {
    progress.stop();
  }
  const report = compliance(summary, args, performance.now() - t0);
  if (out.json) {
    out.document(report);
  } else {
    const result = report.compliance;
    const line = (label: string, value: string | number) => out.data(`  ${label.padEnd(14)} ${value}`);
    out.data(`autobahn ${args.url} (agent ${args.agent})`);
    line('cases', result.total);
    line('passed', result.autobahnPassed);
    line('non-strict', result.nonStrict);
    line('informational', result.informational);
    line('unimplemented', result.unimplemented);
    line('failed', result.autobahnFailed);
    for (const failedCase of report.failedCases) out.data(`    case ${failedCase.case}${failedCase.id ? ` (${failedCase.id})` : ''}: ${failedCase.behavior}, closed ${failedCase.closeCode}`);
    out.data(`RFC 6455 compliance: ${result.rfc6455} in ${formatMs(report.durationMs)}`);
  }
  return summary.failed === 0 ? ExitCode.OK : ExitCode.FAILURE;
}
