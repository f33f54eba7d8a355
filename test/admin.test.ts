/**
 * /admin/qrcode and /admin/menu through the app, against the strict fake:
 * authorization, the QR page and JSON, every limit of the contract refused
 * before any upstream call, menu validation, and upstream errors as 5xx JSON.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { testBot } from "./fixtures/bot";
import { control, newApp } from "./fixtures/api";

const app = createApp(testBot);
const AUTH = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
const req = (e: Env, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  app.request(`https://worker.test${path}`, { ...init, headers: { ...AUTH, ...init.headers } }, e);

describe("authorization", () => {
  it.each([
    ["no header", {}],
    ["a wrong token", { authorization: "Bearer wrong" }],
    ["the token with a suffix", { authorization: `Bearer ${env.ADMIN_TOKEN}x` }],
    ["a prefix of the token", { authorization: `Bearer ${env.ADMIN_TOKEN!.slice(0, -1)}` }],
    ["another scheme", { authorization: `Basic ${env.ADMIN_TOKEN}` }],
  ])("%s: 401 and no upstream call", async (_, headers) => {
    const t = await newApp();
    for (const [method, path] of [
      ["GET", "/admin/qrcode?scene=1"],
      ["GET", "/admin/menu"],
      ["PUT", "/admin/menu"],
      ["DELETE", "/admin/menu"],
    ] as const) {
      const res = await app.request(`https://worker.test${path}`, { method, headers }, t.env);
      expect(res.status).toBe(401);
    }
    expect((await t.state()).counts).toEqual({});
  });

  it("refuses everything while ADMIN_TOKEN is unset, even a matching empty bearer", async () => {
    const t = await newApp({ ADMIN_TOKEN: undefined });
    expect(
      (await app.request("https://worker.test/admin/menu", { headers: { authorization: "Bearer " } }, t.env)).status,
    ).toBe(401);
    expect(
      (await app.request("https://worker.test/admin/menu", { headers: { authorization: "Bearer undefined" } }, t.env))
        .status,
    ).toBe(401);
    const body = await (await app.request("https://worker.test/admin/menu", {}, t.env)).json<{ message: string }>();
    expect(body.message).toContain("ADMIN_TOKEN");
  });
});

describe("an ADMIN_TOKEN no Bearer header can carry", () => {
  it("is refused with a 401 that says which characters a token may have", async () => {
    const t = await newApp({ ADMIN_TOKEN: "has spaces and ! marks" });
    const res = await app.request(
      "https://worker.test/admin/menu",
      { headers: { authorization: "Bearer has spaces and ! marks" } },
      t.env,
    );
    expect(res.status).toBe(401);
    expect((await res.json<{ message: string }>()).message).toContain("RFC 6750");
  });
});

describe("GET /admin/qrcode", () => {
  it("returns a page with the showqrcode <img>, the ticket URL-encoded", async () => {
    const t = await newApp();
    const res = await req(t.env, "/admin/qrcode?scene=spring-campaign");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    const sent = (await t.state()).sent.at(-1)!;
    expect(sent.body).toEqual({
      action_name: "QR_STR_SCENE",
      expire_seconds: 604800,
      action_info: { scene: { scene_str: "spring-campaign" } },
    });
    const m = /<img src="https:\/\/mp\.weixin\.qq\.com\/cgi-bin\/showqrcode\?ticket=([^"]+)"/.exec(html);
    expect(m).not.toBeNull();
    const ticket = decodeURIComponent(m![1]!);
    expect(ticket).toMatch(/[+/=]/); // the fake's tickets carry characters that must be encoded
    expect(m![1]).toBe(encodeURIComponent(ticket));
    expect(html).toContain("spring-campaign");
    expect(html).toContain("604800");
  });

  it("answers JSON for Accept: application/json", async () => {
    const t = await newApp();
    const res = await req(t.env, "/admin/qrcode?scene=42", { headers: { accept: "application/json" } });
    const body = await res.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(["expire_seconds", "image", "ticket", "url"]);
    expect(body["image"]).toBe(
      `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=${encodeURIComponent(body["ticket"] as string)}`,
    );
    expect(body["url"]).toMatch(/^http:\/\/weixin\.qq\.com\/q\//);
    expect(body["expire_seconds"]).toBe(604800);
    expect((await t.state()).sent.at(-1)!.body).toMatchObject({
      action_name: "QR_SCENE",
      action_info: { scene: { scene_id: 42 } },
    });
  });

  it.each([
    ["?scene=7", "QR_SCENE", { scene_id: 7 }, 604800],
    ["?scene=7&expire=60", "QR_SCENE", { scene_id: 7 }, 60],
    ["?scene=abc&expire=2592000", "QR_STR_SCENE", { scene_str: "abc" }, 2592000],
    ["?scene=100000&permanent=1", "QR_LIMIT_SCENE", { scene_id: 100000 }, undefined],
    ["?scene=vip&permanent=1", "QR_LIMIT_STR_SCENE", { scene_str: "vip" }, undefined],
    ["?scene=4294967295", "QR_SCENE", { scene_id: 4294967295 }, 604800],
    [`?scene=${"码".repeat(64)}`, "QR_STR_SCENE", { scene_str: "码".repeat(64) }, 604800],
  ])("%s → %s", async (query, action, scene, expire) => {
    const t = await newApp();
    const res = await req(t.env, `/admin/qrcode${query}`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body["expire_seconds"]).toBe(expire);
    const sent = (await t.state()).sent.at(-1)!.body;
    expect(sent.action_name).toBe(action);
    expect(sent.action_info.scene).toEqual(scene);
    expect(sent.expire_seconds).toBe(expire);
  });

  it.each([
    ["", /scene/],
    ["?scene=", /scene/],
    ["?scene=0", /1 to 4294967295/],
    ["?scene=4294967296", /1 to 4294967295/],
    ["?scene=100001&permanent=1", /1 to 100000/],
    ["?scene=0&permanent=1", /1 to 100000/],
    [`?scene=${"a".repeat(65)}`, /1 to 64 characters/],
    ["?scene=a&expire=0", /expire/],
    ["?scene=a&expire=2592001", /expire/],
    ["?scene=a&expire=1.5", /expire/],
    ["?scene=a&expire=-1", /expire/],
    ["?scene=a&permanent=1&expire=60", /permanent/],
    ["?scene=a&permanent=yes", /permanent/],
  ])("%s: 400 naming the limit, and no upstream call", async (query, message) => {
    const t = await newApp();
    const res = await req(t.env, `/admin/qrcode${query}`);
    expect(res.status).toBe(400);
    expect((await res.json<{ message: string }>()).message).toMatch(message);
    expect((await t.state()).counts).toEqual({});
  });

  it("escapes everything on the page", async () => {
    const t = await newApp();
    const html = await (
      await req(t.env, `/admin/qrcode?scene=${encodeURIComponent('<script>alert("x")</script>')}`)
    ).text();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });

  it("an upstream failure is a 5xx JSON naming WeChat's errcode and errmsg", async () => {
    const t = await newApp();
    await control("behaviour", { appid: t.appid, fail: { prefix: "/cgi-bin/qrcode", status: 500, remaining: 1 } });
    const res = await req(t.env, "/admin/qrcode?scene=1");
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: "upstream_unavailable", errcode: -1 });
  });

  it("an upstream timeout is a 504", async () => {
    const t = await newApp({ WECHAT_API_TIMEOUT_MS: "150" });
    await control("behaviour", { appid: t.appid, delayMs: { "/cgi-bin/qrcode": 1000 } });
    const res = await req(t.env, "/admin/qrcode?scene=1");
    expect(res.status).toBe(504);
  });

  it("WeChat's errcode comes through", async () => {
    const t = await newApp({}, { secret: "another-secret" });
    const res = await req(t.env, "/admin/qrcode?scene=1");
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      error: "wechat_error",
      errcode: 40125,
      errmsg: expect.stringContaining("invalid appsecret"),
    });
  });
});

const MENU = {
  button: [
    { type: "click", name: "今日歌曲", key: "V1001_TODAY_MUSIC" },
    {
      name: "菜单",
      sub_button: [
        { type: "view", name: "搜索", url: "http://www.soso.com/" },
        {
          type: "miniprogram",
          name: "wxa",
          url: "http://mp.weixin.qq.com",
          appid: "wx286b93c14bbf93aa",
          pagepath: "pages/lunar/index",
        },
        { type: "click", name: "赞一下我们", key: "V1001_GOOD" },
      ],
    },
  ],
};

describe("/admin/menu", () => {
  it("PUT publishes, GET reads it back, DELETE removes it", async () => {
    const t = await newApp();
    expect((await req(t.env, "/admin/menu")).status).toBe(404);
    const put = await req(t.env, "/admin/menu", {
      method: "PUT",
      body: JSON.stringify(MENU),
      headers: { "content-type": "application/json" },
    });
    expect(put.status).toBe(200);
    expect((await t.state()).menu).toEqual(MENU);
    const got = await (await req(t.env, "/admin/menu")).json<{ menu: unknown }>();
    expect(got.menu).toEqual(MENU);
    expect((await req(t.env, "/admin/menu", { method: "DELETE" })).status).toBe(200);
    expect((await t.state()).menu).toBeNull();
  });

  it("sends Chinese names as UTF-8, not \\u escapes", async () => {
    const t = await newApp();
    await req(t.env, "/admin/menu", { method: "PUT", body: JSON.stringify(MENU) });
    expect(JSON.stringify((await t.state()).menu)).toContain("今日歌曲");
  });

  const bad: [string, unknown, RegExp][] = [
    ["not JSON", "{", /JSON/],
    ["no button array", { buttons: [] }, /button/],
    ["no buttons", { button: [] }, /1 to 3/],
    [
      "4 buttons",
      { button: Array.from({ length: 4 }, (_, i) => ({ type: "click", name: `b${i}`, key: `k${i}` })) },
      /1 to 3/,
    ],
    [
      "6 sub-buttons",
      {
        button: [
          {
            name: "m",
            sub_button: Array.from({ length: 6 }, (_, i) => ({ type: "click", name: `s${i}`, key: `k${i}` })),
          },
        ],
      },
      /5 sub_buttons/,
    ],
    ["a name over 16 bytes", { button: [{ type: "click", name: "一二三四五六", key: "k" }] }, /16 bytes/],
    [
      "a sub name over 60 bytes",
      { button: [{ name: "m", sub_button: [{ type: "click", name: "字".repeat(21), key: "k" }] }] },
      /60 bytes/,
    ],
    ["a view without url", { button: [{ type: "view", name: "v" }] }, /needs url/],
    ["a click without key", { button: [{ type: "click", name: "c" }] }, /needs key/],
    ["an unknown type", { button: [{ type: "teleport", name: "t", key: "k" }] }, /type/],
    ["no name", { button: [{ type: "click", key: "k" }] }, /name/],
    [
      "three levels",
      { button: [{ name: "m", sub_button: [{ name: "s", sub_button: [{ type: "click", name: "x", key: "k" }] }] }] },
      /two levels/,
    ],
    ["a view with a javascript: url", { button: [{ type: "view", name: "v", url: "javascript:alert(1)" }] }, /http/],
  ];
  it.each(bad)("PUT with %s: 400 and no upstream call", async (_, menu, message) => {
    const t = await newApp();
    const res = await req(t.env, "/admin/menu", {
      method: "PUT",
      body: typeof menu === "string" ? menu : JSON.stringify(menu),
    });
    expect(res.status).toBe(400);
    expect((await res.json<{ message: string }>()).message).toMatch(message);
    expect((await t.state()).counts).toEqual({});
  });
});
