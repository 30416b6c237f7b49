/**
 * Base64 (RFC 4648 §4) for the handshake key and accept value. Pure TS so
 * the sync core runs the same in Node and browsers. Imports nothing.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[group >>> 18]! + ALPHABET[(group >>> 12) & 63]! + ALPHABET[(group >>> 6) & 63]! + ALPHABET[group & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const group = bytes[i]! << 16;
    out += ALPHABET[group >>> 18]! + ALPHABET[(group >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[group >>> 18]! + ALPHABET[(group >>> 12) & 63]! + ALPHABET[(group >>> 6) & 63]! + '=';
  }
  return out;
}
