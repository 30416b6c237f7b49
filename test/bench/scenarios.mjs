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
  // Sending compressed text: CPU per message and the wire ratio (the sink
  // server counts payload bytes), for the implementations that compress.
  for (const size of [1024, 65536])
    rows.push({
      id: `send-deflate-${size}`,
      label: `send deflate text ${SIZES[size]}`,
      server: ['sink', String(size)],
      job: { scenario: 'send', size, deflate: true },
      sendsCompressed: true,
      wire: true,
      warmScale: 2,
    });
  // The longest event-loop stall while 16 MiB compressed messages arrive
  // (every other connection and timer of the process waits that long).
  rows.push({
    id: 'stall-deflate-binary-16MiB',
    label: 'receive deflate binary 16 MiB',
    server: ['firehose', String(16 * 1048576), 'binary', 'deflate'],
    job: { scenario: 'firehose', size: 16 * 1048576, kind: 'binary', deflate: true, eventLoop: true },
    timeScale: 2,
    stall: true,
  });
  rows.push({ id: 'connect', label: `${cfg.connects.toLocaleString('en-US')} sequential connects`, unit: 'conn', server: ['ws'], serverPerTrial: true, job: { scenario: 'connect', connects: cfg.connects, warmConnects: 50 } });
  rows.push({ id: 'memory', label: `idle connections (${cfg.conns.toLocaleString('en-US')} open)`, memory: true, server: ['ws'], serverPerTrial: true, nodeArgs: ['--expose-gc'], job: { scenario: 'memory', conns: cfg.conns } });
  return rows;
}
