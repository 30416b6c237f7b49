// The demo page test (demo-page.suite.ts) in Firefox.
import { demoPageSuite } from './demo-page.suite.js';

demoPageSuite('firefox');
