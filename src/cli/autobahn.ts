/** placeholder until the driver lands */
import type { AutobahnArgs } from './args.js';
export async function runAutobahnCommand(_args: AutobahnArgs): Promise<number> {
  process.stderr.write('autobahn: not available yet\n');
  return 1;
}
