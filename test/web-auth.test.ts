/**
 * Web authorization (src/routes/oauth.ts) against the strict fake: the
 * authorize redirect, the callback, the signed session cookie, /oauth/me;
 * and every way to get it wrong — forged, expired and replayed state, an
 * off-site `next`, a reused code, a missing or tampered cookie — refused
 * clearly, nothing sent upstream.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { testBot } from "./fixtures/bot";
import type { Env } from "../src/env";
import { makeState } from "../src/routes/oauth";
import { newApp, type TestApp } from "./fixtures/api";

const app = createApp(testBot);
const ORIGIN = "https://worker.test";

function cookieOf(res: Response, name: string): string | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return line?.split(";")[0]?.slice(name.length + 1);
}

/** Runs login → WeChat's authorize page (the fake) → our callback; returns every step. */
async function signIn(t: TestApp, scope = "snsapi_base", next = "/demo") {
  const login = await app.request(`${ORIGIN}/oauth/login?${new URLSearchParams({ scope, next })}`, {}, t.env);
  const stateCookie = cookieOf(login, "wx_oauth_state")!;
  const authorize = login.headers.get("location")!;
  const wechat = await fetch(authorize.split("#")[0]!, { redirect: "manual" });
  const callbackUrl = wechat.headers.get("location")!;
  const callback = await app.request(callbackUrl, { headers: { cookie: `wx_oauth_state=${stateCookie}` } }, t.env);
  return { login, authorize, stateCookie, callbackUrl, callback, session: cookieOf(callback, "wx_session") };
}

const me = (e: Env, session?: string) =>
  app.request(`${ORIGIN}/oauth/me`, { headers: session ? { cookie: `wx_session=${session}` } : {} }, e);
const snsCalls = async (t: TestApp) => {
  const c = (await t.state()).counts;
  return (c["/sns/oauth2/access_token"] ?? 0) + (c["/sns/userinfo"] ?? 0);
};

describe("the flow", () => {
  it("redirects to WeChat's authorize URL with the parameters in WeChat's order", async () => {
    const t = await newApp();
    const { login, authorize } = await signIn(t);
    expect(login.status).toBe(302);
    const url = new URL(authorize);
    expect(url.pathname).toBe("/connect/oauth2/authorize");
    expect([...url.searchParams.keys()]).toEqual([
      "appid",
      "redirect_uri",
      "response_type",
      "scope",
      "state",
      "connect_redirect",
    ]);
    expect(url.searchParams.get("appid")).toBe(t.appid);
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("connect_redirect")).toBe("1");
    expect(url.hash).toBe("#wechat_redirect");
    expect(url.searchParams.get("state")).toMatch(/^[0-9a-f]{56}$/); // WeChat: [A-Za-z0-9], ≤ 128 bytes
    expect(new URL(url.searchParams.get("redirect_uri")!).origin).toBe(ORIGIN);
    expect(login.headers.getSetCookie().join()).toMatch(/wx_oauth_state=.*HttpOnly.*Secure.*SameSite=Lax/i);
  });

  it("signs in with snsapi_base: a signed, HttpOnly, Secure, SameSite=Lax, expiring cookie, then next", async () => {
    const t = await newApp();
    const { callback, session } = await signIn(t);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe("/demo");
    const line = callback.headers.getSetCookie().find((c) => c.startsWith("wx_session="))!;
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/Secure/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).toMatch(/Max-Age=86400/i);
    const who = await (await me(t.env, session)).json<Record<string, unknown>>();
    expect(who).toMatchObject({ openid: "oFakeWebUser000000000000001", scope: "snsapi_base" });
    expect(await snsCalls(t)).toBe(1); // snsapi_base needs no userinfo
  });

  it("signs in with snsapi_userinfo and keeps the profile", async () => {
    const t = await newApp();
    const { session } = await signIn(t, "snsapi_userinfo", "/demo?tab=1");
    expect(await (await me(t.env, session)).json()).toMatchObject({
      scope: "snsapi_userinfo",
      nickname: "测试用户<b>",
    });
    expect((await t.state()).counts["/sns/userinfo"]).toBe(1);
  });

  it("the demo page shows the OpenID, escaped, and sends strangers to sign in", async () => {
    const t = await newApp();
    const anonymous = await app.request(`${ORIGIN}/demo`, {}, t.env);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toBe("/oauth/login?scope=snsapi_base&next=%2Fdemo");
    const { session } = await signIn(t, "snsapi_userinfo");
    const html = await (
      await app.request(`${ORIGIN}/demo`, { headers: { cookie: `wx_session=${session}` } }, t.env)
    ).text();
    expect(html).toContain("oFakeWebUser000000000000001");
    expect(html).toContain("测试用户&lt;b&gt;");
    expect(html).not.toContain("测试用户<b>");
  });
});

describe("refusals", () => {
  it.each(["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil", "/\u0000x"])(
    "next=%j is refused with 400, no redirect",
    async (next) => {
      const t = await newApp();
      const res = await app.request(`${ORIGIN}/oauth/login?${new URLSearchParams({ next })}`, {}, t.env);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    },
  );

  it("an unknown scope is refused", async () => {
    const t = await newApp();
    expect((await app.request(`${ORIGIN}/oauth/login?scope=snsapi_login`, {}, t.env)).status).toBe(400);
  });

  it("a forged state is refused and nothing is sent upstream", async () => {
    const t = await newApp();
    const { callbackUrl, stateCookie } = await signInPrepared(t);
    const u = new URL(callbackUrl);
    const state = u.searchParams.get("state")!;
    u.searchParams.set("state", state.slice(0, -1) + (state.endsWith("0") ? "1" : "0"));
    const res = await app.request(u.href, { headers: { cookie: `wx_oauth_state=${stateCookie}` } }, t.env);
    expect(res.status).toBe(400);
    expect(await snsCalls(t)).toBe(0);
  });

  it("a state whose next was swapped is refused (next is bound into the MAC)", async () => {
    const t = await newApp();
    const { callbackUrl, stateCookie } = await signInPrepared(t);
    const u = new URL(callbackUrl);
    u.searchParams.set("next", "/admin");
    expect((await app.request(u.href, { headers: { cookie: `wx_oauth_state=${stateCookie}` } }, t.env)).status).toBe(
      400,
    );
    expect(await snsCalls(t)).toBe(0);
  });

  it("an expired state is refused with a way to sign in again", async () => {
    const t = await newApp();
    const { state, nonce } = await makeState(
      env.SESSION_SECRET!,
      "snsapi_base",
      "/demo",
      Math.floor(Date.now() / 1000) - 301,
    );
    const res = await app.request(
      `${ORIGIN}/oauth/callback?scope=snsapi_base&next=%2Fdemo&code=abc&state=${state}`,
      { headers: { cookie: `wx_oauth_state=${nonce}` } },
      t.env,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("/oauth/login");
    expect(await snsCalls(t)).toBe(0);
  });

  it("a callback without the browser's state cookie is refused", async () => {
    const t = await newApp();
    const { callbackUrl } = await signInPrepared(t);
    expect((await app.request(callbackUrl, {}, t.env)).status).toBe(400);
    expect(await snsCalls(t)).toBe(0);
  });

  it("a replayed callback (double tap, back button): signed in → carry on; otherwise a clear page, never a 5xx", async () => {
    const t = await newApp();
    const first = await signIn(t);
    const again = await app.request(
      first.callbackUrl,
      { headers: { cookie: `wx_oauth_state=${first.stateCookie}; wx_session=${first.session}` } },
      t.env,
    );
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe("/demo");
    const stranger = await app.request(
      first.callbackUrl,
      { headers: { cookie: `wx_oauth_state=${first.stateCookie}` } },
      t.env,
    );
    expect(stranger.status).toBe(400);
    expect(await stranger.text()).toContain("已使用");
    expect(await snsCalls(t)).toBe(1); // the replay never reached WeChat
  });

  it("a reused code (WeChat's 40163) under a fresh state is handled gracefully", async () => {
    const t = await newApp();
    const first = await signIn(t);
    const code = new URL(first.callbackUrl).searchParams.get("code")!;
    const { callbackUrl, stateCookie } = await signInPrepared(t);
    const u = new URL(callbackUrl);
    u.searchParams.set("code", code);
    const res = await app.request(u.href, { headers: { cookie: `wx_oauth_state=${stateCookie}` } }, t.env);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("已使用");
  });

  it("/oauth/me without a cookie, with a tampered one, or a forged one: 401", async () => {
    const t = await newApp();
    const { session } = await signIn(t);
    expect((await me(t.env)).status).toBe(401);
    const [body, mac] = session!.split(".");
    const tamperedBody = JSON.parse(atob(body!.replace(/-/g, "+").replace(/_/g, "/")));
    tamperedBody.openid = "oSomebodyElse";
    const forgedBody = btoa(JSON.stringify(tamperedBody)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect((await me(t.env, `${forgedBody}.${mac}`)).status).toBe(401);
    expect((await me(t.env, `${body}.${mac!.slice(0, -2)}AA`)).status).toBe(401);
    expect((await me(t.env, "garbage")).status).toBe(401);
    expect((await me({ ...t.env, SESSION_SECRET: "another-secret-0123456789abcdefghijklmnop" }, session)).status).toBe(
      401,
    );
  });

  it("nothing works unsigned: without SESSION_SECRET the routes say so (500 naming it)", async () => {
    const t = await newApp({ SESSION_SECRET: undefined });
    const res = await app.request(`${ORIGIN}/oauth/login`, {}, t.env);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("SESSION_SECRET");
  });
});

/** Login and WeChat's redirect, but not our callback: for tests that tamper with it. */
async function signInPrepared(t: TestApp) {
  const login = await app.request(`${ORIGIN}/oauth/login?scope=snsapi_base&next=%2Fdemo`, {}, t.env);
  const stateCookie = cookieOf(login, "wx_oauth_state")!;
  const wechat = await fetch(login.headers.get("location")!.split("#")[0]!, { redirect: "manual" });
  return { callbackUrl: wechat.headers.get("location")!, stateCookie };
}
