/**
 * The first stage of a callback: is this request WeChat's, and what does it
 * say? Query, signature and replay window first; then the body, at most
 * 64 KiB; in encrypted modes the `msg_signature`, before anything is
 * decrypted; then the message. Every failure is a Refusal (a 4xx that quotes
 * nothing from the request) or an error of the parser or cipher, which
 * outcome.ts turns into its answer.
 * (接入指南; 消息加解密说明)
 */
import { ConfigError, type CallbackConfig, type Encryption } from "../config";
import { randomBytes, utf8Decoder } from "../wechat/bytes";
import { MessageCipher } from "../wechat/crypto";
import { toMessage, type Message } from "../wechat/messages";
import { webCrypto, type Primitives } from "../wechat/primitives";
import type { Mode } from "../wechat/router";
import { sign, verifySignature } from "../wechat/signature";
import { renderEncrypted } from "../wechat/replies";
import { parseXml, textOf, type XmlNode } from "../wechat/xml";

/** WeChat's messages are a few hundred bytes; anything past this is not WeChat. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A refusal: status and a short reason that quotes nothing from the request. */
export class Refusal extends Error {
  constructor(
    readonly status: 400 | 403 | 413,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "Refusal";
  }
}

/** What the callback reads from the query (URLSearchParams satisfies it). */
export interface QueryParams {
  get(name: string): string | null;
}

/** An authenticated message, and how it came. */
export interface Inbound {
  message: Message;
  mode: Mode;
  /** Whether the reply must be encrypted (the message came with encrypt_type=aes). */
  encrypted: boolean;
  /** The query's `timestamp`: when WeChat sent this try, by its clock (seconds). */
  sentAtS: number;
}

/**
 * The protocol's crypto for one app: its primitives (Web Crypto in the
 * Worker) and the cipher of each configuration, imported once.
 */
export class CallbackCrypto {
  readonly #ciphers = new WeakMap<Encryption, Promise<MessageCipher>>();

  constructor(readonly primitives: Primitives = webCrypto) {}

  /** The cipher for encrypted modes; throws the ConfigError that says why there is none. */
  cipher(encryption: Encryption | ConfigError): Promise<MessageCipher> {
    if (encryption instanceof ConfigError) throw encryption;
    let cipher = this.#ciphers.get(encryption);
    if (cipher === undefined) {
      cipher = MessageCipher.create(encryption.encodingAESKey, encryption.appId, this.primitives);
      this.#ciphers.set(encryption, cipher);
    }
    return cipher;
  }

  verify(signature: string, parts: readonly string[]): Promise<boolean> {
    return verifySignature(signature, parts, this.primitives.sha1);
  }

  /** A reply in 安全模式's envelope: encrypted, signed, with a fresh timestamp (seconds) and nonce. */
  async seal(xml: string, config: CallbackConfig): Promise<string> {
    const encrypt = await (await this.cipher(config.encryption)).encrypt(xml);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomNonce();
    const signature = await sign([config.token, timestamp, nonce, encrypt], this.primitives.sha1);
    return renderEncrypted(encrypt, signature, timestamp, nonce);
  }
}

/** Ten random digits, as WeChat's own nonces look (slightly skewed: a nonce must be unrepeated, not uniform). */
function randomNonce(): string {
  return Array.from(randomBytes(10), (b) => b % 10).join("");
}

const TIMESTAMP = /^\d{1,12}$/;

/**
 * The query's signature over token, timestamp and nonce, after its presence
 * and the replay window: throws a Refusal unless all hold.
 */
export async function checkSignature(
  q: QueryParams,
  config: CallbackConfig,
  crypto: CallbackCrypto,
  now: number,
): Promise<{ timestamp: string; nonce: string }> {
  const signature = q.get("signature");
  const timestamp = q.get("timestamp");
  const nonce = q.get("nonce");
  if (signature === null || timestamp === null || nonce === null) {
    throw new Refusal(400, "missing query parameter: signature, timestamp and nonce are required");
  }
  if (!TIMESTAMP.test(timestamp)) throw new Refusal(400, "timestamp is not a number");
  if (config.replayWindowS > 0 && Math.abs(now / 1000 - Number(timestamp)) > config.replayWindowS) {
    throw new Refusal(403, "timestamp outside the replay window");
  }
  if (!(await crypto.verify(signature, [config.token, timestamp, nonce]))) throw new Refusal(403, "forged signature");
  return { timestamp, nonce };
}

/**
 * A POST's message: signature, body (read only once the signature holds),
 * and in encrypted modes the msg_signature and decryption.
 */
export async function authenticate(
  q: QueryParams,
  readBody: () => Promise<string>,
  config: CallbackConfig,
  crypto: CallbackCrypto,
  now: number,
): Promise<Inbound> {
  const encryptType = q.get("encrypt_type");
  if (encryptType !== null && encryptType !== "aes" && encryptType !== "raw") {
    throw new Refusal(400, "unknown encrypt_type");
  }
  const msgSignature = q.get("msg_signature");
  if (encryptType === "aes" && msgSignature === null) throw new Refusal(400, "missing query parameter: msg_signature");
  const { timestamp, nonce } = await checkSignature(q, config, crypto, now);
  const outer = parseXml(await readBody());
  const sentAtS = Number(timestamp);
  if (encryptType !== "aes") return { message: toMessage(outer), mode: "plaintext", encrypted: false, sentAtS };

  const inner = await decrypt(outer, [config.token, timestamp, nonce], msgSignature!, config, crypto);
  // 兼容模式 sends the plaintext fields beside Encrypt; only the decrypted copy is trusted.
  const mode = outer["MsgType"] === undefined ? "safe" : "compatible";
  return { message: toMessage(inner), mode, encrypted: true, sentAtS };
}

/** The decrypted message of an encrypted body, its msg_signature checked first (so no padding oracle). */
async function decrypt(
  outer: XmlNode,
  signed: string[],
  msgSignature: string,
  config: CallbackConfig,
  crypto: CallbackCrypto,
): Promise<XmlNode> {
  const encrypt = textOf(outer, "Encrypt");
  if (encrypt === undefined || encrypt.length === 0) throw new Refusal(400, "encrypted message without Encrypt");
  if (!(await crypto.verify(msgSignature, [...signed, encrypt]))) throw new Refusal(403, "forged msg_signature");
  const cipher = await crypto.cipher(config.encryption);
  return parseXml(await cipher.decrypt(encrypt));
}

/** The body as text, refusing more than MAX_BODY_BYTES whatever Content-Length claims. */
export async function readBody(request: Request): Promise<string> {
  const declared = request.headers.get("content-length");
  let bytes: Uint8Array;
  if (declared !== null) {
    // The runtime holds a body to its declared length: it can be read in one piece.
    if (Number(declared) > MAX_BODY_BYTES) throw new Refusal(413, "body over 64 KiB");
    bytes = new Uint8Array(await request.arrayBuffer());
  } else {
    if (request.body === null) throw new Refusal(400, "empty body");
    bytes = await readAtMost(request.body, MAX_BODY_BYTES);
  }
  if (bytes.byteLength > MAX_BODY_BYTES) throw new Refusal(413, "body over 64 KiB");
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new Refusal(400, "body is not UTF-8");
  }
}

/** A stream's bytes, refused (413) as soon as they pass `limit`. */
async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new Refusal(413, "body over 64 KiB");
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
