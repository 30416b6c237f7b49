/**
 * An X display for browsers that have no headless mode (WebKitGTK's
 * MiniBrowser). Uses `DISPLAY` when it is set; otherwise starts Xvfb on a
 * free display number (Xvfb picks it and writes it to a pipe: `-displayfd`)
 * and stops it again, also when the process exits without cleaning up.
 * Node-only test support; imports nothing from src/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { killOnExit } from './processes.js';

export interface Display {
  /** The value for `DISPLAY`, e.g. `:99`. */
  name: string;
  /** Stops the Xvfb this module started (no-op for a `DISPLAY` from the environment). */
  stop(): Promise<void>;
}

/** Xvfb's path: `XVFB_PATH`, else `Xvfb` from `PATH`. */
export function xvfbPath(): string {
  return process.env.XVFB_PATH || 'Xvfb';
}

export async function openDisplay(): Promise<Display> {
  const fromEnv = process.env.DISPLAY;
  if (fromEnv) return { name: fromEnv, stop: async () => {} };
  return startXvfb();
}

async function startXvfb(): Promise<Display> {
  // fd 3 is a pipe on which Xvfb writes the display number it chose, once it accepts clients.
  const xvfb: ChildProcess = spawn(xvfbPath(), ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const forget = killOnExit(xvfb);
  let stderr = '';
  xvfb.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('Xvfb did not report a display within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      xvfb.kill('SIGKILL');
      reject(error);
    };
    xvfb.on('error', (error) => fail(new Error(`cannot start Xvfb (${xvfbPath()}): ${error.message}; install the xvfb package, set XVFB_PATH, or set DISPLAY`)));
    xvfb.on('exit', (code) => fail(new Error(`Xvfb exited with ${code} before reporting a display: ${stderr.trim()}`)));
    (xvfb.stdio[3] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) {
        clearTimeout(timer);
        xvfb.removeAllListeners('exit');
        resolve(out.trim());
      }
    });
  });
  return {
    name: `:${number}`,
    async stop() {
      forget();
      if (xvfb.exitCode !== null || xvfb.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => xvfb.once('exit', () => resolve()));
      xvfb.kill('SIGTERM');
      await exited;
    },
  };
}
