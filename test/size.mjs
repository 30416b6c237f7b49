// `npm run size` (after the build): min+gzip and min+brotli of lifeline's
// browser artifacts; exits non-zero when one exceeds its gzip budget (see
// GZIP_BUDGET and FULL_GZIP_BUDGET in test/bench/size-lib.mjs).
// `node test/size.mjs --why` also lists what the browser ESM bundle is made of.
import { join } from 'node:path';
import { lifelineSizes, sizeTable, bundleMinified, ROOT } from './bench/size-lib.mjs';

const rows = await lifelineSizes();
console.log(sizeTable(rows));
if (process.argv.includes('--why')) {
  const modules = {};
  // The browser build's switch, as rollup.config.mjs flips it.
  const lean = { name: 'lean', transform: (code, id) => (id.endsWith('/client/build.js') ? code.replace('export const RICH = true;', 'export const RICH = false;') : null) };
  await bundleMinified(join(ROOT, 'build/src/index.js'), modules, [lean]);
  console.log('\nmodules of the browser entry, from tsc output build/src/index.js (rendered bytes before minification):');
  for (const [id, n] of Object.entries(modules).sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(8)}  ${id}`);
}
const over = rows.filter((r) => r.error || r.gzip > r.budget);
for (const r of over) console.error(`${r.name}: ${r.error ?? `${r.gzip} B gzip is over its ${r.budget} B budget`}`);
console.log(over.length ? 'FAIL: over budget (min+gzip)' : `ok: each under its budget (${rows.map((r) => `${r.gzip} ≤ ${r.budget} B`).join(', ')})`);
process.exit(over.length ? 1 : 0);
