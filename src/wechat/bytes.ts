/**
 * Byte helpers shared by the protocol code: UTF-8, strict base64, hex, and a
 * constant-time compare. Encoders are created once per isolate, not per call.
 */

export const utf8Encoder = new TextEncoder();
/** Fatal: a payload that is not valid UTF-8 is refused, never silently "repaired". */
export const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (RFC 4648, padded): null for anything else, whitespace included. */
export function base64ToBytes(text: string): Uint8Array | null {
  if (!BASE64_RE.test(text)) return null;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // String.fromCharCode.apply in chunks: fast, and well under the argument-count limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(binary);
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
