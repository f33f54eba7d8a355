/**
 * POST /wechat with bad input: forged and missing signatures, a wrong appid,
 * truncated and non-base64 Encrypt, malformed XML, DOCTYPE, oversized bodies.
 * Each gets its 4xx, and no handler runs.
 */
import { encrypt as wecomEncrypt, getSignature } from "@wecom/crypto";
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { Bot } from "../src/wechat";
import { AES_KEY, APPID, TOKEN, message, nowSeconds, signCallback, toXml, type Mode } from "./fixtures/wechat";

let runs = 0;
const bot = new Bot<Env>().use(() => {
  runs++;
  return "ran";
});
const app = createApp(bot);
const send = (url: string, body: BodyInit | null, headers: Record<string, string> = {}) =>
  app.request(url, { method: "POST", body, headers }, env);

beforeEach(() => {
  runs = 0;
});

const textXml = () => toXml(message({ MsgType: "text", Content: "hello" }));

async function expectRefused(res: Response, status: number, reason?: RegExp) {
  expect(res.status).toBe(status);
  const body = await res.text();
  if (reason) expect(body).toMatch(reason);
  expect(runs).toBe(0);
}

/** Signs a raw body as WeChat would in plaintext mode (signature covers only the query). */
function plainUrl(timestamp = String(nowSeconds()), nonce = "123") {
  return `https://worker.test/wechat?${new URLSearchParams({ signature: getSignature(TOKEN, timestamp, nonce, ""), timestamp, nonce })}`;
}

/** A safe-mode request whose Encrypt is `cipher`, correctly msg-signed. */
function safeRequest(cipher: string, timestamp = String(nowSeconds()), nonce = "123") {
  const q = new URLSearchParams({
    signature: getSignature(TOKEN, timestamp, nonce, ""),
    timestamp,
    nonce,
    encrypt_type: "aes",
    msg_signature: getSignature(TOKEN, timestamp, nonce, cipher),
  });
  return {
    url: `https://worker.test/wechat?${q}`,
    body: `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`,
  };
}

describe("signatures", () => {
  it.each<Mode>(["plaintext", "compatible", "safe"])("a forged signature in %s mode: 403", async (mode) => {
    const { url, body } = signCallback(textXml(), { mode, token: "not-the-token" });
    await expectRefused(await send(url, body), 403, /signature/);
  });

  it.each(["signature", "timestamp", "nonce"])("missing %s: 400", async (name) => {
    const u = new URL(signCallback(textXml()).url);
    u.searchParams.delete(name);
    await expectRefused(await send(u.href, textXml()), 400, /missing/);
  });

  it("encrypted without msg_signature: 400", async () => {
    const { url, body } = signCallback(textXml(), { mode: "safe" });
    const u = new URL(url);
    u.searchParams.delete("msg_signature");
    await expectRefused(await send(u.href, body), 400, /msg_signature/);
  });

  it("a valid signature but a forged msg_signature: 403", async () => {
    const { url, body } = signCallback(textXml(), { mode: "safe" });
    const u = new URL(url);
    u.searchParams.set("msg_signature", "0".repeat(40));
    await expectRefused(await send(u.href, body), 403, /msg_signature/);
  });

  // The contract: with encrypt_type=aes, msg_signature is checked *too*.
  it.each<Mode>(["compatible", "safe"])(
    "a forged signature beside a valid msg_signature in %s mode: 403",
    async (mode) => {
      const { url, body } = signCallback(textXml(), { mode });
      const u = new URL(url);
      u.searchParams.set("signature", "0".repeat(40));
      await expectRefused(await send(u.href, body), 403, /forged signature/);
    },
  );

  it("an Encrypt swapped for another message's, with the original msg_signature: 403", async () => {
    const a = signCallback(textXml(), { mode: "safe", timestamp: String(nowSeconds()), nonce: "1" });
    const b = signCallback(textXml(), { mode: "safe", timestamp: String(nowSeconds()), nonce: "1" });
    const swapped = b.body;
    await expectRefused(await send(a.url, swapped), 403);
  });

  it("an unknown encrypt_type: 400", async () => {
    const { url, body } = signCallback(textXml());
    await expectRefused(await send(`${url}&encrypt_type=rot13`, body), 400, /encrypt_type/);
  });

  it("outside the replay window: 403, even when correctly signed", async () => {
    const { url, body } = signCallback(textXml(), { timestamp: String(nowSeconds() - 3600) });
    await expectRefused(await send(url, body), 403, /replay/);
  });
});

describe("encrypted payloads", () => {
  it("a message encrypted for another appid: 400", async () => {
    const { url, body } = signCallback(textXml(), { mode: "safe", appId: "wx0000000000000000" });
    await expectRefused(await send(url, body), 400, /appid/i);
  });

  it("a message encrypted with another EncodingAESKey: 400", async () => {
    const { url, body } = signCallback(textXml(), {
      mode: "safe",
      aesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    });
    await expectRefused(await send(url, body), 400, /undecryptable/);
  });

  it("a truncated Encrypt: 400", async () => {
    const cipher = wecomEncrypt(AES_KEY, textXml(), APPID);
    const { url, body } = safeRequest(cipher.slice(0, cipher.length - 24));
    await expectRefused(await send(url, body), 400, /undecryptable/);
  });

  it("an Encrypt cut to a non-block length: 400", async () => {
    const cipher = wecomEncrypt(AES_KEY, textXml(), APPID);
    const { url, body } = safeRequest(cipher.slice(0, 30) + "==");
    await expectRefused(await send(url, body), 400, /undecryptable/);
  });

  it("a non-base64 Encrypt: 400", async () => {
    const { url, body } = safeRequest("this is %%% not base64");
    await expectRefused(await send(url, body), 400, /bad_base64/);
  });

  it("an empty Encrypt: 400", async () => {
    const { url, body } = safeRequest("");
    await expectRefused(await send(url, body), 400, /Encrypt/);
  });

  it("encrypt_type=aes with a plaintext body (no Encrypt): 400", async () => {
    const { url } = signCallback(textXml(), { mode: "safe" });
    await expectRefused(await send(url, textXml()), 400, /Encrypt/);
  });

  it("a decrypted payload that is not XML: 400", async () => {
    const { url, body } = safeRequest(wecomEncrypt(AES_KEY, "just text", APPID));
    await expectRefused(await send(url, body), 400);
  });

  it("a DOCTYPE inside the encrypted payload: 400", async () => {
    const inner = `<!DOCTYPE xml [<!ENTITY a "b">]>` + textXml();
    const { url, body } = safeRequest(wecomEncrypt(AES_KEY, inner, APPID));
    await expectRefused(await send(url, body), 400, /DOCTYPE/);
  });
});

describe("XML", () => {
  const cases: [string, string][] = [
    ["unclosed tags", "<xml><ToUserName>gh</xml>"],
    ["a mismatched close", "<xml><A>1</B></xml>"],
    ["not XML at all", "hello"],
    ["JSON", '{"MsgType":"text"}'],
    ["another root element", "<message><MsgType>text</MsgType></message>"],
    ["two roots", "<xml><A>1</A></xml><xml><A>2</A></xml>"],
    ["an unterminated CDATA", "<xml><Content><![CDATA[abc</Content></xml>"],
  ];
  it.each(cases)("%s: 400", async (_, body) => {
    await expectRefused(await send(plainUrl(), body), 400);
  });

  it("a DOCTYPE: 400", async () => {
    await expectRefused(await send(plainUrl(), `<?xml version="1.0"?><!DOCTYPE xml>${textXml()}`), 400, /DOCTYPE/);
  });

  it("an entity declaration (billion laughs): 400", async () => {
    const lol = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>`;
    await expectRefused(await send(plainUrl(), lol), 400, /DOCTYPE/);
  });

  it("a lowercase doctype hidden after the root's start: 400", async () => {
    await expectRefused(await send(plainUrl(), `<xml><!doctype x><MsgType>text</MsgType></xml>`), 400);
  });

  it.each(["ToUserName", "FromUserName", "CreateTime", "MsgType"])("a message without %s: 400", async (field) => {
    const fields = message({ MsgType: "text", Content: "x" });
    delete fields[field];
    await expectRefused(await send(plainUrl(), toXml(fields)), 400, /not a WeChat message/);
  });

  it("an event without Event: 400", async () => {
    await expectRefused(await send(plainUrl(), toXml(message({ MsgType: "event" }))), 400, /Event/);
  });

  it("a CreateTime that is not a number: 400", async () => {
    await expectRefused(
      await send(plainUrl(), toXml(message({ MsgType: "text", Content: "x", CreateTime: "yesterday" }))),
      400,
    );
  });

  it("a body that is not UTF-8: 400", async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode("<xml><Content>"),
      0xff,
      0xfe,
      ...new TextEncoder().encode("</Content></xml>"),
    ]);
    await expectRefused(await send(plainUrl(), bytes), 400, /UTF-8/);
  });

  it("an empty body: 400", async () => {
    await expectRefused(await send(plainUrl(), ""), 400);
  });
});

describe("size", () => {
  it("a body over 64 KiB: 413", async () => {
    const big = toXml(message({ MsgType: "text", Content: "x".repeat(64 * 1024) }));
    await expectRefused(await send(plainUrl(), big), 413);
  });

  it("a body over 64 KiB without Content-Length (streamed): 413", async () => {
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const req = new Request(plainUrl(), { method: "POST", body: stream });
    expect(req.headers.get("content-length")).toBeNull();
    await expectRefused(await app.request(req, undefined, env), 413);
  });

  it("a Content-Length that claims more than 64 KiB: 413 before reading", async () => {
    const res = await app.request(
      new Request(plainUrl(), { method: "POST", body: "x", headers: { "content-length": "70000" } }),
      undefined,
      env,
    );
    expect(res.status).toBe(413);
  });

  it("exactly 64 KiB is accepted", async () => {
    const skeleton = toXml(message({ MsgType: "text", Content: "" }));
    const padding = 64 * 1024 - new TextEncoder().encode(skeleton).length;
    const body = toXml(message({ MsgType: "text", Content: "x".repeat(padding) }));
    expect(new TextEncoder().encode(body).length).toBe(64 * 1024);
    const res = await send(plainUrl(), body);
    expect(res.status).toBe(200);
    expect(runs).toBe(1);
  });
});
