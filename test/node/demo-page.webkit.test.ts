// The demo page test (demo-page.suite.ts) in WebKit (WebKitGTK).
import { demoPageSuite } from './demo-page.suite.js';

demoPageSuite('webkit');
