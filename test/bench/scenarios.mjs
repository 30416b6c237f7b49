// The benchmark's rows: which server each needs and what the client does.
// Shared by run.mjs and profile.mjs.

/** @param {{connects: number, conns: number}} cfg */
export function buildRows(cfg) {
  const SIZES = { 16: '16 B', 1024: '1 KiB', 65536: '64 KiB', 1048576: '1 MiB' };
  const rows = [];
  for (const size of [16, 1024, 65536, 1048576])
    rows.push({
      id: `echo-${size}`,
      label: `echo ${SIZES[size]} (100 in flight)`,
      server: ['ws'],
      job: { scenario: 'echo', size, inflight: 100 },
      // ~20 round trips a second: a longer window keeps the count from being a handful.
      ...(size >= 1048576 ? { timeScale: 4 } : {}),
    });
  for (const deflate of [false, true])
    for (const kind of ['text', 'binary'])
      for (const size of [16, 1024, 65536])
        rows.push({
          id: `firehose${deflate ? '-deflate' : ''}-${kind}-${size}`,
          label: `receive ${deflate ? 'deflate ' : ''}${kind} ${SIZES[size]}`,
          server: ['firehose', String(size), kind, ...(deflate ? ['deflate'] : [])],
          job: { scenario: 'firehose', size, kind, deflate },
          // fflate's inflate loop is large: give the JIT time before measuring.
          ...(deflate && size >= 65536 ? { warmScale: 3 } : {}),
        });
  rows.push({ id: 'connect', label: `${cfg.connects.toLocaleString('en-US')} sequential connects`, unit: 'conn', server: ['ws'], serverPerTrial: true, job: { scenario: 'connect', connects: cfg.connects, warmConnects: 50 } });
  rows.push({ id: 'memory', label: `idle connections (${cfg.conns.toLocaleString('en-US')} open)`, memory: true, server: ['ws'], serverPerTrial: true, nodeArgs: ['--expose-gc'], job: { scenario: 'memory', conns: cfg.conns } });
  return rows;
}
