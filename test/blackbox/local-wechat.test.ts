/**
 * The local WeChat's JSON API (local-wechat/app.ts) against the account's
 * Worker, over HTTP both ways, as `npm run dev` wires them: in every mode,
 * WeChat's tries and judgement, QR codes scanned, a menu published and
 * clicked, a slow handler's customer-service message, a garbage answer's
 * system line, the customer-service window and quota, and faults.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalWeChat, SYSTEM_LINE } from "../../local-wechat/app";
import { LOCAL_ACCOUNT, serveFetch, startLocalWeChat } from "./harness";

type Started = Awaited<ReturnType<typeof startLocalWeChat>>;
let s: Started;
const TRY_MS = 1500;

beforeAll(async () => {
  // WeChat's 5 s tries scaled to 1.5 s, the deadline to 1 s.
  s = await startLocalWeChat({ tryMs: TRY_MS, bindings: { REPLY_DEADLINE_MS: "1000", WECHAT_TRY_MS: String(TRY_MS) } });
}, 120_000);
afterAll(() => s?.close());

let followers = 0;
const newFollower = () => `oLocalFollower${String(++followers).padStart(14, "0")}`;

async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${s.wechatUrl}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  return res.json() as Promise<T>;
}
const say = (openid: string, fields: Record<string, unknown>) => api("POST", "/api/messages", { openid, ...fields });
const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${s.workerUrl}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Bearer ${LOCAL_ACCOUNT.adminToken}` },
  });

describe.each(["plaintext", "compatible", "safe"] as const)("in %s mode", (mode) => {
  beforeAll(() => api("PUT", "/api/settings", { mode }));

  it("a text comes back (the echo), shown as WeChat shows it", async () => {
    const openid = newFollower();
    const exchange = await say(openid, { MsgType: "text", Content: `你好 ${mode} ]]> <&>` });
    expect(exchange.error).toBeNull();
    expect(exchange.tries).toHaveLength(1);
    expect(exchange.tries[0]).toMatchObject({ status: 200, verdict: "shown" });
    expect(exchange.shown).toEqual([
      { from: "account", via: "passive", MsgType: "text", Content: `你好 ${mode} ]]> <&>` },
    ]);
    const { messages } = await api("GET", `/api/conversation?openid=${openid}`);
    expect(messages.map((m: { from: string; Content?: string }) => [m.from, m.Content])).toEqual([
      ["follower", `你好 ${mode} ]]> <&>`],
      ["account", `你好 ${mode} ]]> <&>`],
    ]);
    if (mode !== "plaintext") expect(exchange.tries[0].body).toContain("<Encrypt>");
  });

  it("a QR code made by the account: scanned by a new follower it subscribes them with its scene, then it is a SCAN", async () => {
    const maker = newFollower();
    const made = await say(maker, { MsgType: "text", Content: "二维码" });
    const ticket = decodeURIComponent(/showqrcode\?ticket=(\S+)/.exec(made.shown[0].Content)![1]!);
    const state = await api("GET", "/api/state");
    const code = state.qrcodes.find((q: { ticket: string }) => q.ticket === ticket);
    expect(code).toMatchObject({ action_name: "QR_STR_SCENE", scene: `follower:${maker}` });
    const image = await fetch(`${s.wechatUrl}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`);
    expect(image.headers.get("content-type")).toBe("image/svg+xml");
    expect(await image.text()).toMatch(/^<svg/);
    const scanner = newFollower();
    const first = await api("POST", "/api/scan", { openid: scanner, ticket });
    expect(first.shown[0].Content).toBe(`welcome, scene follower:${maker}`);
    const again = await api("POST", "/api/scan", { openid: scanner, ticket });
    expect(again.shown[0].Content).toBe(`scanned follower:${maker}`);
  });
});

describe("the account's menu", () => {
  it("published through /admin/menu, it appears, and a click reaches the bot", async () => {
    const menu = {
      button: [
        { type: "click", name: "关于", key: "MENU_ABOUT" },
        { type: "view", name: "网页", url: "https://example.com/" },
      ],
    };
    expect((await admin("PUT", "/admin/menu", menu)).status).toBe(200);
    expect((await api("GET", "/api/state")).menu).toEqual(menu);
    const clicked = await api("POST", "/api/events", { openid: newFollower(), Event: "CLICK", EventKey: "MENU_ABOUT" });
    expect(clicked.shown[0].Content).toBe("clicked MENU_ABOUT");
  });
});

describe("WeChat's five seconds", () => {
  beforeAll(() => api("PUT", "/api/settings", { mode: "safe" }));

  it("a handler slower than the deadline: success at once, then exactly one customer-service message", async () => {
    const openid = newFollower();
    const exchange = await say(openid, { MsgType: "text", Content: "slow 1300" });
    expect(exchange.error).toBeNull();
    expect(exchange.tries).toHaveLength(1);
    expect(exchange.tries[0].verdict).toBe("success: nothing to show");
    expect(exchange.shown).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    const { messages } = await api("GET", `/api/conversation?openid=${openid}`);
    const fromAccount = messages.filter((m: { from: string }) => m.from === "account");
    expect(fromAccount).toEqual([
      expect.objectContaining({ via: "custom", MsgType: "text", Content: "slow reply after 1300 ms" }),
    ]);
  });

  it("an answer WeChat would not accept ends in the system line; so do three unanswered tries", async () => {
    const garbage = await serveFetch(() => new Response("<xml><MsgType>text</MsgType><Content>hi</Content></xml>"));
    const silent = await serveFetch(() => new Promise<Response>(() => {}));
    for (const [server, tries] of [
      [garbage, 1],
      [silent, 3],
    ] as const) {
      const account = { url: server.url, token: "t", appId: "wxgarbage000000001", originalId: "gh_garbage" };
      const local = createLocalWeChat({ account, appSecret: "s", tryMs: 300 });
      const res = await local.fetch(
        new Request("http://local/api/messages", {
          method: "POST",
          body: JSON.stringify({ openid: "oGarbageFollower01", MsgType: "text", Content: "hi" }),
        }),
      );
      const exchange = (await res.json()) as { error: string; tries: unknown[] };
      expect(exchange.error).toBe(SYSTEM_LINE);
      expect(exchange.tries).toHaveLength(tries);
      server.server.closeAllConnections();
      server.server.close();
    }
  });
});

describe("customer-service rules", () => {
  const custom = (openid: string, content: string) =>
    admin("POST", "/admin/messages/custom", { touser: openid, msgtype: "text", text: { content } });

  it("a message opens 48 hours of 5 messages: the sixth is 45047; 48 hours later, 45015", async () => {
    const openid = newFollower();
    await say(openid, { MsgType: "text", Content: "hi" });
    for (let i = 1; i <= 5; i++) expect((await custom(openid, `#${i}`)).status).toBe(200);
    const sixth = await custom(openid, "#6");
    expect(sixth.status).toBe(502);
    expect(await sixth.json()).toMatchObject({ errcode: 45047 });
    await say(openid, { MsgType: "text", Content: "again" });
    await api("PUT", "/api/settings", { clockOffsetS: 48 * 3600 + 60 });
    try {
      expect(await (await custom(openid, "late")).json()).toMatchObject({ errcode: 45015 });
    } finally {
      await api("PUT", "/api/settings", { clockOffsetS: 0 });
    }
  });

  it("a click allows 3 within a minute", async () => {
    const openid = newFollower();
    await api("POST", "/api/events", { openid, Event: "subscribe" }); // a subscribe allows 3 too
    await api("PUT", "/api/settings", { clockOffsetS: 120 });
    try {
      expect(await (await custom(openid, "x")).json()).toMatchObject({ errcode: 45015 });
      await api("POST", "/api/events", { openid, Event: "CLICK", EventKey: "MENU_ABOUT" });
      for (let i = 0; i < 3; i++) expect((await custom(openid, `#${i}`)).status).toBe(200);
      expect(await (await custom(openid, "#4")).json()).toMatchObject({ errcode: 45047 });
    } finally {
      await api("PUT", "/api/settings", { clockOffsetS: 0 });
    }
  });

  it("an unverified account gets 48001 on customer-service messages and QR codes", async () => {
    await api("PUT", "/api/settings", { permissions: "unverified" });
    try {
      const openid = newFollower();
      await say(openid, { MsgType: "text", Content: "hi" });
      expect(await (await custom(openid, "x")).json()).toMatchObject({ errcode: 48001 });
      expect(await (await admin("GET", "/admin/qrcode?scene=x", undefined)).json()).toMatchObject({ errcode: 48001 });
    } finally {
      await api("PUT", "/api/settings", { permissions: "verified" });
    }
  });
});

describe("faults", () => {
  it("40164 on every API path: the admin answers an error naming the IP whitelist", async () => {
    await api("POST", "/api/faults", { path: "*", errcode: 40164 });
    try {
      await api("POST", "/api/faults", { revokeToken: true }); // the next call must fetch a token, and meets the fault
      const res = await admin("GET", "/admin/menu");
      expect(res.status).toBe(502);
      const body = (await res.json()) as { errcode: number; errmsg: string; hint: string };
      expect(body.errcode).toBe(40164);
      expect(body.errmsg).toMatch(/invalid ip [\d.]+/);
      expect(body.hint).toContain("IP白名单");
    } finally {
      await api("POST", "/api/faults", { reset: true });
    }
  });

  it("a fault is refused when malformed, and lasts only its `times`", async () => {
    const bad = await fetch(`${s.wechatUrl}/api/faults`, { method: "POST", body: JSON.stringify({ path: "menu" }) });
    expect(bad.status).toBe(400);
    await api("POST", "/api/faults", { path: "/cgi-bin/menu/get", errcode: 45009, times: 1 });
    expect(await (await admin("GET", "/admin/menu")).json()).toMatchObject({ errcode: 45009 });
    expect((await admin("GET", "/admin/menu")).status).toBe(200);
  });
});
