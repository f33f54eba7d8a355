/**
 * The handler API (src/wechat/router.ts): precedence of routes, text and key
 * patterns, typed handlers, middleware, sync and async handlers.
 */
import { describe, expect, it } from "vitest";
import { Bot, reply, type Context, type Message } from "../src/wechat";

const ctx = (message: Record<string, string>): Context<Message, {}> => ({
  message: { ToUserName: "gh", FromUserName: "o", CreateTime: "1", ...message } as Message,
  env: {},
  mode: "plaintext",
  waitUntil: () => {},
  api: undefined as never,
});
const text = (Content: string) => ctx({ MsgType: "text", Content, MsgId: "1" });
const event = (Event: string, EventKey?: string) =>
  ctx({ MsgType: "event", Event, ...(EventKey === undefined ? {} : { EventKey }) });

describe("routing", () => {
  const bot = new Bot<{}>()
    .on("text", ({ message }) => `type:${message.Content}`)
    .text(/^hello (\w+)$/i, ({ match }) => `pattern:${match![1]}`)
    .text(["二维码", "qrcode"], () => "exact")
    .on("image", async () => reply.image("m"))
    .event("subscribe", ({ message }) => `subscribe:${message.EventKey ?? ""}`)
    .event("subscribe", /^qrscene_(.+)$/, ({ match }) => `scene:${match![1]}`)
    .event("CLICK", "ABOUT", () => "about")
    .event("CLICK", ({ message }) => `click:${message.EventKey}`)
    .fallback(({ message }) => `fallback:${message.MsgType}`);

  it("prefers exact text to a pattern to the type", async () => {
    expect(await bot.handle(text("qrcode"))).toEqual(reply.text("exact"));
    expect(await bot.handle(text("二维码"))).toEqual(reply.text("exact"));
    expect(await bot.handle(text("Hello World"))).toEqual(reply.text("pattern:World"));
    expect(await bot.handle(text("anything"))).toEqual(reply.text("type:anything"));
  });

  it("matches the exact text only, not a substring", async () => {
    expect(await bot.handle(text("我要二维码"))).toEqual(reply.text("type:我要二维码"));
  });

  it("prefers an event key to the event", async () => {
    expect(await bot.handle(event("CLICK", "ABOUT"))).toEqual(reply.text("about"));
    expect(await bot.handle(event("CLICK", "OTHER"))).toEqual(reply.text("click:OTHER"));
    expect(await bot.handle(event("subscribe", "qrscene_42"))).toEqual(reply.text("scene:42"));
    expect(await bot.handle(event("subscribe"))).toEqual(reply.text("subscribe:"));
  });

  it("awaits async handlers", async () => {
    expect(await bot.handle(ctx({ MsgType: "image", MsgId: "1" }))).toEqual(reply.image("m"));
  });

  it("sends the rest to the fallback, unknown types included", async () => {
    expect(await bot.handle(ctx({ MsgType: "video", MsgId: "1" }))).toEqual(reply.text("fallback:video"));
    expect(await bot.handle(event("VIEW", "http://x"))).toEqual(reply.text("fallback:event"));
    expect(await bot.handle(ctx({ MsgType: "brand_new" }))).toEqual(reply.text("fallback:brand_new"));
  });

  it("answers success when nothing matches and there is no fallback", async () => {
    expect(await new Bot().handle(text("x"))).toEqual({ type: "success" });
  });

  it("keeps the first registration for the same exact text", async () => {
    const b = new Bot().text("a", () => "first").text("a", () => "second");
    expect(await b.handle(text("a"))).toEqual(reply.text("first"));
  });

  it("does not carry a /g pattern's state between messages", async () => {
    const b = new Bot().text(/a/g, () => "hit");
    for (let i = 0; i < 3; i++) expect(await b.handle(text("a"))).toEqual(reply.text("hit"));
  });

  it("routes on('event') for events with no more specific route", async () => {
    const b = new Bot().on("event", () => "any event");
    expect(await b.handle(event("LOCATION"))).toEqual(reply.text("any event"));
  });
});

describe("middleware", () => {
  it("runs in order around the handler and passes the reply through", async () => {
    const order: string[] = [];
    const b = new Bot()
      .use(async (_c, next) => {
        order.push("a>");
        await next();
        order.push("<a");
      })
      .use(async (_c, next) => {
        order.push("b>");
        const r = await next();
        order.push("<b");
        return r;
      })
      .on("text", () => {
        order.push("h");
        return "hi";
      });
    expect(await b.handle(text("x"))).toEqual(reply.text("hi"));
    expect(order).toEqual(["a>", "b>", "h", "<b", "<a"]);
  });

  it("can answer without calling next", async () => {
    let ran = false;
    const b = new Bot().use(() => "blocked").on("text", () => void (ran = true));
    expect(await b.handle(text("x"))).toEqual(reply.text("blocked"));
    expect(ran).toBe(false);
  });

  it("can replace the handler's reply", async () => {
    const b = new Bot()
      .use(async (_c, next) => {
        const r = await next();
        return r.type === "text" ? reply.text(r.content.toUpperCase()) : r;
      })
      .on("text", ({ message }) => message.Content);
    expect(await b.handle(text("abc"))).toEqual(reply.text("ABC"));
  });

  it("lets a handler's error propagate to the caller", async () => {
    const b = new Bot().on("text", () => {
      throw new Error("boom");
    });
    expect(() => b.handle(text("x"))).toThrow("boom");
  });
});
