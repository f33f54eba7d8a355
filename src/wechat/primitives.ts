/**
 * The two cryptographic primitives WeChat's protocol needs — SHA-1 and raw
 * AES-256-CBC (no padding) — and their Web Crypto implementation, which the
 * Worker uses. Everything above them (WeChat's 32-byte padding, framing,
 * signatures) is in crypto.ts and signature.ts. The interface lets a caller
 * supply its own (the benchmark runs the same protocol code in Node with
 * node:crypto); the Worker never does.
 *
 * Web Crypto's AES-CBC always pads (PKCS#7, 16-byte blocks). Raw CBC is had
 * from it exactly:
 * - encrypt a block-aligned input: Web Crypto appends one whole block of its
 *   own padding, which is dropped (CBC output is a prefix chain);
 * - decrypt: append two blocks, X = 0x10…10 and Y = E(0…0), made once per
 *   key. In CBC, Y decrypts to D(Y) ⊕ X = 0x10…10, a whole block of 16-byte
 *   padding, which Web Crypto's unpadding removes; X decrypts to a block of
 *   garbage (D(X) ⊕ C_last), which is dropped.
 */
import { utf8Encoder } from "./bytes";

export interface RawAesCbc {
  /** CBC-encrypts a whole number of blocks, adding nothing. */
  encrypt(iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** CBC-decrypts a whole number of blocks, removing nothing. */
  decrypt(iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

export interface Primitives {
  /** SHA-1 of the text's UTF-8 bytes (every input WeChat signs is text). */
  sha1(text: string): Promise<ArrayBuffer>;
  aesCbc(rawKey: Uint8Array): Promise<RawAesCbc>;
}

const BLOCK = 16;

export const webCrypto: Primitives = {
  sha1(text) {
    return crypto.subtle.digest("SHA-1", utf8Encoder.encode(text));
  },
  async aesCbc(rawKey) {
    const key = await crypto.subtle.importKey("raw", rawKey, "AES-CBC", false, ["encrypt", "decrypt"]);
    // X ‖ Y (above): Y = E(0) is CBC's first output block for a zero block under a zero IV.
    const zero = new Uint8Array(BLOCK);
    const suffix = new Uint8Array(2 * BLOCK).fill(BLOCK, 0, BLOCK);
    suffix.set(new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: zero }, key, zero), 0, BLOCK), BLOCK);
    return {
      async encrypt(iv, data) {
        const encrypted = await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, data);
        return new Uint8Array(encrypted, 0, data.length);
      },
      async decrypt(iv, data) {
        const extended = new Uint8Array(data.length + 2 * BLOCK);
        extended.set(data, 0);
        extended.set(suffix, data.length);
        return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, key, extended), 0, data.length);
      },
    };
  },
};
