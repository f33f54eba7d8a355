/**
 * How a callback's URL is recognised and its query read (src/routes/callback-url.ts):
 * held to the standard URL and URLSearchParams on generated URLs — plain
 * ones (the fast path) and ones with escapes, `+`, fragments, odd paths and
 * non-ASCII (the fallback) — so that both ways always agree.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callbackQuery, readPlainQuery } from "../src/routes/callback-url";

const NAMES = ["signature", "timestamp", "nonce", "openid", "encrypt_type", "msg_signature", "", "a"];

function reference(url: string): URLSearchParams | null {
  const parsed = new URL(url);
  return parsed.pathname === "/wechat" ? parsed.searchParams : null;
}

function expectSame(url: string, names: string[]) {
  const got = callbackQuery("POST", url);
  const want = reference(url);
  expect(got === null, url).toBe(want === null);
  if (got === null || want === null) return;
  for (const name of names) expect(got.get(name), `${url} ${name}`).toBe(want.get(name));
}

const queryChar = fc.constantFrom(..."abcz09_-.=&=&%2B+#é中 /?~!$'()*,;:@\u0001");
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ unit: fc.constantFrom(..."abn_%+é"), maxLength: 4 }));
const value = fc.oneof(fc.stringMatching(/^[0-9a-f]{0,40}$/), fc.string({ unit: queryChar, maxLength: 12 }));
const pairs = fc
  .array(fc.tuple(name, fc.boolean(), value), { maxLength: 8 })
  .map((ps) => ps.map(([n, eq, v]) => (eq ? `${n}=${v}` : n)).join("&"));
const path = fc.constantFrom(
  "/wechat",
  "/wechat/",
  "/wechatx",
  "/",
  "/admin",
  "/w%65chat",
  "/./wechat",
  "/x/../wechat",
  "//wechat",
  "/WECHAT",
);
const origin = fc.constantFrom("https://worker.test", "http://127.0.0.1:8787", "https://a.b.example:443");

describe("callbackQuery", () => {
  it("agrees with URL and URLSearchParams on any URL", () => {
    fc.assert(
      fc.property(
        origin,
        path,
        fc.option(fc.oneof(pairs, fc.string({ unit: queryChar, maxLength: 30 }))),
        fc.option(fc.string({ maxLength: 5 })),
        (o, p, q, hash) => {
          const url = o + p + (q === null ? "" : `?${q}`) + (hash === null ? "" : `#${hash}`);
          const names = [...NAMES, ...(q ?? "").split(/[&=]/)];
          expectSame(url, names);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("reads WeChat's own query on the fast path", () => {
    const url =
      "https://worker.test/wechat?signature=0a1b&timestamp=1700000000&nonce=123&openid=oAbc-_x&encrypt_type=aes&msg_signature=ff";
    expect(readPlainQuery(url, url.indexOf("?") + 1)).not.toBeNull();
    expectSame(url, NAMES);
  });

  it("keeps the first of repeated names and reads bare names as empty", () => {
    const q = callbackQuery("POST", "https://worker.test/wechat?nonce=1&nonce=2&openid&=x")!;
    expect([q.get("nonce"), q.get("openid"), q.get(""), q.get("missing")]).toEqual(["1", "", "x", null]);
  });

  it.each(["%41", "a+b", "x#y", "é"])("leaves %j to URLSearchParams", (part) => {
    expect(readPlainQuery(`a=${part}`, 0)).toBeNull();
    expectSame(`https://worker.test/wechat?a=${part}`, ["a"]);
  });

  it.each(["GET", "PUT", "HEAD"])("is null for %s", (method) => {
    expect(callbackQuery(method, "https://worker.test/wechat?a=1")).toBeNull();
  });
});
