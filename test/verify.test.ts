/**
 * GET /wechat — WeChat's server check (服务器配置 → 提交), through the Worker's own fetch.
 */
import { getSignature } from "@wecom/crypto";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TOKEN, nowSeconds } from "./fixtures/wechat";

function check(params: Record<string, string>) {
  return exports.default.fetch(`https://worker.test/wechat?${new URLSearchParams(params)}`);
}

function signed(echostr = "4075181314397890557", timestamp = String(nowSeconds()), nonce = "846958211") {
  return { signature: getSignature(TOKEN, timestamp, nonce, ""), timestamp, nonce, echostr };
}

describe("GET /wechat", () => {
  it("echoes echostr exactly, as text/plain, for a valid signature", async () => {
    const res = await check(signed());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("4075181314397890557");
  });

  it("echoes an echostr with any characters byte for byte", async () => {
    const echostr = "a b+c&d=é中😀";
    expect(await (await check(signed(echostr))).text()).toBe(echostr);
  });

  it("accepts the signature in upper-case hex too", async () => {
    const p = signed();
    expect((await check({ ...p, signature: p.signature.toUpperCase() })).status).toBe(200);
  });

  it("refuses a forged signature with 403 and does not echo", async () => {
    const p = signed();
    const forged = (p.signature[0] === "0" ? "1" : "0") + p.signature.slice(1);
    const res = await check({ ...p, signature: forged });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain(p.echostr);
  });

  it("refuses a signature made with another token", async () => {
    const p = signed();
    expect((await check({ ...p, signature: getSignature("another-token", p.timestamp, p.nonce, "") })).status).toBe(
      403,
    );
  });

  it.each(["", "zz", "0".repeat(40), "0".repeat(39), "g".repeat(40), "0".repeat(80)])(
    "refuses signature %j with 403",
    async (signature) => {
      expect((await check({ ...signed(), signature })).status).toBe(403);
    },
  );

  it.each(["signature", "timestamp", "nonce", "echostr"])("answers 400 when %s is missing", async (name) => {
    const p: Record<string, string> = signed();
    delete p[name];
    expect((await check(p)).status).toBe(400);
  });

  it("answers 400 for a timestamp that is not a number", async () => {
    expect((await check(signed(undefined, "12ab"))).status).toBe(400);
  });

  it("refuses a correctly signed check outside the replay window with 403", async () => {
    expect((await check(signed(undefined, String(nowSeconds() - 301)))).status).toBe(403);
    expect((await check(signed(undefined, String(nowSeconds() + 301)))).status).toBe(403);
    expect((await check(signed(undefined, String(nowSeconds() - 290)))).status).toBe(200);
  });

  it("answers other methods with 405", async () => {
    const res = await exports.default.fetch("https://worker.test/wechat", { method: "PUT" });
    expect(res.status).toBe(405);
  });
});
