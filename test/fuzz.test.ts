/**
 * Property-based fuzzing (fast-check) of everything a client controls: the
 * XML parser, the message cipher, and the whole callback route. Whatever the
 * input, the parser and cipher fail only with their own typed errors, and
 * the route never answers a 5xx, never crashes, never runs a handler for
 * input that is not a signed WeChat message.
 */
import { encrypt as wecomEncrypt, getSignature } from "@wecom/crypto";
import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { CryptoError, MessageCipher } from "../src/wechat/crypto";
import { toMessage } from "../src/wechat/messages";
import { Bot } from "../src/wechat";
import { XmlError, parseXml } from "../src/wechat/xml";
import { mutatedMessage } from "./fixtures/generators";
import { AES_KEY, APPID, TOKEN, message, nowSeconds, toXml } from "./fixtures/wechat";

const RUNS = 400;

/** XML-ish text: fragments of WeChat messages, markup and junk, recombined. */
const xmlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "<xml>",
        "</xml>",
        "<ToUserName>",
        "</ToUserName>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<!DOCTYPE",
        "<!ENTITY",
        "&amp;",
        "&#x1F600;",
        "&#0;",
        "&unknown;",
        '<?xml version="1.0"?>',
        "<MsgId>",
        "</MsgId>",
        "<",
        ">",
        "/>",
        "\u0000",
        "\uFFFF",
        "\uD800",
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "grapheme", maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

describe("the XML parser", () => {
  it("throws nothing but XmlError, on any text", () => {
    fc.assert(
      fc.property(fc.oneof(xmlish, mutatedMessage, fc.string({ maxLength: 200 })), (text) => {
        try {
          const node = parseXml(text);
          expect(typeof node).toBe("object");
          try {
            toMessage(node);
          } catch (e) {
            expect(e).toBeInstanceOf(XmlError);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(XmlError);
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

describe("the cipher", () => {
  const cipherP = MessageCipher.create(AES_KEY, APPID);

  it("throws nothing but CryptoError, on any Encrypt text", async () => {
    const cipher = await cipherP;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 120 }), fc.base64String({ maxLength: 200 })), async (text) => {
        try {
          expect(typeof (await cipher.decrypt(text))).toBe("string");
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses (or exactly decodes) any ciphertext of random blocks", async () => {
    const cipher = await cipherP;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 160 }), async (bytes) => {
        const b64 = btoa(String.fromCharCode(...bytes));
        await cipher.decrypt(b64).then(
          (s) => expect(typeof s).toBe("string"),
          (e) => expect(e).toBeInstanceOf(CryptoError),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trips any text with the independent implementation", async () => {
    const cipher = await cipherP;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 300 }), async (text) => {
        expect(await cipher.decrypt(wecomEncrypt(AES_KEY, text, APPID))).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("the callback route", () => {
  let runs = 0;
  const bot = new Bot<Env>().use(() => {
    runs++;
    return "ok";
  });
  const app = createApp(bot);

  const signedQuery = (extra: Record<string, string> = {}) => {
    const timestamp = String(nowSeconds());
    const nonce = "31337";
    return new URLSearchParams({ signature: getSignature(TOKEN, timestamp, nonce, ""), timestamp, nonce, ...extra });
  };

  it("never answers a 5xx for any body, signed or not", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(xmlish, mutatedMessage), fc.boolean(), async (body, signed) => {
        const q = signed
          ? signedQuery()
          : new URLSearchParams({ signature: "0".repeat(40), timestamp: "1", nonce: "1" });
        const res = await app.request(`https://w.test/wechat?${q}`, { method: "POST", body }, env);
        expect(res.status).toBeLessThan(500);
        expect([200, 400, 403, 413]).toContain(res.status);
      }),
      { numRuns: RUNS },
    );
  });

  it("never answers a 5xx for any query string", async () => {
    const body = toXml(message({ MsgType: "text", Content: "x" }));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom("signature", "timestamp", "nonce", "encrypt_type", "msg_signature", "echostr", "openid", "x"),
          fc.string({ maxLength: 50 }),
        ),
        fc.constantFrom("GET", "POST"),
        async (params, method) => {
          runs = 0;
          const res = await app.request(
            `https://w.test/wechat?${new URLSearchParams(params)}`,
            { method, body: method === "POST" ? body : undefined },
            env,
          );
          expect(res.status).toBeLessThan(500);
          expect(runs).toBe(0); // nothing unsigned runs a handler
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("never answers a 5xx for any Encrypt content under a valid msg_signature", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.base64String({ maxLength: 200 }),
          xmlish.map((x) => wecomEncrypt(AES_KEY, x, APPID)),
        ),
        async (encrypt) => {
          const timestamp = String(nowSeconds());
          const nonce = "42";
          const q = signedQuery({ encrypt_type: "aes", msg_signature: getSignature(TOKEN, timestamp, nonce, encrypt) });
          q.set("timestamp", timestamp);
          q.set("nonce", nonce);
          q.set("signature", getSignature(TOKEN, timestamp, nonce, ""));
          const body = `<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[${encrypt.replaceAll("]]>", "]]]]><![CDATA[>")}]]></Encrypt></xml>`;
          const res = await app.request(`https://w.test/wechat?${q}`, { method: "POST", body }, env);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
