/**
 * One page in a real browser, driven the same way in every engine, for
 * tests that script a page from Node (the demo page test). Playwright cannot
 * drive Debian's Firefox or WebKitGTK, so there are two drivers behind one
 * interface:
 * - Chromium (CDP) and Firefox (WebDriver BiDi) through puppeteer-core;
 * - WebKitGTK through W3C WebDriver (webdriver.ts) on MiniBrowser under Xvfb.
 * Input goes through each protocol's input commands (real clicks and key
 * presses), not through synthetic DOM events. Node-only test support;
 * imports nothing from src/.
 */
import { writeFile } from 'node:fs/promises';
import type { Browser, Page } from 'puppeteer-core';
import { openDisplay, type Display } from './display.js';
import { WebDriverSession, type WebKitBinaries } from './webdriver.js';

export interface Viewport {
  width: number;
  height: number;
}

export interface BrowserPage {
  goto(url: string): Promise<void>;
  /**
   * Runs `fn` in the page and returns its JSON-serialisable result. `fn` is
   * sent as source text: it must not use anything from the Node side except
   * `arg`.
   */
  evaluate<Result, Arg = undefined>(fn: (arg: Arg) => Result, arg?: Arg): Promise<Awaited<Result>>;
  /** Polls `fn` in the page until it returns a truthy value; fails after `timeout` ms naming `what`. */
  waitFor<Arg>(fn: (arg: Arg) => unknown, arg: Arg, options: { timeout: number; what: string }): Promise<void>;
  click(selector: string): Promise<void>;
  /** Replaces the value of an input by typing `text`. */
  fill(selector: string, text: string): Promise<void>;
  /** Presses Enter in an element (focusing it first). */
  pressEnter(selector: string): Promise<void>;
  /** Picks the `<option>` with `value` in a `<select>`. */
  select(selector: string, value: string): Promise<void>;
  /** Writes a PNG: the whole page where the engine's protocol can, else the viewport. */
  screenshot(path: string): Promise<void>;
  /** Uncaught errors and unhandled rejections the page had so far. */
  errors(): Promise<string[]>;
  close(): Promise<void>;
}

const POLL_MS = 50;

async function poll(check: () => Promise<unknown>, options: { timeout: number; what: string }): Promise<void> {
  const deadline = Date.now() + options.timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeout} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Page errors are collected the same way in every engine: listeners for
 * uncaught errors and unhandled rejections in the page itself. (Puppeteer's
 * 'pageerror' over BiDi also carries Firefox's own console errors, such as
 * "can't establish a connection" for a refused WebSocket, which are not page
 * errors.) Puppeteer installs them before the page's scripts run; classic
 * WebDriver cannot, so WebKit gets them right after each load: an error
 * thrown while the page loads is not seen there, but a page whose scripts
 * failed fails the tests' first checks anyway (no `lifeline` global, never open).
 */
const INSTALL_ERROR_LISTENERS = `
  if (!window.__lifelinePageErrors) {
    window.__lifelinePageErrors = [];
    addEventListener('error', (event) => window.__lifelinePageErrors.push(String(event.message)));
    addEventListener('unhandledrejection', (event) => window.__lifelinePageErrors.push(String(event.reason)));
  }`;
const READ_ERRORS = 'return window.__lifelinePageErrors || [];';

/** Chromium over CDP or Firefox over WebDriver BiDi, both through puppeteer-core. */
export class PuppeteerPage implements BrowserPage {
  readonly #browser: Browser;
  readonly #page: Page;

  private constructor(browser: Browser, page: Page) {
    this.#browser = browser;
    this.#page = page;
  }

  static async open(launch: { browser: 'chrome' | 'firefox'; executablePath: string; args: string[] }, viewport: Viewport): Promise<PuppeteerPage> {
    const puppeteer = await import('puppeteer-core');
    const browser = await puppeteer.launch({ ...launch, headless: true, defaultViewport: viewport });
    try {
      const page = await browser.newPage();
      await page.evaluateOnNewDocument(INSTALL_ERROR_LISTENERS);
      return new PuppeteerPage(browser, page);
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  async goto(url: string): Promise<void> {
    await this.#page.goto(url);
  }

  evaluate<Result, Arg = undefined>(fn: (arg: Arg) => Result, arg?: Arg): Promise<Awaited<Result>> {
    return this.#page.evaluate(fn as (arg: unknown) => Result, arg) as Promise<Awaited<Result>>;
  }

  waitFor<Arg>(fn: (arg: Arg) => unknown, arg: Arg, options: { timeout: number; what: string }): Promise<void> {
    return poll(() => this.evaluate(fn, arg), options);
  }

  async click(selector: string): Promise<void> {
    await this.#page.click(selector);
  }

  async fill(selector: string, text: string): Promise<void> {
    await this.#page.locator(selector).fill(text);
  }

  async pressEnter(selector: string): Promise<void> {
    await this.#page.focus(selector);
    await this.#page.keyboard.press('Enter');
  }

  async select(selector: string, value: string): Promise<void> {
    const picked = await this.#page.select(selector, value);
    if (!picked.includes(value)) throw new Error(`no <option value=${JSON.stringify(value)}> in ${selector}`);
  }

  async screenshot(path: string): Promise<void> {
    await writeFile(path, await this.#page.screenshot({ fullPage: true }));
  }

  errors(): Promise<string[]> {
    return this.#page.evaluate(() => (window as unknown as { __lifelinePageErrors?: string[] }).__lifelinePageErrors ?? []);
  }

  async close(): Promise<void> {
    await this.#browser.close();
  }
}

/** WebKitGTK's MiniBrowser through WebKitWebDriver (W3C WebDriver), on an X display. */
export class WebDriverPage implements BrowserPage {
  readonly #session: WebDriverSession;
  readonly #display: Display;

  private constructor(session: WebDriverSession, display: Display) {
    this.#session = session;
    this.#display = display;
  }

  static async open(binaries: WebKitBinaries, viewport: Viewport): Promise<WebDriverPage> {
    const display = await openDisplay();
    let session: WebDriverSession;
    try {
      session = await WebDriverSession.start(binaries, display.name);
    } catch (error) {
      await display.stop();
      throw error;
    }
    const page = new WebDriverPage(session, display);
    try {
      await page.#sizeViewport(viewport);
    } catch (error) {
      await page.close();
      throw error;
    }
    return page;
  }

  async goto(url: string): Promise<void> {
    await this.#session.navigate(url);
    await this.#session.execute(INSTALL_ERROR_LISTENERS);
  }

  evaluate<Result, Arg = undefined>(fn: (arg: Arg) => Result, arg?: Arg): Promise<Awaited<Result>> {
    // Execute Script runs a function body with the arguments in `arguments` and awaits a returned promise.
    return this.#session.execute<Awaited<Result>>(`return (${fn.toString()}).apply(null, arguments);`, [arg ?? null]);
  }

  waitFor<Arg>(fn: (arg: Arg) => unknown, arg: Arg, options: { timeout: number; what: string }): Promise<void> {
    return poll(() => this.evaluate(fn, arg), options);
  }

  click(selector: string): Promise<void> {
    return this.#session.click(selector);
  }

  fill(selector: string, text: string): Promise<void> {
    return this.#session.fill(selector, text);
  }

  pressEnter(selector: string): Promise<void> {
    return this.#session.sendKeys(selector, '\uE007');
  }

  select(selector: string, value: string): Promise<void> {
    return this.#session.selectOption(selector, value);
  }

  async #sizeViewport(viewport: Viewport): Promise<void> {
    // WebDriver sizes the window; MiniBrowser's window adds its toolbar. Size once, measure
    // what the page got, and correct by the difference. (GTK keeps the window at least about
    // 450 px wide, so a phone-wide viewport cannot be had this way.)
    await this.#session.setWindowSize(viewport);
    const inner = await this.evaluate(() => ({ width: window.innerWidth, height: window.innerHeight }));
    if (inner.width !== viewport.width || inner.height !== viewport.height) {
      await this.#session.setWindowSize({ width: 2 * viewport.width - inner.width, height: 2 * viewport.height - inner.height });
    }
  }

  async screenshot(path: string): Promise<void> {
    await writeFile(path, await this.#session.screenshot());
  }

  errors(): Promise<string[]> {
    return this.#session.execute<string[]>(READ_ERRORS);
  }

  async close(): Promise<void> {
    await this.#session.close();
    await this.#display.stop();
  }
}
