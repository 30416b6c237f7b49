// Bundle-size measuring shared by test/size.mjs (`npm run size`) and the
// benchmark's size table. Every package is measured the same way: its browser
// entry bundled by rollup with @rollup/plugin-node-resolve (browser: true) and
// minified by @rollup/plugin-terser (the options rollup.config.mjs uses for
// lifeline's IIFE), then gzip -9 and brotli -11 from node:zlib.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants as Z } from 'node:zlib';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Byte sizes of `code`: raw (minified), gzip level 9, brotli quality 11. */
export function measure(code) {
  const buf = Buffer.from(code);
  return {
    min: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: { [Z.BROTLI_PARAM_QUALITY]: 11, [Z.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

/**
 * Bundles and minifies the module at `input` for browsers; returns the code.
 * With `modules`, also fills it with each source module's rendered (pre-
 * minification) length, to see what a bundle is made of.
 */
export async function bundleMinified(input, modules, extraPlugins = []) {
  const bundle = await rollup({
    input,
    plugins: [...extraPlugins, nodeResolve({ browser: true, preferBuiltins: false, rootDir: ROOT })],
    onwarn() {},
  });
  try {
    const { output } = await bundle.generate({
      format: 'es',
      // The IIFE's options in rollup.config.mjs (plugin-terser adds module: true for format es).
      plugins: [terser({ ecma: 2020, compress: { passes: 3 }, format: { comments: false } })],
    });
    if (modules) {
      for (const o of output) {
        if (o.type !== 'chunk') continue;
        for (const [id, m] of Object.entries(o.modules)) modules[id.replace(ROOT, '')] = m.renderedLength;
      }
    }
    return output.map((o) => (o.type === 'chunk' ? o.code : '')).join('');
  } finally {
    await bundle.close();
  }
}

/**
 * What a front-end user pays, per import from the browser build, two ways:
 * esbuild (--bundle --minify, as Vite and most tools do) and rollup + terser
 * (the IIFE's options). Each row bundles only what it names, so tree shaking
 * decides what comes along. Budgets in min+gzip bytes.
 */
// Budgets: each row's esbuild size (the larger of the two routes) when it was
// last set, plus about 100 B, so that growth is a decision, not a drift. Last
// set when the error codes became one constant each (src/protocol/error-codes.ts):
// `import { connect }` through esbuild went from 7,952 to 7,511 B (rollup already
// dropped the unused codes: 7,219 B). That is far above the 3,896 B
// goal; see README "What it costs a page". Since then, the browser transport's
// encoder route for Firefox (2026-12-07) added about 60 B to every row, within
// the budgets. Raised on 2026-12-07 (stop 29) by the fixes of an outside bug
// hunt and its review, about 500 B on `import { connect }` (7,576 -> 8,077 B): reading paused
// only while open (and a part hook for it), queueing before a startClosed
// client's first open(), the coded decode failure (WS_ERR_DECODE_FAILED, its
// message), a redirect Location rule, relative URLs, WebIDL's conversion of
// close codes, the option rule's unions, integers and nested names (for
// perMessageDeflate), the ping payload's type check; heartbeat, messages()
// and shared grew by their own fixes (the heartbeat's pause and wake rules,
// the iterator's prompt return(), the leader's stats post).
export const IMPORTS = [
  // Every row pays about 30 B for the `shared` option (its check, and connect() handing a shared one to its part).
  { name: "import { connect }", names: ['connect'], budget: 8192 },
  { name: "import { connect, heartbeat }", names: ['connect', 'heartbeat'], budget: 8832 },
  { name: "import { connect, messages }", names: ['connect', 'messages'], budget: 8448 },
  { name: "import { connect, heartbeat, messages, json }", names: ['connect', 'heartbeat', 'messages', 'json'], budget: 9120 },
  { name: "import { connect, session }", names: ['connect', 'session'], budget: 10496 },
  { name: "import { connect, session, heartbeat }", names: ['connect', 'session', 'heartbeat'], budget: 11136 },
  // Tab sharing (src/client/shared/: election, channel protocol, outbox, mirroring) is about 4.7 KB of its own. Raised by 128 B
  // (2026-12-07) for a leaving tab's last word that survives a cut pagehide listener, and the leader watch as a module of its own;
  // by 128 B again the same day for a follower going away that passes on what was out with a vanished leader (it was lost),
  // and the stats merge across leaders as a module of its own (12,374 B then).
  { name: "import { connect, shared }", names: ['connect', 'shared'], budget: 13056 },
];

/** esbuild --bundle --minify of `input` (ESM); returns the code. */
export async function bundleEsbuild(input) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ entryPoints: [input], bundle: true, minify: true, format: 'esm', write: false, logLevel: 'silent', platform: 'browser' });
  return result.outputFiles[0].text;
}

/** Sizes of lifeline's browser build, per import row and for the <script> IIFE, from dist/ (run the build first). */
export async function lifelineSizes(dist = join(ROOT, 'dist')) {
  const esm = join(dist, 'browser.mjs');
  const iife = join(dist, 'lifeline.min.js');
  if (!existsSync(esm) || !existsSync(iife)) return [{ name: 'lifeline', error: 'dist/ missing: run npm run build' }];
  const dir = join(ROOT, 'build/bench/size-entries');
  mkdirSync(dir, { recursive: true });
  const rows = [];
  for (const row of IMPORTS) {
    const entry = join(dir, `lifeline-${row.names.join('-')}.mjs`);
    writeFileSync(entry, `export { ${row.names.join(', ')} } from ${JSON.stringify(esm)};\n`);
    rows.push({ name: `${row.name} (esbuild)`, budget: row.budget, ...measure(await bundleEsbuild(entry)) });
    rows.push({ name: `${row.name} (rollup + terser)`, budget: row.budget, ...measure(await bundleMinified(entry)) });
  }
  // Everything includes the reliable session (about 2.5 KB gzip of it, with the seam) and tab sharing (about 4.7 KB). Raised by
  // 128 B (2026-12-07) with the shared row: it was 8 B under its budget after that change; by 128 B again with the shared
  // row's second raise the same day (15,488 B then, the budget exactly).
  rows.push({ name: '<script> dist/lifeline.min.js (everything)', budget: 16256, ...measure(readFileSync(iife, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '')) });
  return rows;
}


/** The comparison packages (dev dependencies), each bundled whole from its public entry. */
const COMPETITORS = {
  partysocket: "export * from 'partysocket';\nexport { default } from 'partysocket';\n",
  'reconnecting-websocket': "export { default } from 'reconnecting-websocket';\n",
  sockette: "export { default } from 'sockette';\n",
  'socket.io-client': "export * from 'socket.io-client';\nexport { default } from 'socket.io-client';\n",
};

/** Sizes of the comparison packages, measured as lifeline's rollup + terser rows are. */
export async function competitorSizes() {
  const dir = join(ROOT, 'build/bench/size-entries');
  mkdirSync(dir, { recursive: true });
  const rows = [];
  for (const [name, code] of Object.entries(COMPETITORS)) {
    const version = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    const entry = join(dir, `${name.replace(/[^a-z0-9.-]/gi, '_')}.mjs`);
    writeFileSync(entry, code);
    try {
      rows.push({ name: `${name} ${version} (rollup + terser)`, ...measure(await bundleMinified(entry)) });
    } catch (e) {
      rows.push({ name: `${name} ${version}`, error: String(e.message ?? e).split('\n')[0] });
    }
  }
  return rows;
}

/** The size rows as a markdown table. */
export function sizeTable(rows) {
  const bytes = (n) => `${n.toLocaleString('en-US')} B`;
  const lines = ['| package | min | min+gzip | min+brotli |', '|---|---:|---:|---:|'];
  for (const r of rows) lines.push(r.error ? `| ${r.name} | ${r.error} | | |` : `| ${r.name} | ${bytes(r.min)} | ${bytes(r.gzip)} | ${bytes(r.brotli)} |`);
  return lines.join('\n');
}
