// Finds a Chromium for Playwright and @web/test-runner, in this order:
// CHROME_PATH, Playwright's own download, /usr/bin/chromium. When none is
// found it installs one (Playwright's download where the network allows,
// else Debian's `chromium` package when running as root with apt) and says so.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

async function playwrightPath() {
  try {
    const { chromium } = await import('playwright');
    const p = chromium.executablePath();
    return p && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function systemPath() {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function findChromium({ install = true } = {}) {
  const env = process.env.CHROME_PATH;
  if (env && existsSync(env)) return env;
  const found = (await playwrightPath()) ?? systemPath();
  if (found || !install) return found;
  try {
    execSync('npx playwright install chromium', { stdio: 'ignore', timeout: 180_000 });
    const p = await playwrightPath();
    if (p) {
      console.log('lifeline tests: installed Chromium with Playwright');
      return p;
    }
  } catch { /* no network for browser downloads: fall through to apt */ }
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log("lifeline tests: no Chromium found, installing Debian's chromium package with apt-get");
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'ignore' });
    return systemPath();
  }
  throw new Error('No Chromium found: set CHROME_PATH, or install chromium (apt-get install chromium)');
}
