// Table formatting for the benchmark runner (markdown, so the output can be
// pasted into the README as is).

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const num = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a == null || b == null || !b ? 'n/a' : `${(a / b).toFixed(2)}x`);
// Byte deltas near zero (noise, or nothing allocated) make ratios meaningless.
const memRatio = (a, b) => (a == null || b == null || Math.abs(b) < 64 ? 'n/a' : `${(a / b).toFixed(2)}x`);

/** Throughput table: per implementation rate and CPU per message, ratios vs ws. */
export function fmtRows(results, names) {
  const others = names.filter((n) => n !== 'ws');
  const head = ['scenario'];
  for (const n of names) head.push(`${n} msg/s`);
  for (const n of others) head.push(`${n}/ws msg/s`);
  for (const n of names) head.push(`${n} CPU µs/msg`);
  for (const n of others) head.push(`${n}/ws CPU`);
  head.push('spread');
  head.push('server CPU');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of results) {
    const s = r.summary;
    const get = (n, k) => (s[n] && !s[n].error ? s[n][k] : null);
    const cells = [r.label + (r.compressionRatio ? ` (wire ${(r.compressionRatio * 100).toFixed(0)}%)` : '') + (r.unit === 'conn' ? ' [per connect]' : '')];
    for (const n of names) cells.push(s[n]?.error ? 'failed' : num(get(n, 'rate')));
    for (const n of others) cells.push(ratio(get(n, 'rate'), get('ws', 'rate')));
    for (const n of names) cells.push(s[n]?.error ? 'failed' : num(get(n, 'cpuPerMsg')));
    for (const n of others) cells.push(ratio(get(n, 'cpuPerMsg'), get('ws', 'cpuPerMsg')));
    const spreads = names.map((n) => get(n, 'rateSpread')).filter((x) => x != null);
    cells.push(spreads.length ? `±${Math.round((Math.max(...spreads) / 2) * 100)}%` : '');
    const busy = names.map((n) => get(n, 'serverBusy')).filter((x) => x != null);
    cells.push(busy.length ? `${Math.round(Math.max(...busy) * 100)}%` : '');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const failed = results.flatMap((r) => Object.entries(r.summary).filter(([, v]) => v.error || v.errors).map(([n, v]) => `${r.id} ${n}: ${v.error ?? `${v.errors} failed trial(s): ${v.firstError}`}`));
  if (failed.length) lines.push('', ...failed.map((f) => `- ${f}`));
  return lines.join('\n');
}

export function fmtMemory(results, names) {
  const others = names.filter((n) => n !== 'ws');
  const head = ['bytes per connection', ...names, ...others.map((n) => `${n}/ws`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of results) {
    for (const [k, label] of [['heapPerConn', 'JS heap'], ['externalPerConn', 'external (Buffers)'], ['rssPerConn', 'RSS']]) {
      const get = (n) => (r.summary[n] && !r.summary[n].error ? r.summary[n][k] : null);
      const cells = [`${label}, ${r.label}`, ...names.map((n) => (r.summary[n]?.error ? 'failed' : Math.round(get(n)).toLocaleString('en-US'))), ...others.map((n) => memRatio(get(n), get('ws')))];
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
