/**
 * The typed API client (src/api/): customer-service messages of every type,
 * template messages with their 64-bit msgid exact, user info, input checked
 * before sending, and WeChat's errcodes as typed errors.
 */
import { describe, expect, it } from "vitest";
import { WeChatApi } from "../src/api/client";
import {
  InternalError,
  InvalidInputError,
  UpstreamError,
  WeChatApiError,
  deserializeError,
  serializeError,
} from "../src/api/errors";
import { parseJsonExact } from "../src/api/json";
import { replyToCustomMessage, type CustomMessage } from "../src/api/messages";
import { qrcodeApi } from "../src/api/qrcode";
import { ConfigError } from "../src/config";
import { reply } from "../src/wechat";
import { testWeChat } from "../src/testing";
import { control, newApp } from "./fixtures/api";
import { testBot } from "./fixtures/bot";

const OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

const CUSTOM: CustomMessage[] = [
  { msgtype: "text", text: { content: "你好 <a href='x'>link</a>" } },
  { msgtype: "image", image: { media_id: "MEDIA" } },
  { msgtype: "voice", voice: { media_id: "MEDIA" } },
  { msgtype: "video", video: { media_id: "MEDIA", thumb_media_id: "T", title: "t", description: "d" } },
  {
    msgtype: "music",
    music: {
      title: "t",
      description: "d",
      musicurl: "http://m/1.mp3",
      hqmusicurl: "http://m/2.mp3",
      thumb_media_id: "T",
    },
  },
  { msgtype: "news", news: { articles: [{ title: "t", description: "d", url: "http://u", picurl: "http://p" }] } },
  { msgtype: "mpnews", mpnews: { media_id: "MEDIA" } },
  { msgtype: "mpnewsarticle", mpnewsarticle: { article_id: "ARTICLE" } },
  {
    msgtype: "msgmenu",
    msgmenu: {
      head_content: "您对本次服务是否满意呢?",
      list: [
        { id: "101", content: "满意" },
        { id: "102", content: "不满意" },
      ],
      tail_content: "欢迎再次光临",
    },
  },
  { msgtype: "wxcard", wxcard: { card_id: "CARD" } },
  {
    msgtype: "miniprogrampage",
    miniprogrampage: { title: "t", appid: "wxapp", pagepath: "pages/index", thumb_media_id: "T" },
  },
];

describe("customer-service messages", () => {
  it.each(CUSTOM.map((m) => [m.msgtype, m] as const))("sends %s as WeChat expects", async (_, message) => {
    const t = await newApp();
    await new WeChatApi(t.env).message.sendCustom(OPENID, message);
    expect((await t.state()).sent.at(-1)).toEqual({
      path: "/cgi-bin/message/custom/send",
      body: { touser: OPENID, ...message },
    });
  });

  it("names the customer-service account when asked", async () => {
    const t = await newApp();
    await new WeChatApi(t.env).message.sendCustom(OPENID, CUSTOM[0]!, "kf2001@gh_account");
    expect((await t.state()).sent.at(-1)!.body.customservice).toEqual({ kf_account: "kf2001@gh_account" });
  });

  it.each([
    ["an unknown msgtype", OPENID, { msgtype: "hologram" }],
    ["a text without content", OPENID, { msgtype: "text", text: {} }],
    ["an image without media_id", OPENID, { msgtype: "image", image: {} }],
    ["news with two articles", OPENID, { msgtype: "news", news: { articles: [{ title: "a" }, { title: "b" }] } }],
    ["a menu without items", OPENID, { msgtype: "msgmenu", msgmenu: { list: [] } }],
    ["no follower", "", CUSTOM[0]],
    ["a follower id with spaces", "o x", CUSTOM[0]],
  ])("refuses %s before sending", async (_, to, message) => {
    const t = await newApp();
    await expect(new WeChatApi(t.env).message.sendCustom(to, message as CustomMessage)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect((await t.state()).counts).toEqual({});
  });

  it("passes WeChat's refusal through as a typed error (45015: outside the 48 h window)", async () => {
    const t = await newApp();
    await control("behaviour", { appid: t.appid, customWindowClosed: OPENID });
    const e = await new WeChatApi(t.env).message.sendCustom(OPENID, CUSTOM[0]!).catch((x) => x);
    expect(e).toBeInstanceOf(WeChatApiError);
    expect(e.errcode).toBe(45015);
  });

  it("converts every passive reply type to its customer-service form", () => {
    expect(replyToCustomMessage(reply.text("hi"))).toEqual({ msgtype: "text", text: { content: "hi" } });
    expect(replyToCustomMessage(reply.image("m"))).toEqual({ msgtype: "image", image: { media_id: "m" } });
    expect(replyToCustomMessage(reply.voice("m"))).toEqual({ msgtype: "voice", voice: { media_id: "m" } });
    expect(replyToCustomMessage(reply.video({ mediaId: "m", title: "t" }))).toMatchObject({
      msgtype: "video",
      video: { media_id: "m", title: "t" },
    });
    expect(replyToCustomMessage(reply.music({ thumbMediaId: "t", musicUrl: "http://m" }))).toMatchObject({
      msgtype: "music",
      music: { thumb_media_id: "t", musicurl: "http://m" },
    });
    expect(replyToCustomMessage(reply.news({ title: "a", url: "http://u", picUrl: "http://p" }))).toEqual({
      msgtype: "news",
      news: { articles: [{ title: "a", description: undefined, url: "http://u", picurl: "http://p" }] },
    });
    expect(replyToCustomMessage(reply.nothing())).toBeNull();
    expect(replyToCustomMessage(reply.transferCustomerService())).toBeNull();
  });
});

describe("template messages", () => {
  const message = {
    touser: OPENID,
    template_id: "tpl_ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
    url: "http://weixin.qq.com/download",
    miniprogram: { appid: "xiaochengxuappid12345", pagepath: "index?foo=bar" },
    data: { keyword1: { value: "巧克力" }, keyword2: { value: "39.8元", color: "#173177" } },
  };

  it("returns WeChat's 64-bit msgid exactly (beyond 2^53)", async () => {
    const t = await newApp();
    const { msgid } = await new WeChatApi(t.env).message.sendTemplate(message);
    expect(msgid).toMatch(/^9007199254740\d{3}$/);
    expect(BigInt(msgid)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    expect((await t.state()).sent.at(-1)!.body).toEqual(message);
  });

  it.each([
    ["no touser", { ...message, touser: undefined }],
    ["no template_id", { ...message, template_id: "" }],
    ["no data", { ...message, data: {} }],
    ["a value that is not a string", { ...message, data: { k: { value: 1 } } }],
    ["a url that is not http(s)", { ...message, url: "javascript:alert(1)" }],
    ["a miniprogram without appid", { ...message, miniprogram: { pagepath: "x" } }],
  ])("refuses %s before sending", async (_, bad) => {
    const t = await newApp();
    await expect(new WeChatApi(t.env).message.sendTemplate(bad as never)).rejects.toBeInstanceOf(InvalidInputError);
    expect((await t.state()).counts).toEqual({});
  });
});

describe("exact JSON", () => {
  it("keeps integers beyond 2^53 as their exact text, leaves the rest alone", () => {
    expect(parseJsonExact('{"msgid":2453610889772302337,"n":7,"f":1.5,"big":-9223372036854775808,"s":"x"}')).toEqual({
      msgid: "2453610889772302337",
      n: 7,
      f: 1.5,
      big: "-9223372036854775808",
      s: "x",
    });
  });
});

describe("user info", () => {
  it("returns the follower's info", async () => {
    const t = await newApp();
    expect(await new WeChatApi(t.env).user.info(OPENID)).toMatchObject({ subscribe: 1, openid: OPENID });
  });
});

describe("error seams", () => {
  it("WeChat answering qrcode/create without a ticket is an upstream error (a 502), not the caller's input", async () => {
    const silent = { call: async () => ({ errcode: 0 }) } as unknown as WeChatApi;
    const failure = await qrcodeApi(silent)
      .create({ scene: "x" })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ kind: "bad_response", path: "/cgi-bin/qrcode/create" });
  });

  it("a timeout carries its cause", async () => {
    const t = await newApp({ WECHAT_API_TIMEOUT_MS: "50" });
    await control("behaviour", { appid: t.appid, delayMs: { "/cgi-bin/user/info": 500 } });
    const failure = await new WeChatApi(t.env).user.info(OPENID).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ kind: "timeout", path: "/cgi-bin/user/info" });
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });

  it("errors cross Durable Object RPC with their kind: WeChat's, upstream, configuration, internal", () => {
    const cases: [Error, (e: Error) => void][] = [
      [
        new WeChatApiError(40164, "invalid ip", "/cgi-bin/stable_token"),
        (e) => expect(e).toMatchObject({ errcode: 40164 }),
      ],
      [
        new UpstreamError("http", "/cgi-bin/menu/get", "HTTP 502", 502),
        (e) => expect(e).toMatchObject({ status: 502 }),
      ],
      [
        new ConfigError("WECHAT_APPSECRET", "is not set"),
        (e) => expect(e).toMatchObject({ variable: "WECHAT_APPSECRET", message: "WECHAT_APPSECRET is not set" }),
      ],
      [new TypeError("secret detail"), (e) => expect(e.message).not.toContain("secret detail")],
    ];
    for (const [original, check] of cases) {
      const crossed = deserializeError(structuredClone(serializeError(original)));
      expect(crossed.constructor).toBe(original instanceof TypeError ? InternalError : original.constructor);
      check(crossed);
    }
  });
});

describe("a handler's ctx.api", () => {
  it("creates a QR code for the follower with the shared token (the test bot's 二维码)", async () => {
    const t = await newApp();
    const reply = await testWeChat(testBot, t.env, { openid: OPENID }).send({ MsgType: "text", Content: "二维码" });
    expect(reply).toMatchObject({ Content: expect.stringMatching(/showqrcode\?ticket=gQH/) });
    const sent = (await t.state()).sent.at(-1)!;
    expect(sent.path).toBe("/cgi-bin/qrcode/create");
    expect(sent.body).toEqual({
      action_name: "QR_STR_SCENE",
      expire_seconds: 604800,
      action_info: { scene: { scene_str: `follower:${OPENID}` } },
    });
  });
});
