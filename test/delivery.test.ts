/**
 * Every reply reaches its follower once, on every kind of account, whatever
 * fails (src/delivery/): REPLY_STRATEGY hold against WeChat's three tries,
 * auto's hand-over when the customer-service API refuses, and the faults a
 * probe found — a request that dies, a restart, a ledger that throws or
 * stalls, a batch that fails, a send that times out, a `done` that is not
 * written, a replay, values no reply can be made of.
 * WeChat's tries are scaled (WECHAT_TRY_MS, REPLY_DEADLINE_MS); the black box
 * (test/blackbox/miniflare-e2e.test.ts) keeps one run at real timings.
 */
import {
  createExecutionContext,
  env as testEnv,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app";
import { MessageDelivery } from "../src/delivery/message-delivery";
import { forgetDelivery } from "../src/delivery/recent";
import { ledgerStub } from "../src/delivery/recorder";
import { shardOf } from "../src/delivery/policy";
import type { Env } from "../src/env";
import { Bot, reply, type Reply } from "../src/wechat";
import { toMessage } from "../src/wechat/messages";
import { parseXml } from "../src/wechat/xml";
import { control, newApp } from "./fixtures/api";
import { message, nextMsgId, nowSeconds, openReply, signCallback, toXml } from "./fixtures/wechat";

const sleep = (ms: number) => scheduler.wait(ms);

let followers = 0;
/** A follower of each test's own: waiting replies are kept by follower. */
const newFollower = () => `oDelivery${String(++followers).padStart(19, "0")}`;

/** A bot whose text `slow <ms>` answers after that long; `hang` never answers; anything else at once. */
function slowBot(runs: string[]) {
  return new Bot<Env>()
    .text(/^slow (\d+)$/, async ({ message, match }) => {
      runs.push(message.MsgId);
      await sleep(Number(match![1]));
      return `slow reply to ${message.MsgId}`;
    })
    .on("text", ({ message }) => {
      runs.push(message.MsgId);
      return `reply to ${message.Content}`;
    });
}

/** WeChat, played against the app: its tries of a message, each given `tryMs`, signed as WeChat signs them. */
function wechat(env: Env, bot: Bot<Env>, tryMs: number) {
  const app = createApp(bot);
  const tasks: Promise<unknown>[] = [];
  const send = (xml: string, tryNumber = 1): Promise<Response> => {
    const createTime = Number(/<CreateTime>(\d+)</.exec(xml)![1]);
    // A retry carries WeChat's later send time: 5 s a try on WeChat's clock.
    const timestamp = String(createTime + 5 * (tryNumber - 1));
    const { url, body } = signCallback(xml, { appId: env.WECHAT_APPID, timestamp });
    const ctx = createExecutionContext();
    const res = Promise.resolve(app.request(url, { method: "POST", body }, env, ctx));
    tasks.push(res.then(() => waitOnExecutionContext(ctx)));
    return res;
  };
  /** The tries WeChat makes, each waiting `tryMs`: which one it took an answer from, and the answer. */
  const deliver = async (xml: string): Promise<{ accepted: number | null; text: string | null }> => {
    for (let n = 1; n <= 3; n++) {
      const answer = send(xml, n).then((r) => r.text());
      const text = await Promise.race([answer, sleep(tryMs).then(() => null)]);
      if (text !== null) return { accepted: n, text };
    }
    return { accepted: null, text: null };
  };
  return { send, deliver, settle: () => Promise.all(tasks.splice(0)) };
}

const contentOf = (xml: string | null) => (xml === null ? null : /<Content><!\[CDATA\[([\s\S]*?)\]\]>/.exec(xml)?.[1]);
const sends = async (t: Awaited<ReturnType<typeof newApp>>) =>
  (await t.state()).sent.filter((s) => s.path === "/cgi-bin/message/custom/send");
const text = (follower: string, content: string, msgId = nextMsgId()) =>
  toXml(message({ MsgType: "text", Content: content, MsgId: msgId, FromUserName: follower }));

/** Log lines, parsed, while `fn` runs. */
async function logsOf(fn: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l));
}

afterEach(() => vi.restoreAllMocks());

describe("hold: WeChat's own tries as the window", () => {
  // WeChat's 5 s tries and the 4 s deadline, scaled by 0.2.
  const TRY_MS = 1000;
  const holdApp = () => newApp({ REPLY_STRATEGY: "hold", WECHAT_TRY_MS: String(TRY_MS), REPLY_DEADLINE_MS: "800" });

  it.each([
    ["1 s", 1, 200],
    ["6 s", 2, 1200],
    ["11 s", 3, 2200],
  ])("a %s handler's reply is answered passively on try %i, one run", async (_, expectedTry, ms) => {
    const t = await holdApp();
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), TRY_MS);
    const msgId = nextMsgId();
    const got = await w.deliver(text(newFollower(), `slow ${ms}`, msgId));
    expect(got.accepted).toBe(expectedTry);
    expect(contentOf(got.text)).toBe(`slow reply to ${msgId}`);
    await w.settle();
    expect(runs).toEqual([msgId]);
    expect(await sends(t)).toHaveLength(0);
  });

  it("a 20 s handler: the last try gets the notice, the follower's next message gets the reply; one run each", async () => {
    const t = await holdApp();
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), TRY_MS);
    const follower = newFollower();
    const slowId = nextMsgId();
    const got = await w.deliver(text(follower, "slow 4000", slowId));
    expect(got.accepted).toBe(3);
    expect(contentOf(got.text)).toBe("正在思考，请稍后回复任意文字获取答案");
    await w.settle(); // the reply is ready, and waits
    const nextId = nextMsgId();
    const next = await w.deliver(text(follower, "还在吗", nextId));
    expect(next.accepted).toBe(1);
    expect(contentOf(next.text)).toBe(`slow reply to ${slowId}`);
    await w.settle();
    expect(runs).toEqual([slowId]); // the fetching message is not handled
    const after = await w.deliver(text(follower, "谢谢"));
    expect(contentOf(after.text)).toBe("reply to 谢谢"); // handed over once
    expect(await sends(t)).toHaveLength(0);
  });

  it("HOLD_NOTICE is the owner's to word", async () => {
    const t = await newApp({
      REPLY_STRATEGY: "hold",
      WECHAT_TRY_MS: String(TRY_MS),
      REPLY_DEADLINE_MS: "800",
      HOLD_NOTICE: "稍等，答案马上来",
    });
    const w = wechat(t.env, slowBot([]), TRY_MS);
    const got = await w.deliver(text(newFollower(), "slow 4000"));
    expect(contentOf(got.text)).toBe("稍等，答案马上来");
    await w.settle();
  });

  it("a handler whose instance died (its lease ran out) runs again on the next try", async () => {
    let first = true;
    let endFirst = () => {};
    const runs: string[] = [];
    const bot = new Bot<Env>().on("text", async ({ message }) => {
      runs.push(message.MsgId);
      if (first) {
        first = false;
        // The instance ends mid-handler: it stops renewing, and (until the test ends) never settles.
        await new Promise<void>((resolve) => (endFirst = resolve));
        return "from the dead run";
      }
      return "from the second run";
    });
    // WeChat's tries (2.6 s here) outlast the 3 s lease.
    const t = await newApp({ REPLY_STRATEGY: "hold", WECHAT_TRY_MS: "2600", REPLY_DEADLINE_MS: "2000" });
    // The dead instance's lease renewals stop after the first: the ledger's renew fails from then on.
    let renewals = 0;
    const env = withLedgerFaults(t.env, { renew: () => (++renewals > 1 ? "throw" : "pass") });
    const w = wechat(env, bot, 2600);
    const msgId = nextMsgId();
    const got = await w.deliver(text(newFollower(), "hi", msgId));
    expect(got.accepted).toBe(2);
    expect(contentOf(got.text)).toBe("from the second run");
    expect(runs).toEqual([msgId, msgId]);
    endFirst();
    const logs = await logsOf(() => w.settle());
    expect(logs).toContainEqual(expect.objectContaining({ event: "delivery", outcome: "superseded" })); // its reply, too late, goes nowhere
  }, 15_000);

  it("one slow lease renewal does not let the next try run a live handler again", async () => {
    const t = await holdApp();
    let renewals = 0;
    const env = withLedgerFaults(t.env, { renew: () => (++renewals === 2 ? 1500 : "pass") });
    const runs: string[] = [];
    const w = wechat(env, slowBot(runs), TRY_MS);
    const msgId = nextMsgId();
    const got = await w.deliver(text(newFollower(), "slow 1200", msgId));
    expect(got.accepted).toBe(2);
    await w.settle();
    expect(runs).toEqual([msgId]);
  });

  it("a try waiting for the reply keeps waiting through other followers' writes to its shard", async () => {
    const t = await holdApp();
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), TRY_MS);
    const follower = newFollower();
    let neighbour = newFollower();
    while (shardOf(neighbour) !== shardOf(follower)) neighbour = newFollower();
    const msgId = nextMsgId();
    const delivering = w.deliver(text(follower, "slow 1300", msgId));
    await sleep(1100); // try 2 waits now
    for (let i = 0; i < 4; i++) {
      await w.send(text(neighbour, `hi ${i}`)); // its batches land in the same shard
      await sleep(120);
    }
    const got = await delivering;
    expect(got.accepted).toBe(2);
    expect(contentOf(got.text)).toBe(`slow reply to ${msgId}`);
    await w.settle();
  });
});

describe("auto: customer-service first; refused, the reply waits for the follower's next message", () => {
  // The deadline leaves the next message time for a customer-service attempt before its answer.
  const autoApp = () => newApp({ REPLY_DEADLINE_MS: "700", WECHAT_TRY_MS: "1000", WECHAT_API_TIMEOUT_MS: "300" });

  it.each([
    [
      "48001 (no customer-service permission: an unverified 订阅号)",
      { customRefusal: { errcode: 48001, errmsg: "api unauthorized" } },
    ],
    ["45047 (quota)", { customRefusal: { errcode: 45047, errmsg: "out of response count limit" } }],
    ["a 502 that does not go away", { fail: { prefix: "/cgi-bin/message/custom/send", status: 502, remaining: 1000 } }],
  ])(
    "%s: the reply is the answer to the next message, once",
    async (_, fault) => {
      const t = await autoApp();
      await control("behaviour", { appid: t.appid, ...fault });
      const runs: string[] = [];
      const w = wechat(t.env, slowBot(runs), 1000);
      const follower = newFollower();
      const slowId = nextMsgId();
      const logs = await logsOf(async () => {
        expect(await (await w.send(text(follower, "slow 900", slowId))).text()).toBe("success");
        await w.settle();
      });
      expect(logs.find((l) => l.event === "deferred")).toMatchObject({ outcome: "waiting" });
      const next = await w.deliver(text(follower, "在吗"));
      expect(contentOf(next.text)).toBe(`slow reply to ${slowId}`);
      await w.settle();
      expect(runs).toEqual([slowId]);
      expect(contentOf((await w.deliver(text(follower, "谢谢"))).text)).toBe("reply to 谢谢");
      await w.settle();
      expect(await sends(t)).toHaveLength(0);
    },
    15_000,
  );

  it("45015 (the 48-hour window): the follower's next message reopens it, so the reply goes by customer-service message and the message is handled too", async () => {
    const t = await autoApp();
    const follower = newFollower();
    await control("behaviour", { appid: t.appid, customWindowClosed: follower });
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), 1000);
    const slowId = nextMsgId();
    await w.send(text(follower, "slow 900", slowId));
    await w.settle();
    await control("behaviour", { appid: t.appid, customWindowOpen: follower }); // the new message opens the window
    const next = await w.deliver(text(follower, "在吗"));
    expect(contentOf(next.text)).toBe("reply to 在吗");
    await w.settle();
    const sent = await sends(t);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({ touser: follower, text: { content: `slow reply to ${slowId}` } });
  });

  it("a send that timed out may have arrived: it is recorded unknown and never sent again, by this try or a later one", async () => {
    const t = await autoApp();
    await control("behaviour", { appid: t.appid, delayMs: { "/cgi-bin/message/custom/send": 600 } });
    const w = wechat(t.env, slowBot([]), 1000);
    const follower = newFollower();
    const xml = text(follower, "slow 900");
    const logs = await logsOf(async () => {
      await w.send(xml);
      await w.settle();
    });
    expect(logs.find((l) => l.event === "deferred")).toMatchObject({ outcome: "unknown", upstream: "timeout" });
    expect(await (await w.send(xml, 2)).text()).toBe("success");
    expect(contentOf((await w.deliver(text(follower, "在吗"))).text)).toBe("reply to 在吗"); // nothing waits
    await w.settle();
    await sleep(400);
    expect(await sends(t)).toHaveLength(1); // the fake got the one send that timed out on our side
  });

  it("a reply never handed over is logged as lost after 48 hours, with why it waited", async () => {
    const t = await autoApp();
    await control("behaviour", { appid: t.appid, customRefusal: { errcode: 48001, errmsg: "api unauthorized" } });
    const w = wechat(t.env, slowBot([]), 1000);
    const follower = newFollower();
    await w.send(text(follower, "slow 900"));
    await w.settle();
    const shard = ledgerStub(t.env.DELIVERY_LEDGER!, shardOf(follower));
    await runInDurableObject(shard, (_, state) => {
      state.storage.sql.exec("UPDATE waiting SET since = since - ? WHERE openid = ?", 48 * 3600_000 + 1000, follower);
    });
    const logs = await logsOf(() => runDurableObjectAlarm(shard));
    expect(logs).toContainEqual(
      expect.objectContaining({ event: "delivery", outcome: "lost", reason: expect.stringContaining("48 hours") }),
    );
    expect(logs.find((l) => l.outcome === "lost")!.reason).toContain("48001");
    expect(await shard.waitingFollowers()).not.toContain(follower);
  });

  it("a slow ledger after the deadline does not swallow the reply: it goes by customer-service message, once", async () => {
    const t = await autoApp();
    const env = withLedgerFaults(t.env, { mark: () => 150 });
    const runs: string[] = [];
    const w = wechat(env, slowBot(runs), 1000);
    const follower = newFollower();
    const msgId = nextMsgId();
    expect(await (await w.send(text(follower, "slow 730", msgId))).text()).toBe("success");
    await w.settle();
    expect((await sends(t)).map((s) => s.body)).toEqual([
      { touser: follower, msgtype: "text", text: { content: `slow reply to ${msgId}` } },
    ]);
  });

  it("a settle whose answer is lost and is made again gives the same answer: one send", async () => {
    const t = await autoApp();
    let settles = 0;
    const env = withLedgerFaults(t.env, { settle: () => (++settles === 1 ? 2500 : "pass") });
    const w = wechat(env, slowBot([]), 1000);
    await w.send(text(newFollower(), "slow 900"));
    await w.settle();
    await sleep(600); // the first, late settle lands too
    expect(settles).toBe(2);
    expect(await sends(t)).toHaveLength(1);
  });

  it("a hand-over whose ledger answer is lost: the reply waits again, and a later message gets it", async () => {
    const t = await autoApp();
    await control("behaviour", { appid: t.appid, customRefusal: { errcode: 48001, errmsg: "api unauthorized" } });
    let takes = 0;
    const env = withLedgerFaults(t.env, { takeWaiting: () => (++takes === 1 ? 1500 : "pass") });
    const runs: string[] = [];
    const w = wechat(env, slowBot(runs), 1000);
    const follower = newFollower();
    const slowId = nextMsgId();
    await w.send(text(follower, "slow 900", slowId));
    await w.settle();
    // The ledger lent the reply to this message's try, which never heard back: the message is handled as usual.
    expect(contentOf((await w.deliver(text(follower, "在吗"))).text)).toBe("reply to 在吗");
    await w.settle();
    await sleep(1200); // the late call lands, and lends the reply to a try long gone
    const shard = ledgerStub(t.env.DELIVERY_LEDGER!, shardOf(follower));
    await runInDurableObject(shard, (_, state) => {
      state.storage.sql.exec("UPDATE waiting SET handing_until = 1 WHERE openid = ?", follower); // the loan ran out
    });
    await sleep(1100); // this instance asks the shard again
    expect(contentOf((await w.deliver(text(follower, "还在吗"))).text)).toBe(`slow reply to ${slowId}`);
    await w.settle();
  });

  it("a retry on the instance of a handler whose request is gone: success now, the reply by customer-service message", async () => {
    const t = await newApp({ REPLY_STRATEGY: "custom", REPLY_DEADLINE_MS: "300", WECHAT_TRY_MS: "500" });
    const follower = newFollower();
    const msgId = nextMsgId();
    const xml = text(follower, "slow 400", msgId);
    const ctx = createExecutionContext();
    const fields = { mode: "plaintext", type: "text" };
    const delivery = new MessageDelivery(
      toMessage(parseXml(xml)),
      nowSeconds(),
      t.env,
      Date.now(),
      (p) => ctx.waitUntil(p),
      fields,
    );
    let finish!: (r: Reply) => void;
    delivery.running(new Promise<Reply>((resolve) => (finish = resolve)));
    const w = wechat(t.env, slowBot([]), 1000);
    expect(await (await w.send(xml, 2)).text()).toBe("success"); // this instance remembers the handler at work
    await w.settle();
    finish(reply.text(`slow reply to ${msgId}`));
    await waitOnExecutionContext(ctx);
    expect((await sends(t)).map((s) => s.body)).toEqual([
      { touser: follower, msgtype: "text", text: { content: `slow reply to ${msgId}` } },
    ]);
  });

  it("custom never waits: a refused reply is lost, logged with the errcode and the API path", async () => {
    const t = await newApp({ REPLY_STRATEGY: "custom", REPLY_DEADLINE_MS: "100", WECHAT_TRY_MS: "500" });
    await control("behaviour", { appid: t.appid, customRefusal: { errcode: 48001, errmsg: "api unauthorized" } });
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), 500);
    const follower = newFollower();
    const logs = await logsOf(async () => {
      await w.send(text(follower, "slow 300"));
      await w.settle();
    });
    expect(logs.find((l) => l.event === "deferred")).toMatchObject({
      outcome: "lost",
      errcode: 48001,
      path: "/cgi-bin/message/custom/send",
    });
    expect(contentOf((await w.deliver(text(follower, "在吗"))).text)).toBe("reply to 在吗");
    await w.settle();
  });
});

/** A call's fate: fails, stalls 6 s, goes through, or goes through after this many ms. */
type Fault = "throw" | "stall" | "pass" | number;
/** The env with its ledger's methods failing or stalling on demand: `faults[method]()` says what this call does. */
function withLedgerFaults(env: Env, faults: Record<string, () => Fault>): Env {
  const ns = env.DELIVERY_LEDGER!;
  const wrapped = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = ns.get(id);
      const methods = stub as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      return new Proxy(stub, {
        get(target, prop) {
          const fault = typeof prop === "string" ? faults[prop] : undefined;
          if (fault === undefined) return Reflect.get(target, prop);
          const call = (args: unknown[]) => methods[prop as string]!(...args);
          return (...args: unknown[]) => {
            const what = fault();
            if (what === "throw") return Promise.reject(new Error(`ledger ${String(prop)} failed (injected)`));
            const delay = what === "stall" ? 6000 : what === "pass" ? 0 : what;
            if (delay > 0) return new Promise((resolve) => setTimeout(() => resolve(call(args)), delay));
            return call(args);
          };
        },
      });
    },
  };
  return { ...env, DELIVERY_LEDGER: wrapped as unknown as Env["DELIVERY_LEDGER"] };
}

describe("faults: nothing lost, nothing twice, never a 5xx or a late answer", () => {
  it("a request cancelled before the deadline: the handler's task still settles the reply, and the next try gets it", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "300", WECHAT_TRY_MS: "500" });
    const follower = newFollower();
    const msgId = nextMsgId();
    const xml = text(follower, "slow 400", msgId);
    // The first try: its handler's task starts, then its request is gone (the client disconnected,
    // the runtime dropped it) before it answered or reached its deadline.
    const ctx = createExecutionContext();
    const fields = { mode: "plaintext", type: "text" };
    const delivery = new MessageDelivery(
      toMessage(parseXml(xml)),
      nowSeconds(),
      t.env,
      Date.now(),
      (p) => ctx.waitUntil(p),
      fields,
    );
    let finish!: (r: Reply) => void;
    delivery.running(new Promise<Reply>((resolve) => (finish = resolve)));
    const logs = await logsOf(async () => {
      finish(reply.text(`slow reply to ${msgId}`));
      await waitOnExecutionContext(ctx);
    });
    expect(logs).toContainEqual(expect.objectContaining({ outcome: "request_gone" }));
    expect(logs).toContainEqual(expect.objectContaining({ outcome: "ready_for_next_try" }));
    // WeChat got no answer: its next try takes the reply, passively, and nothing runs again.
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), 500);
    expect(contentOf(await (await w.send(xml, 2)).text())).toBe(`slow reply to ${msgId}`);
    await w.settle();
    expect(runs).toEqual([]);
    expect(await sends(t)).toHaveLength(0);
  });

  it("the ledger's arrive throws: the try runs the handler and answers, no 5xx", async () => {
    const t = await newApp();
    const runs: string[] = [];
    const env = withLedgerFaults(t.env, { arrive: () => "throw" });
    const w = wechat(env, slowBot(runs), 5000);
    const msgId = nextMsgId();
    const res = await w.send(
      toXml(
        message({
          MsgType: "text",
          Content: "x",
          MsgId: msgId,
          FromUserName: newFollower(),
          CreateTime: String(nowSeconds() - 30),
        }),
      ),
      2,
    );
    expect(res.status).toBe(200);
    expect(await openReply(res)).toMatchObject({ Content: "reply to x" });
    await w.settle();
    expect(runs).toEqual([msgId]);
  });

  it("the ledger's arrive stalls 6 s: the answer still comes before REPLY_DEADLINE_MS", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "1500" });
    const env = withLedgerFaults(t.env, { arrive: () => "stall" });
    const w = wechat(env, slowBot([]), 5000);
    const started = Date.now();
    const res = await w.send(
      toXml(
        message({ MsgType: "text", Content: "x", FromUserName: newFollower(), CreateTime: String(nowSeconds() - 30) }),
      ),
      2,
    );
    expect(res.status).toBe(200);
    expect(await openReply(res)).toMatchObject({ Content: "reply to x" });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("a batch that fails is written again: a retry on a fresh instance gets the reply, the handler runs once", async () => {
    const t = await newApp();
    let batches = 0;
    const env = withLedgerFaults(t.env, { recordBatch: () => (++batches === 1 ? "throw" : "pass") });
    const runs: string[] = [];
    const w = wechat(env, slowBot(runs), 5000);
    const msgId = nextMsgId();
    const xml = text(newFollower(), "hi", msgId);
    expect(await openReply(await w.send(xml))).toMatchObject({ Content: "reply to hi" });
    await w.settle(); // the batch, failed, then written again
    forgetDelivery(`m:${msgId}`); // a fresh instance: only the ledger knows
    expect(await openReply(await w.send(xml, 2))).toMatchObject({ Content: "reply to hi" });
    await w.settle();
    expect(runs).toEqual([msgId]);
    expect(batches).toBe(2);
  });

  it("the ledger's `done` never lands after a send: no later try sends it again", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "100", WECHAT_TRY_MS: "500" });
    const env = withLedgerFaults(t.env, { finish: () => "throw" });
    const runs: string[] = [];
    const w = wechat(env, slowBot(runs), 500);
    const msgId = nextMsgId();
    const xml = text(newFollower(), "slow 100", msgId);
    const logs = await logsOf(async () => {
      await w.send(xml);
      await w.settle();
    });
    expect(logs).toContainEqual(expect.objectContaining({ event: "ledger", op: "finish", outcome: "unrecorded" }));
    for (let n = 2; n <= 3; n++) expect(await (await w.send(xml, n)).text()).toBe("success");
    await w.settle();
    expect(runs).toEqual([msgId]);
    expect(await sends(t)).toHaveLength(1);
  }, 20_000);

  it("a replay at 125 s, inside the 300 s replay window, finds the message: the handler does not run again", async () => {
    const t = await newApp();
    const runs: string[] = [];
    const w = wechat(t.env, slowBot(runs), 5000);
    const follower = newFollower();
    const msgId = nextMsgId();
    const xml = text(follower, "hi", msgId);
    await w.send(xml);
    await w.settle();
    // 125 s pass: the ledger's clock is moved instead.
    await runInDurableObject(ledgerStub(t.env.DELIVERY_LEDGER!, shardOf(follower)), (_, state) => {
      state.storage.sql.exec("UPDATE deliveries SET expires_at = expires_at - 125000 WHERE key = ?", `m:${msgId}`);
    });
    forgetDelivery(`m:${msgId}`);
    expect(await openReply(await w.send(xml, 2))).toMatchObject({ Content: "reply to hi" });
    expect(runs).toEqual([msgId]);
  });

  it.each([
    ["a number", () => 42],
    ["an object that is not a reply", () => ({ hello: "world" })],
    ["a text reply whose content is not text", () => ({ type: "text", content: { nested: true } })],
  ])("a handler returning %s: its error, logged, and success — never a 500", async (_, handler) => {
    const bot = new Bot<Env>().on("text", handler as never);
    const logs = await logsOf(async () => {
      const { url, body } = signCallback(text(newFollower(), "x"));
      const res = await createApp(bot).request(url, { method: "POST", body }, testEnv);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("success");
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ event: "callback", outcome: "handler_error", error: "TypeError" }),
    );
  });

  it.each([
    ["nested", "<Content><b>粗</b></Content>"],
    ["repeated", "<Content><![CDATA[a]]></Content><Content><![CDATA[b]]></Content>"],
  ])(
    "a %s <Content>: the handler's error, never a 500 (the echo bot is not handed a non-string)",
    async (_, content) => {
      const runs: string[] = [];
      const xml =
        `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[${newFollower()}]]></FromUserName>` +
        `<CreateTime>${nowSeconds()}</CreateTime><MsgType><![CDATA[text]]></MsgType>${content}<MsgId>${nextMsgId()}</MsgId></xml>`;
      const logs = await logsOf(async () => {
        const { url, body } = signCallback(xml);
        const res = await createApp(slowBot(runs)).request(url, { method: "POST", body }, testEnv);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("success");
      });
      expect(runs).toEqual([]);
      expect(logs).toContainEqual(expect.objectContaining({ outcome: "handler_error", error: "TypeError" }));
    },
  );
});

describe("bot.onError: the owner's answer when a handler fails", () => {
  const failing = () =>
    new Bot<Env>()
      .text("now", () => {
        throw new Error("boom");
      })
      .text("later", async () => {
        await sleep(200);
        throw new Error("boom");
      })
      .onError(() => "抱歉，出了点问题");

  it("before the deadline: the apology, passively; the error logged", async () => {
    const logs = await logsOf(async () => {
      const { url, body } = signCallback(text(newFollower(), "now"));
      const res = await createApp(failing()).request(url, { method: "POST", body }, testEnv);
      expect(await openReply(res)).toMatchObject({ Content: "抱歉，出了点问题" });
    });
    expect(logs).toContainEqual(expect.objectContaining({ outcome: "handler_error", error: "Error" }));
  });

  it("after the deadline: the apology by the same rules as any reply (here by customer-service message)", async () => {
    const t = await newApp({ REPLY_DEADLINE_MS: "100", WECHAT_TRY_MS: "500" });
    const w = wechat(t.env, failing(), 500);
    const follower = newFollower();
    expect(await (await w.send(text(follower, "later"))).text()).toBe("success");
    await w.settle();
    expect((await sends(t)).map((s) => s.body)).toEqual([
      { touser: follower, msgtype: "text", text: { content: "抱歉，出了点问题" } },
    ]);
  });

  it("a handler's error from WeChat's API is logged with its errcode and path", async () => {
    const t = await newApp();
    await control("behaviour", {
      appid: t.appid,
      fail: { prefix: "/cgi-bin/qrcode/create", status: 502, remaining: 1 },
    });
    const bot = new Bot<Env>().on("text", async ({ api }) => (await api.qrcode.create({ scene: "x" })).image);
    const logs = await logsOf(async () => {
      const { url, body } = signCallback(text(newFollower(), "x"), { appId: t.appid });
      expect((await createApp(bot).request(url, { method: "POST", body }, t.env)).status).toBe(200);
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        outcome: "handler_error",
        upstream: "http",
        httpStatus: 502,
        path: "/cgi-bin/qrcode/create",
      }),
    );
  });
});
