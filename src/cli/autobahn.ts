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

export function compliance(s: AutobahnSummary, args: AutobahnArgs, durationMs: number): AutobahnReport {
  return {
    compliance: {
      rfc6455: s.failed === 0 ? 'pass' : 'fail',
      autobahnPassed: s.passed,
      autobahnFailed: s.failed,
      nonStrict: s.nonStrict,
      informational: s.informational,
      unimplemented: s.unimplemented,
      total: s.total,
    },
    target: args.url,
    agent: args.agent,
    failedCases: s.cases.filter((c) => c.behavior === 'FAILED' || !['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED'].includes(c.behavior)).map((c) => ({ case: c.case, id: c.id, behavior: c.behavior, closeCode: c.closeCode })),
    durationMs: Math.round(durationMs),
  };
}

export async function runAutobahnCommand(args: AutobahnArgs, out: Output = new Output(args.json)): Promise<number> {
  const progress = new Progress({ quiet: args.json });
  const t0 = performance.now();
  const opts: AutobahnOptions = {
    url: args.url,
    agent: args.agent,
    onProgress: (c, done, total) => progress.update(`case ${done}/${total}${c.id ? ` (${c.id})` : ''} ${c.behavior}`),
  };
  if (args.cases !== undefined) opts.cases = args.cases;
  if (!args.deflate) opts.options = { perMessageDeflate: false };
  let summary: AutobahnSummary;
  try {
    progress.start(`running Autobahn cases against ${args.url}`);
    summary = await runAutobahn(opts);
  } catch (err) {
    progress.stop();
    const f = explain(err, args.url);
    if (out.json) out.document({ compliance: null, target: args.url, agent: args.agent, error: f });
    else out.error(`autobahn: ${f.explanation}${f.code ? ` [${f.code}]` : ''}`);
    return ExitCode.FAILURE;
  } finally {
    progress.stop();
  }
  const report = compliance(summary, args, performance.now() - t0);
  if (out.json) {
    out.document(report);
  } else {
    const c = report.compliance;
    const line = (k: string, v: string | number) => out.data(`  ${k.padEnd(14)} ${v}`);
    out.data(`autobahn ${args.url} (agent ${args.agent})`);
    line('cases', c.total);
    line('passed', c.autobahnPassed);
    line('non-strict', c.nonStrict);
    line('informational', c.informational);
    line('unimplemented', c.unimplemented);
    line('failed', c.autobahnFailed);
    for (const f of report.failedCases) out.data(`    case ${f.case}${f.id ? ` (${f.id})` : ''}: ${f.behavior}, closed ${f.closeCode}`);
    out.data(`RFC 6455 compliance: ${c.rfc6455} in ${formatMs(report.durationMs)}`);
  }
  return summary.failed === 0 ? ExitCode.OK : ExitCode.FAILURE;
}
