/**
 * The callback pipeline, bundled for Node so the benchmark can drive it
 * in-process next to node-webot: the same code the Worker runs (verify,
 * decrypt, parse, route, build, encrypt), plus its stages one by one for
 * the hot-path profile.
 */
import { processCallback } from "../src/callback";
import type { Env } from "../src/env";
import { Bot } from "../src/wechat";
import { MessageCipher } from "../src/wechat/crypto";
import { toMessage } from "../src/wechat/messages";
import { renderReply, renderEncrypted } from "../src/wechat/replies";
import { sign, verifySignature } from "../src/wechat/signature";
import { parseXml, textOf } from "../src/wechat/xml";

export const echoBot = new Bot<Env>().on("text", ({ message }) => message.Content);

/** The Worker's pipeline without HTTP objects: query and body in, status and body out. */
export function pipeline(env: Env) {
  const ctx = { env, bot: echoBot, waitUntil: () => {} };
  return (query: URLSearchParams, body: string) => processCallback(query, async () => body, ctx);
}

export { usePrimitives, webCrypto } from "../src/wechat/primitives";
export { MessageCipher, parseXml, renderEncrypted, renderReply, sign, textOf, toMessage, verifySignature };
