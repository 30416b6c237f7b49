/**
 * What `lifeline connect` reads: stdin lines (a terminal with a prompt, or a
 * pipe), each turned into an action. Plain lines are text messages;
 * lines starting with a backslash are commands (`\x` hex → binary, `\ping`,
 * `\close`, `\help`; `\\` escapes a literal backslash).
 *
 * Owns: line syntax and the readline wiring. Imports node:readline only.
 */
import { createInterface, type Interface } from 'node:readline';
import { checkClose } from '../protocol/input.js';

export type InputAction =
  | { kind: 'send'; data: string | Uint8Array }
  | { kind: 'ping'; data: Uint8Array }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'help' }
  | { kind: 'skip' }
  | { kind: 'error'; message: string };

export const INPUT_HELP = `commands:
  \\x <hex>               send bytes as a binary message (spaces and 0x allowed)
  \\ping [text]           send a ping
  \\close [code [reason]] close (default 1000)
  \\\\...                  send the line with one leading backslash removed
  \\help                  this list`;

/** Decodes hex digits (whitespace, `:` and `0x` prefixes ignored). Returns null when malformed. */
export function parseHex(text: string): Uint8Array | null {
  const digits = text.replace(/0x/gi, '').replace(/[\s:]/g, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(digits)) return null;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const utf8 = new TextEncoder();

/** A text to send: with `binary` (`--binary`), its UTF-8 bytes as a binary message. */
export function sendText(text: string, binary: boolean): InputAction {
  return { kind: 'send', data: binary ? utf8.encode(text) : text };
}

/**
 * One input line → what to do. `binary` (`--binary`) sends plain lines as
 * binary messages of their UTF-8 bytes. `slash` (`--slash`) also takes
 * `/command` for `\command`. Empty lines are skipped (send an empty
 * message with `\x`).
 */
export function parseLine(line: string, binary = false, slash = false): InputAction {
  if (line === '') return { kind: 'skip' };
  if (slash && line.startsWith('/')) {
    // wscat's slash commands (--slash): /ping, /close ... are the backslash ones; '//' sends a line starting with '/'.
    return line.startsWith('//') ? parseLine(line.slice(1), binary) : parseLine('\\' + line.slice(1), binary);
  }
  if (line.startsWith('\\\\')) {
    return sendText(line.slice(1), binary);
  }
  if (!line.startsWith('\\')) return sendText(line, binary);
  const match = /^\\(\S*)\s?(.*)$/s.exec(line)!;
  const cmd = match[1]!;
  const arg = match[2]!;
  if (cmd === 'x' || cmd.startsWith('x')) {
    // `\x48656c` (no space) is accepted too.
    const bytes = parseHex(cmd.slice(1) + arg);
    return bytes ? { kind: 'send', data: bytes } : { kind: 'error', message: `\\x expects hex bytes, e.g. \\x 68 69` };
  }
  switch (cmd) {
    case 'ping': {
      const data = utf8.encode(arg);
      // Control frame payloads are at most 125 bytes (RFC 6455 §5.5).
      if (data.length > 125) return { kind: 'error', message: `a ping payload is at most 125 bytes (got ${data.length})` };
      return { kind: 'ping', data };
    }
    case 'close': {
      const cm = /^\s*(\d+)?\s*(.*)$/s.exec(arg)!;
      const code = cm[1] === undefined ? 1000 : Number(cm[1]);
      const reason = cm[2] ?? '';
      // What a client may send (WHATWG close(), RFC 6455 §7.4.2): the same rule as WebSocket#close().
      try {
        checkClose(code, reason);
      } catch (err) {
        return { kind: 'error', message: (err as Error).message };
      }
      return { kind: 'close', code, reason };
    }
    case 'help':
    case '?':
      return { kind: 'help' };
    default:
      return { kind: 'error', message: `unknown command '\\${cmd}' (\\help lists them; start the line with \\\\ to send a backslash)` };
  }
}

export interface LineReader {
  /** True when reading from a terminal with a prompt. */
  readonly interactive: boolean;
  /** Clears the prompt, runs `write`, redraws the prompt and what was typed. */
  around(write: () => void): void;
  close(): void;
}

export interface LineReaderHandlers {
  line(line: string): void;
  /** stdin ended (pipe EOF or Ctrl-D). */
  end(): void;
  /** Ctrl-C in a terminal (readline owns the key there). */
  interrupt(): void;
}

/**
 * Reads lines from `input`. With a terminal on both ends it shows a `> `
 * prompt and keeps it below incoming output; with a pipe it just reads lines
 * (`\r\n` or `\n`), the last line even without a newline.
 */
export function openLineReader(
  handlers: LineReaderHandlers,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  output: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): LineReader {
  const interactive = input.isTTY === true && output.isTTY === true;
  const rl: Interface = createInterface({ input, output: interactive ? output : undefined, terminal: interactive, crlfDelay: Infinity });
  let closed = false;
  rl.on('line', (line) => {
    handlers.line(line);
    if (interactive && !closed) rl.prompt(true);
  });
  rl.on('close', () => {
    closed = true;
    handlers.end();
  });
  if (interactive) {
    rl.on('SIGINT', () => handlers.interrupt());
    rl.setPrompt('> ');
    rl.prompt();
  }
  return {
    interactive,
    around(write) {
      if (!interactive || closed) return write();
      // Erase the prompt line, print, then redraw prompt + partial input.
      output.write('\r\x1b[2K');
      write();
      rl.prompt(true);
    },
    close() {
      if (closed) return;
      closed = true;
      rl.removeAllListeners('close');
      rl.close();
    },
  };
}
