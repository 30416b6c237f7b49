// The shared-connection tabs test (shared-tabs.suite.ts) in Chromium.
import { sharedTabsSuite } from './shared-tabs.suite.js';

sharedTabsSuite('chromium');
