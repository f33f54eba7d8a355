/**
 * The callback pipeline, bundled for Node so the benchmark can drive it
 * in-process next to node-webot: the same code the Worker runs (verify,
 * decrypt, parse, route, build, encrypt), plus its stages one by one for
 * the hot-path profile. The primitives (SHA-1, AES) are the caller's: Web
 * Crypto as in the Worker, or node:crypto.
 */
import { CallbackCrypto, processCallback } from "../src/callback";
import type { Env } from "../src/env";
import { Bot } from "../src/wechat";
import { MessageCipher } from "../src/wechat/crypto";
import { toMessage } from "../src/wechat/messages";
import { webCrypto, type Primitives } from "../src/wechat/primitives";
import { renderEncrypted, renderReply } from "../src/wechat/replies";
import { sign, verifySignature } from "../src/wechat/signature";
import { parseXml, textOf } from "../src/wechat/xml";

export const echoBot = new Bot<Env>().on("text", ({ message }) => message.Content);

/** The Worker's pipeline without HTTP objects: query and body in, status and body out. */
export function pipeline(env: Env, primitives: Primitives = webCrypto) {
  const services = { env, bot: echoBot, waitUntil: () => {}, crypto: new CallbackCrypto(primitives) };
  return (query: URLSearchParams, body: string) => processCallback(query, async () => body, services);
}

export { webCrypto };
export { MessageCipher, parseXml, renderEncrypted, renderReply, sign, textOf, toMessage, verifySignature };
