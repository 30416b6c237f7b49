// Browser tests in real Chromium (Playwright driving Debian's or Playwright's
// Chromium). Runs the compiled tests in build/: the protocol tests that also
// run under Node, and the browser transport/client tests. A loopback `ws`
// test server is started with the runner and its port handed to the pages.
import { playwrightLauncher } from '@web/test-runner-playwright';
import { findChromium, chromiumArgs } from './test/support/chromium.mjs';
import { startTestServer } from './build/test/support/test-server.js';

const executablePath = await findChromium();
let server;

export default {
  rootDir: '.',
  files: ['build/test/protocol/**/*.test.js', 'build/test/browser/**/*.test.js', 'build/test/client/**/*.test.js'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 180_000,
  testFramework: { config: { timeout: 20_000 } },
  browsers: [
    playwrightLauncher({ product: 'chromium', launchOptions: { executablePath, headless: true, args: chromiumArgs } }),
  ],
  plugins: [
    {
      name: 'lifeline-test-server',
      async serverStart() {
        server = await startTestServer();
      },
      async serverStop() {
        await server?.close();
      },
      serve(context) {
        if (context.path === '/__lifeline/config.json') {
          return { body: JSON.stringify({ wsPort: server.port, controlPort: server.port }), type: 'json' };
        }
        return undefined;
      },
    },
  ],
};
