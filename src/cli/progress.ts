/**
 * A one-line progress indicator on stderr for anything that takes longer
 * than a second (connecting, probing, Autobahn cases). It draws only when
 * stderr is a terminal and output is not `--json`, appears after `delayMs`
 * so fast operations print nothing, and erases itself on `stop()`.
 *
 * Owns: the spinner line. Imports nothing from lifeline.
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Draw nothing when true (e.g. `--json`). */
  quiet: boolean;
  stream?: ProgressStream;
  /** Nothing is drawn before this (default 1000 ms). */
  delayMs?: number;
  /** Redraw interval (default 100 ms). */
  intervalMs?: number;
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private text = '';
  private started = 0;
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private drawn = false;

  constructor(options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = !options.quiet && this.stream.isTTY === true;
    this.delayMs = options.delayMs ?? 1000;
    this.intervalMs = options.intervalMs ?? 100;
  }

  /** Starts (or restarts) the indicator with a label such as `connecting to ws://…`. */
  start(text: string): void {
    this.stop();
    this.text = text;
    this.started = Date.now();
    if (!this.enabled) return;
    this.timer = setTimeout(() => this.tick(), this.delayMs);
    this.timer.unref?.();
  }

  /** Changes the label (e.g. `case 12/517`) without resetting the clock. */
  update(text: string): void {
    this.text = text;
  }

  private tick(): void {
    this.drawn = true;
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.text} (${secs}s)`);
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  /** Erases the line if it was drawn. Safe to call any number of times. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Runs `fn` with the indicator showing `text`. */
  async around<T>(text: string, fn: () => Promise<T>): Promise<T> {
    this.start(text);
    try {
      return await fn();
    } finally {
      this.stop();
    }
  }
}
