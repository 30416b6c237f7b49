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
/**
 * min+gzip budgets. The resilient client as a bundler user ships it (only
 * `connect` imported, the rest tree-shaken) must stay within 4 KiB. The
 * whole browser entry (what the `<script>` IIFE carries) also holds the error
 * classes and the `ErrorCodes` table, exported on both entries so isomorphic
 * code can test `err.code === ErrorCodes.X` and `instanceof` (about 620 B of
 * gzip, mostly the 46 code names): it gets 4.75 KiB.
 */
export const GZIP_BUDGET = 4096;
export const FULL_GZIP_BUDGET = 4864;

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

/** lifeline's browser artifacts, from dist/ (run the build first), each with its gzip `budget`. */
export async function lifelineSizes(dist = join(ROOT, 'dist')) {
  const esm = join(dist, 'browser.mjs');
  const iife = join(dist, 'lifeline.min.js');
  const rows = [];
  if (existsSync(esm)) {
    const entry = join(ROOT, 'build/bench/size-entries/lifeline-connect.mjs');
    mkdirSync(join(ROOT, 'build/bench/size-entries'), { recursive: true });
    writeFileSync(entry, `export { connect } from ${JSON.stringify(esm)};\n`);
    rows.push({ name: 'lifeline (browser ESM, only `connect` imported)', budget: GZIP_BUDGET, ...measure(await bundleMinified(entry)) });
    rows.push({ name: 'lifeline (browser ESM, dist/browser.mjs)', budget: FULL_GZIP_BUDGET, ...measure(await bundleMinified(esm)) });
  } else rows.push({ name: 'lifeline (browser ESM)', error: 'dist/browser.mjs missing: run npm run build' });
  if (existsSync(iife)) rows.push({ name: 'lifeline (IIFE, dist/lifeline.min.js)', budget: FULL_GZIP_BUDGET, ...measure(readFileSync(iife, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '')) });
  else rows.push({ name: 'lifeline (IIFE)', error: 'dist/lifeline.min.js missing: run npm run build' });
  return rows;
}

const COMPETITORS = {
  partysocket: "export * from 'partysocket';\nexport { default } from 'partysocket';\n",
  'reconnecting-websocket': "export { default } from 'reconnecting-websocket';\n",
  sockette: "export { default } from 'sockette';\n",
  'socket.io-client': "export * from 'socket.io-client';\nexport { default } from 'socket.io-client';\n",
};

/** The comparison packages (dev dependencies), whole public entry each. */
export async function competitorSizes() {
  const dir = join(ROOT, 'build/bench/size-entries');
  mkdirSync(dir, { recursive: true });
  const rows = [];
  for (const [name, code] of Object.entries(COMPETITORS)) {
    const version = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    const entry = join(dir, `${name.replace(/[^a-z0-9.-]/gi, '_')}.mjs`);
    writeFileSync(entry, code);
    try {
      rows.push({ name: `${name} ${version}`, ...measure(await bundleMinified(entry)) });
    } catch (e) {
      rows.push({ name: `${name} ${version}`, error: String(e.message ?? e).split('\n')[0] });
    }
  }
  return rows;
}

export function sizeTable(rows) {
  const kib = (n) => `${n.toLocaleString('en-US')} B`;
  const lines = ['| package | min | min+gzip | min+brotli |', '|---|---:|---:|---:|'];
  for (const r of rows) lines.push(r.error ? `| ${r.name} | ${r.error} | | |` : `| ${r.name} | ${kib(r.min)} | ${kib(r.gzip)} | ${kib(r.brotli)} |`);
  return lines.join('\n');
}
