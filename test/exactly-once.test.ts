/**
 * The 5-second window and WeChat's retries (src/callback/, src/delivery/):
 * a slow handler is answered `success` at the deadline and its reply sent
 * once by customer-service API; retries never run a handler twice and never
 * cause a second delivery; a retry after a passive reply gets that reply.
 * Retries are signed as WeChat signs them: same XML, a new timestamp ≥ 5 s
 * after CreateTime (WeChat only retries after its own 5 s timeout).
 */
import { createExecutionContext, env as testEnv, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { GENERATION_SIZE, rememberDelivery } from "../src/delivery/recent";
import { CHUNK_UNITS, chunksOf, ledgerStub } from "../src/delivery/recorder";
import { shardOf, type LedgerRecord } from "../src/delivery/policy";
import type { Env } from "../src/env";
import { Bot, reply } from "../src/wechat";
import { control, newApp } from "./fixtures/api";
import {
  ACCOUNT,
  OPENID,
  message,
  nextMsgId,
  nowSeconds,
  openReply,
  signCallback,
  toXml,
  type Mode,
} from "./fixtures/wechat";

const sleep = (ms: number) => scheduler.wait(ms);

function harness(env: Env, handlers: { slowMs?: number } = {}) {
  const runs: string[] = [];
  const bot = new Bot<Env>()
    .text("slow", async ({ message }) => {
      runs.push(message.MsgId);
      await sleep(handlers.slowMs ?? 600);
      return `slow reply to ${message.MsgId}`;
    })
    .text("silent-slow", async ({ message }) => {
      runs.push(message.MsgId);
      await sleep(handlers.slowMs ?? 600);
    })
    .on("text", ({ message }) => {
      runs.push(message.MsgId);
      return `reply to ${message.MsgId}`;
    })
    .event("subscribe", ({ message }) => {
      runs.push(`sub:${message.CreateTime}`);
      return "welcome";
    });
  const app = createApp(bot);
  const pending: Promise<void>[] = [];
  /** Sends XML as WeChat would; `retry` signs it as a retry (timestamp = CreateTime + 5 s). */
  const send = async (xml: string, opts: { retry?: boolean; mode?: Mode; createTime?: number } = {}) => {
    const ct = opts.createTime ?? Number(/<CreateTime>(\d+)</.exec(xml)![1]);
    const { url, body } = signCallback(xml, {
      mode: opts.mode,
      appId: env.WECHAT_APPID,
      timestamp: String(opts.retry ? ct + 5 : ct),
    });
    const ctx = createExecutionContext();
    const res = await app.request(url, { method: "POST", body }, env, ctx);
    pending.push(waitOnExecutionContext(ctx));
    return res;
  };
  const settle = () => Promise.all(pending.splice(0));
  return { runs, send, settle };
}

const customSends = async (t: Awaited<ReturnType<typeof newApp>>) =>
  (await t.state()).sent.filter((s) => s.path === "/cgi-bin/message/custom/send");

describe("the deadline", () => {
  it("a handler slower than the deadline: success at the deadline, then exactly one customer-service send", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "200" });
    const h = harness(t.env);
    const msgId = nextMsgId();
    const xml = toXml(message({ MsgType: "text", Content: "slow", MsgId: msgId }));
    const res = await h.send(xml);
    expect(await res.text()).toBe("success");
    expect(await customSends(t)).toHaveLength(0); // the reply was not ready when WeChat was answered
    await h.settle();
    const sends = await customSends(t);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.body).toEqual({ touser: OPENID, msgtype: "text", text: { content: `slow reply to ${msgId}` } });
    expect(h.runs).toEqual([msgId]);
  });

  it("two retries arriving while the handler runs: no second run, no second send", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "150" });
    const h = harness(t.env, { slowMs: 900 });
    const xml = toXml(message({ MsgType: "text", Content: "slow" }));
    expect(await (await h.send(xml)).text()).toBe("success");
    await sleep(100); // past the deadline: the ledger knows the message is deferred
    const [r1, r2] = await Promise.all([h.send(xml, { retry: true }), h.send(xml, { retry: true })]);
    expect(await r1.text()).toBe("success");
    expect(await r2.text()).toBe("success");
    await h.settle();
    expect(h.runs).toHaveLength(1);
    expect(await customSends(t)).toHaveLength(1);
  });

  it("a retry after the deferred reply went out gets success, not the reply again", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "100" });
    const h = harness(t.env, { slowMs: 300 });
    const xml = toXml(message({ MsgType: "text", Content: "slow" }));
    await h.send(xml);
    await h.settle();
    expect(await (await h.send(xml, { retry: true })).text()).toBe("success");
    await h.settle();
    expect(h.runs).toHaveLength(1);
    expect(await customSends(t)).toHaveLength(1);
  });

  it("a slow handler that has nothing to say sends nothing", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "100" });
    const h = harness(t.env, { slowMs: 300 });
    expect(await (await h.send(toXml(message({ MsgType: "text", Content: "silent-slow" })))).text()).toBe("success");
    await h.settle();
    expect(await customSends(t)).toHaveLength(0);
  });

  it("custom: a reply the customer-service API refuses (45015) is logged as lost with the errcode, never sent twice", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "100", REPLY_STRATEGY: "custom" });
    const follower = "oWindowClosed45015000000000001";
    await control("behaviour", { appid: t.appid, customWindowClosed: follower });
    const h = harness(t.env, { slowMs: 300 });
    const msgId = nextMsgId();
    const xml = toXml(message({ MsgType: "text", Content: "slow", MsgId: msgId, FromUserName: follower }));
    const lines: string[] = [];
    const original = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      await h.send(xml);
      await h.settle();
    } finally {
      console.log = original;
    }
    expect(lines.map((l) => JSON.parse(l)).find((l) => l.event === "deferred")).toMatchObject({
      outcome: "lost",
      errcode: 45015,
      path: "/cgi-bin/message/custom/send",
    });
    expect(await (await h.send(xml, { retry: true })).text()).toBe("success");
    await h.settle();
    expect(h.runs).toHaveLength(1);
    expect(await customSends(t)).toHaveLength(0);
  });
});

describe.each(["plaintext", "safe"] as const)("retries after a passive reply (%s mode)", (mode) => {
  it("a retry gets the finished reply and the handler does not run again", async () => {
    const t = await newApp();
    const h = harness(t.env);
    const msgId = nextMsgId();
    const xml = toXml(message({ MsgType: "text", Content: "hi", MsgId: msgId }));
    expect(await openReply(await h.send(xml, { mode }), mode, t.appid)).toMatchObject({ Content: `reply to ${msgId}` });
    await h.settle(); // the batched ledger record lands (the real earliest retry is 5 s away)
    for (let i = 0; i < 3; i++) {
      expect(await openReply(await h.send(xml, { mode, retry: true }), mode, t.appid)).toMatchObject({
        Content: `reply to ${msgId}`,
      });
    }
    await h.settle();
    expect(h.runs).toEqual([msgId]);
    expect(await customSends(t)).toHaveLength(0);
  });

  it("events are deduplicated by sender + CreateTime + event + key", async () => {
    const t = await newApp();
    const h = harness(t.env);
    const ct = nowSeconds();
    const xml = toXml(message({ MsgType: "event", Event: "subscribe", EventKey: "", CreateTime: String(ct) }));
    await h.send(xml, { mode });
    await h.settle();
    expect(await openReply(await h.send(xml, { mode, retry: true }), mode, t.appid)).toMatchObject({
      Content: "welcome",
    });
    const other = toXml(message({ MsgType: "event", Event: "subscribe", EventKey: "", CreateTime: String(ct - 1) }));
    await h.send(other, { mode });
    await h.settle();
    expect(h.runs).toEqual([`sub:${ct}`, `sub:${ct - 1}`]);
  });
});

describe("what the ledger keeps of a reply", () => {
  const ledgerOf = (env: Env) => ledgerStub(env.DELIVERY_LEDGER!, shardOf(OPENID));

  it("the body alone: a retry's reply gets its envelope from the retry's own message", async () => {
    const t = await newApp();
    const h = harness(t.env);
    const msgId = nextMsgId();
    const ct = nowSeconds() - 1;
    const xml = toXml(message({ MsgType: "text", Content: "hi", MsgId: msgId, CreateTime: String(ct) }));
    await h.send(xml);
    await h.settle();
    const row = await ledgerOf(t.env).claim(`m:${msgId}`);
    expect(row).toEqual({
      state: "replied",
      reply: `<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[reply to ${msgId}]]></Content>`,
    });
    const retried = await openReply(await h.send(xml, { retry: true }));
    expect(retried).toMatchObject({
      ToUserName: OPENID,
      FromUserName: ACCOUNT,
      MsgType: "text",
      Content: `reply to ${msgId}`,
    });
    expect(Number((retried as Record<string, string>)["CreateTime"])).toBeGreaterThanOrEqual(ct);
    expect(h.runs).toEqual([msgId]);
  });

  it("a resend answered from this isolate's memory is addressed from the resend, in both modes", async () => {
    for (const mode of ["plaintext", "safe"] as const) {
      const t = await newApp();
      const h = harness(t.env);
      const msgId = nextMsgId();
      const xml = toXml(message({ MsgType: "text", Content: "hi", MsgId: msgId }));
      await h.send(xml, { mode });
      const again = await openReply(await h.send(xml, { mode }), mode, t.appid); // before the batch is written
      expect(again).toMatchObject({ ToUserName: OPENID, FromUserName: ACCOUNT, Content: `reply to ${msgId}` });
      await h.settle();
      expect(h.runs).toEqual([msgId]);
    }
  });
});

describe("immediate resends (same timestamp, before any ledger write)", () => {
  it("a resend while the handler runs does not run it again; its reply goes out once", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "200" });
    const h = harness(t.env, { slowMs: 500 });
    const xml = toXml(message({ MsgType: "text", Content: "slow" }));
    const [a, b, c] = await Promise.all([h.send(xml), h.send(xml), h.send(xml)]);
    expect([await a.text(), await b.text(), await c.text()]).toEqual(["success", "success", "success"]);
    await h.settle();
    expect(h.runs).toHaveLength(1);
    expect(await customSends(t)).toHaveLength(1);
  });

  // The resend carries the same timestamp, so it is still a provable first delivery and asks no
  // ledger (whose batch is unwritten anyway): only this isolate's memory stands between it and a second run.
  const busy = (msgId: string) => {
    // More messages than two generations of the memory hold by count (recent.ts).
    const now = Date.now();
    for (let i = 0; i <= 2 * GENERATION_SIZE; i++) rememberDelivery(`m:busy-${msgId}-${i}`, { state: "done" }, now);
  };
  it.each([
    ["right after a passive reply", (_msgId: string) => {}],
    ["after 10,000 other messages on this isolate", busy],
  ])("a resend %s gets that reply, without running the handler", async (_when, between) => {
    const t = await newApp();
    const h = harness(t.env);
    const msgId = nextMsgId();
    const xml = toXml(message({ MsgType: "text", Content: "hi", MsgId: msgId }));
    expect(await openReply(await h.send(xml))).toMatchObject({ Content: `reply to ${msgId}` });
    between(msgId);
    expect(await openReply(await h.send(xml))).toMatchObject({ Content: `reply to ${msgId}` });
    await h.settle();
    expect(h.runs).toEqual([msgId]);
  });
});

describe("MsgId", () => {
  it("ids that collide as JavaScript numbers stay distinct messages", async () => {
    const t = await newApp();
    const h = harness(t.env);
    const a = "9007199254740993";
    const b = "9007199254740992";
    expect(Number(a)).toBe(Number(b));
    const xa = toXml(message({ MsgType: "text", Content: "x", MsgId: a }));
    const xb = toXml(message({ MsgType: "text", Content: "x", MsgId: b }));
    expect(await openReply(await h.send(xa))).toMatchObject({ Content: `reply to ${a}` });
    expect(await openReply(await h.send(xb))).toMatchObject({ Content: `reply to ${b}` });
    await h.settle();
    expect(await openReply(await h.send(xa, { retry: true }))).toMatchObject({ Content: `reply to ${a}` });
    expect(await openReply(await h.send(xb, { retry: true }))).toMatchObject({ Content: `reply to ${b}` });
    expect(h.runs).toEqual([a, b]);
  });
});

describe("the slow path", () => {
  it("a first delivery that arrives late (not provably first) claims in the ledger and runs once", async () => {
    const t = await newApp();
    const h = harness(t.env);
    const xml = toXml(message({ MsgType: "text", Content: "late", CreateTime: String(nowSeconds() - 30) }));
    expect(await openReply(await h.send(xml, { retry: true }))).toMatchObject({ MsgType: "text" });
    await h.settle();
    expect(await openReply(await h.send(xml, { retry: true }))).toMatchObject({ MsgType: "text" });
    expect(h.runs).toHaveLength(1);
  });

  it("concurrent possible retries of one message: exactly one runs; the others get its reply or success", async () => {
    const t = await newApp();
    const h = harness(t.env);
    const msgId = nextMsgId();
    const xml = toXml(
      message({ MsgType: "text", Content: "dup", MsgId: msgId, CreateTime: String(nowSeconds() - 10) }),
    );
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => h.send(xml, { retry: true }).then((r) => r.text())),
    );
    await h.settle();
    expect(h.runs).toHaveLength(1);
    const replies = answers.filter((a) => a !== "success").map((a) => /<Content><!\[CDATA\[(.*?)\]\]>/.exec(a)![1]);
    expect(replies.length).toBeGreaterThanOrEqual(1);
    expect(new Set(replies)).toEqual(new Set([`reply to ${msgId}`]));
    expect(await customSends(t)).toHaveLength(0);
  });

  it("with EXACTLY_ONCE=off, a retry runs the handler again (the switch the benchmark uses)", async () => {
    const t = await newApp({ EXACTLY_ONCE: "off" });
    const h = harness(t.env);
    const xml = toXml(message({ MsgType: "text", Content: "hi" }));
    await h.send(xml);
    await h.settle();
    await h.send(xml, { retry: true });
    expect(h.runs).toHaveLength(2);
  });
});

describe("the ledger's batches", () => {
  // The recorder sends a batch's records in the order they were made, without coalescing:
  // a slow first delivery's `running` and `replied` can share one batch, in one statement.
  it("keeps a message's furthest state when one batch carries several, in either order", async () => {
    const ledger = testEnv.DELIVERY_LEDGER!.get(testEnv.DELIVERY_LEDGER!.idFromName(`batch-order-${nextMsgId()}`));
    const [a, b] = [`m:${nextMsgId()}`, `m:${nextMsgId()}`];
    await ledger.record([
      { key: a, state: "running" },
      { key: b, state: "replied", reply: "<b/>" },
      { key: a, state: "replied", reply: "<a/>" },
      { key: b, state: "running" },
    ]);
    expect(await ledger.claim(a)).toEqual({ state: "replied", reply: "<a/>" });
    expect(await ledger.claim(b)).toEqual({ state: "replied", reply: "<b/>" });
  });

  it("a batch too big for one SQLite value is cut into chunks that keep its order", () => {
    const reply = `<xml>${"回复".repeat(1000)}</xml>`; // ~2,000 units, 6 KB of UTF-8
    const records: LedgerRecord[] = Array.from({ length: 200 }, (_, i) => ({ key: `m:${i}`, state: "replied", reply }));
    const chunks = chunksOf(records);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(CHUNK_UNITS);
    expect(chunks.flatMap((c) => JSON.parse(c) as LedgerRecord[])).toEqual(records);
    expect(chunksOf([{ key: "m:1", state: "done" }])).toEqual(['[{"key":"m:1","state":"done"}]']);
  });

  it("applies a chunked batch in order, replies with quotes, CDATA ends and Chinese intact", async () => {
    const ledger = testEnv.DELIVERY_LEDGER!.get(testEnv.DELIVERY_LEDGER!.idFromName(`batch-chunks-${nextMsgId()}`));
    const key = `m:${nextMsgId()}`;
    const reply = `<xml><Content><![CDATA[引号 "q" \\ 反斜杠 ]]]]><![CDATA[> 结束]]></Content></xml>`;
    const filler: LedgerRecord[] = Array.from({ length: 60 }, (_, i) => ({
      key: `${key}-${i}`,
      state: "replied",
      reply: "x".repeat(4000),
    }));
    const chunks = chunksOf([
      { key, state: "running" },
      ...filler,
      { key, state: "replied", reply },
      { key, state: "running" },
    ]);
    expect(chunks.length).toBeGreaterThan(1);
    await ledger.recordBatch(chunks);
    expect(await ledger.claim(key)).toEqual({ state: "replied", reply });
    expect(await ledger.claim(`${key}-59`)).toEqual({ state: "replied", reply: "x".repeat(4000) });
  });
});
