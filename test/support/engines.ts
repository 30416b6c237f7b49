/**
 * The browser engines the tests run in, defined once for @web/test-runner
 * (web-test-runner.config.mjs) and for tests that script a page from Node
 * (browser-page.ts):
 *
 * | engine   | binary (environment override)                  | driven by                              |
 * |----------|------------------------------------------------|----------------------------------------|
 * | chromium | CHROME_PATH, Playwright's, /usr/bin/chromium   | puppeteer-core over CDP                |
 * | firefox  | FIREFOX_PATH, /usr/bin/firefox-esr             | puppeteer-core over WebDriver BiDi     |
 * | webkit   | WEBKIT_DRIVER_PATH + MINIBROWSER_PATH, Xvfb    | W3C WebDriver (webdriver.ts)           |
 *
 * Chromium goes through puppeteer-core rather than Playwright: the same
 * driver as Firefox, and the browser suite took about 30 s instead of 45-58 s
 * in side-by-side runs on a loaded 2-core machine.
 *
 * `LIFELINE_BROWSERS` (comma-separated, default all three) picks a subset.
 * "webkit" is WebKitGTK: Apple's engine with the libsoup network stack, not
 * Safari's. Node-only test support; imports nothing from src/.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserLauncher, SessionResult } from '@web/test-runner';
import { PuppeteerPage, PuppeteerTabs, WebDriverPage, WebDriverTabs, type BrowserPage, type BrowserTabs, type Viewport } from './browser-page.js';
import { openDisplay, type Display } from './display.js';
import { WebDriverSession, type WebKitBinaries } from './webdriver.js';

export const ENGINE_NAMES = ['chromium', 'firefox', 'webkit'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** How reports name each engine. */
export const ENGINE_LABELS: Record<EngineName, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' };

/** The repository root (this file runs from build/test/support/). */
const root = resolve(import.meta.dirname, '../../..');

/**
 * The engines picked by `LIFELINE_BROWSERS` (e.g. `chromium,firefox`), in
 * the fixed order chromium, firefox, webkit; all three when unset or empty.
 */
export function selectedEngines(value: string | undefined = process.env.LIFELINE_BROWSERS): EngineName[] {
  const wanted = (value ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (wanted.length === 0) return [...ENGINE_NAMES];
  for (const name of wanted) {
    if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
      throw new Error(`LIFELINE_BROWSERS: expected a comma-separated list of ${ENGINE_NAMES.join(', ')}, got "${name}" in "${value}"`);
    }
  }
  return ENGINE_NAMES.filter((name) => wanted.includes(name));
}

interface ChromiumFinder {
  findChromium(): Promise<string>;
  chromiumArgs: string[];
}

/**
 * CHROME_PATH, Playwright's Chromium, /usr/bin/chromium, or one installed on
 * the spot, and its flags: test/support/chromium.mjs, which
 * demo/screenshot.mjs and the package test use too.
 */
export async function chromium(): Promise<{ executablePath: string; args: string[] }> {
  const finder = (await import(pathToFileURL(join(root, 'test/support/chromium.mjs')).href)) as ChromiumFinder;
  return { executablePath: await finder.findChromium(), args: finder.chromiumArgs };
}

function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((candidate) => existsSync(candidate));
}

/** FIREFOX_PATH, else Debian's firefox-esr, else a `firefox` in /usr/bin. */
export function firefoxPath(): string {
  const fromEnv = process.env.FIREFOX_PATH;
  if (fromEnv) return fromEnv;
  const found = firstExisting(['/usr/bin/firefox-esr', '/usr/bin/firefox']);
  if (!found) throw new Error('No Firefox found: set FIREFOX_PATH, install firefox-esr (apt-get install firefox-esr), or leave firefox out of LIFELINE_BROWSERS');
  return found;
}

/**
 * WEBKIT_DRIVER_PATH (else /usr/bin/WebKitWebDriver) and MINIBROWSER_PATH
 * (else the MiniBrowser of Debian's webkit2gtk-driver, under
 * /usr/lib/<multiarch>/webkit2gtk-4.1/ or webkitgtk-6.0/).
 */
export function webkitBinaries(): WebKitBinaries {
  const driver = process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver';
  let browser = process.env.MINIBROWSER_PATH;
  if (!browser) {
    const libDirs = existsSync('/usr/lib') ? readdirSync('/usr/lib').map((dir) => join('/usr/lib', dir)) : [];
    browser = firstExisting(libDirs.flatMap((dir) => [join(dir, 'webkit2gtk-4.1/MiniBrowser'), join(dir, 'webkitgtk-6.0/MiniBrowser')]));
  }
  if (!existsSync(driver) || !browser || !existsSync(browser)) {
    throw new Error(
      `No WebKitGTK found (WebKitWebDriver: ${driver}, MiniBrowser: ${browser ?? 'not found'}): install webkit2gtk-driver and xvfb, ` +
        'set WEBKIT_DRIVER_PATH and MINIBROWSER_PATH, or leave webkit out of LIFELINE_BROWSERS',
    );
  }
  return { driver, browser };
}

/** The @web/test-runner launcher for an engine. */
export async function testRunnerLauncher(engine: EngineName): Promise<BrowserLauncher> {
  // @web/test-runner-chrome's launcher drives any browser puppeteer-core can launch when handed
  // a puppeteer instance: CDP for Chromium, WebDriver BiDi for Firefox (Debian has no geckodriver,
  // and none is needed).
  const { chromeLauncher } = await import('@web/test-runner');
  const puppeteer = await import('puppeteer-core');
  switch (engine) {
    case 'chromium':
      return chromeLauncher({ puppeteer, launchOptions: { browser: 'chrome', ...(await chromium()), headless: true } });
    case 'firefox':
      return chromeLauncher({ puppeteer, launchOptions: { browser: 'firefox', executablePath: firefoxPath(), headless: true } });
    case 'webkit':
      return new WebKitLauncher(webkitBinaries());
  }
}

/** Opens a page of `viewport` size in an engine (see browser-page.ts). */
export async function openPage(engine: EngineName, viewport: Viewport): Promise<BrowserPage> {
  switch (engine) {
    case 'chromium':
      return PuppeteerPage.open({ browser: 'chrome', ...(await chromium()) }, viewport);
    case 'firefox':
      return PuppeteerPage.open({ browser: 'firefox', executablePath: firefoxPath(), args: [] }, viewport);
    case 'webkit':
      return WebDriverPage.open(webkitBinaries(), viewport);
  }
}

/** Opens a browser of an engine for tabs (see browser-page.ts: `BrowserTabs`). */
export async function openTabs(engine: EngineName, viewport: Viewport): Promise<BrowserTabs> {
  switch (engine) {
    case 'chromium':
      return PuppeteerTabs.launch({ browser: 'chrome', ...(await chromium()) }, viewport);
    case 'firefox':
      return PuppeteerTabs.launch({ browser: 'firefox', executablePath: firefoxPath(), args: [] }, viewport);
    case 'webkit':
      return WebDriverTabs.launch(webkitBinaries());
  }
}

interface WebKitRun {
  display: Display;
  session: WebDriverSession;
}

/**
 * @web/test-runner launcher for WebKitGTK: one MiniBrowser window (one
 * WebDriver session) that visits each test page in turn, so one test file
 * at a time. Starts the display and the driver with the first test file and
 * stops both when the runner is done with WebKit.
 */
export class WebKitLauncher implements BrowserLauncher {
  readonly name = 'WebKit';
  readonly type = 'lifeline-webkitgtk-webdriver';
  readonly concurrency = 1;
  readonly #binaries: WebKitBinaries;
  #run: Promise<WebKitRun> | undefined;
  readonly #active = new Set<string>();

  constructor(binaries: WebKitBinaries) {
    this.#binaries = binaries;
  }

  #start(): Promise<WebKitRun> {
    this.#run ??= (async () => {
      const display = await openDisplay();
      try {
        return { display, session: await WebDriverSession.start(this.#binaries, display.name) };
      } catch (error) {
        await display.stop();
        throw error;
      }
    })();
    return this.#run;
  }

  async startSession(sessionId: string, url: string): Promise<void> {
    try {
      const { session } = await this.#start();
      this.#active.add(sessionId);
      await session.navigate(url);
    } catch (error) {
      // A browser that cannot start or load a page (crashed, hung) is replaced for the next file.
      this.#active.delete(sessionId);
      await this.stop();
      throw error;
    }
  }

  isActive(sessionId: string): boolean {
    return this.#active.has(sessionId);
  }

  async getBrowserUrl(): Promise<string> {
    return (await this.#start()).session.currentUrl();
  }

  async stopSession(sessionId: string): Promise<SessionResult> {
    const { session } = await this.#start();
    // Leave the page so nothing it started (timers, sockets) runs on.
    await session.navigate('about:blank');
    this.#active.delete(sessionId);
    return {};
  }

  async startDebugSession(): Promise<void> {
    throw new Error('WebKit has no debug sessions here: run MiniBrowser yourself and open the test page');
  }

  async stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    if (!run) return;
    let started: WebKitRun;
    try {
      started = await run;
    } catch {
      return; // It never started (that error failed the test file); nothing to stop.
    }
    await started.session.close();
    await started.display.stop();
  }
}
