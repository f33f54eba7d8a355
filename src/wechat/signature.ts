/**
 * WeChat's callback signatures: SHA-1 over the lexicographically sorted,
 * concatenated parts (token, timestamp, nonce, and for encrypted messages the
 * `Encrypt` field), compared in constant time; and the hex SHA-1 that every
 * WeChat signature is (the JS-SDK's too, jssdk.ts).
 */
import { bytesToHex, hexEqualsBytes } from "./bytes";
import { primitives } from "./primitives";

/**
 * The text WeChat hashes: the parts sorted by UTF-16 code unit and joined.
 * Every part WeChat signs is ASCII, where that order is the byte order
 * WeChat's own samples use (and `Array.prototype.sort`'s default). Sorted in
 * place by insertion: there are three or four parts, and the built-in sort
 * allocates a work area of ~0.9 KB a call even for three.
 */
export function signedText(parts: string[]): string {
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    let j = i;
    for (; j > 0 && parts[j - 1]! > part; j--) parts[j] = parts[j - 1]!;
    parts[j] = part;
  }
  return parts.join("");
}

/** SHA-1 of the text's UTF-8 bytes, in lowercase hex: what WeChat's signatures are. */
export async function sha1Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await primitives.sha1(text)));
}

/** Hex signature of the parts, as WeChat computes it (for replies and tests). */
export function sign(...parts: string[]): Promise<string> {
  return sha1Hex(signedText(parts));
}

const FORGED = Promise.resolve(false);

/**
 * True when `signature` (hex, as sent) is the SHA-1 of the sorted parts,
 * compared with the digest in constant time; a value of any length but 40
 * is false without hashing, one with a non-hex digit after hashing. Not an
 * async function: on the hot path the digest's promise is the only one
 * between the caller's await and the runtime (each async layer is a promise,
 * a resumable frame and a microtask turn more).
 */
export function verifySignature(signature: string, ...parts: string[]): Promise<boolean> {
  if (signature.length !== 40) return FORGED;
  return primitives.sha1(signedText(parts)).then((digest) => hexEqualsBytes(signature, new Uint8Array(digest)));
}
