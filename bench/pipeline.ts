/**
 * The callback pipeline, bundled for Node so the benchmark can drive it
 * in-process next to node-webot: the same code the Worker runs (verify,
 * decrypt, parse, route, build, encrypt), plus its stages one by one for
 * the hot-path profile.
 */
import { handleCallback } from "../src/callback";
import type { Env } from "../src/env";
import { Bot } from "../src/wechat";
import { MessageCipher } from "../src/wechat/crypto";
import { toMessage } from "../src/wechat/messages";
import { renderReply, renderEncrypted } from "../src/wechat/replies";
import { sign, verifySignature } from "../src/wechat/signature";
import { parseXml, textOf } from "../src/wechat/xml";

export const echoBot = new Bot<Env>().on("text", ({ message }) => message.Content);

export function pipeline(env: Env) {
  const ctx = { env, bot: echoBot, waitUntil: () => {} };
  return (request: Request) => handleCallback(request, new URL(request.url), ctx);
}

export { MessageCipher, parseXml, renderEncrypted, renderReply, sign, textOf, toMessage, verifySignature };
