// The demo page test (demo-page.suite.ts) in Chromium.
import { demoPageSuite } from './demo-page.suite.js';

demoPageSuite('chromium');
