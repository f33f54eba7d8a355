/**
 * Configuration errors name the variable (never its value), handler errors
 * never become a 5xx, and log lines carry no secret or follower content.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { ROUTINE_LOG_MS, routineLine } from "../src/log";
import { Bot } from "../src/wechat";
import { webCrypto, type Primitives } from "../src/wechat/primitives";
import { OPENID, TOKEN, message, nowSeconds, signCallback, toXml } from "./fixtures/wechat";

const echo = new Bot<Env>().on("text", ({ message }) => message.Content);
const call = (
  e: Env,
  mode: "plaintext" | "safe" = "plaintext",
  fields = { MsgType: "text", Content: "hi" },
  timestamp?: string,
) => {
  const { url, body } = signCallback(toXml(message(fields)), { mode, timestamp });
  return createApp(echo).request(url, { method: "POST", body }, e);
};

describe("configuration", () => {
  it("a missing WECHAT_TOKEN is a 500 that names it", async () => {
    const res = await call({ ...env, WECHAT_TOKEN: undefined });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("WECHAT_TOKEN");
  });

  it("a malformed WECHAT_ENCODING_AES_KEY is a 500 that names it and does not print it", async () => {
    const bad = "short-key-value-do-not-print";
    const res = await call({ ...env, WECHAT_ENCODING_AES_KEY: bad });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toContain("WECHAT_ENCODING_AES_KEY");
    expect(body).not.toContain(bad);
  });

  it("an encrypted callback without WECHAT_ENCODING_AES_KEY is a 500 that names it", async () => {
    const res = await call({ ...env, WECHAT_ENCODING_AES_KEY: undefined }, "safe");
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("WECHAT_ENCODING_AES_KEY");
  });

  it("plaintext mode works without an EncodingAESKey or AppID", async () => {
    const res = await call({ WECHAT_TOKEN: TOKEN, DELIVERY_LEDGER: env.DELIVERY_LEDGER });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("hi");
  });

  it("an encrypted callback without WECHAT_APPID is a 500 that names it", async () => {
    const res = await call({ ...env, WECHAT_APPID: "" }, "safe");
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("WECHAT_APPID");
  });

  it.each(["soon", "-1", "1.5"])("REPLAY_WINDOW_S=%j is a 500 that names it", async (value) => {
    const res = await call({ ...env, REPLAY_WINDOW_S: value });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("REPLAY_WINDOW_S");
  });

  it("REPLAY_WINDOW_S=0 turns the replay check off", async () => {
    const old = String(nowSeconds() - 86400 * 30);
    expect((await call({ ...env, REPLAY_WINDOW_S: "0" }, "plaintext", undefined, old)).status).toBe(200);
    expect((await call({ ...env, REPLAY_WINDOW_S: "300" }, "plaintext", undefined, old)).status).toBe(403);
  });

  it("a missing DELIVERY_LEDGER binding is a 500 that names it (exactly-once is never silently off)", async () => {
    const res = await call({ ...env, DELIVERY_LEDGER: undefined });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("DELIVERY_LEDGER");
    expect((await call({ ...env, DELIVERY_LEDGER: undefined, EXACTLY_ONCE: "off" })).status).toBe(200);
  });

  it("REPLAY_WINDOW_S may be a number (unquoted in wrangler.toml)", async () => {
    expect((await call({ ...env, REPLAY_WINDOW_S: 60 })).status).toBe(200);
  });
});

describe("handler errors", () => {
  it("are answered success, never a 5xx, thrown at once or rejected later", async () => {
    const failing = [
      () => {
        throw new Error("database down");
      },
      async () => {
        await scheduler.wait(1);
        throw new Error("database down");
      },
      () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(new Error("thenable")) }),
    ];
    for (const handler of failing) {
      const bot = new Bot<Env>().on("text", handler as unknown as () => string);
      const { url, body } = signCallback(toXml(message({ MsgType: "text", Content: "x" })));
      const res = await createApp(bot).request(url, { method: "POST", body }, env);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("success");
    }
  });
});

describe("our own failures", () => {
  it("a reply that cannot be encrypted is a logged 500, not an unanswered request", async () => {
    // AES that decrypts but fails to encrypt: a fault of ours, after the message was handled.
    const failingAes: Primitives = {
      sha1: webCrypto.sha1,
      async aesCbc(rawKey) {
        const real = await webCrypto.aesCbc(rawKey);
        return { decrypt: real.decrypt, encrypt: async () => Promise.reject(new Error("no AES today")) };
      },
    };
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
    const { url, body } = signCallback(toXml(message({ MsgType: "text", Content: "hi" })), { mode: "safe" });
    const res = await createApp(echo, { primitives: failingAes }).request(url, { method: "POST", body }, env);
    vi.restoreAllMocks();
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal error");
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ event: "callback", mode: "safe", outcome: "error", status: 500 }),
    );
  });
});

describe("logs", () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  });
  afterEach(() => vi.restoreAllMocks());

  it("a JSON line per callback with type, mode, outcome and duration, and no content, OpenID or secret", async () => {
    const secretText = "my-private-message-4711";
    const bot = new Bot<Env>().on("text", ({ message }) => {
      throw new Error(`failed on ${message.Content}`);
    });
    for (const mode of ["plaintext", "safe"] as const) {
      await scheduler.wait(ROUTINE_LOG_MS); // a routine line is due
      expect((await call(env, mode, { MsgType: "text", Content: secretText })).status).toBe(200);
      // A handler's error is logged however soon it follows.
      const { url, body } = signCallback(toXml(message({ MsgType: "text", Content: secretText })));
      await createApp(bot).request(url, { method: "POST", body }, env);
    }

    expect(lines).toHaveLength(4);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed[0]).toMatchObject({
      event: "callback",
      mode: "plaintext",
      type: "text",
      reply: "text",
      outcome: "replied",
      status: 200,
    });
    expect(parsed[1]).toMatchObject({
      event: "callback",
      mode: "plaintext",
      outcome: "handler_error",
      error: "Error",
      status: 200,
    });
    expect(parsed[2]).toMatchObject({ mode: "safe", outcome: "replied" });
    expect(parsed[3]).toMatchObject({ outcome: "handler_error" });
    for (const p of parsed) expect(p.ms).toBeTypeOf("number");
    const all = lines.join("\n");
    for (const secret of [secretText, OPENID, TOKEN, env.WECHAT_ENCODING_AES_KEY!, env.WECHAT_APPSECRET!]) {
      expect(all).not.toContain(secret);
    }
  });

  it("routine replies in a burst get one line per ROUTINE_LOG_MS, and the next line counts the rest", async () => {
    await scheduler.wait(ROUTINE_LOG_MS);
    const burst = 20;
    for (let i = 0; i < burst; i++) expect((await call(env)).status).toBe(200);
    await scheduler.wait(ROUTINE_LOG_MS);
    expect((await call(env)).status).toBe(200);

    const parsed = lines.map((l) => JSON.parse(l) as { outcome: string; unlogged?: number });
    const routine = parsed.filter((p) => p.outcome === "replied");
    expect(routine.length).toBeGreaterThanOrEqual(2);
    expect(routine.length).toBeLessThan(burst);
    // Every routine callback is either a line or counted in a later line's `unlogged`.
    expect(routine.length + routine.reduce((n, p) => n + (p.unlogged ?? 0), 0)).toBe(burst + 1);
    expect(routine.at(-1)!.unlogged).toBeGreaterThan(0);
  });

  it("routineLine: one line per ROUTINE_LOG_MS, reporting the callbacks left unlogged since the last", () => {
    const t = 1e15; // far past any real clock reading, so the isolate's earlier lines do not matter
    expect(routineLine(t)).toBe(0);
    expect(routineLine(t + 1)).toBeUndefined();
    expect(routineLine(t + ROUTINE_LOG_MS - 1)).toBeUndefined();
    expect(routineLine(t + ROUTINE_LOG_MS)).toBe(2);
    expect(routineLine(t + ROUTINE_LOG_MS)).toBeUndefined();
    expect(routineLine(t + 5 * ROUTINE_LOG_MS)).toBe(1);
  });

  it("refusals are logged with their reason", async () => {
    const { url, body } = signCallback(toXml(message({ MsgType: "text", Content: "x" })), { token: "wrong" });
    await createApp(echo).request(url, { method: "POST", body }, env);
    expect(JSON.parse(lines[0]!)).toMatchObject({ outcome: "refused", status: 403 });
  });
});
