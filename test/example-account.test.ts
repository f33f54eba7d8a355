/**
 * The example account (src/bot/) as the contract's table describes it,
 * through the deployed Worker's own fetch, in every mode.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { control } from "./fixtures/api";
import { MODES, OPENID, openReply, post } from "./fixtures/wechat";

// The deployed Worker's own AppID, known to the fake WeChat API.
beforeAll(() => control("register", { appid: env.WECHAT_APPID, secret: env.WECHAT_APPSECRET }));

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

  it.each(["二维码", "qrcode", " QRCode "])(
    "text %j answers a new temporary QR code bound to the follower",
    async (command) => {
      const r = (await ask({ MsgType: "text", Content: command })) as { Content: string };
      const link = /https:\/\/mp\.weixin\.qq\.com\/cgi-bin\/showqrcode\?ticket=(\S+)/.exec(r.Content);
      expect(link).not.toBeNull();
      const state = await control("state", { appid: env.WECHAT_APPID });
      const sent = state.sent.at(-1);
      expect(sent.path).toBe("/cgi-bin/qrcode/create");
      expect(sent.body).toEqual({
        action_name: "QR_STR_SCENE",
        expire_seconds: 604800,
        action_info: { scene: { scene_str: `follower:${OPENID}` } },
      });
      expect(decodeURIComponent(link![1]!)).toMatch(/^gQH/);
    },
  );

  it("voice answers its Recognition", async () => {
    expect(await ask({ MsgType: "voice", MediaId: "m", Format: "amr", Recognition: "你好世界" })).toMatchObject({
      Content: "你好世界",
    });
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
    const r = (await ask({
      MsgType: "event",
      Event: "subscribe",
      EventKey: "qrscene_spring-campaign",
      Ticket: "T",
    })) as { Content: string };
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
    expect(await ask({ MsgType: "event", Event: "CLICK", EventKey: "MENU_NEWS" })).toMatchObject({
      MsgType: "news",
      ArticleCount: "1",
    });
    expect(
      ((await ask({ MsgType: "event", Event: "CLICK", EventKey: "NO_SUCH_KEY" })) as { Content: string }).Content,
    ).toContain("NO_SUCH_KEY");
  });

  it("anything else gets a short text or success", async () => {
    expect(await ask({ MsgType: "image", PicUrl: "http://x", MediaId: "m" })).toMatchObject({ MsgType: "text" });
    expect(await ask({ MsgType: "event", Event: "VIEW", EventKey: "http://x" })).toBe("success");
    expect(await ask({ MsgType: "event", Event: "TEMPLATESENDJOBFINISH", MsgID: "1", Status: "success" })).toBe(
      "success",
    );
    expect(await ask({ MsgType: "video", MediaId: "m", ThumbMediaId: "t" })).toMatchObject({ MsgType: "text" });
  });
});
