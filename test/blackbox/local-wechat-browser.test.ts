/**
 * The local WeChat's chat page in a real headless browser (Debian's Chromium
 * via playwright-core), against the framework's test Worker (Miniflare, the
 * deployable bundle) and the local WeChat served over loopback HTTP — as
 * `npm run dev` puts them together. A follower converses (the echo), gets a
 * QR code (its image decoded in the browser with jsQR: it encodes the code's
 * url), a new follower scans it and is welcomed naming its scene, the menu the
 * account publishes becomes WeChat's bottom bar, and in 安全 mode the
 * inspector shows the encrypted body beside its plaintext. Saves the
 * screenshots docs/local-wechat-chat.png and docs/local-wechat-safe-mode.png.
 * Skipped when /usr/bin/chromium is absent, unless REQUIRE_BROWSER=1 (CI).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ACCOUNT, startLocalWeChat } from "./harness";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === "1")
  throw new Error(`REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}`);

const FIRST = "oFollower0000000000000001";
const SECOND = "oFollower0000000000000002";
const MENU = {
  button: [
    { type: "click", name: "关于", key: "MENU_ABOUT" },
    {
      name: "更多",
      sub_button: [
        { type: "click", name: "帮助", key: "MENU_HELP" },
        { type: "view", name: "演示", url: "https://example.com/demo" },
      ],
    },
    { type: "click", name: "新闻", key: "MENU_NEWS" },
  ],
};

interface QrCodeState {
  ticket: string;
  url: string;
  scene: string;
}

let local: Awaited<ReturnType<typeof startLocalWeChat>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

/** Waits for a bubble from the account whose whole text is `text`. */
const accountBubble = (text: string | RegExp) =>
  page
    .locator(".row.account .bubble", { hasText: typeof text === "string" ? new RegExp(`^${text}$`) : text })
    .last()
    .waitFor({ timeout: 10_000 });

async function say(text: string) {
  if (await page.locator("#to-keyboard").isVisible()) await page.click("#to-keyboard");
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

async function state(): Promise<{ qrcodes: QrCodeState[]; mode: string }> {
  return (await fetch(`${local.wechatUrl}/api/state`)).json() as never;
}

/** Draws the <img> onto a canvas and reads it back with jsQR, in the browser. */
async function decodeQr(selector: string): Promise<string | null> {
  return page.evaluate(async (sel) => {
    const img = document.querySelector(sel) as HTMLImageElement;
    await img.decode();
    const size = 400;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext("2d")!;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, 24, 24, size - 48, size - 48);
    const pixels = ctx.getImageData(0, 0, size, size);
    type JsQr = (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;
    return (window as unknown as { jsQR: JsQr }).jsQR(pixels.data, size, size)?.data ?? null;
  }, selector);
}

describe.skipIf(!available)("the local WeChat's chat page in Chromium", () => {
  beforeAll(async () => {
    local = await startLocalWeChat();
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
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
    page = await context.newPage();
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    // The page loads nothing from the network: anything not of the local WeChat is a problem.
    page.on("request", (r) => {
      if (!r.url().startsWith(local.wechatUrl) && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`);
    });
    await page.goto(`${local.wechatUrl}/`);
    await page.waitForSelector("body[data-ready]", { timeout: 10_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await local?.close();
  });

  it("converses: the follower's bubble once, the echo, a QR code shown and decoded in the chat and the list", async () => {
    expect(await page.locator("#account-name").textContent()).toBe(LOCAL_ACCOUNT.originalId);
    expect((await context.cookies(local.wechatUrl)).find((c) => c.name === "wechat_follower")?.value).toBe(FIRST);
    expect(await page.locator("#menu-bar").isVisible()).toBe(false); // no menu yet: the input bar only

    await say("你好");
    await accountBubble("你好");
    await page.locator(".exchange", { hasText: "文本「你好」" }).waitFor();
    expect(await page.locator(".row.follower .bubble", { hasText: /^你好$/ }).count()).toBe(1);

    await say("二维码");
    const inChat = ".row.account .qr-in-chat img";
    await page.locator(inChat).waitFor({ timeout: 10_000 });
    const [code] = (await state()).qrcodes;
    expect(code!.scene).toBe(`follower:${FIRST}`);
    expect(await page.locator(inChat).getAttribute("src")).toBe(
      `/cgi-bin/showqrcode?ticket=${encodeURIComponent(code!.ticket)}`,
    );

    await page.click("[data-tab=qrcodes]");
    const inList = `.qr-card[data-ticket="${code!.ticket}"] img`;
    await page.locator(inList).waitFor();
    await page.addScriptTag({ path: resolve("node_modules/jsqr/dist/jsQR.js") });
    expect(await decodeQr(inChat)).toBe(code!.url);
    expect(await decodeQr(inList)).toBe(code!.url);
  });

  it("shows the menu the account publishes as the bottom bar; a click, and a sub-menu's, are answered", async () => {
    const res = await fetch(`${local.workerUrl}/admin/menu`, {
      method: "PUT",
      headers: { authorization: `Bearer ${LOCAL_ACCOUNT.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(MENU),
    });
    expect(res.status).toBe(200);
    await page.locator("#menu-bar").waitFor({ state: "visible", timeout: 10_000 });
    expect(await page.locator("#menu-buttons .menu-btn").allTextContents()).toEqual(["关于", "更多", "新闻"]);

    await page.click("#menu-buttons .menu-btn >> text=关于");
    await accountBubble("clicked MENU_ABOUT");
    await page.locator(".note[data-event=CLICK]", { hasText: "「关于」" }).waitFor();

    await page.click("#menu-buttons .menu-btn >> text=更多");
    await page.locator("#submenu").waitFor({ state: "visible" });
    await page.click("#submenu button >> text=帮助");
    await accountBubble("clicked MENU_HELP");
    expect(await page.locator("#submenu").isVisible()).toBe(false);

    await page.click("[data-tab=inspector]");
    await page.locator(".exchange", { hasText: "MENU_HELP" }).waitFor();
    await page.screenshot({ path: "docs/local-wechat-chat.png" });
  });

  it("a new follower scans the QR code, is welcomed naming its scene, and gets a late answer as 客服消息", async () => {
    await page.click("#follower-button");
    await page.fill("#new-follower", SECOND);
    await page.click("#add-follower");
    await expect.poll(() => page.locator("#follower-button").getAttribute("title")).toContain(SECOND);
    expect((await context.cookies(local.wechatUrl)).find((c) => c.name === "wechat_follower")?.value).toBe(SECOND);
    expect(await page.locator(".row").count()).toBe(0); // a conversation of their own

    await page.click("[data-tab=qrcodes]");
    await page.click(".qr-card .scan");
    await accountBubble(`welcome, scene follower:${FIRST}`);
    await page.locator(".note[data-event=subscribe]").waitFor();
    expect(await page.evaluate(() => localStorage.getItem("localWeChat.followers"))).toBe(
      JSON.stringify([FIRST, SECOND]),
    );

    // The account takes longer than its reply deadline (4 s): WeChat gets `success` and the page shows the
    // account typing meanwhile; the answer comes later, as a customer-service message.
    await say("slow 4500");
    await page.locator("#typing").waitFor({ timeout: 2_000 });
    await page.locator(".pushing", { hasText: "slow 4500" }).waitFor({ state: "attached", timeout: 2_000 });
    await accountBubble("slow reply after 4500 ms");
    const later = page.locator(".row.account", { hasText: "slow reply after 4500 ms" });
    expect(await later.getAttribute("data-via")).toBe("custom");
    expect(await later.locator(".via").textContent()).toContain("客服消息");
    await page.locator("#typing").waitFor({ state: "detached", timeout: 5_000 });
    const quiet = page.locator(".exchange", { hasText: "slow 4500" });
    expect(await quiet.locator(".verdict").first().textContent()).toBe("success: nothing to show");

    // Back to the first follower: their conversation as it was.
    await page.click("#follower-button");
    await page.click(`.follower-row[data-openid="${FIRST}"]`);
    await page.locator(".row.account .qr-in-chat img").waitFor();
    await accountBubble("clicked MENU_HELP");
    expect((await context.cookies(local.wechatUrl)).find((c) => c.name === "wechat_follower")?.value).toBe(FIRST);
  });

  it("in 安全 mode converses, the inspector showing the encrypted body and its plaintext", async () => {
    await page.click("[data-tab=settings]");
    await page.click("[data-mode=safe]");
    await page.locator("[data-mode=safe].on").waitFor();
    expect((await state()).mode).toBe("safe");
    await page.click("[data-tab=inspector]");

    await say("安全模式 hello");
    await accountBubble("安全模式 hello");
    const latest = page.locator(".exchange[data-mode=safe]", { hasText: "安全模式 hello" }).first();
    await latest.waitFor();
    expect(await latest.getAttribute("open")).not.toBeNull();
    const body = await latest.locator(".block-body pre").first().textContent();
    expect(body).toMatch(/<Encrypt><!\[CDATA\[[A-Za-z0-9+/=]{40,}\]\]><\/Encrypt>/);
    expect(body).not.toContain("安全模式 hello");
    expect(await latest.locator(".block-plaintext pre").first().textContent()).toContain(
      "<Content><![CDATA[安全模式 hello]]></Content>",
    );
    expect(await latest.locator(".verdict").first().textContent()).toBe("shown");
    await page.screenshot({ path: "docs/local-wechat-safe-mode.png" });

    // What the account says is text, never markup.
    await say("<b>粗体</b>");
    await accountBubble("<b>粗体</b>");
    expect(await page.locator(".messages b").count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
