/**
 * The example account (src/bot/) as the contract's table describes it,
 * through the deployed Worker's own fetch, in every mode.
 */
import { describe, expect, it } from "vitest";
import { MODES, openReply, post } from "./fixtures/wechat";

describe.each(MODES)("%s mode", (mode) => {
  const ask = async (fields: Record<string, unknown>) => openReply(await post(fields, { mode }), mode);

  it("text comes back as the same text (鹦鹉学舌)", async () => {
    expect(await ask({ MsgType: "text", Content: "今天天气不错 ]]> <&> 😀" })).toMatchObject({
      MsgType: "text",
      Content: "今天天气不错 ]]> <&> 😀",
    });
  });

  it("a 2,000+ character text comes back whole", async () => {
    const long = "长".repeat(2100);
    expect(await ask({ MsgType: "text", Content: long })).toMatchObject({ Content: long });
  });

  it("voice answers its Recognition", async () => {
    expect(await ask({ MsgType: "voice", MediaId: "m", Format: "amr", Recognition: "你好世界" })).toMatchObject({ Content: "你好世界" });
  });

  it("voice without recognition says nothing was recognised", async () => {
    const r = await ask({ MsgType: "voice", MediaId: "m", Format: "amr", Recognition: "" });
    expect(r).toMatchObject({ MsgType: "text" });
    expect((r as { Content: string }).Content).toContain("没有识别");
  });

  it("subscribe thanks the follower", async () => {
    expect(await ask({ MsgType: "event", Event: "subscribe" })).toMatchObject({ Content: "感谢您的关注!" });
  });

  it("subscribe through a QR code names the scene", async () => {
    const r = (await ask({ MsgType: "event", Event: "subscribe", EventKey: "qrscene_spring-campaign", Ticket: "T" })) as { Content: string };
    expect(r.Content).toMatch(/^感谢您的关注!/);
    expect(r.Content).toContain("spring-campaign");
    expect(r.Content).not.toContain("qrscene_");
  });

  it("SCAN names the scene value", async () => {
    const r = (await ask({ MsgType: "event", Event: "SCAN", EventKey: "42", Ticket: "T" })) as { Content: string };
    expect(r.Content).toContain("42");
  });

  it("unsubscribe is answered success", async () => {
    expect(await ask({ MsgType: "event", Event: "unsubscribe" })).toBe("success");
  });

  it("CLICK answers by menu key", async () => {
    const about = (await ask({ MsgType: "event", Event: "CLICK", EventKey: "MENU_ABOUT" })) as { Content: string };
    const help = (await ask({ MsgType: "event", Event: "CLICK", EventKey: "MENU_HELP" })) as { Content: string };
    expect(about.Content).not.toBe(help.Content);
    expect(await ask({ MsgType: "event", Event: "CLICK", EventKey: "MENU_NEWS" })).toMatchObject({ MsgType: "news", ArticleCount: "1" });
    expect(((await ask({ MsgType: "event", Event: "CLICK", EventKey: "NO_SUCH_KEY" })) as { Content: string }).Content).toContain("NO_SUCH_KEY");
  });

  it("anything else gets a short text or success", async () => {
    expect(await ask({ MsgType: "image", PicUrl: "http://x", MediaId: "m" })).toMatchObject({ MsgType: "text" });
    expect(await ask({ MsgType: "event", Event: "VIEW", EventKey: "http://x" })).toBe("success");
    expect(await ask({ MsgType: "event", Event: "TEMPLATESENDJOBFINISH", MsgID: "1", Status: "success" })).toBe("success");
    expect(await ask({ MsgType: "video", MediaId: "m", ThumbMediaId: "t" })).toMatchObject({ MsgType: "text" });
  });
});
