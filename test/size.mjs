// `npm run size` (after the build), also a stage of `npm test`: what a
// front-end user pays for each import of the browser build, through esbuild
// and through rollup + terser (min, min+gzip, min+brotli), against the
// budgets in test/bench/size-lib.mjs; exits non-zero when a row is over.
// `node test/size.mjs --why` also lists what `import { connect }` is made of.
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { lifelineSizes, bundleMinified, ROOT } from './bench/size-lib.mjs';

const rows = await lifelineSizes();
const bytes = (n) => `${n.toLocaleString('en-US')} B`;
console.log('| import | min | min+gzip | budget (gzip) | min+brotli |\n|---|---:|---:|---:|---:|');
for (const r of rows) console.log(r.error ? `| ${r.name} | ${r.error} | | | |` : `| ${r.name} | ${bytes(r.min)} | ${bytes(r.gzip)} | ${bytes(r.budget)} | ${bytes(r.brotli)} |`);
if (process.argv.includes('--why')) {
  const dir = join(ROOT, 'build/bench/size-entries');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'why-connect.mjs');
  writeFileSync(entry, `export { connect } from ${JSON.stringify(join(ROOT, 'build/src/index.js'))};\n`);
  const modules = {};
  await bundleMinified(entry, modules);
  console.log('\nmodules of `import { connect }`, from tsc output (rendered bytes before minification):');
  for (const [id, n] of Object.entries(modules).sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(8)}  ${id}`);
}
const over = rows.filter((r) => r.error || r.gzip > r.budget);
for (const r of over) console.error(`${r.name}: ${r.error ?? `${r.gzip} B gzip is over its ${r.budget} B budget`}`);
console.log(over.length ? `FAIL: ${over.length} row(s) over budget` : `ok: every row within its budget`);
process.exit(over.length ? 1 : 0);
