// Table formatting for the benchmark runner (markdown, so the output can be
// pasted into the README as is).

import { LEVEL } from './stats.mjs';

const num = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** A row's label, with the wire ratio of its stream (receive rows) or of each sender (send rows). */
function labelOf(r, names) {
  let label = r.label;
  if (r.compressionRatio) label += ` (wire ${(r.compressionRatio * 100).toFixed(0)}%)`;
  if (r.wire) {
    const wire = names.filter((n) => r.summary[n]?.wireRatio != null).map((n) => `${n} ${pct(r.summary[n].wireRatio)}`);
    if (wire.length) label += ` (wire: ${wire.join(', ')})`;
  }
  if (r.unit === 'conn') label += ' [per connect]';
  return label;
}

/** "1.58x [1.41–1.70]": the median paired ratio and its interval. */
function ratioCell(c) {
  if (!c || c.ratio == null) return 'n/a';
  const i = c.interval;
  return i && c.n > 1 ? `${c.ratio.toFixed(2)}x [${i.low.toFixed(2)}–${i.high.toFixed(2)}]` : `${c.ratio.toFixed(2)}x`;
}

/**
 * Three tables: msg/s per implementation, CPU per message per
 * implementation (medians), and lifeline against the row's best peer.
 */
export function fmtRows(results, names, rounds) {
  const out = [];
  const table = (title, head, cells) => {
    out.push(title, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
    for (const r of results) out.push(`| ${[labelOf(r, names), ...cells(r)].join(' | ')} |`);
    out.push('');
  };
  const value = (r, n, key) => {
    const s = r.summary[n];
    if (!s) return '—';
    if (s.error) return 'failed';
    return num(s[key]);
  };
  table(`### Messages per second (median of ${rounds} rounds)`, ['scenario', ...names, 'server CPU'], (r) => {
    const busy = names.map((n) => r.summary[n]?.serverBusy).filter((x) => x != null);
    return [...names.map((n) => value(r, n, 'rate')), busy.length ? `${Math.round(Math.max(...busy) * 100)}%` : ''];
  });
  table(`### Client CPU per message, µs (median of ${rounds} rounds)`, ['scenario', ...names], (r) => names.map((n) => value(r, n, 'cpuPerMsg')));
  const coverage = results.map((r) => r.versus?.best?.rate.interval?.coverage).find((c) => c != null);
  table(
    `### lifeline against the best peer of each row (paired rounds)`,
    ['scenario', 'best msg/s', 'lifeline / best, msg/s', 'best CPU', 'lifeline / best, CPU', 'standing'],
    (r) => {
      const b = r.versus?.best;
      if (!b) return ['n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      return [b.rate.peer, ratioCell(b.rate), b.cpu.peer, ratioCell(b.cpu), b.standing];
    },
  );
  out.push(
    'Ratios are lifeline / peer per round (the implementations alternate within a round), their median, and in brackets',
    `an interval for that median with ${coverage != null ? pct(coverage).replace('.0%', '%') : `>= ${LEVEL * 100}%`} coverage (the sign test's: the k-th smallest and largest`,
    'ratio, whatever their distribution). msg/s above 1 and CPU below 1 favour lifeline; a metric is ahead or behind only',
    'when its whole interval is, else level. Standing: behind if either metric is behind, ahead if one is ahead and the',
    'other not behind. "best" is the peer with the best median on that metric in the row. CPU is the client process only',
    '(user + system, all threads, so zlib\'s thread pool counts); "server CPU" is the server process over the measured window',
    '(near 100%: the row measures the server). Echo rows go through a ws server; receive rows read pre-built frames from',
    'a raw server; send rows write to a raw sink that inflates and counts (wire = payload bytes on the wire / plain bytes).',
  );
  const failed = results.flatMap((r) => Object.entries(r.summary).filter(([, v]) => v.error || v.errors).map(([n, v]) => `${r.id} ${n}: ${v.error ?? `${v.errors} failed trial(s): ${v.firstError}`}`));
  if (failed.length) out.push('', ...failed.map((f) => `- ${f}`));
  return out.join('\n');
}

/** The event-loop rows: the longest stall per implementation (median of the trials' longest, and the worst). */
export function fmtStalls(results, names) {
  const head = ['scenario', ...names.map((n) => `${n} longest stall, ms (worst)`)];
  const lines = ['### Event loop: the longest stall while receiving', '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of results) {
    const cells = names.map((n) => {
      const s = r.summary[n];
      if (!s) return '—';
      if (s.error) return 'failed';
      return `${s.stallMaxMs.toFixed(1)} (${s.stallWorstMs.toFixed(1)})`;
    });
    lines.push(`| ${[r.label, ...cells].join(' | ')} |`);
  }
  lines.push('', 'How late a 5 ms timer fired at worst during the measured window (perf_hooks.monitorEventLoopDelay): every other');
  lines.push('connection and timer in the process waits that long.');
  return lines.join('\n');
}

export function fmtMemory(results, names) {
  const head = ['bytes per connection', ...names, 'lifeline / lowest peer', 'standing'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of results) {
    for (const [k, label] of [['heapPerConn', 'JS heap'], ['externalPerConn', 'external (Buffers)'], ['rssPerConn', 'RSS']]) {
      const get = (n) => (r.summary[n] && !r.summary[n].error ? r.summary[n][k] : null);
      // Paired ratios per round against the peer with the lowest median (run.mjs, compareMemory); none where that peer's bytes are noise.
      const versus = r.versus?.[k];
      const cells = [
        `${label}, ${r.label}`,
        ...names.map((n) => (r.summary[n]?.error ? 'failed' : Math.round(get(n)).toLocaleString('en-US'))),
        versus ? `${ratioCell(versus)} vs ${versus.peer}` : 'n/a',
        versus?.verdict ?? 'n/a',
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    for (const [n, v] of Object.entries(r.summary)) if (v.error) lines.push(`- ${n}: ${v.error}`);
  }
  return lines.join('\n');
}

/** Renders whatever a module benchmark returned: rows of objects as tables (one per set of keys). */
export function fmtGeneric(value) {
  const rows = Array.isArray(value) ? value : Array.isArray(value?.rows) ? value.rows : null;
  if (rows && rows.length && rows.every((r) => r && typeof r === 'object')) {
    const cell = (v) => (typeof v === 'number' ? num(v) : v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    const groups = new Map();
    for (const r of rows) {
      const keys = Object.keys(r).filter((k) => r[k] !== undefined && r[k] !== null);
      const sig = keys.join(',');
      if (!groups.has(sig)) groups.set(sig, { keys, rows: [] });
      groups.get(sig).rows.push(r);
    }
    return [...groups.values()]
      .map((g) => [`| ${g.keys.join(' | ')} |`, `|${g.keys.map(() => '---').join('|')}|`, ...g.rows.map((r) => `| ${g.keys.map((k) => cell(r[k])).join(' | ')} |`)].join('\n'))
      .join('\n\n');
  }
  if (value == null) return '(printed its own output above)';
  return '```\n' + JSON.stringify(value, null, 2) + '\n```';
}
