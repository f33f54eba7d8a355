/**
 * WeChat's callback signatures: SHA-1 over the lexicographically sorted,
 * concatenated parts (token, timestamp, nonce, and for encrypted messages the
 * `Encrypt` field), compared in constant time; and the hex SHA-1 that every
 * WeChat signature is (the JS-SDK's too, jssdk.ts).
 * (消息加解密说明; 验证消息的确来自微信服务器)
 */
import { bytesToHex, hexEqualsBytes } from "./bytes";
import { webCrypto, type Primitives } from "./primitives";

type Sha1 = Primitives["sha1"];

/**
 * The text WeChat hashes: the parts sorted and joined. Every part WeChat
 * signs is ASCII, where the default sort's UTF-16 order is the byte order
 * WeChat's own samples use.
 */
export function signedText(parts: readonly string[]): string {
  return [...parts].sort().join("");
}

/** SHA-1 of the text's UTF-8 bytes, in lowercase hex: what WeChat's signatures are. */
export async function sha1Hex(text: string, sha1: Sha1 = webCrypto.sha1): Promise<string> {
  return bytesToHex(new Uint8Array(await sha1(text)));
}

/** Hex signature of the parts, as WeChat computes it (for replies and tests). */
export function sign(parts: readonly string[], sha1: Sha1 = webCrypto.sha1): Promise<string> {
  return sha1Hex(signedText(parts), sha1);
}

/**
 * True when `signature` (hex, as sent) is the SHA-1 of the sorted parts,
 * compared with the digest in constant time; a value of any length but 40 is
 * false without hashing.
 */
export function verifySignature(
  signature: string,
  parts: readonly string[],
  sha1: Sha1 = webCrypto.sha1,
): Promise<boolean> {
  if (signature.length !== 40) return Promise.resolve(false);
  return sha1(signedText(parts)).then((digest) => hexEqualsBytes(signature, new Uint8Array(digest)));
}
