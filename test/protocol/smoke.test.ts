import { describe, it, equal } from '../support/harness.js';
import { ErrorCodes } from '../../src/protocol/errors.js';

describe('toolchain', () => {
  it('runs the same test in Node and Chromium', () => {
    equal(ErrorCodes.INVALID_UTF8, 'WS_ERR_INVALID_UTF8');
  });
});
