/**
 * Output of the `lifeline` command: human lines (received data on stdout,
 * status/trace/control on stderr, so `> file` keeps only what the server
 * sent) or `--json` (every event as one JSON object per line on stdout).
 * Also the small formatters: times, sizes, hex, terminal-safe previews.
 *
 * Owns: how things look. Imports nothing from lifeline; must not touch sockets.
 */

/** Where lines go; a test or the interactive prompt can wrap these. */
export interface Streams {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

/** Local wall-clock time `HH:MM:SS.mmm` for human output. */
export function clock(date: Date = new Date()): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `0 B`, `512 B`, `1.5 KiB`, `16.0 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** Milliseconds with a precision that suits the magnitude. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${Math.round(ms)} ms`;
}

/** Lowercase hex, bytes separated by spaces, cut after `max` bytes with a count of the rest. */
export function toHex(bytes: Uint8Array, max = Infinity): string {
  const shown = Math.min(bytes.length, max);
  const parts = new Array<string>(shown);
  for (let i = 0; i < shown; i++) parts[i] = bytes[i]!.toString(16).padStart(2, '0');
  const more = bytes.length - shown;
  return parts.join(' ') + (more > 0 ? ` … (+${more} bytes)` : '');
}

/**
 * Makes server text safe for a terminal: C0/C1 controls (except tab) and DEL
 * become `\xNN` / `\n` escapes, so a peer cannot move the cursor or change
 * colours. JSON output needs none of this (JSON.stringify escapes).
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (char) =>
    char === '\n' ? '\\n' : char === '\r' ? '\\r' : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Size of a message in bytes as it was on the wire before compression (UTF-8 for text). */
export function byteLength(data: string | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/** JSON for a message body: text as is, binary as hex (`encoding` says which). */
export function jsonBody(data: string | Uint8Array): { type: 'text' | 'binary'; size: number; data: string; encoding?: 'hex' } {
  if (typeof data === 'string') return { type: 'text', size: byteLength(data), data };
  return { type: 'binary', size: data.byteLength, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex'), encoding: 'hex' };
}

/**
 * One place that writes. Human mode: `data()` → stdout, `info()` → stderr.
 * JSON mode: `event()` → one line on stdout; `info()`/`data()` are silent.
 * `around` lets the interactive prompt clear itself before a line and redraw after.
 */
export class Output {
  readonly json: boolean;
  private readonly streams: Streams;
  around: ((write: () => void) => void) | undefined;

  constructor(json: boolean, streams: Streams = { out: process.stdout, err: process.stderr }) {
    this.json = json;
    this.streams = streams;
  }

  private emit(fn: () => void): void {
    if (this.around) this.around(fn);
    else fn();
  }

  /** A JSON event line (JSON mode only). `event` and `time` come first. */
  event(name: string, fields: Record<string, unknown> = {}): void {
    if (!this.json) return;
    const line = JSON.stringify({ event: name, time: new Date().toISOString(), ...fields }) + '\n';
    this.emit(() => this.streams.out.write(line));
  }

  /** A whole JSON document on one line (JSON mode only), e.g. the probe report. */
  document(obj: unknown): void {
    if (!this.json) return;
    this.emit(() => this.streams.out.write(JSON.stringify(obj) + '\n'));
  }

  /** Human data line on stdout (not in JSON mode). */
  data(line: string): void {
    if (this.json) return;
    this.emit(() => this.streams.out.write(line + '\n'));
  }

  /** Human status line on stderr (not in JSON mode). */
  info(line: string): void {
    if (this.json) return;
    this.emit(() => this.streams.err.write(line + '\n'));
  }

  /** An error line on stderr, in either mode (JSON mode also gets an `error` event from the caller). */
  error(line: string): void {
    this.emit(() => this.streams.err.write(line + '\n'));
  }
}

/** Human line for one received (`<`) or sent (`>`) data message. */
export function messageLine(dir: '<' | '>', data: string | Uint8Array, at: Date = new Date()): string {
  const size = formatSize(byteLength(data));
  if (typeof data === 'string') return `${dir} ${clock(at)} ${size.padStart(9)}  ${terminalSafe(data)}`;
  return `${dir} ${clock(at)} ${size.padStart(9)}  [binary] ${toHex(data, 256)}`;
}
