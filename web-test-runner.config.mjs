// Browser tests in Chromium, Firefox and WebKit (WebKitGTK), one engine after
// another. Runs the compiled tests in build/: the protocol tests that also run
// under Node, and the browser transport/client tests. A loopback `ws` test
// server with fault controls is started with the runner and its port handed
// to the pages; the engines share it, so they never run at the same time. The
// session fault server (test/support/session-fault-server.ts) runs beside it.
//
// LIFELINE_BROWSERS=chromium,firefox picks engines (default: all three).
// Binaries: CHROME_PATH, FIREFOX_PATH, WEBKIT_DRIVER_PATH, MINIBROWSER_PATH,
// XVFB_PATH (see test/support/engines.ts). Not on a terminal, the output is
// plain: failures in full, one summary line per engine, no progress bars.
import { defaultReporter } from '@web/test-runner';
import { selectedEngines, testRunnerLauncher } from './build/test/support/engines.js';
import { engineReporter, PlainLogger } from './build/test/support/wtr-reporter.js';
import { startTestServer } from './build/test/support/test-server.js';
import { startSessionFaultServer } from './build/test/support/session-fault-server.js';

const engines = selectedEngines();
const interactive = Boolean(process.stdout.isTTY);
let server;
let sessionServer;

export default {
  rootDir: '.',
  files: ['build/test/protocol/**/*.test.js', 'build/test/browser/**/*.test.js', 'build/test/client/**/*.test.js', 'build/test/session/**/*.test.js'],
  nodeResolve: true,
  concurrency: 1,
  // In the listed order, each engine stopped before the next starts (TestScheduler).
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 180_000,
  testFramework: { config: { timeout: 20_000 } },
  browsers: await Promise.all(engines.map((engine) => testRunnerLauncher(engine))),
  reporters: interactive ? [defaultReporter({ reportTestResults: false }), engineReporter()] : [engineReporter()],
  ...(interactive ? {} : { logger: new PlainLogger() }),
  plugins: [
    {
      name: 'lifeline-test-server',
      async serverStart() {
        server = await startTestServer();
        sessionServer = await startSessionFaultServer();
      },
      async serverStop() {
        await server?.close();
        await sessionServer?.close();
      },
      serve(context) {
        if (context.path === '/__lifeline/config.json') {
          const ports = { wsPort: server.port, controlPort: server.port, sessionProxyPort: sessionServer.proxyPort, sessionControlPort: sessionServer.controlPort };
          return { body: JSON.stringify(ports), type: 'json' };
        }
        return undefined;
      },
    },
  ],
};
