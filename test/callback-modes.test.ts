/**
 * POST /wechat in plaintext, compatible and safe mode: every message and
 * event type reaches the right typed handler with its fields intact, and the
 * reply comes back in the request's mode. Requests are built and replies
 * opened with @wecom/crypto, independent of src/.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { Bot, type Message } from "../src/wechat";
import { ACCOUNT, MODES, OPENID, nextMsgId, openReply, post } from "./fixtures/wechat";

/** A bot that records what it was given and names it in its reply. */
function recordingBot() {
  const seen: { message: Message; mode: string }[] = [];
  const bot = new Bot<Env>();
  bot.use(async (ctx, next) => {
    seen.push({ message: ctx.message, mode: ctx.mode });
    return next();
  });
  bot.fallback(({ message }) => `got ${message.MsgType}${message.MsgType === "event" ? `/${message.Event}` : ""}`);
  const app = createApp(bot);
  const fetch = async (url: string, init: RequestInit) => app.request(url, init, env);
  return { seen, fetch };
}

const MESSAGES: Record<string, Record<string, unknown>> = {
  text: { MsgType: "text", Content: "你好 hello" },
  image: { MsgType: "image", PicUrl: "https://mmbiz.qpic.cn/x.jpg", MediaId: "media_1" },
  voice: { MsgType: "voice", MediaId: "media_2", Format: "amr", Recognition: "腾讯微信团队", MediaId16K: "m16" },
  video: { MsgType: "video", MediaId: "media_3", ThumbMediaId: "thumb_3" },
  shortvideo: { MsgType: "shortvideo", MediaId: "media_4", ThumbMediaId: "thumb_4" },
  location: {
    MsgType: "location",
    Location_X: "23.134521",
    Location_Y: "113.358803",
    Scale: "20",
    Label: "广州市天河区",
  },
  link: { MsgType: "link", Title: "公众平台官网链接", Description: "desc", Url: "https://mp.weixin.qq.com" },
  file: { MsgType: "file", Title: "a.pdf", Description: "", FileKey: "k", FileMd5: "5a75aa", FileTotalLen: "10240" },
};

const EVENTS: Record<string, Record<string, unknown>> = {
  subscribe: { Event: "subscribe", EventKey: "qrscene_123123", Ticket: "TICKET" },
  unsubscribe: { Event: "unsubscribe" },
  SCAN: { Event: "SCAN", EventKey: "123123", Ticket: "TICKET" },
  LOCATION: { Event: "LOCATION", Latitude: "23.137466", Longitude: "113.352425", Precision: "119.385040" },
  CLICK: { Event: "CLICK", EventKey: "EVENTKEY" },
  VIEW: { Event: "VIEW", EventKey: "https://www.qq.com/", MenuId: "1" },
  scancode_push: { Event: "scancode_push", EventKey: "6", ScanCodeInfo: { ScanType: "qrcode", ScanResult: "1" } },
  scancode_waitmsg: { Event: "scancode_waitmsg", EventKey: "6", ScanCodeInfo: { ScanType: "qrcode", ScanResult: "2" } },
  pic_sysphoto: {
    Event: "pic_sysphoto",
    EventKey: "6",
    SendPicsInfo: { Count: "1", PicList: [{ PicMd5Sum: "1b5f7c23b5bf75682a53e7b6d163e185" }] },
  },
  pic_photo_or_album: {
    Event: "pic_photo_or_album",
    EventKey: "6",
    SendPicsInfo: { Count: "2", PicList: [{ PicMd5Sum: "a" }, { PicMd5Sum: "b" }] },
  },
  pic_weixin: { Event: "pic_weixin", EventKey: "6", SendPicsInfo: { Count: "1", PicList: [{ PicMd5Sum: "c" }] } },
  location_select: {
    Event: "location_select",
    EventKey: "6",
    SendLocationInfo: { Location_X: "23", Location_Y: "113", Scale: "15", Label: "广州市", Poiname: "" },
  },
  TEMPLATESENDJOBFINISH: { Event: "TEMPLATESENDJOBFINISH", MsgID: "9223372036854775807", Status: "success" },
  MASSSENDJOBFINISH: {
    Event: "MASSSENDJOBFINISH",
    MsgID: "1000001625",
    Status: "send success",
    TotalCount: "100",
    FilterCount: "80",
    SentCount: "75",
    ErrorCount: "5",
  },
};

describe.each(MODES)("%s mode", (mode) => {
  it.each(Object.entries(MESSAGES))("delivers a %s message with every field as sent", async (type, fields) => {
    const { seen, fetch } = recordingBot();
    const msgId = nextMsgId();
    const res = await post({ ...fields, MsgId: msgId }, { mode, fetch });
    const reply = await openReply(res, mode);
    expect(reply).not.toBe("success");
    expect(reply).toMatchObject({ ToUserName: OPENID, FromUserName: ACCOUNT, MsgType: "text", Content: `got ${type}` });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.mode).toBe(mode);
    expect(seen[0]!.message).toMatchObject({ ...fields, MsgId: msgId, FromUserName: OPENID, ToUserName: ACCOUNT });
  });

  it.each(Object.entries(EVENTS))("delivers a %s event with its fields", async (event, fields) => {
    const { seen, fetch } = recordingBot();
    const reply = await openReply(await post({ MsgType: "event", ...fields }, { mode, fetch }), mode);
    expect(reply).toMatchObject({ Content: `got event/${event}` });
    const got = seen[0]!.message as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) {
      if (k === "SendPicsInfo") {
        const info = v as { Count: string; PicList: { PicMd5Sum: string }[] };
        expect(got[k]).toMatchObject({ Count: info.Count, PicList: { item: info.PicList } });
      } else expect(got[k]).toEqual(v);
    }
  });

  it("delivers a message type it has never heard of to the fallback", async () => {
    const { seen, fetch } = recordingBot();
    const reply = await openReply(await post({ MsgType: "hologram", Depth: "3" }, { mode, fetch }), mode);
    expect(reply).toMatchObject({ Content: "got hologram" });
    expect(seen[0]!.message).toMatchObject({ MsgType: "hologram", Depth: "3" });
  });

  it("delivers an event it has never heard of", async () => {
    const { fetch } = recordingBot();
    const reply = await openReply(
      await post({ MsgType: "event", Event: "user_teleported", X: "1" }, { mode, fetch }),
      mode,
    );
    expect(reply).toMatchObject({ Content: "got event/user_teleported" });
  });

  it("keeps a 64-bit MsgId exact (near 2^63, not representable as a double)", async () => {
    const { seen, fetch } = recordingBot();
    const id = String(9223372036854775807n - BigInt(MODES.indexOf(mode))); // one message per mode
    await post({ MsgType: "text", Content: "x", MsgId: id }, { mode, fetch });
    expect(seen[0]!.message.MsgId).toBe(id);
    expect(BigInt(Number(id))).not.toBe(BigInt(id));
  });

  it("answers a handler that returns nothing with the body success", async () => {
    const bot = new Bot<Env>();
    const app = createApp(bot);
    const res = await post({ MsgType: "text", Content: "x" }, { mode, fetch: async (u, i) => app.request(u, i, env) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("success");
  });
});

describe("encrypted replies", () => {
  it("carry TimeStamp in seconds, a fresh Nonce and a MsgSignature that verifies", async () => {
    const { fetch } = recordingBot();
    const before = Math.floor(Date.now() / 1000);
    const reply = (await openReply(
      await post({ MsgType: "text", Content: "x" }, { mode: "safe", fetch }),
      "safe",
    )) as Record<string, any>;
    const envelope = reply["$envelope"];
    expect(envelope.TimeStamp).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(envelope.TimeStamp) - before)).toBeLessThanOrEqual(2);
    expect(envelope.Nonce).toMatch(/^\d+$/);
    expect(Number(reply["CreateTime"])).toBeGreaterThanOrEqual(before);
  });

  it("the compatible mode trusts only the encrypted copy, not the plaintext fields beside it", async () => {
    const { seen, fetch } = recordingBot();
    const { signCallback, toXml, message } = await import("./fixtures/wechat");
    const real = toXml(message({ MsgType: "text", Content: "real" }));
    const signed = signCallback(real, { mode: "compatible" });
    const tampered = signed.body.replace("<![CDATA[real]]>", "<![CDATA[forged]]>");
    expect(tampered).not.toBe(signed.body);
    await fetch(signed.url, { method: "POST", body: tampered });
    expect((seen[0]!.message as { Content: string }).Content).toBe("real");
  });
});
