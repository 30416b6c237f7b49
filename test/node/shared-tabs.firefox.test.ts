// The shared-connection tabs test (shared-tabs.suite.ts) in Firefox.
import { sharedTabsSuite } from './shared-tabs.suite.js';

sharedTabsSuite('firefox');
