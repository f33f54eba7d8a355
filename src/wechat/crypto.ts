/**
 * WeChat's message encryption (安全模式 / 兼容模式): AES-256-CBC, key = the
 * EncodingAESKey base64-decoded, IV = the key's first 16 bytes, plaintext =
 * random(16) ‖ uint32be(length) ‖ message ‖ appid, PKCS#7-padded to
 * 32-byte blocks — the padding done and checked here, byte by byte, on top
 * of raw CBC from primitives.ts (Web Crypto's own padding is 16-byte and
 * refuses about half of WeChat's messages). (消息加解密说明)
 */
import { base64ToBytes, bytesToBase64, randomBytes, utf8Decoder, utf8Encoder } from "./bytes";
import { webCrypto, type Primitives, type RawAesCbc } from "./primitives";

const BLOCK = 16;
const PAD_BLOCK = 32;

/** Why a payload was refused; `code` names it without echoing any content. */
export class CryptoError extends Error {
  constructor(
    readonly code: "bad_base64" | "bad_length" | "bad_padding" | "bad_message_length" | "bad_utf8" | "appid_mismatch",
    message: string,
  ) {
    super(message);
    this.name = "CryptoError";
  }
}

/** Decodes a 43-character EncodingAESKey to its 32-byte AES key, or null when malformed. */
export function decodeEncodingAESKey(encodingAESKey: string): Uint8Array | null {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAESKey)) return null;
  // The key is 32 bytes written as 43 base64 characters without the final "=".
  return Uint8Array.fromBase64(encodingAESKey + "=");
}

export class MessageCipher {
  readonly #key: RawAesCbc;
  readonly #iv: Uint8Array;
  readonly #appId: Uint8Array;

  private constructor(key: RawAesCbc, iv: Uint8Array, appId: Uint8Array) {
    this.#key = key;
    this.#iv = iv;
    this.#appId = appId;
  }

  /** Imports the key once; keep the instance for the isolate's lifetime. */
  static async create(
    encodingAESKey: string,
    appId: string,
    primitives: Primitives = webCrypto,
  ): Promise<MessageCipher> {
    const raw = decodeEncodingAESKey(encodingAESKey);
    if (raw === null) throw new TypeError("EncodingAESKey must be 43 characters of [A-Za-z0-9]");
    return new MessageCipher(await primitives.aesCbc(raw), raw.slice(0, BLOCK), utf8Encoder.encode(appId));
  }

  /** Encrypts a reply; `random` is for reproducing published vectors only. */
  async encrypt(message: string, random: Uint8Array = randomBytes(BLOCK)): Promise<string> {
    // The message is encoded straight into place: a UTF-16 unit is at most 3 UTF-8 bytes.
    const room = new Uint8Array(BLOCK + 4 + message.length * 3 + this.#appId.length + PAD_BLOCK);
    const length = utf8Encoder.encodeInto(message, room.subarray(BLOCK + 4)).written;
    const unpadded = BLOCK + 4 + length + this.#appId.length;
    const pad = PAD_BLOCK - (unpadded % PAD_BLOCK); // 1..32: a full block when aligned
    room.set(random.subarray(0, BLOCK), 0);
    new DataView(room.buffer).setUint32(BLOCK, length); // big-endian
    room.set(this.#appId, BLOCK + 4 + length);
    room.fill(pad, unpadded, unpadded + pad);
    return bytesToBase64(await this.#key.encrypt(this.#iv, room.subarray(0, unpadded + pad)));
  }

  /**
   * Decrypts an `Encrypt` field and returns the message. Refuses (CryptoError)
   * anything but a well-formed payload for this appid: strict base64, whole
   * blocks, every padding byte, the length field within bounds, exact appid.
   */
  async decrypt(encrypted: string): Promise<string> {
    const cipher = base64ToBytes(encrypted);
    if (cipher === null) throw new CryptoError("bad_base64", "Encrypt is not base64");
    const n = cipher.length;
    // At least random(16) + length(4) + padding: two blocks.
    if (n < PAD_BLOCK || n % BLOCK !== 0) {
      throw new CryptoError("bad_length", "Encrypt is not a whole number of AES blocks");
    }
    let plain: Uint8Array;
    try {
      plain = await this.#key.decrypt(this.#iv, cipher);
    } catch {
      // Raw CBC has no padding to refuse; this only keeps a runtime surprise from becoming a 5xx.
      throw new CryptoError("bad_padding", "bad padding");
    }

    const pad = plain[n - 1]!;
    if (pad < 1 || pad > PAD_BLOCK) throw new CryptoError("bad_padding", "bad padding");
    let padDiff = 0;
    for (let i = n - pad; i < n; i++) padDiff |= plain[i]! ^ pad;
    if (padDiff !== 0) throw new CryptoError("bad_padding", "bad padding");

    const end = n - pad;
    if (end < BLOCK + 4) throw new CryptoError("bad_message_length", "message length out of bounds");
    const length = new DataView(plain.buffer, plain.byteOffset).getUint32(BLOCK); // big-endian
    const appIdStart = BLOCK + 4 + length;
    if (length > end - BLOCK - 4) throw new CryptoError("bad_message_length", "message length out of bounds");

    const appId = plain.subarray(appIdStart, end);
    if (!bytesEqual(appId, this.#appId)) {
      throw new CryptoError("appid_mismatch", "message is not for this AppID");
    }
    try {
      return utf8Decoder.decode(plain.subarray(BLOCK + 4, appIdStart));
    } catch {
      throw new CryptoError("bad_utf8", "message is not UTF-8");
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
