/**
 * Byte helpers shared by the protocol code: UTF-8, strict base64, hex, random
 * bytes and a constant-time compare. Encoding is the runtime's own
 * (`Uint8Array.fromBase64`, `toBase64`, `toHex`, `fromHex`); the strictness
 * WeChat's payloads are held to is ours.
 */

export const utf8Encoder = new TextEncoder();
/** Fatal: a payload that is not valid UTF-8 is refused, never silently "repaired". */
export const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Base64 characters, then at most two `=` at the very end. */
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Strict base64 (RFC 4648, padded): null for anything else, whitespace
 * included (`fromBase64` alone would skip whitespace and accept a missing
 * `=`). With whole groups of four, the pattern above leaves only the padded
 * forms `xx==` and `xxx=` for the last group.
 */
export function base64ToBytes(text: string): Uint8Array | null {
  return text.length % 4 === 0 && BASE64_TEXT.test(text) ? Uint8Array.fromBase64(text) : null;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

export function bytesToHex(bytes: Uint8Array): string {
  return bytes.toHex();
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
 * Whether `hex` (either case) spells `bytes`, compared in constant time.
 * Anything but 2 × bytes.length hex digits is false. Used for signatures and
 * the OAuth state's MAC, which arrive as hex.
 */
export function hexEqualsBytes(hex: string, bytes: Uint8Array): boolean {
  if (hex.length !== bytes.length * 2) return false;
  let given: Uint8Array;
  try {
    given = Uint8Array.fromHex(hex);
  } catch {
    return false;
  }
  return timingSafeEqual(given, bytes);
}

/** Fresh cryptographically random bytes. */
export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
