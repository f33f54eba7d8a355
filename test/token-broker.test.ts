/**
 * The shared access_token (src/api/broker.ts, tokens.ts) against the strict
 * fake: one upstream fetch however many concurrent cold callers, one refresh
 * after a revocation however many calls fail, tokens surviving eviction,
 * refresh ahead of expiry, rationed force_refresh, and clear upstream errors.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { WeChatApi } from "../src/api/client";
import { UpstreamError, WeChatApiError } from "../src/api/errors";
import { kvKey } from "../src/api/token-policy";
import { credential, forgetCachedCredentials } from "../src/api/tokens";
import { control, newApp } from "./fixtures/api";

const brokerFor = (appid: string) => env.TOKEN_BROKER!.get(env.TOKEN_BROKER!.idFromName(appid));

describe.each(["stable", "classic"] as const)("%s mode", (mode) => {
  it.each([1, 10, 50, 200])("%i concurrent cold callers cause exactly one upstream fetch", async (n) => {
    const app = await newApp({ WECHAT_TOKEN_MODE: mode });
    const tokens = await Promise.all(Array.from({ length: n }, () => credential(app.env, "access_token")));
    expect(new Set(tokens).size).toBe(1);
    expect(await app.tokenFetches()).toBe(1);
    expect((await app.state()).counts[mode === "stable" ? "/cgi-bin/stable_token" : "/cgi-bin/token"]).toBe(1);
  });

  it("publishes the token to KV with its expiry beside it", async () => {
    const app = await newApp({ WECHAT_TOKEN_MODE: mode });
    const token = await credential(app.env, "access_token");
    const stored = await env.WECHAT_KV!.get<{ value: string; expiresAt: number }>(
      kvKey(app.appid, "access_token"),
      "json",
    );
    expect(stored?.value).toBe(token);
    expect(stored!.expiresAt - Date.now()).toBeGreaterThan(7000_000);
  });

  it("a revoked token heals with one refresh while 50 concurrent calls all succeed", async () => {
    const app = await newApp({ WECHAT_TOKEN_MODE: mode });
    const api = new WeChatApi(app.env);
    await api.user.info("oFollower0001");
    expect(await app.tokenFetches()).toBe(1);
    await control("revoke", { appid: app.appid, kind: mode }); // another server took a new token
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api.user.info(`oFollower${String(i).padStart(4, "0")}`)),
    );
    expect(results.every((r) => r.subscribe === 1)).toBe(true);
    expect(await app.tokenFetches()).toBe(2);
  });

  it("a burst of failures on a token already replaced causes no fetch at all", async () => {
    const app = await newApp({ WECHAT_TOKEN_MODE: mode });
    const api = new WeChatApi(app.env);
    const old = await api.accessToken();
    await control("revoke", { appid: app.appid, kind: mode });
    await api.user.info("oFollower0001"); // heals: fetch #2
    // Other isolates still hold `old` (KV lags): they ask the broker to renew it.
    const renewed = await Promise.all(
      Array.from({ length: 20 }, () =>
        brokerFor(app.appid).renew("access_token", old, {
          appId: app.appid,
          apiBase: "https://api.weixin.qq.com",
          tokenMode: mode,
          timeoutMs: 5000,
        }),
      ),
    );
    expect(renewed.every((r) => r.ok && r.record.value !== old)).toBe(true);
    expect(await app.tokenFetches()).toBe(2);
  });

  it("an expired token (42001) is renewed once and the call retried once", async () => {
    const app = await newApp({ WECHAT_TOKEN_MODE: mode });
    const api = new WeChatApi(app.env);
    const token = await api.accessToken();
    await control("expire", { token });
    if (mode === "stable") await control("revoke", { appid: app.appid, kind: "stable" });
    expect((await api.user.info("oFollower0001")).openid).toBe("oFollower0001");
    expect(await app.tokenFetches()).toBe(mode === "stable" ? 2 : 2);
  });

  it("survives the Durable Object's eviction: token reused, no fetch", async () => {
    const app = await newApp({ WECHAT_TOKEN_MODE: mode });
    const token = await credential(app.env, "access_token");
    // Evict: drop the object's memory (it restarts from storage), this isolate's copy, and KV's.
    const stub = brokerFor(app.appid);
    const before = await runInDurableObject(stub, (instance) => instance);
    // Reset the object (its memory is gone; storage stays), as an eviction or restart does.
    await runInDurableObject(stub, (_instance, state) => state.abort("evicted by test")).catch(() => {});
    const after = await runInDurableObject(brokerFor(app.appid), (instance) => instance);
    expect(after).not.toBe(before);
    forgetCachedCredentials();
    await env.WECHAT_KV!.delete(kvKey(app.appid, "access_token"));
    expect(await credential(app.env, "access_token")).toBe(token);
    expect(await app.tokenFetches()).toBe(1);
  });
});

describe("refresh ahead of expiry", () => {
  it("the alarm fetches a new token inside stable_token's last 300 s, and readers switch to it", async () => {
    const app = await newApp({}, { tokenTtlS: 200 }); // usable by readers (>120 s) but due for refresh (<240 s)
    const first = await credential(app.env, "access_token");
    expect(await runDurableObjectAlarm(brokerFor(app.appid))).toBe(true);
    const stored = await env.WECHAT_KV!.get<{ value: string }>(kvKey(app.appid, "access_token"), "json");
    expect(stored!.value).not.toBe(first);
    expect(await app.tokenFetches()).toBe(2);
    forgetCachedCredentials();
    expect(await credential(app.env, "access_token")).toBe(stored!.value);
  });

  it("the alarm does nothing to a token far from expiry (idempotent)", async () => {
    const app = await newApp();
    const first = await credential(app.env, "access_token");
    await runDurableObjectAlarm(brokerFor(app.appid));
    await runDurableObjectAlarm(brokerFor(app.appid));
    expect(await credential(app.env, "access_token")).toBe(first);
    expect(await app.tokenFetches()).toBe(1);
  });

  it("schedules the alarm 240 s before expiry", async () => {
    const app = await newApp();
    await credential(app.env, "access_token");
    const alarm = await runInDurableObject(brokerFor(app.appid), (_i, state) => state.storage.getAlarm());
    const expected = Date.now() + 7200_000 - 240_000;
    expect(Math.abs(alarm! - expected)).toBeLessThan(10_000);
  });
});

describe("stable_token's force_refresh", () => {
  it("is used only when normal mode returns the rejected token, and then rationed to one per 30 s", async () => {
    const app = await newApp();
    const api = new WeChatApi(app.env);
    const token = await api.accessToken();
    await control("poison", { token }); // WeChat rejects it, but normal mode keeps returning it
    expect((await api.user.info("oFollower0001")).subscribe).toBe(1);
    expect((await app.state()).counts["stable_token:force"]).toBe(1);

    const second = await api.accessToken();
    await control("poison", { token: second });
    const failure = await api.user.info("oFollower0001").catch((e) => e);
    expect(failure).toBeInstanceOf(WeChatApiError);
    expect(failure.errcode).toBe(40001);
    expect((await app.state()).counts["stable_token:force"]).toBe(1); // no second force within 30 s
  });

  it("is never used on a cold start or a normal renewal", async () => {
    const app = await newApp();
    const api = new WeChatApi(app.env);
    await api.accessToken();
    await control("revoke", { appid: app.appid, kind: "stable" });
    await api.user.info("oFollower0001");
    expect((await app.state()).counts["stable_token:force"]).toBeUndefined();
  });
});

describe("upstream failures", () => {
  it("a token endpoint slower than the timeout is a timeout error, not a hang", async () => {
    const app = await newApp({ WECHAT_API_TIMEOUT_MS: "200" });
    await control("behaviour", { appid: app.appid, delayMs: { "/cgi-bin/stable_token": 1000 } });
    const e = await credential(app.env, "access_token").catch((x) => x);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e.kind).toBe("timeout");
  });

  it("a 5xx from the token endpoint is an http error; the next call recovers", async () => {
    const app = await newApp();
    await control("behaviour", {
      appid: app.appid,
      fail: { prefix: "/cgi-bin/stable_token", status: 502, remaining: 1 },
    });
    const e = await credential(app.env, "access_token").catch((x) => x);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e).toMatchObject({ kind: "http", status: 502 });
    expect(await credential(app.env, "access_token")).toMatch(/^STABLE_/);
  });

  it("a wrong AppSecret is WeChat's errcode, with nothing secret in the message", async () => {
    const app = await newApp({}, { secret: "the-real-secret" });
    const e = await credential(app.env, "access_token").catch((x) => x);
    expect(e).toBeInstanceOf(WeChatApiError);
    expect(e.errcode).toBe(40125);
    expect(e.message).not.toContain(env.WECHAT_APPSECRET!);
  });

  it("concurrent callers during a failing fetch all get the error, from one upstream attempt", async () => {
    const app = await newApp();
    // The delay keeps the one attempt in flight until every caller has joined it.
    await control("behaviour", {
      appid: app.appid,
      delayMs: { "/cgi-bin/stable_token": 300 },
      fail: { prefix: "/cgi-bin/stable_token", status: 503, remaining: 1 },
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => credential(app.env, "access_token")));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(await app.tokenFetches()).toBe(1);
  });
});

describe("jsapi_ticket", () => {
  it("is fetched once for concurrent callers and cached like the token", async () => {
    const app = await newApp();
    const api = new WeChatApi(app.env);
    const tickets = await Promise.all(Array.from({ length: 30 }, () => api.jsapiTicket()));
    expect(new Set(tickets).size).toBe(1);
    const s = await app.state();
    expect(s.counts["/cgi-bin/ticket/getticket"]).toBe(1);
    expect(tickets[0]).toBe(s.ticket);
    expect(await app.tokenFetches()).toBe(1);
  });

  it("heals a revoked access_token while fetching the ticket", async () => {
    const app = await newApp({ WECHAT_TOKEN_MODE: "classic" });
    const api = new WeChatApi(app.env);
    await api.accessToken();
    await control("revoke", { appid: app.appid, kind: "classic" });
    expect(await api.jsapiTicket()).toMatch(/^ticket_/);
    expect(await app.tokenFetches()).toBe(2);
  });
});
