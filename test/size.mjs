// `npm run size` (after the build): min+gzip and min+brotli of lifeline's
// browser artifacts; exits non-zero when either exceeds the gzip budget.
import { lifelineSizes, sizeTable, GZIP_BUDGET } from './bench/size-lib.mjs';

const rows = await lifelineSizes();
console.log(sizeTable(rows));
const over = rows.filter((r) => r.error || r.gzip > GZIP_BUDGET);
for (const r of over) console.error(`${r.name}: ${r.error ?? `${r.gzip} B gzip is over the ${GZIP_BUDGET} B budget`}`);
console.log(over.length ? `FAIL: over budget (${GZIP_BUDGET} B min+gzip)` : `ok: all under ${GZIP_BUDGET} B min+gzip`);
process.exit(over.length ? 1 : 0);
