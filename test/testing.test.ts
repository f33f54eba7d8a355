/**
 * testWeChat (src/testing.ts), the helper owners test their bot with: its
 * requests are what WeChat sends (checked with Tencent's own @wecom/crypto),
 * its replies come back decrypted and parsed in every mode, and whatever
 * WeChat would refuse makes it throw.
 */
import { decrypt, getSignature } from "@wecom/crypto";
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testWeChat } from "../src/testing";
import { Bot, reply } from "../src/wechat";
import { testBot } from "./fixtures/bot";
import { AES_KEY, APPID, MODES, TOKEN } from "./fixtures/wechat";

describe("testWeChat", () => {
  it("signs and encrypts as WeChat does (safe mode, checked with @wecom/crypto)", async () => {
    const request = await testWeChat(testBot, env, { mode: "safe" }).request({ MsgType: "text", Content: "你好" });
    const q = new URL(request.url).searchParams;
    const body = await request.text();
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body)![1]!;
    expect(q.get("encrypt_type")).toBe("aes");
    expect(q.get("signature")).toBe(getSignature(TOKEN, q.get("timestamp")!, q.get("nonce")!, ""));
    expect(q.get("msg_signature")).toBe(getSignature(TOKEN, q.get("timestamp")!, q.get("nonce")!, encrypt));
    const { message, id } = decrypt(AES_KEY, encrypt);
    expect(id).toBe(APPID);
    expect(message).toContain("<Content><![CDATA[你好]]></Content>");
    expect(message).toMatch(/<MsgId><!\[CDATA\[\d{19}\]\]><\/MsgId>/);
    expect(body).not.toContain("你好"); // safe mode carries nothing in the clear
  });

  it.each(MODES)("hands back the reply, decrypted and parsed, in %s mode", async (mode) => {
    const wechat = testWeChat(testBot, env, { mode, openid: "oSomeone0000000000000000001" });
    expect(await wechat.send({ MsgType: "text", Content: "]]> <&> 😀" })).toMatchObject({
      ToUserName: "oSomeone0000000000000000001",
      MsgType: "text",
      Content: "]]> <&> 😀",
    });
    expect(await wechat.send({ MsgType: "event", Event: "unsubscribe" })).toBe("success");
  });

  it("parses a news reply's articles", async () => {
    const news = new Bot<typeof env>().on("text", () => reply.news([{ title: "a", url: "https://a" }, { title: "b" }]));
    expect(await testWeChat(news, env, { mode: "safe" }).send({ MsgType: "text", Content: "x" })).toMatchObject({
      MsgType: "news",
      ArticleCount: "2",
      Articles: { item: [{ Title: "a", Url: "https://a" }, { Title: "b" }] },
    });
  });

  it("throws when the Worker answers anything but 200", async () => {
    const broken = { ...env, REPLAY_WINDOW_S: "soon" };
    await expect(testWeChat(testBot, broken).send({ MsgType: "text", Content: "x" })).rejects.toThrow(/answered 500/);
  });
});
