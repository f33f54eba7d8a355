/**
 * In a real headless browser (Debian's Chromium via playwright-core): the
 * demo page signs the visitor in through web authorization against a fake
 * WeChat served over loopback, gets a session cookie, shows the OpenID and
 * configures the JS-SDK — its inline script running under the page's
 * Content-Security-Policy, which blocks any other. The Worker is the
 * deployable bundle under Miniflare.
 * Skipped when /usr/bin/chromium is absent, unless REQUIRE_BROWSER=1 (CI).
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { Miniflare } from "miniflare";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWeChatApi } from "../../local-wechat/api";
import { freePort, serveFake, startWorker } from "./harness";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === "1")
  throw new Error(`REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}`);

const APPID = "wxbrowser000000001";
const SECRET = "browser-secret";
const fake = new FakeWeChatApi({ anyHost: true });
let fakeServer: Server;
let mf: Miniflare;
let browser: Browser;
let origin = "";

describe.skipIf(!available)("the demo page in Chromium", () => {
  beforeAll(async () => {
    fake.register(APPID, SECRET);
    fake.oauthOpenId = "oBrowserVisitor00000000000001";
    const served = await serveFake(fake);
    fakeServer = served.server;
    const port = await freePort();
    origin = `http://localhost:${port}`;
    mf = (
      await startWorker(
        {
          WECHAT_APPID: APPID,
          WECHAT_APPSECRET: SECRET,
          WECHAT_TOKEN: "browser-token",
          WECHAT_API_BASE: served.url,
          WECHAT_OAUTH_BASE: served.url,
          SESSION_SECRET: "browser-session-secret-0123456789abcdefghij",
          JSSDK_ALLOWED_ORIGINS: origin,
        },
        { port },
      )
    ).mf;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await mf?.dispose();
    fakeServer?.close();
  });

  it("signs in through WeChat's redirect, sets the cookie, shows the OpenID and a JS-SDK signature", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const visited: string[] = [];
    page.on("request", (r) => {
      if (r.isNavigationRequest()) visited.push(new URL(r.url()).pathname);
    });
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    // Nothing outside this machine: the JS-SDK script from res.wx.qq.com is answered empty.
    await page.route("https://res.wx.qq.com/**", (route) =>
      route.fulfill({ status: 200, contentType: "text/javascript", body: "" }),
    );
    const demo = await page.goto(`${origin}/demo`, { waitUntil: "domcontentloaded" });
    expect(demo!.headers()["content-security-policy"]).toMatch(/script-src 'nonce-[^']+' https:\/\/res\.wx\.qq\.com\//);

    expect(visited).toEqual(["/demo", "/oauth/login", "/connect/oauth2/authorize", "/oauth/callback", "/demo"]);
    expect(await page.locator("#openid").textContent()).toBe("oBrowserVisitor00000000000001");
    await page.waitForSelector("#jssdk.ok", { timeout: 10_000 });
    expect(await page.locator("#jssdk").getAttribute("data-signature")).toMatch(/^[0-9a-f]{40}$/);
    expect(violations).toEqual([]);

    const cookie = (await context.cookies()).find((c) => c.name === "wx_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(cookie.expires).toBeGreaterThan(Date.now() / 1000);
    expect(await page.evaluate(() => document.cookie)).not.toContain("wx_session"); // HttpOnly: invisible to scripts

    const me = await page.evaluate(async () => (await fetch("/oauth/me")).json());
    expect(me).toMatchObject({ openid: "oBrowserVisitor00000000000001", scope: "snsapi_base" });
    await page.screenshot({ path: "/tmp/wechat-edge-demo.png" });

    // A script without the response's nonce, as an injection would be, does not run.
    await expect(page.addScriptTag({ content: "document.body.dataset.injected = 'ran'" })).rejects.toThrow(
      /Content Security Policy/,
    );
    expect(await page.locator("body").getAttribute("data-injected")).toBeNull();
    await expect.poll(() => violations.length).toBe(1); // the console does report violations: none came before
    await context.close();
  }, 60_000);
});
