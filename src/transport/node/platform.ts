/**
 * What the protocol core takes from Node on every Node side that runs it
 * (the client connection and the server's connections): the UTF-8 check
 * and the allocator (ProtocolCoreOptions `isUtf8`, `alloc`).
 *
 * Owns: when the native UTF-8 check pays off. Imports node:buffer only.
 */
import { Buffer, isUtf8 } from 'node:buffer';

/** Node's SIMD isUtf8 pays a native call; below this size the core's JS DFA is cheaper. */
const NATIVE_UTF8_MIN = 128;

/** The core's `isUtf8` option: Node's native check for spans long enough to pay for the call, else `false` (the core checks those itself). */
export function fastIsUtf8(bytes: Uint8Array): boolean {
  return bytes.length >= NATIVE_UTF8_MIN && isUtf8(bytes);
}

/** The core's `alloc` option: it fills every byte of what it allocates, so no zero-fill is needed. */
export function allocUnsafe(size: number): Uint8Array {
  return Buffer.allocUnsafe(size);
}
