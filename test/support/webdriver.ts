/**
 * A small W3C WebDriver client (https://www.w3.org/TR/webdriver2/) over
 * fetch, for WebKitGTK: starts WebKitWebDriver on a free loopback port, opens
 * a session on MiniBrowser (which needs an X display: see display.ts) and
 * speaks the handful of commands the tests use. Only what the tests need;
 * @web/test-runner-webdriver + webdriverio would do the same with ~140 more
 * packages. Node-only test support; imports nothing from src/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { killOnExit } from './processes.js';

/** The key under which WebDriver returns an element reference (W3C WebDriver §12.1). */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';
/** Upper bound for one command; page loads are bounded by the session's pageLoad timeout below it. */
const COMMAND_TIMEOUT_MS = 90_000;

export interface WebKitBinaries {
  /** WebKitWebDriver. */
  driver: string;
  /** MiniBrowser, the browser WebKitWebDriver automates. */
  browser: string;
}

export interface WindowSize {
  width: number;
  height: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface DriverProcess {
  child: ChildProcess;
  base: string;
  forget(): void;
}

/**
 * Starts WebKitWebDriver and waits until /status answers. The port is picked
 * free just before; if another process takes it first the driver exits and
 * we try another one.
 */
async function startDriver(binaries: WebKitBinaries, display: string): Promise<DriverProcess> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // detached: the driver leads its own process group, so the browser it starts dies with it (processes.ts).
    const child = spawn(binaries.driver, [`--port=${port}`, '--host=local'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DISPLAY: display },
      detached: true,
    });
    const forget = killOnExit(child, { group: true });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const failed = await Promise.race([spawnError, new Promise<undefined>((resolve) => setTimeout(resolve, 50))]);
      if (failed) {
        forget();
        throw new Error(`cannot start WebKitWebDriver (${binaries.driver}): ${failed.message}; install webkit2gtk-driver or set WEBKIT_DRIVER_PATH`);
      }
      try {
        const response = await fetch(`${base}/status`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return { child, base, forget };
      } catch {
        // Not listening yet.
      }
    }
    child.kill('SIGKILL');
    forget();
    lastError = new Error(`WebKitWebDriver on port ${port} did not answer /status (exit ${child.exitCode}): ${stderr.trim()}`);
  }
  throw lastError!;
}

/** One WebDriver session on one MiniBrowser window, with its own WebKitWebDriver. */
export class WebDriverSession {
  readonly #driver: DriverProcess;
  readonly #path: string;

  private constructor(driver: DriverProcess, sessionId: string) {
    this.#driver = driver;
    this.#path = `/session/${sessionId}`;
  }

  static async start(binaries: WebKitBinaries, display: string): Promise<WebDriverSession> {
    const driver = await startDriver(binaries, display);
    try {
      // browserName is required (without it WebKitWebDriver never answers), and MiniBrowser
      // only accepts automation with --automation ("Failed to match capabilities" otherwise).
      const created = await request<{ sessionId: string }>(driver.base, 'POST', '/session', {
        capabilities: {
          alwaysMatch: {
            browserName: 'MiniBrowser',
            'webkitgtk:browserOptions': { binary: binaries.browser, args: ['--automation'] },
            timeouts: { pageLoad: 60_000, script: 30_000 },
          },
        },
      });
      return new WebDriverSession(driver, created.sessionId);
    } catch (error) {
      await stopDriver(driver);
      throw error;
    }
  }

  command<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return request<T>(this.#driver.base, method, `${this.#path}${path}`, body);
  }

  /** Navigates and waits for the load event (page load strategy "normal"). */
  async navigate(url: string): Promise<void> {
    await this.command('POST', '/url', { url });
  }

  currentUrl(): Promise<string> {
    return this.command<string>('GET', '/url');
  }

  /**
   * Runs `body` (a function body: `arguments` holds `args`, `return` gives
   * the result, a returned promise is awaited) in the page (§13.2.1).
   */
  execute<T>(body: string, args: unknown[] = []): Promise<T> {
    return this.command<T>('POST', '/execute/sync', { script: body, args });
  }

  async #element(selector: string): Promise<string> {
    const found = await this.command<Record<string, string>>('POST', '/element', { using: 'css selector', value: selector });
    return found[ELEMENT_KEY]!;
  }

  /** Element Click (§12.4.1): scrolls the element into view and clicks its centre like a user. */
  async click(selector: string): Promise<void> {
    await this.command('POST', `/element/${await this.#element(selector)}/click`, {});
  }

  /** Element Clear, then Element Send Keys (§12.4.2, §12.4.3). */
  async fill(selector: string, text: string): Promise<void> {
    const element = await this.#element(selector);
    await this.command('POST', `/element/${element}/clear`, {});
    if (text !== '') await this.command('POST', `/element/${element}/value`, { text });
  }

  /**
   * Picks the option whose value (the `value` attribute, else its text) is
   * `value` in a `<select>`, by clicking it: Element Click on an <option>
   * selects it as a user would (§12.4.1).
   */
  async selectOption(selector: string, value: string): Promise<void> {
    const options = await this.command<Record<string, string>[]>('POST', '/elements', { using: 'css selector', value: `${selector} option` });
    for (const option of options) {
      const id = option[ELEMENT_KEY]!;
      if ((await this.command<string>('GET', `/element/${id}/property/value`)) === value) {
        await this.command('POST', `/element/${id}/click`, {});
        return;
      }
    }
    throw new Error(`no <option> with value ${JSON.stringify(value)} in ${selector} (${options.length} options)`);
  }

  /** Sends keys to an element; `\uE007` is Enter (§17.4.2). */
  async sendKeys(selector: string, text: string): Promise<void> {
    await this.command('POST', `/element/${await this.#element(selector)}/value`, { text });
  }

  /** Sets the outer window size (§11.8.2). */
  async setWindowSize(size: WindowSize): Promise<void> {
    await this.command('POST', '/window/rect', { width: size.width, height: size.height });
  }

  /** A PNG of the viewport (§17.1). */
  async screenshot(): Promise<Buffer> {
    return Buffer.from(await this.command<string>('GET', '/screenshot'), 'base64');
  }

  /** Ends the session (which closes MiniBrowser) and stops the driver. */
  async close(): Promise<void> {
    try {
      await request(this.#driver.base, 'DELETE', this.#path, undefined, 10_000);
    } catch {
      // The driver or browser is gone already; stopping the driver's process group below is what matters.
    }
    await stopDriver(this.#driver);
  }
}

/** SIGTERM to the driver's process group, SIGKILL after 5 s. */
async function stopDriver(driver: DriverProcess): Promise<void> {
  const { child } = driver;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  driver.forget();
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function request<T>(base: string, method: string, path: string, body?: unknown, timeout = COMMAND_TIMEOUT_MS): Promise<T> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(timeout) };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json; charset=utf-8' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let parsed: { value?: unknown };
  try {
    parsed = JSON.parse(text) as { value?: unknown };
  } catch {
    throw new Error(`WebDriver ${method} ${path}: expected a JSON answer, got ${response.status} ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    // Error answers carry { error, message } (§6.6).
    const value = (parsed.value ?? {}) as { error?: string; message?: string };
    throw new Error(`WebDriver ${method} ${path}: ${response.status} ${value.error ?? 'error'}: ${value.message ?? text.slice(0, 200)}`);
  }
  return parsed.value as T;
}
