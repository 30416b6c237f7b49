/**
 * A self-signed TLS certificate made in-process, for `lifeline serve --tls`:
 * node:crypto makes the key pair (EC P-256) and the ECDSA signature, and
 * this module writes the X.509 v3 structure around them in DER (RFC 5280
 * §4.1; node:crypto can read certificates but not create them). No
 * `openssl` binary and no dependency.
 *
 * The certificate names `localhost`, 127.0.0.1 and ::1 (plus any host names
 * given) as subjectAltName, is valid from an hour ago for 30 days, and
 * carries basicConstraints CA:TRUE so a client can trust it directly as its
 * own CA (`lifeline connect --ca cert.pem`, Node's `ca` option).
 *
 * Owns: `selfSignedCertificate`, a minimal DER writer. Imports node:crypto only.
 */
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/** A certificate and its key, PEM, with the SHA-256 fingerprint as browsers and openssl print it (AB:CD:...). */
export interface SelfSigned {
  cert: string;
  key: string;
  fingerprint256: string;
  /** The names in subjectAltName. */
  names: string[];
  validTo: Date;
}

// ---- DER (ITU-T X.690 §8) ----

function length(size: number): number[] {
  if (size < 0x80) return [size];
  const bytes: number[] = [];
  for (let remaining = size; remaining > 0; remaining = Math.floor(remaining / 256)) bytes.unshift(remaining & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: Uint8Array | number[]): Uint8Array {
  const body = content instanceof Uint8Array ? content : Uint8Array.from(content);
  const head = [tag, ...length(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const sequence = (...parts: Uint8Array[]) => tlv(0x30, join(parts));
const set = (...parts: Uint8Array[]) => tlv(0x31, join(parts));
const explicit = (tagNumber: number, inner: Uint8Array) => tlv(0xa0 | tagNumber, inner);

/** A non-negative INTEGER from big-endian bytes (a leading 0x00 keeps it positive). */
function integer(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? join([Uint8Array.of(0), trimmed]) : trimmed);
}

function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [];
    for (let remaining = arc; ; remaining = Math.floor(remaining / 128)) {
      groups.unshift(remaining & 0x7f);
      if (remaining < 128) break;
    }
    for (let i = 0; i < groups.length - 1; i++) groups[i]! |= 0x80;
    out.push(...groups);
  }
  return tlv(0x06, out);
}

const utf8String = (text: string) => tlv(0x0c, new TextEncoder().encode(text));
const bitString = (bytes: Uint8Array) => tlv(0x03, join([Uint8Array.of(0), bytes]));
const octetString = (bytes: Uint8Array) => tlv(0x04, bytes);
const boolean = (value: boolean) => tlv(0x01, [value ? 0xff : 0]);

/** UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: through 2049). */
function utcTime(date: Date): Uint8Array {
  const two = (value: number) => String(value).padStart(2, '0');
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return tlv(0x17, new TextEncoder().encode(text));
}

function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split('.').map(Number));
  // IPv6: expand '::' and write 8 groups of 16 bits.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = parseInt(group, 16);
    out[2 * index] = value >> 8;
    out[2 * index + 1] = value & 0xff;
  });
  return out;
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/**
 * Makes a self-signed certificate for `names` (host names or IP
 * addresses; localhost, 127.0.0.1 and ::1 are always included).
 */
export function selfSignedCertificate(names: readonly string[] = [], days = 30): SelfSigned {
  const all = [...new Set(['localhost', '127.0.0.1', '::1', ...names.filter((host) => host !== '' && host !== '0.0.0.0' && host !== '::')])];
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8String('lifeline serve (self-signed)'))));
  const now = Date.now();
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(now + days * 86_400_000);
  const serial = new Uint8Array(randomBytes(16));
  serial[0]! &= 0x7f;
  // subjectAltName (RFC 5280 §4.2.1.6): dNSName [2], iPAddress [7].
  const altNames = sequence(...all.map((host) => (isIP(host) ? tlv(0x87, ipBytes(host)) : tlv(0x82, new TextEncoder().encode(host)))));
  const ski = createHash('sha1').update(spki).digest();
  const extensions = sequence(
    sequence(oid('2.5.29.19'), boolean(true), octetString(sequence(boolean(true)))), // basicConstraints: CA (critical)
    sequence(oid('2.5.29.15'), boolean(true), octetString(tlv(0x03, [0x02, 0x84]))), // keyUsage: digitalSignature, keyCertSign
    sequence(oid('2.5.29.37'), octetString(sequence(oid('1.3.6.1.5.5.7.3.1')))), // extKeyUsage: serverAuth
    sequence(oid('2.5.29.14'), octetString(octetString(new Uint8Array(ski)))), // subjectKeyIdentifier
    sequence(oid('2.5.29.17'), octetString(altNames)),
  );
  const tbs = sequence(
    explicit(0, integer(Uint8Array.of(2))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = new Uint8Array(sign('sha256', tbs, privateKey));
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature));
  const cert = pem('CERTIFICATE', der);
  const x509 = new X509Certificate(cert);
  return {
    cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint256: x509.fingerprint256,
    names: all,
    validTo: notAfter,
  };
}
