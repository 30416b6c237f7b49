/**
 * Pages in a real browser, driven the same way in every engine, for tests
 * that script pages from Node: one page (the demo page test), or several
 * tabs of one browser (the shared-connection test: `BrowserTabs`).
 * Playwright cannot drive Debian's Firefox or WebKitGTK, so there are two
 * drivers behind one interface:
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

/**
 * Several tabs of one browser (one profile: they share Web Locks,
 * BroadcastChannel and storage). Chromium and Firefox open real tabs, one
 * visible at a time; MiniBrowser opens a window per "tab" (WebDriver cannot
 * pick its visible tab), each visible until hidden.
 */
export interface BrowserTabs {
  /** Opens a new tab at `url`; it is visible (in a tabbed browser, the others are then hidden). */
  open(url: string): Promise<BrowserTab>;
  /** Closes the browser. */
  close(): Promise<void>;
}

/** One tab of `BrowserTabs`. */
export interface BrowserTab extends BrowserPage {
  /** Closes this tab only, as a user does (the page gets pagehide and is unloaded). */
  close(): Promise<void>;
  /** Makes this tab visible (in a tabbed browser, the tab shown before is hidden). */
  show(): Promise<void>;
  /** Hides this tab by itself, where the driver can (MiniBrowser: minimizes its window); in a tabbed browser, show another tab instead. */
  readonly hide: (() => Promise<void>) | undefined;
  /** History back (to a page the back/forward cache may restore). */
  back(): Promise<void>;
  /** Page lifecycle controls, where the engine's protocol has them (Chromium, over CDP). */
  readonly lifecycle: PageLifecycle | undefined;
}

/** What CDP can do to a page that a user (or the browser) does. */
export interface PageLifecycle {
  /** The renderer process dies (Page.crash): no events, the browser releases what the page held. */
  crash(): Promise<void>;
  /** Frozen as a background tab is (Page.setWebLifecycleState 'frozen': the page gets `freeze`). */
  freeze(): Promise<void>;
  /** Back to active (the page gets `resume`). */
  resume(): Promise<void>;
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

  protected constructor(browser: Browser, page: Page) {
    this.#browser = browser;
    this.#page = page;
  }

  protected get page(): Page {
    return this.#page;
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

/** Chromium or Firefox through puppeteer-core, with several tabs. */
export class PuppeteerTabs implements BrowserTabs {
  readonly #browser: Browser;
  readonly #engine: 'chrome' | 'firefox';
  /** The tab the browser opened with, used for the first `open()`. */
  #blank: Page | undefined;

  private constructor(browser: Browser, engine: 'chrome' | 'firefox', blank: Page | undefined) {
    this.#browser = browser;
    this.#engine = engine;
    this.#blank = blank;
  }

  static async launch(launch: { browser: 'chrome' | 'firefox'; executablePath: string; args: string[] }, viewport: Viewport): Promise<PuppeteerTabs> {
    const puppeteer = await import('puppeteer-core');
    const browser = await puppeteer.launch({ ...launch, headless: true, defaultViewport: viewport });
    const [blank] = await browser.pages();
    return new PuppeteerTabs(browser, launch.browser, blank);
  }

  async open(url: string): Promise<BrowserTab> {
    const page = this.#blank ?? (await this.#browser.newPage());
    this.#blank = undefined;
    await page.evaluateOnNewDocument(INSTALL_ERROR_LISTENERS);
    await page.bringToFront();
    await page.goto(url);
    return new PuppeteerTab(this.#browser, page, this.#engine === 'chrome');
  }

  async close(): Promise<void> {
    await this.#browser.close();
  }
}

class PuppeteerTab extends PuppeteerPage implements BrowserTab {
  readonly lifecycle: PageLifecycle | undefined;
  readonly hide = undefined;

  constructor(browser: Browser, page: Page, cdp: boolean) {
    super(browser, page);
    this.lifecycle = cdp ? cdpLifecycle(page) : undefined;
  }

  override async close(): Promise<void> {
    await this.page.close({ runBeforeUnload: false });
  }

  async show(): Promise<void> {
    await this.page.bringToFront();
  }

  /**
   * history.back() from the page, then waits until the previous page is
   * there: page.goBack() waits for a load event, which a page restored from
   * the back/forward cache does not fire (over BiDi it then never returns).
   */
  async back(): Promise<void> {
    const from = this.page.url();
    await this.page.evaluate(() => void setTimeout(() => history.back(), 0));
    await poll(async () => {
      try {
        const now = await this.page.evaluate(() => ({ href: location.href, ready: document.readyState }));
        return now.href !== from && now.ready === 'complete';
      } catch {
        return false; // the page is being replaced
      }
    }, { timeout: 15_000, what: 'the previous page after history.back()' });
  }
}

function cdpLifecycle(page: Page): PageLifecycle {
  const session = page.createCDPSession();
  return {
    async crash() {
      // The renderer dies before it can answer: do not wait for the answer.
      void (await session).send('Page.crash').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    },
    async freeze() {
      await (await session).send('Page.setWebLifecycleState', { state: 'frozen' });
    },
    async resume() {
      await (await session).send('Page.setWebLifecycleState', { state: 'active' });
    },
  };
}

/**
 * Several windows of one MiniBrowser through one WebDriver session (a
 * window per tab: Switch To Window does not change MiniBrowser's visible
 * tab, while a window is visible until minimized). WebDriver sends commands
 * to the "current" browsing context, so every command of a tab first
 * switches to it (W3C WebDriver §11.3 Switch To Window), and the commands of
 * all tabs go through one queue so they never interleave.
 */
export class WebDriverTabs implements BrowserTabs {
  readonly #session: WebDriverSession;
  readonly #display: Display;
  readonly #lane: Lane;

  private constructor(session: WebDriverSession, display: Display, current: string) {
    this.#session = session;
    this.#display = display;
    this.#lane = new Lane(session, current);
  }

  static async launch(binaries: WebKitBinaries): Promise<WebDriverTabs> {
    const display = await openDisplay();
    let session: WebDriverSession;
    try {
      session = await WebDriverSession.start(binaries, display.name);
    } catch (error) {
      await display.stop();
      throw error;
    }
    return new WebDriverTabs(session, display, await session.command<string>('GET', '/window'));
  }

  async open(url: string): Promise<BrowserTab> {
    // Every tab in a new window: the first window stays open on about:blank, since closing the last window would end the session (§11.2).
    const { handle } = await this.#lane.run(undefined, () => this.#session.command<{ handle: string }>('POST', '/window/new', { type: 'window' }));
    const tab = new WebDriverTab(this.#session, this.#lane, handle);
    await tab.goto(url);
    return tab;
  }

  async close(): Promise<void> {
    await this.#session.close();
    await this.#display.stop();
  }
}

/** One command at a time, each in its tab's browsing context. */
class Lane {
  /** The current browsing context; undefined after it was closed. */
  current: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  constructor(
    readonly session: WebDriverSession,
    /** The first window, never closed. */
    readonly home: string,
  ) {
    this.current = home;
  }

  /** Runs `command` after the queued ones, with `handle`'s tab current (undefined: any open window). */
  run<T>(handle: string | undefined, command: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(async () => {
      const wanted = handle ?? this.current ?? this.home;
      if (this.current !== wanted) {
        await this.session.command('POST', '/window', { handle: wanted });
        this.current = wanted;
      }
      return command();
    });
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

class WebDriverTab implements BrowserTab {
  readonly lifecycle = undefined;
  readonly #session: WebDriverSession;
  readonly #lane: Lane;
  readonly #handle: string;

  constructor(session: WebDriverSession, lane: Lane, handle: string) {
    this.#session = session;
    this.#lane = lane;
    this.#handle = handle;
  }

  #run<T>(command: () => Promise<T>): Promise<T> {
    return this.#lane.run(this.#handle, command);
  }

  goto(url: string): Promise<void> {
    return this.#run(async () => {
      await this.#session.navigate(url);
      await this.#session.execute(INSTALL_ERROR_LISTENERS);
    });
  }

  evaluate<Result, Arg = undefined>(fn: (arg: Arg) => Result, arg?: Arg): Promise<Awaited<Result>> {
    return this.#run(() => this.#session.execute<Awaited<Result>>(`return (${fn.toString()}).apply(null, arguments);`, [arg ?? null]));
  }

  waitFor<Arg>(fn: (arg: Arg) => unknown, arg: Arg, options: { timeout: number; what: string }): Promise<void> {
    return poll(() => this.evaluate(fn, arg), options);
  }

  click(selector: string): Promise<void> {
    return this.#run(() => this.#session.click(selector));
  }

  fill(selector: string, text: string): Promise<void> {
    return this.#run(() => this.#session.fill(selector, text));
  }

  pressEnter(selector: string): Promise<void> {
    return this.#run(() => this.#session.sendKeys(selector, '\uE007'));
  }

  select(selector: string, value: string): Promise<void> {
    return this.#run(() => this.#session.selectOption(selector, value));
  }

  screenshot(path: string): Promise<void> {
    return this.#run(async () => writeFile(path, await this.#session.screenshot()));
  }

  errors(): Promise<string[]> {
    return this.#run(() => this.#session.execute<string[]>(READ_ERRORS));
  }

  /** Close Window (§11.2) closes the current tab; the page is unloaded as when a user closes it. */
  close(): Promise<void> {
    return this.#run(async () => {
      await this.#session.command('DELETE', '/window');
      this.#lane.current = undefined;
    });
  }

  /** Set Window Rect (§11.8.2) restores a minimized window: its page becomes visible. */
  show(): Promise<void> {
    return this.#run(async () => {
      await this.#session.command('POST', '/window/rect', { width: 800, height: 600 });
    });
  }

  /** Minimize Window (§11.8.4): its page becomes hidden. */
  readonly hide = (): Promise<void> =>
    this.#run(async () => {
      await this.#session.command('POST', '/window/minimize', {});
    });

  back(): Promise<void> {
    return this.#run(async () => {
      await this.#session.command('POST', '/back', {});
    });
  }
}
