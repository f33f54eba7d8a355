/**
 * Byte helpers shared by the protocol code: UTF-8, strict base64, hex, and a
 * constant-time compare. Encoders are created once per isolate, not per call.
 */

export const utf8Encoder = new TextEncoder();
/** Fatal: a payload that is not valid UTF-8 is refused, never silently "repaired". */
export const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

// Base64 by table, one pass each way: the regex check, atob and the byte loop it
// replaces cost about 3 µs per safe-mode message (a CPU profile's largest JS item there).
const B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_CODES = utf8Encoder.encode(B64_ALPHABET);
const B64_VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUES[B64_ALPHABET.charCodeAt(i)] = i;
const EQUALS = 61;

function b64Value(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? B64_VALUES[c]! : -1;
}

/** Strict base64 (RFC 4648, padded): null for anything else, whitespace included. */
export function base64ToBytes(text: string): Uint8Array | null {
  const n = text.length;
  if (n % 4 !== 0) return null;
  const pad = n === 0 || text.charCodeAt(n - 1) !== EQUALS ? 0 : text.charCodeAt(n - 2) === EQUALS ? 2 : 1;
  const out = new Uint8Array((n / 4) * 3 - pad);
  const whole = pad === 0 ? n : n - 4;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = b64Value(text, i);
    const b = b64Value(text, i + 1);
    const c = b64Value(text, i + 2);
    const d = b64Value(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (pad !== 0) {
    const a = b64Value(text, whole);
    const b = b64Value(text, whole + 1);
    const c = pad === 1 ? b64Value(text, whole + 2) : 0;
    if ((a | b | c) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    if (pad === 1) out[o++] = (v >> 8) & 255;
  }
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = B64_CODES[(v >> 6) & 63]!;
    out[o++] = B64_CODES[v & 63]!;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (bytes[i]! << 16) | (two ? bytes[i + 1]! << 8 : 0);
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = two ? B64_CODES[(v >> 6) & 63]! : EQUALS;
    out[o++] = EQUALS;
  }
  return utf8Decoder.decode(out); // ASCII: always valid UTF-8
}

const HEX = "0123456789abcdef";

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return out;
}

/** Hex (either case) to bytes; null when the text is not an even run of hex digits. */
export function hexToBytes(text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(text.charCodeAt(2 * i));
    const lo = hexValue(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Constant-time equality of two byte strings: the time depends on the length
 * only, never on where the first difference is. Lengths are public (a SHA-1
 * digest is always 20 bytes), so a length mismatch may return early.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

// Random bytes come from a pool refilled from the CSPRNG 4 KiB at a time:
// each byte is handed out once, and a callback costs no getRandomValues call.
const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;

/** Fresh cryptographically random bytes (never handed out twice). */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_SIZE) return crypto.getRandomValues(new Uint8Array(length));
  if (poolAt + length > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_SIZE));
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + length);
  poolAt += length;
  return out;
}
