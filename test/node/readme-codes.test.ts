// README.md "Error codes" documents exactly the codes src/protocol/error-codes.ts
// and session-error-codes.ts define: a new code without a row, or a row for
// a code that is gone, fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCodes, SessionErrorCodes } from '../../src/protocol/errors.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The codes in the first column of the "Error codes" section's tables (a row may name several). */
function documentedCodes(): Set<string> {
  const start = README.indexOf('\n## Error codes');
  assert.ok(start >= 0, 'README has an "Error codes" section');
  const section = README.slice(start);
  const end = section.indexOf('\n## ', 4);
  const text = end < 0 ? section : section.slice(0, end);
  const firstCells = [...text.matchAll(/^\| ([^|]*`WS_ERR_[^|]*)\|/gm)].map((match) => match[1]!);
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`(WS_ERR_[A-Z0-9_]+)`/g)].map((match) => match[1]!)));
}

describe('README error codes', () => {
  it('lists exactly the codes there are', () => {
    const all: string[] = [...Object.values(ErrorCodes), ...Object.values(SessionErrorCodes)];
    const documented = documentedCodes();
    assert.deepEqual(all.filter((code) => !documented.has(code)), [], 'codes missing from README "Error codes"');
    assert.deepEqual([...documented].filter((code) => !all.includes(code)), [], 'README lists codes that do not exist');
  });
});
