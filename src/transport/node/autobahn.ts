/**
 * Autobahn|Testsuite client driver: runs the fuzzingserver's cases against
 * lifeline's Node WebSocket, following the standard procedure
 * (https://github.com/crossbario/autobahn-testsuite): `getCaseCount`, then
 * for each case `runCase?case=N&agent=A` echoing every message back with the
 * same type, `getCaseInfo` / `getCaseStatus` for the verdict, and finally
 * `updateReports?agent=A` so the server writes its HTML/JSON reports.
 *
 * Run a fuzzingserver with docker (not available in this repo's CI):
 *   docker run -it --rm -p 9001:9001 -v "$PWD/autobahn:/config" \
 *     -v "$PWD/autobahn/reports:/reports" crossbario/autobahn-testsuite \
 *     wstest -m fuzzingserver -s /config/fuzzingserver.json
 * then `npm run autobahn -- --url ws://127.0.0.1:9001`.
 *
 * Owns: the driver. Imports only the Node WebSocket class.
 */
import { WebSocket, type WebSocketOptions } from './websocket.js';

/** One case's verdict as the fuzzingserver reports it. */
export interface AutobahnCase {
  /** 1-based case number. */
  case: number;
  /** Case id such as "1.1.1" ('' when getCaseInfo is unavailable). */
  id: string;
  /** OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED or FAILED (also FAILED when the status could not be read). */
  behavior: string;
  /** How the connection ended on our side. */
  closeCode: number;
  durationMs: number;
}

export interface AutobahnSummary {
  total: number;
  passed: number;
  failed: number;
  nonStrict: number;
  informational: number;
  unimplemented: number;
  cases: AutobahnCase[];
}

export interface AutobahnOptions {
  /** Fuzzingserver base URL, e.g. ws://127.0.0.1:9001. */
  url: string;
  /** Agent name in the reports. Default 'lifeline'. */
  agent?: string;
  /** Case numbers to run (1-based). Default: all. */
  cases?: readonly number[];
  /** Called after each case. */
  onProgress?: (result: AutobahnCase, done: number, total: number) => void;
  /** WebSocket options for the case connections (e.g. `perMessageDeflate`). Default: lifeline's defaults. */
  options?: WebSocketOptions;
  /**
   * Per-case time limit in ms, a safety net only: the fuzzingserver closes a
   * case itself after its own limit (up to 480 s for 9.7.x and 12.x/13.x), so
   * ours must be longer or a slow but passing case would be dropped by us and
   * judged FAILED. Default 600,000.
   */
  caseTimeout?: number;
}

/** Above the fuzzingserver's longest case limit (480 s). */
const DEFAULT_CASE_TIMEOUT = 600_000;

function endpoint(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** Opens `url`, returns the first text message (if any) once the server closes. */
function fetchText(url: string, options?: WebSocketOptions, timeoutMs = 30_000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [], { perMessageDeflate: false, ...options });
    let text: string | undefined;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`No answer from ${url}`));
    }, timeoutMs);
    ws.onmessage = (event: { data: unknown }) => {
      if (text === undefined && typeof event.data === 'string') text = event.data;
    };
    ws.onclose = (event: { code: number }) => {
      clearTimeout(timer);
      if (text === undefined && event.code === 1006) reject(new Error(`Could not reach ${url}`));
      else resolve(text);
    };
  });
}

/**
 * Runs one case: echo every message with the same type (text as text,
 * binary as binary, fragmented messages reassembled) until the server
 * closes; resolves with the close code (the server's, or the one our close
 * frame carried when we failed the connection). Exported for the case replay tests.
 */
export function runCase(url: string, options: WebSocketOptions | undefined, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [], options ?? {});
    ws.binaryType = 'nodebuffer';
    const timer = setTimeout(() => ws.terminate(), timeoutMs);
    ws.onmessage = (event) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(event.data);
    };
    // When we fail the connection the close event says 1006 (no close frame
    // read after ours); the case's code is the one our close frame carried.
    let failedWith: number | undefined;
    ws.onerror = (event) => {
      failedWith = (event.error as { closeCode?: number } | undefined)?.closeCode;
    };
    ws.onclose = (event: { code: number }) => {
      clearTimeout(timer);
      resolve(failedWith ?? event.code);
    };
  });
}

/**
 * Runs the fuzzingserver cases and returns the verdicts. Throws if the
 * server cannot be reached; a case that misbehaves is a verdict, not a throw.
 */
export async function runAutobahn(opts: AutobahnOptions): Promise<AutobahnSummary> {
  const agent = opts.agent ?? 'lifeline';
  const encodedAgent = encodeURIComponent(agent);
  const countText = await fetchText(endpoint(opts.url, '/getCaseCount'));
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 0) throw new Error(`Unexpected getCaseCount answer: ${String(countText)}`);
  const numbers = (opts.cases ?? Array.from({ length: count }, (_, index) => index + 1)).filter((caseNumber) => caseNumber >= 1 && caseNumber <= count);
  const summary: AutobahnSummary = { total: numbers.length, passed: 0, failed: 0, nonStrict: 0, informational: 0, unimplemented: 0, cases: [] };
  for (const caseNumber of numbers) {
    let id = '';
    let behavior = 'FAILED';
    // The case id, for the report (every case runs with the caller's options: 13.x needs no
    // special offer since lifeline offers client_max_window_bits by default).
    try {
      const info = await fetchText(endpoint(opts.url, `/getCaseInfo?case=${caseNumber}`));
      if (info !== undefined) id = String((JSON.parse(info) as { id?: unknown }).id ?? '');
    } catch {
      // getCaseInfo is informative only.
    }
    const t0 = performance.now();
    const closeCode = await runCase(endpoint(opts.url, `/runCase?case=${caseNumber}&agent=${encodedAgent}`), opts.options, opts.caseTimeout ?? DEFAULT_CASE_TIMEOUT);
    const durationMs = performance.now() - t0;
    try {
      const status = await fetchText(endpoint(opts.url, `/getCaseStatus?case=${caseNumber}&agent=${encodedAgent}`));
      if (status !== undefined) behavior = String((JSON.parse(status) as { behavior?: unknown }).behavior ?? 'FAILED');
    } catch {
      behavior = 'FAILED';
    }
    switch (behavior) {
      case 'OK':
        summary.passed++;
        break;
      case 'NON-STRICT':
        summary.nonStrict++;
        break;
      case 'INFORMATIONAL':
        summary.informational++;
        break;
      case 'UNIMPLEMENTED':
        summary.unimplemented++;
        break;
      default:
        summary.failed++;
    }
    const result: AutobahnCase = { case: caseNumber, id, behavior, closeCode, durationMs };
    summary.cases.push(result);
    opts.onProgress?.(result, summary.cases.length, numbers.length);
  }
  await fetchText(endpoint(opts.url, `/updateReports?agent=${encodedAgent}`), undefined, 120_000);
  return summary;
}
