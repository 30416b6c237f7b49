/**
 * One test API for tests that run both under `node --test` and in Chromium
 * (@web/test-runner, mocha). Node gets `node:test`; the browser gets mocha's
 * globals. Assertions are our own small set so the same file runs in both.
 */
type Fn = () => void | Promise<void>;
interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: Fn): void;
  before(fn: Fn): void;
  after(fn: Fn): void;
  beforeEach(fn: Fn): void;
  afterEach(fn: Fn): void;
}

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string'
  && typeof (globalThis as { window?: unknown }).window === 'undefined';

const api: TestApi = isNode
  ? ((await import('node:test' as string)) as TestApi)
  : (globalThis as unknown as TestApi);

export const { describe, it, before, after, beforeEach, afterEach } = {
  describe: (name: string, fn: () => void) => api.describe(name, fn),
  it: (name: string, fn: Fn) => api.it(name, fn),
  before: (fn: Fn) => api.before(fn),
  after: (fn: Fn) => api.after(fn),
  beforeEach: (fn: Fn) => api.beforeEach(fn),
  afterEach: (fn: Fn) => api.afterEach(fn),
};
export const inNode = isNode;

export class AssertionError extends Error {
  override name = 'AssertionError';
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `<${v.constructor.name} ${hex(v.subarray(0, 64))}${v.length > 64 ? ` …(${v.length})` : ''}>`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? hex(x) : x));
  } catch {
    return String(v);
  }
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function ok(value: unknown, message?: string): asserts value {
  if (!value) throw new AssertionError(message ?? `expected truthy, got ${show(value)}`);
}

export function equal<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected ${show(expected)}, got ${show(actual)}`);
  }
}

function deepEq(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    return a instanceof ArrayBuffer && b instanceof ArrayBuffer && deepEq(new Uint8Array(a), new Uint8Array(b));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!deepEq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!deepEq(actual, expected)) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Asserts that `fn` throws; `match` checks `.code`, the constructor, or a RegExp on the message. */
export function throws(fn: () => unknown, match?: string | RegExp | (new (...a: never[]) => Error), message?: string): Error {
  try {
    fn();
  } catch (e) {
    checkError(e, match, message);
    return e as Error;
  }
  throw new AssertionError(message ?? 'expected function to throw');
}

/**
 * Asserts that `fn` throws a caller-input error (src/protocol/input.ts): an
 * error named `name` (a DOMException for the WHATWG names, else the built-in
 * class of that name) with the stable `code`. Returns it.
 */
export function throwsInput(fn: () => unknown, name: 'SyntaxError' | 'InvalidAccessError' | 'InvalidStateError' | 'TypeError' | 'RangeError', code: string, message?: string): Error {
  const e = throws(fn, code, message);
  const dom = name === 'SyntaxError' || name === 'InvalidAccessError' || name === 'InvalidStateError';
  if (e.name !== name || (dom && !(e instanceof DOMException))) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected ${dom ? 'a DOMException' : 'a'} ${name}, got ${e.constructor.name} ${e.name}: ${e.message}`);
  }
  return e;
}

export async function rejects(p: Promise<unknown> | (() => Promise<unknown>), match?: string | RegExp | (new (...a: never[]) => Error), message?: string): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    checkError(e, match, message);
    return e as Error;
  }
  throw new AssertionError(message ?? 'expected promise to reject');
}

function checkError(e: unknown, match: string | RegExp | (new (...a: never[]) => Error) | undefined, message?: string): void {
  if (match === undefined) return;
  const err = e as Error & { code?: unknown };
  if (typeof match === 'string') {
    if (err?.code !== match) throw new AssertionError(`${message ? message + ': ' : ''}expected error code ${match}, got ${String(err?.code)} (${String(err?.message)})`);
  } else if (match instanceof RegExp) {
    if (!match.test(String(err?.message))) throw new AssertionError(`${message ? message + ': ' : ''}expected message ${match}, got ${String(err?.message)}`);
  } else if (!(e instanceof match)) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected ${match.name}, got ${String((e as Error)?.name)}: ${String(err?.message)}`);
  }
}

/** Deterministic PRNG (mulberry32) for seeded property and fuzz tests. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic byte source in the shape the protocol core takes (`random`). */
export function seededRandom(seed: number): (buf: Uint8Array) => void {
  const next = prng(seed);
  return (buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = (next() * 256) | 0;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
