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

// One isolate-wide buffer for bytes that are written and consumed within one
// synchronous stretch (no await in between), so that a callback's few
// kilobytes of intermediate bytes are not a fresh off-heap ArrayBuffer each
// (about 0.6 µs apiece in V8, and garbage for the collector after).
const SCRATCH_MAX = 64 * 1024;
let scratchBuffer = new Uint8Array(4096);

/**
 * `size` bytes of the shared scratch buffer, contents undefined. Valid only
 * until the next await (or the next call): fill it and hand it to something
 * that copies it synchronously (Web Crypto copies its inputs when called).
 * Sizes over 64 KiB get a fresh buffer, so the scratch never stays large.
 */
export function scratch(size: number): Uint8Array {
  if (size > SCRATCH_MAX) return new Uint8Array(size);
  if (size > scratchBuffer.length)
    scratchBuffer = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(size, scratchBuffer.length * 2)));
  return scratchBuffer.subarray(0, size);
}

/** Strict base64 (RFC 4648, padded): null for anything else, whitespace included. */
export function base64ToBytes(text: string): Uint8Array | null {
  return decodeBase64(text, false);
}

/** base64ToBytes into the scratch buffer (see `scratch`: consume it before any await). */
export function base64ToScratch(text: string): Uint8Array | null {
  return decodeBase64(text, true);
}

function decodeBase64(text: string, toScratch: boolean): Uint8Array | null {
  const n = text.length;
  if (n % 4 !== 0) return null;
  const pad = n === 0 || text.charCodeAt(n - 1) !== EQUALS ? 0 : text.charCodeAt(n - 2) === EQUALS ? 2 : 1;
  const size = (n / 4) * 3 - pad;
  const out = toScratch ? scratch(size) : new Uint8Array(size);
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
  const out = scratch(Math.ceil(n / 3) * 4);
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
/** Every byte's two hex digits, so that a digest is 20 concatenations, not 40. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => HEX[b >> 4]! + HEX[b & 15]!);

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i]!]!;
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

/**
 * Constant-time check that `hex` (either case) spells `bytes`: the time depends
 * on the lengths only. Anything but 2 × bytes.length hex digits is false. Used
 * for signatures and the OAuth state's MAC: the digest is compared as sent, no decoded copy.
 */
export function hexEqualsBytes(hex: string, bytes: Uint8Array): boolean {
  if (hex.length !== bytes.length * 2) return false;
  let diff = 0;
  for (let i = 0; i < bytes.length; i++) {
    const hi = hexValue(hex.charCodeAt(2 * i));
    const lo = hexValue(hex.charCodeAt(2 * i + 1));
    diff |= ((hi | lo) >>> 8) | (((hi << 4) | lo) ^ bytes[i]!); // a non-digit is -1: sets high bits
  }
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
