/**
 * Black box under Miniflare: the deployable bundle (`wrangler deploy
 * --dry-run`) on workerd with real KV and Durable Objects, its upstream the
 * strict fake WeChat API, and this test playing WeChat over HTTP:
 * 300 concurrent followers in each mode get their own replies; a slow
 * upstream with WeChat's retries still delivers each reply exactly once.
 */
import { decrypt, encrypt, getSignature } from "@wecom/crypto";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWeChatApi } from "../../local-wechat/api";
import { startWorker } from "./harness";

const TOKEN = "e2e-token";
const AES_KEY = "c2VjcmV0LWtleS1mb3ItdGhlLWUyZS10ZXN0LTAxMjM";
const APPID = "wxe2e0000000000001";
const SECRET = "e2e-secret";

const fake = new FakeWeChatApi();
let mf: Miniflare;
let base: string;

beforeAll(async () => {
  fake.register(APPID, SECRET);
  const started = await startWorker(
    {
      WECHAT_APPID: APPID,
      WECHAT_APPSECRET: SECRET,
      WECHAT_TOKEN: TOKEN,
      WECHAT_ENCODING_AES_KEY: AES_KEY,
      REPLY_DEADLINE_MS: "1000",
      WECHAT_API_TIMEOUT_MS: "10000", // the slow-upstream case waits 5.5 s for WeChat
      REPLAY_WINDOW_S: "300",
    },
    { outbound: fake },
  );
  mf = started.mf;
  base = started.url;
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
});

type Mode = "plaintext" | "compatible" | "safe";
const now = () => Math.floor(Date.now() / 1000);

function textXml(openid: string, content: string, msgId: string, createTime: number) {
  return (
    `<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`
  );
}

/** POSTs a message as WeChat does (new timestamp and nonce for every attempt) and returns the reply's text. */
async function deliver(xml: string, mode: Mode): Promise<string> {
  const timestamp = String(now());
  const nonce = String(Math.floor(Math.random() * 1e9));
  const q = new URLSearchParams({
    signature: getSignature(TOKEN, timestamp, nonce, ""),
    timestamp,
    nonce,
    openid: "o",
  });
  let body = xml;
  if (mode !== "plaintext") {
    const cipher = encrypt(AES_KEY, xml, APPID);
    q.set("encrypt_type", "aes");
    q.set("msg_signature", getSignature(TOKEN, timestamp, nonce, cipher));
    body =
      mode === "safe"
        ? `<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`
        : xml.replace("</xml>", `<Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`);
  }
  const res = await fetch(`${base}/wechat?${q}`, { method: "POST", body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
  if (text === "success" || mode === "plaintext") return text;
  const field = (name: string) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)`).exec(text)![1]!;
  if (getSignature(TOKEN, field("TimeStamp"), field("Nonce"), field("Encrypt")) !== field("MsgSignature"))
    throw new Error("bad reply signature");
  const opened = decrypt(AES_KEY, field("Encrypt"));
  if (opened.id !== APPID) throw new Error("bad reply appid");
  return opened.message;
}

const contentOf = (xml: string) => /<Content><!\[CDATA\[([\s\S]*?)\]\]><\/Content>/.exec(xml)?.[1];

describe("Miniflare black box", () => {
  it.each<Mode>(["plaintext", "compatible", "safe"])(
    "300 concurrent followers in %s mode each get their own reply",
    async (mode) => {
      const createTime = now();
      const followers = Array.from({ length: 300 }, (_, i) => ({
        openid: `oE2E${mode}${String(i).padStart(5, "0")}`,
        content: `${mode} 消息 #${i} <&> ]]> 😀`.replace("]]>", "]]]]><![CDATA[>"),
        expected: `${mode} 消息 #${i} <&> ]]> 😀`,
        msgId: String(9_007_199_254_740_993n + BigInt(i) * 2n + BigInt(mode.length * 1000)),
      }));
      const replies = await Promise.all(
        followers.map((f) => deliver(textXml(f.openid, f.content, f.msgId, createTime), mode)),
      );
      replies.forEach((xml, i) => {
        expect(xml).toContain(`<ToUserName><![CDATA[${followers[i]!.openid}]]></ToUserName>`);
        expect(contentOf(xml)?.replaceAll("]]]]><![CDATA[>", "]]>")).toBe(followers[i]!.expected);
      });
    },
    60_000,
  );

  it("a slow upstream with WeChat's retries: one customer-service delivery per follower", async () => {
    // Creating the QR code takes 5.5 s: past the 1 s deadline and past WeChat's first retry at 5 s.
    fake.app(APPID)!.behaviour.delayMs = { "/cgi-bin/qrcode/create": 5500 };
    const followers = Array.from({ length: 20 }, (_, i) => ({
      openid: `oSlow${String(i).padStart(6, "0")}`,
      msgId: String(7_000_000_000_000_000_001n + BigInt(i)),
    }));
    const createTime = now();
    const xmls = followers.map((f) => textXml(f.openid, "二维码", f.msgId, createTime));
    const modes: Mode[] = ["plaintext", "compatible", "safe"];

    const first = await Promise.all(xmls.map((x, i) => deliver(x, modes[i % 3]!)));
    expect(first.every((r) => r === "success")).toBe(true);
    await new Promise((r) => setTimeout(r, 5000 - (Date.now() - createTime * 1000) + 100));
    const retry1 = await Promise.all(xmls.map((x, i) => deliver(x, modes[i % 3]!))); // the handler is still running
    expect(retry1.every((r) => r === "success")).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const retry2 = await Promise.all(xmls.map((x, i) => deliver(x, modes[i % 3]!))); // the reply has gone out
    expect(retry2.every((r) => r === "success")).toBe(true);

    const app = fake.app(APPID)!;
    expect(app.counts["/cgi-bin/qrcode/create"]).toBe(20); // each handler ran once
    const sends = app.sent.filter((s) => s.path === "/cgi-bin/message/custom/send");
    expect(sends).toHaveLength(20);
    expect(new Set(sends.map((s) => (s.body as { touser: string }).touser))).toEqual(
      new Set(followers.map((f) => f.openid)),
    );
    for (const s of sends)
      expect((s.body as { text: { content: string } }).text.content).toContain(
        "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=",
      );
    expect((app.counts["/cgi-bin/stable_token"] ?? 0) + (app.counts["/cgi-bin/token"] ?? 0)).toBe(1); // one token for everything
  }, 60_000);
});

describe("a try whose connection WeChat drops before the deadline", () => {
  it("the reply still reaches the follower exactly once: as the next try's answer, or by customer-service message", async () => {
    fake.app(APPID)!.behaviour.delayMs = { "/cgi-bin/qrcode/create": 2500 };
    const openid = "oDroppedConnection0000000001";
    const createTime = now();
    const xml = textXml(openid, "二维码", "7100000000000000888", createTime);
    const q = (sentAt: number) =>
      new URLSearchParams({
        signature: getSignature(TOKEN, String(sentAt), "66", ""),
        timestamp: String(sentAt),
        nonce: "66",
        openid: "o",
      });
    const dropped = await fetch(`${base}/wechat?${q(createTime)}`, {
      method: "POST",
      body: xml,
      signal: AbortSignal.timeout(300),
    }).catch(() => null);
    expect(dropped).toBeNull();
    await new Promise((r) => setTimeout(r, 5000 - (Date.now() - createTime * 1000)));
    const retry = await (await fetch(`${base}/wechat?${q(createTime + 5)}`, { method: "POST", body: xml })).text();
    await new Promise((r) => setTimeout(r, 500));
    const app = fake.app(APPID)!;
    const customSends = app.sent.filter(
      (s) => s.path === "/cgi-bin/message/custom/send" && (s.body as { touser: string }).touser === openid,
    );
    const passive = retry.includes("showqrcode?ticket=") ? 1 : 0;
    expect(passive + customSends.length).toBe(1);
  }, 30_000);
});

describe("REPLY_STRATEGY=hold at WeChat's real timings", () => {
  const HOLD_APPID = "wxe2ehold000000001";
  const holdFake = new FakeWeChatApi();
  let hold: Miniflare;
  let holdBase: string;

  beforeAll(async () => {
    holdFake.register(HOLD_APPID, SECRET);
    const started = await startWorker(
      {
        WECHAT_APPID: HOLD_APPID,
        WECHAT_APPSECRET: SECRET,
        WECHAT_TOKEN: TOKEN,
        WECHAT_ENCODING_AES_KEY: AES_KEY,
        REPLY_STRATEGY: "hold",
        WECHAT_API_TIMEOUT_MS: "10000",
      },
      { outbound: holdFake },
    );
    hold = started.mf;
    holdBase = started.url;
  }, 120_000);

  afterAll(async () => {
    await hold?.dispose();
  });

  it("a 6 s handler: try 1 goes unanswered past WeChat's 5 s, try 2 gets the reply passively; one run, no customer-service message", async () => {
    holdFake.app(HOLD_APPID)!.behaviour.delayMs = { "/cgi-bin/qrcode/create": 6000 };
    const createTime = now();
    const xml = textXml("oHoldRealTime000000000000001", "二维码", "7100000000000000777", createTime);
    /** One of WeChat's tries: its send time in the query, and given up after 5 s. */
    const attempt = async (sentAt: number) => {
      const q = new URLSearchParams({
        signature: getSignature(TOKEN, String(sentAt), "55", ""),
        timestamp: String(sentAt),
        nonce: "55",
        openid: "o",
      });
      const started = Date.now();
      try {
        const res = await fetch(`${holdBase}/wechat?${q}`, {
          method: "POST",
          body: xml,
          signal: AbortSignal.timeout(5000),
        });
        return { text: await res.text(), ms: Date.now() - started };
      } catch {
        return { text: null, ms: Date.now() - started }; // WeChat gave up on this try
      }
    };
    const first = await attempt(createTime);
    expect(first.text).toBeNull();
    const second = await attempt(createTime + 5);
    expect(second.text).toContain("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=");
    expect(second.ms).toBeLessThan(4000);
    const app = holdFake.app(HOLD_APPID)!;
    expect(app.counts["/cgi-bin/qrcode/create"]).toBe(1);
    expect(app.sent.filter((s) => s.path === "/cgi-bin/message/custom/send")).toHaveLength(0);
  }, 30_000);
});
