/**
 * Exactly-once, and nothing lost, for one message, as the callback asks it.
 *
 * The try's request decides (`earlier`, `handOver`, `answered`, `defer`,
 * `hold`): did an earlier try leave this message's answer, is another try's
 * handler still at work (then wait for its reply until this try's deadline),
 * does a reply wait for this follower, or does this try run the handler, and
 * how did it answer.
 *
 * The handler's own task (`running`, kept alive from the moment the handler
 * is pending, whatever becomes of the request) holds the message's lease and,
 * when the reply is ready and no request answered with it, settles it in the
 * ledger: for the next try to take, by customer-service message, or to wait
 * for the follower's next message. So a reply outlives a request that was
 * cancelled or an instance's other work, until the platform's limit.
 *
 * This instance's memory answers first, the ledger (a Durable Object per shard
 * of followers) next; a provable first delivery does not ask the ledger at
 * all, and its passive answer travels in the recorder's batches. Every ledger
 * call is bounded in time, and when the ledger fails or stalls the choice made
 * loses nothing (README: "Storage trouble").
 */
import { callbackConfig, type CallbackConfig } from "../config";
import type { Env } from "../env";
import { describeError, log, type LogFields } from "../log";
import { bounded, sleep } from "../timers";
import type { Message } from "../wechat/messages";
import { parseReplyBody, renderReplyBody, type Reply } from "../wechat/replies";
import { sendReply, type SendResult } from "./customer-service";
import type { Arrival, DeliveryLedger, HeldAnswer, Settled, Waiting } from "./ledger";
import { LEASE_MS, WECHAT_TRIES, dedupKey, isFirstDelivery, isInteraction, shardOf } from "./policy";
import { forgetDelivery, recentDelivery, rememberDelivery } from "./recent";
import { enqueueRecord, ledgerStub } from "./recorder";
import { mayHaveWaiting, noteHandedOver, noteWaiting } from "./waiting";

type Ledger = DurableObjectStub<DeliveryLedger>;

/** The most a ledger call may take on the way to an answer (less when the deadline is nearer). */
const STORAGE_MS = 1000;
/** What the platform lets work go on after the response (waitUntil: 30 s), less a margin. */
const AFTER_RESPONSE_MS = 25_000;
/** How long a handler's task waits, once its reply is ready, for its request to say it answered with it. */
const REQUEST_GRACE_MS = 200;

/** How an earlier try answers this one, or that this try runs the handler. */
export type Earlier =
  | { run: true; tryNumber: number }
  /** The answer again: a passive reply's body, or `success`. */
  | { run: false; answer: "again"; body: string }
  /** hold: the reply is not ready and WeChat will try again: leave this try unanswered. */
  | { run: false; answer: "held" }
  /** hold: WeChat's last try, the reply still not ready: the notice; the reply waits for the next message. */
  | { run: false; answer: "notice" };

/** What this try's request did with the handler's reply. */
type Decision = "passive" | "late";

export class MessageDelivery {
  readonly key: string;
  readonly #message: Message;
  readonly #config: CallbackConfig;
  readonly #env: Env;
  readonly #arrived: number;
  readonly #sentAtS: number;
  readonly #waitUntil: (promise: Promise<unknown>) => void;
  readonly #ledger: DurableObjectNamespace<DeliveryLedger> | null;
  readonly #shard: number;
  readonly #log: LogFields;
  #decision: Decision | undefined;
  #decided: () => void = () => {};
  readonly #decisionMade = new Promise<void>((resolve) => (this.#decided = resolve));
  /** The ledger's record of a `late` decision (defer, notice), which the reply's settling waits for. */
  #recorded: Promise<unknown> = Promise.resolve();

  constructor(
    message: Message,
    sentAtS: number,
    env: Env,
    arrived: number,
    waitUntil: (promise: Promise<unknown>) => void,
    log: LogFields,
  ) {
    this.#message = message;
    this.#config = callbackConfig(env);
    this.#env = env;
    this.#arrived = arrived;
    this.#sentAtS = sentAtS;
    this.#waitUntil = waitUntil;
    this.#ledger = this.#config.exactlyOnce ? this.#config.ledger : null;
    this.key = dedupKey(message);
    this.#shard = shardOf(message.FromUserName);
    this.#log = log;
  }

  get #openid(): string {
    return this.#message.FromUserName;
  }

  /** When a held try may end its response: WeChat has given up on it by then. */
  get releaseAt(): number {
    return this.#arrived + Math.round(this.#config.tryMs * 1.2);
  }

  // ---- the try's request --------------------------------------------------

  /** Stage 2: whether an earlier try answers this one, or this try runs the handler (and which try it is). */
  async earlier(): Promise<Earlier> {
    const now = Date.now();
    const local = this.#ledger ? recentDelivery(this.key, now) : undefined;
    // hold: a handler at work here: the ledger says whether its reply is ready by now. Otherwise
    // its own try answers at its deadline, and this one gets `success`.
    const heldHere = local?.state === "running" && this.#config.strategy === "hold";
    if (local !== undefined && !heldHere) {
      return { run: false, answer: "again", body: local.state === "replied" && local.reply ? local.reply : "success" };
    }
    const first = isFirstDelivery(Number(this.#message.CreateTime), this.#sentAtS, now);
    if (this.#ledger === null || (first && !heldHere)) return { run: true, tryNumber: 1 };
    let arrival: Arrival;
    try {
      arrival = await this.#call("arrive", (l) => l.arrive(this.key, this.#openid, this.#config.recordTtlMs));
    } catch {
      return { run: true, tryNumber: this.#tryByClock() }; // nothing lost; at worst a retry runs the handler twice
    }
    if (arrival.run) {
      if (arrival.takenOver) log("delivery", { ...this.#log, outcome: "taken_over", try: arrival.tries });
      return { run: true, tryNumber: arrival.tries };
    }
    if (arrival.reply !== undefined) return { run: false, answer: "again", body: arrival.reply };
    if (arrival.state === "running") return this.#awaitReply(arrival.tries);
    return { run: false, answer: "again", body: "success" };
  }

  /** Another try's handler has the message: wait for its reply until this try's deadline. */
  async #awaitReply(tryNumber: number): Promise<Earlier> {
    const waitMs = Math.max(0, this.#remaining() - 100);
    const got = await this.#call<HeldAnswer>("awaitReply", (l) => l.awaitReply(this.key, waitMs), waitMs + 500).catch(
      () => null,
    );
    if (got?.reply !== undefined) return { run: false, answer: "again", body: got.reply };
    let last: HeldAnswer | null;
    if (this.#config.strategy !== "hold") {
      // custom, auto: `success` now; the reply goes by customer-service message when ready.
      last = await this.#call<HeldAnswer>("defer", (l) =>
        l.defer(this.key, this.#openid, this.#config.recordTtlMs),
      ).catch(() => null);
      return last?.reply !== undefined
        ? { run: false, answer: "again", body: last.reply }
        : { run: false, answer: "again", body: "success" };
    }
    if (tryNumber < WECHAT_TRIES) return { run: false, answer: "held" };
    last = await this.#call<HeldAnswer>("giveUp", (l) => l.giveUp(this.key)).catch(() => null);
    return last?.reply !== undefined
      ? { run: false, answer: "again", body: last.reply }
      : { run: false, answer: "notice" };
  }

  /**
   * A reply waiting for this follower, handed over: by customer-service
   * message when that works now (auto; then undefined: this message is handled
   * as usual), else the reply's body, which answers this message instead.
   */
  async handOver(): Promise<string | undefined> {
    if (this.#ledger === null || this.#config.strategy === "custom" || !isInteraction(this.#message)) return undefined;
    const shardName = `shard-${this.#shard}`;
    let waiting: Waiting | null;
    try {
      const fetch = () => this.#call<string[]>("waitingFollowers", (l) => l.waitingFollowers());
      if (!(await mayHaveWaiting(shardName, this.#openid, fetch, Date.now()))) return undefined;
      waiting = await this.#call<Waiting | null>("takeWaiting", (l) => l.takeWaiting(this.#openid));
    } catch {
      return undefined; // it keeps waiting, for a later message
    }
    noteHandedOver(shardName, this.#openid);
    if (waiting === null) return undefined;
    const fields = { ...this.#log, outcome: "handed_over", waitedMs: Date.now() - waiting.since };
    const budget = this.#remaining() - 300; // this message must still be answered in time
    if (this.#config.strategy === "auto" && budget > 0) {
      const reply = parseReplyBody(waiting.reply);
      const sent: SendResult = await bounded(
        sendReply(this.#env, this.#openid, reply, Date.now() + budget, this.#backoffScale),
        budget,
        "customer-service send",
      ).catch((error: unknown) => ({ sent: false, failure: "unknown", error, attempts: 1 }) as const);
      // A send whose result is unknown may have reached the follower: it is not repeated passively.
      if (sent.sent || (!sent.nothing && sent.failure === "unknown")) {
        log("delivery", { ...fields, via: "custom", ...resultFields(sent) });
        return undefined;
      }
    }
    log("delivery", { ...fields, via: "passive" });
    return waiting.reply;
  }

  /** This try answered passively: `body` is the reply's body (renderReplyBody), or `success`. */
  answered(body: string): void {
    this.#decide("passive");
    if (this.#ledger === null) return;
    const delivery = body === "success" ? ({ state: "done" } as const) : ({ state: "replied", reply: body } as const);
    rememberDelivery(this.key, delivery, Date.now());
    enqueueRecord(this.#ledger, this.#shard, { key: this.key, ...delivery }, this.#config.recordTtlMs, this.#waitUntil);
  }

  /** custom, auto: this try answered `success` at its deadline; the reply goes by customer-service message. */
  deferred(): void {
    if (this.#ledger) {
      rememberDelivery(this.key, { state: "deferred" }, Date.now());
      this.#recorded = this.#call("defer", (l) => l.defer(this.key, this.#openid, this.#config.recordTtlMs)).catch(
        () => {},
      );
    }
    this.#decide("late");
  }

  /** hold: this try stopped waiting at its deadline; `last`: it was WeChat's last try, answered with the notice. */
  held(last: boolean): void {
    if (this.#ledger && last) this.#recorded = this.#call("giveUp", (l) => l.giveUp(this.key)).catch(() => {});
    this.#decide("late");
  }

  #decide(decision: Decision): void {
    this.#decision ??= decision;
    this.#decided();
  }

  // ---- the handler's task --------------------------------------------------

  /**
   * The handler did not finish at once: it is kept alive, its lease renewed,
   * and its reply settled when ready unless this try's request answered with it.
   */
  running(pending: Promise<Reply>): void {
    if (this.#ledger) rememberDelivery(this.key, { state: "running" }, Date.now());
    this.#waitUntil(this.#keepLease(this.#settleWhenReady(pending)));
  }

  async #settleWhenReady(pending: Promise<Reply>): Promise<void> {
    const reply = await pending; // never rejects: runHandler answers a handler's error
    await Promise.race([this.#decisionMade, sleep(REQUEST_GRACE_MS)]);
    if (this.#decision === "passive") return;
    if (this.#decision === undefined) log("delivery", { ...this.#log, outcome: "request_gone" });
    await this.#recorded;
    if (this.#ledger === null) return this.#withoutLedger(reply);
    const body = renderReplyBody(reply);
    const settled = await this.#persist<Settled>("settle", (l) =>
      l.settle(this.key, this.#openid, body, this.#config.recordTtlMs, this.#config.tryMs),
    );
    if (settled === null) {
      log("delivery", {
        ...this.#log,
        outcome: "lost",
        reason: "the ledger kept failing; the reply had nowhere to go",
      });
    } else if (settled === "deliver") {
      await this.#send(reply);
    } else if (settled !== "done") {
      // A try landing here from now on must learn from the ledger, not from this instance's memory of a handler at work.
      forgetDelivery(this.key);
      if (settled === "waiting") noteWaiting(`shard-${this.#shard}`, this.#openid);
      log("delivery", {
        ...this.#log,
        outcome: settled === "ready" ? "ready_for_next_try" : settled,
        reply: reply.type,
      });
    }
  }

  /** Holds the message's lease while `work` goes on: a try that finds it run out knows this instance is gone. */
  async #keepLease(work: Promise<void>): Promise<void> {
    if (this.#ledger === null) return work;
    let over = false;
    const done = work.finally(() => (over = true));
    let failing = false;
    while (!over) {
      try {
        await this.#call("renew", (l) => l.renew(this.key, this.#openid, this.#config.recordTtlMs), LEASE_MS / 2);
        failing = false;
      } catch {
        failing = true; // logged by #call; the next renewal may land
      }
      await Promise.race([sleep(LEASE_MS / 2), done]);
    }
    if (failing) log("delivery", { ...this.#log, outcome: "lease_unrenewed" });
    await done;
  }

  /**
   * By customer-service message, once. Refused or failing for good, the reply
   * waits for the follower's next message (auto) or is lost (custom): logged either way.
   */
  async #send(reply: Reply): Promise<void> {
    const started = Date.now();
    const until = this.#arrived + this.#config.replyDeadlineMs + AFTER_RESPONSE_MS;
    const result = await sendReply(this.#env, this.#openid, reply, until, this.#backoffScale);
    const fields = { ...this.#log, reply: reply.type, ms: Date.now() - started, ...resultFields(result) };
    if (result.sent || result.nothing) {
      await this.#finish("done");
      log("deferred", { ...fields, outcome: result.sent ? "sent" : "nothing_to_send" });
    } else if (result.failure === "unknown") {
      await this.#finish("unknown");
      log("deferred", { ...fields, outcome: "unknown" });
    } else if (this.#config.strategy === "auto" && (await this.#park(renderReplyBody(reply), reasonOf(result)))) {
      log("deferred", { ...fields, outcome: "waiting" });
    } else {
      await this.#finish("lost");
      log("deferred", { ...fields, outcome: "lost", reason: reasonOf(result) });
    }
  }

  /** EXACTLY_ONCE=off: no ledger, no other try to leave the reply to: by customer-service message if late. */
  async #withoutLedger(reply: Reply): Promise<void> {
    if (this.#decision === "late") return this.#send(reply);
    log("delivery", {
      ...this.#log,
      outcome: "lost",
      reason: "the request ended before the reply, and there is no ledger",
    });
  }

  async #park(body: string, reason: string): Promise<boolean> {
    const parked = await this.#persist<void>("park", (l) => l.park(this.key, this.#openid, body, reason));
    if (parked === null) return false;
    noteWaiting(`shard-${this.#shard}`, this.#openid);
    return true;
  }

  /** A send's end, recorded whatever fails after it: a later try must never send it again. */
  async #finish(state: "done" | "unknown" | "lost"): Promise<void> {
    if (this.#ledger === null) return;
    rememberDelivery(this.key, { state: "done" }, Date.now());
    const written = await this.#persist<void>("finish", (l) => l.finish(this.key, state));
    if (written === null) {
      forgetDelivery(this.key); // this instance's memory may not answer for what the ledger does not know
      log("ledger", { ...this.#log, op: "finish", outcome: "unrecorded", state });
    }
  }

  // ---- the ledger ----------------------------------------------------------

  /** A ledger write that must land: tried again with backoff; null if it never did. */
  async #persist<T>(op: string, call: (ledger: Ledger) => Promise<unknown>): Promise<T | null> {
    for (const wait of [0, 500, 1000, 2000, 4000]) {
      await sleep(wait);
      try {
        return await this.#call<T>(op, call, STORAGE_MS * 2);
      } catch {
        // logged by #call; tried again
      }
    }
    return null;
  }

  /** One ledger call, bounded in time; a failure is logged and thrown. */
  async #call<T>(op: string, call: (ledger: Ledger) => Promise<unknown>, ms = this.#storageMs()): Promise<T> {
    if (this.#ledger === null) throw new Error("no ledger");
    try {
      // RPC results arrive as plain copies: typed here by what the ledger's method returns.
      return (await bounded(call(ledgerStub(this.#ledger, this.#shard)), ms, `ledger ${op}`)) as T;
    } catch (e) {
      log("ledger", { ...this.#log, op, outcome: "failed", ...describeError(e) });
      throw e;
    }
  }

  /** A call on the way to the answer takes at most STORAGE_MS, and never runs past the deadline. */
  #storageMs(): number {
    return Math.min(STORAGE_MS, Math.max(50, this.#remaining()));
  }

  /** Time left before this try's deadline. */
  #remaining(): number {
    return this.#config.replyDeadlineMs - (Date.now() - this.#arrived);
  }

  /** Backoff between customer-service attempts, scaled with WeChat's try (shorter in tests). */
  get #backoffScale(): number {
    return this.#config.tryMs / 5000;
  }

  /** Which of WeChat's tries this is, by WeChat's own clock (when the ledger cannot say). */
  #tryByClock(): number {
    const elapsedMs = (this.#sentAtS - Number(this.#message.CreateTime)) * 1000;
    return Math.min(WECHAT_TRIES, Math.max(1, 1 + Math.floor(elapsedMs / this.#config.tryMs)));
  }
}

function resultFields(result: SendResult): LogFields {
  if (result.sent) return { attempts: result.attempts };
  if (result.nothing) return {};
  return { attempts: result.attempts, ...describeError(result.error) };
}

/** Why a reply could not go by customer-service message, for the log lines when it waits or is lost. */
function reasonOf(result: SendResult): string {
  const fields = resultFields(result);
  if (fields["errcode"] !== undefined) return `the customer-service API refused it (errcode ${fields["errcode"]})`;
  if (fields["httpStatus"] !== undefined) return `the customer-service API kept failing (HTTP ${fields["httpStatus"]})`;
  return `the customer-service API could not be reached (${String(fields["upstream"] ?? fields["error"] ?? "unknown")})`;
}
