/**
 * Every HTML page the Worker renders — the QR page, the demo, the sign-in
 * error pages — comes with nosniff and a Content-Security-Policy that starts
 * from `default-src 'none'` and adds only what that page uses: never an
 * inline script except under a nonce of its own response.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { testBot } from "./fixtures/bot";
import { newApp } from "./fixtures/api";

const app = createApp(testBot);
const ORIGIN = "https://worker.test";

function cookieOf(res: Response, name: string): string | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return line?.split(";")[0]?.slice(name.length + 1);
}

/** Signs in as web-auth.test.ts does (login → the fake's authorize page → our callback): the session cookie. */
async function signIn(e: Env): Promise<string> {
  const login = await app.request(`${ORIGIN}/oauth/login?scope=snsapi_base&next=%2Fdemo`, {}, e);
  const stateCookie = cookieOf(login, "wx_oauth_state")!;
  const wechat = await fetch(login.headers.get("location")!.split("#")[0]!, { redirect: "manual" });
  const callback = await app.request(
    wechat.headers.get("location")!,
    { headers: { cookie: `wx_oauth_state=${stateCookie}` } },
    e,
  );
  return cookieOf(callback, "wx_session")!;
}

/** The policy as directive → sources. */
function directives(res: Response): Map<string, string[]> {
  const csp = res.headers.get("content-security-policy");
  expect(csp).not.toBeNull();
  return new Map(
    csp!.split(";").map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources] as const;
    }),
  );
}

/** What every page must carry, whatever else it allows; returns the policy for the page's own checks. */
async function expectLockedDown(res: Response): Promise<{ policy: Map<string, string[]>; html: string }> {
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const policy = directives(res);
  expect(policy.get("default-src")).toEqual(["'none'"]);
  expect(policy.get("base-uri")).toEqual(["'none'"]);
  expect(policy.get("form-action")).toEqual(["'none'"]);
  expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
  expect(policy.get("script-src") ?? []).not.toContain("'unsafe-inline'");
  for (const sources of policy.values()) expect(sources).not.toContain("'unsafe-eval'");
  return { policy, html: await res.text() };
}

describe("HTML pages", () => {
  it("the QR page: its styles and WeChat's QR image, no script", async () => {
    const t = await newApp();
    const res = await app.request(
      `${ORIGIN}/admin/qrcode?scene=spring`,
      { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } },
      t.env,
    );
    expect(res.status).toBe(200);
    const { policy, html } = await expectLockedDown(res);
    expect(policy.get("img-src")).toEqual(["https://mp.weixin.qq.com"]);
    expect(policy.get("style-src")).toEqual(["'unsafe-inline'"]);
    expect(policy.has("script-src")).toBe(false);
    expect(policy.has("connect-src")).toBe(false);
    expect(html).toContain('<img src="https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=');
    expect(html).not.toContain("<script");
  });

  it("the demo: its inline script under a fresh nonce, the JS-SDK, fetch to itself", async () => {
    const t = await newApp();
    const session = await signIn(t.env);
    const load = () => app.request(`${ORIGIN}/demo`, { headers: { cookie: `wx_session=${session}` } }, t.env);
    const first = await expectLockedDown(await load());
    const scripts = first.policy.get("script-src")!;
    expect(scripts).toHaveLength(2);
    expect(scripts).toContain("https://res.wx.qq.com/open/js/jweixin-1.6.0.js");
    const nonce = /^'nonce-([A-Za-z0-9+/]{22}==)'$/.exec(scripts.find((s) => s.startsWith("'nonce-"))!)![1]!;
    expect(first.policy.get("connect-src")).toEqual(["'self'"]);
    expect(first.policy.get("style-src")).toEqual(["'unsafe-inline'"]);
    expect(first.policy.has("img-src")).toBe(false);
    // Every inline script carries the response's nonce; the one with a src is the allowed JS-SDK.
    const tags = [...first.html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!.trim());
    expect(tags).toEqual(['src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js" async', `nonce="${nonce}"`]);
    const second = await expectLockedDown(await load());
    expect(second.policy.get("script-src")).not.toContain(`'nonce-${nonce}'`);
  });

  it("a sign-in error page: its inline styles, nothing else", async () => {
    const t = await newApp();
    const res = await app.request(
      `${ORIGIN}/oauth/callback?scope=snsapi_base&next=%2Fdemo&code=abc&state=${"0".repeat(56)}`,
      {},
      t.env,
    );
    expect(res.status).toBe(400);
    const { policy, html } = await expectLockedDown(res);
    expect([...policy.keys()].sort()).toEqual([
      "base-uri",
      "default-src",
      "form-action",
      "frame-ancestors",
      "style-src",
    ]);
    expect(policy.get("style-src")).toEqual(["'unsafe-inline'"]);
    expect(html).toContain('href="/oauth/login?');
  });
});
