/**
 * Your account's own tests: what followers get, in every mode, the way
 * WeChat sends it (src/testing.ts builds, signs and encrypts each message and
 * checks each reply as WeChat would). Edit these with your bot; `npm test` runs them.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testWeChat } from "../testing";
import { bot } from ".";

describe.each(["plaintext", "compatible", "safe"] as const)("%s mode", (mode) => {
  const wechat = testWeChat(bot, env, { mode });

  it("text comes back as the same text (鹦鹉学舌)", async () => {
    const text = "今天天气不错 ]]> <&> 😀";
    expect(await wechat.send({ MsgType: "text", Content: text })).toMatchObject({ MsgType: "text", Content: text });
  });

  it("a 2,000+ character text comes back whole", async () => {
    const long = "长".repeat(2100);
    expect(await wechat.send({ MsgType: "text", Content: long })).toMatchObject({ Content: long });
  });

  it.each(["二维码", "qrcode", " QRCode "])("text %j answers a QR code link", async (command) => {
    const reply = await wechat.send({ MsgType: "text", Content: command });
    expect(reply).toMatchObject({
      Content: expect.stringMatching(/https:\/\/mp\.weixin\.qq\.com\/cgi-bin\/showqrcode\?ticket=\S+/),
    });
  });

  it("voice answers its Recognition, or says nothing was recognised", async () => {
    const voice = { MsgType: "voice", MediaId: "m", Format: "amr" };
    expect(await wechat.send({ ...voice, Recognition: "你好世界" })).toMatchObject({ Content: "你好世界" });
    expect(await wechat.send({ ...voice, Recognition: "" })).toMatchObject({
      Content: expect.stringContaining("没有识别"),
    });
  });

  it("subscribe thanks the follower, and names the scene of a QR code", async () => {
    expect(await wechat.send({ MsgType: "event", Event: "subscribe" })).toMatchObject({ Content: "感谢您的关注!" });
    const scanned = await wechat.send({
      MsgType: "event",
      Event: "subscribe",
      EventKey: "qrscene_spring",
      Ticket: "T",
    });
    expect(scanned).toMatchObject({ Content: expect.stringMatching(/^感谢您的关注!/) });
    expect(scanned).toMatchObject({ Content: expect.stringContaining("spring") });
    expect(scanned).not.toMatchObject({ Content: expect.stringContaining("qrscene_") });
  });

  it("SCAN names the scene value", async () => {
    expect(await wechat.send({ MsgType: "event", Event: "SCAN", EventKey: "42", Ticket: "T" })).toMatchObject({
      Content: expect.stringContaining("42"),
    });
  });

  it("unsubscribe is answered success", async () => {
    expect(await wechat.send({ MsgType: "event", Event: "unsubscribe" })).toBe("success");
  });

  it("CLICK answers by menu key, and names a key it does not know", async () => {
    const click = (key: string) => wechat.send({ MsgType: "event", Event: "CLICK", EventKey: key });
    expect(await click("MENU_ABOUT")).not.toEqual(await click("MENU_HELP"));
    expect(await click("MENU_NEWS")).toMatchObject({ MsgType: "news", ArticleCount: "1" });
    expect(await click("NO_SUCH_KEY")).toMatchObject({ Content: expect.stringContaining("NO_SUCH_KEY") });
    expect(await click("constructor")).toMatchObject({ Content: expect.stringContaining("constructor") });
  });

  it("anything else gets a short text or success", async () => {
    expect(await wechat.send({ MsgType: "image", PicUrl: "http://x", MediaId: "m" })).toMatchObject({
      MsgType: "text",
    });
    expect(await wechat.send({ MsgType: "event", Event: "VIEW", EventKey: "http://x" })).toBe("success");
    expect(await wechat.send({ MsgType: "video", MediaId: "m", ThumbMediaId: "t" })).toMatchObject({ MsgType: "text" });
  });
});
