/**
 * WeChat's callback signatures: SHA-1 over the lexicographically sorted,
 * concatenated parts (token, timestamp, nonce, and for encrypted messages the
 * `Encrypt` field), compared in constant time.
 */
import { bytesToHex, hexEqualsBytes } from "./bytes";
import { primitives } from "./primitives";

async function sha1(parts: string[]): Promise<Uint8Array> {
  // Default sort compares UTF-16 code units; every part WeChat signs is ASCII,
  // where that order is the byte order WeChat's own samples use.
  return primitives.sha1(parts.sort().join(""));
}

/** Hex signature of the parts, as WeChat computes it (for replies and tests). */
export async function sign(...parts: string[]): Promise<string> {
  return bytesToHex(await sha1(parts));
}

/**
 * True when `signature` (hex, as sent) is the SHA-1 of the sorted parts,
 * compared with the digest in constant time; a value of any length but 40
 * is false without hashing, one with a non-hex digit after hashing.
 */
export async function verifySignature(signature: string, ...parts: string[]): Promise<boolean> {
  if (signature.length !== 40) return false;
  return hexEqualsBytes(signature, await sha1(parts));
}
