/**
 * 你的公众号 — the account's own behaviour. This folder is the one to edit;
 * its tests are in bot.test.ts (`npm test` runs them).
 *
 * Each route takes a handler that receives `ctx.message` (typed by the route:
 * a `subscribe` handler sees `EventKey`, a `voice` handler `Recognition`) and
 * returns a reply: a string (text), `reply.image(...)`, `reply.news(...)`, …,
 * or nothing (WeChat gets `success` and the follower sees nothing).
 * Most specific route wins: exact text > text pattern > message type > fallback;
 * for events: exact key > key pattern > event > fallback.
 */
import type { Env } from "../env";
import { Bot, reply } from "../wechat";

export const bot = new Bot<Env>();

// 鹦鹉学舌: text comes straight back.
bot.on("text", ({ message }) => message.Content);

// 「二维码」: a temporary QR code bound to this follower (string scene), valid 7 days.
bot.text(/^\s*(二维码|qrcode)\s*$/i, async ({ message, api }) => {
  const qr = await api.qrcode.create({ scene: `follower:${message.FromUserName}` });
  return `您的专属二维码（7 天内有效）：\n${qr.image}`;
});

bot.on("voice", ({ message }) => (message.Recognition ? message.Recognition : "抱歉，没有识别出这条语音的内容。"));

bot.on("image", () => "收到您的图片了！");
bot.on("location", ({ message }) => `您的位置：${message.Label || `${message.Location_X}, ${message.Location_Y}`}`);
bot.on("link", ({ message }) => `收到链接：${message.Title}`);

bot.event("subscribe", ({ message }) => {
  const key = message.EventKey ?? "";
  // Subscribing through a parametric QR code carries its scene as "qrscene_<scene>".
  return key.startsWith("qrscene_")
    ? `感谢您的关注!\n您是扫描二维码关注的，场景：${key.slice("qrscene_".length)}`
    : "感谢您的关注!";
});

bot.event("unsubscribe", () => reply.nothing());

bot.event("SCAN", ({ message }) => `您扫描了二维码，场景：${message.EventKey}`);

// The menu's CLICK buttons, by key: keep them in step with the menu you publish
// (PUT /admin/menu, or 公众平台 → 自定义菜单).
bot.event("CLICK", "MENU_ABOUT", () => "这是一个运行在 Cloudflare Workers 上的公众号示例。");
bot.event("CLICK", "MENU_HELP", () => "发送任意文字，我会原样回复；发送「二维码」获取您的专属二维码。");
bot.event("CLICK", "MENU_NEWS", () =>
  reply.news({ title: "欢迎", description: "公众号示例的图文消息", url: "https://mp.weixin.qq.com/" }),
);
bot.event("CLICK", ({ message }) => `菜单「${message.EventKey}」还没有设置回复。`);

// Everything else: a short text for messages, silence for events.
bot.fallback(({ message }) => (message.MsgType === "event" ? reply.nothing() : "收到！"));

// When a handler fails (WeChat's API refused, a bug): an apology rather than silence. The error is logged.
bot.onError(() => "抱歉，处理您的消息时出了点问题，请稍后再试。");
