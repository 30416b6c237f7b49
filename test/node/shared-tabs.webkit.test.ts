// The shared-connection tabs test (shared-tabs.suite.ts) in WebKit (WebKitGTK).
import { sharedTabsSuite } from './shared-tabs.suite.js';

sharedTabsSuite('webkit');
