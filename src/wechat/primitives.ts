/**
 * The two cryptographic primitives WeChat's protocol needs — SHA-1 and raw
 * AES-256-CBC (no padding) — on Web Crypto. Everything above them (WeChat's
 * 32-byte padding, framing, signatures) is in crypto.ts and signature.ts.
 *
 * Web Crypto's AES-CBC always pads (PKCS#7, 16-byte blocks). Raw CBC is had
 * from it exactly:
 * - encrypt a block-aligned input: Web Crypto appends one whole block of its
 *   own padding, which is dropped (CBC output is a prefix chain);
 * - decrypt: append one block that decrypts to a whole block of 16-byte
 *   padding — E(C_last ⊕ 0x10…10), which is what Web Crypto returns for
 *   encrypting the empty message with IV = C_last — so Web Crypto's
 *   unpadding removes exactly that block and returns the raw plaintext.
 *
 * `usePrimitives` exists for the benchmark, which drives the same protocol
 * code in Node with node:crypto (Node runs Web Crypto on a thread pool).
 */
import { scratch, utf8Encoder } from "./bytes";

/**
 * Both methods read `iv` and `data` before they return their promise (as Web
 * Crypto does), so a caller may reuse those buffers at once (see bytes.ts' scratch).
 */
export interface RawAesCbc {
  /** CBC-encrypts a whole number of blocks, adding nothing. */
  encrypt(iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** CBC-decrypts a whole number of blocks, removing nothing. */
  decrypt(iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

export interface Primitives {
  /** SHA-1 of the text's UTF-8 bytes (every input WeChat signs is text). */
  sha1(text: string): Promise<Uint8Array>;
  aesCbc(rawKey: Uint8Array): Promise<RawAesCbc>;
}

const BLOCK = 16;
const EMPTY = new Uint8Array(0);

export const webCrypto: Primitives = {
  async sha1(text) {
    // Encoded into the scratch buffer (digest copies its input when called), not into a fresh array.
    const bytes = scratch(text.length * 3);
    const { written } = utf8Encoder.encodeInto(text, bytes);
    return new Uint8Array(await crypto.subtle.digest("SHA-1", bytes.subarray(0, written)));
  },
  async aesCbc(rawKey) {
    const key = await crypto.subtle.importKey("raw", rawKey, "AES-CBC", false, ["encrypt", "decrypt"]);
    return {
      async encrypt(iv, data) {
        const n = data.length;
        return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, data), 0, n);
      },
      async decrypt(iv, data) {
        // Copied before the first await (which an async function reaches within the call), as the interface promises.
        const n = data.length;
        const extended = new Uint8Array(n + BLOCK);
        extended.set(data, 0);
        const ivCopy = iv.slice();
        const tail = await crypto.subtle.encrypt({ name: "AES-CBC", iv: extended.subarray(n - BLOCK, n) }, key, EMPTY);
        extended.set(new Uint8Array(tail, 0, BLOCK), n);
        return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: ivCopy }, key, extended));
      },
    };
  },
};

export let primitives: Primitives = webCrypto;

/** Replaces the primitives (benchmarks only; the Worker always uses Web Crypto). */
export function usePrimitives(p: Primitives): void {
  primitives = p;
}
