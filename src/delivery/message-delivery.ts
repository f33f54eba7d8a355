/**
 * Exactly-once, and nothing lost, for one message, as the callback asks it.
 *
 * The try's request decides (`earlier`, `handOver`, then `answered`,
 * `deferred` or `held`): did an earlier try leave this message's answer, is
 * another try's handler still at work (then wait for its reply until this
 * try's deadline), does a reply wait for this follower, or does this try run
 * the handler — and how it answered.
 *
 * The handler's own task (`running`, kept alive from the moment the handler
 * is pending, whatever becomes of the request) holds the message's lease and,
 * when the reply is ready and the request did not answer with it, settles it
 * in the ledger with how the request answered: by customer-service message,
 * ready for the next try, or to wait for the follower's next message. So a
 * reply outlives a request that was cancelled, up to the platform's limit.
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
import { bytesToHex, randomBytes } from "../wechat/bytes";
import type { Message } from "../wechat/messages";
import { parseReplyBody, renderReplyBody, type Reply } from "../wechat/replies";
import { sendReply, type SendResult } from "./customer-service";
import type { Arrival, Awaited, DeliveryLedger, OwnDecision, Settled, Waiting } from "./ledger";
import { LEASE_RENEW_MS, WECHAT_TRIES, dedupKey, isFirstDelivery, isInteraction, keyRef, shardOf } from "./policy";
import { forgetDelivery, recentDelivery, rememberDelivery } from "./recent";
import { enqueueRecord, ledgerStub } from "./recorder";
import { mayHaveWaiting, noteHandedOver, noteWaiting } from "./waiting";

type Ledger = DurableObjectStub<DeliveryLedger>;

/** The most a ledger call may take on the way to an answer (less when the deadline is nearer). */
const STORAGE_MS = 1000;
/** A ledger call's round trip on top of what it does, kept free before the deadline. */
const ROUND_TRIP_MS = 150;
/** What the platform lets work go on after the response (waitUntil: 30 s), less a margin. */
const AFTER_RESPONSE_MS = 25_000;
/** A held try answers once WeChat has surely given up on it: this many of WeChat's tries after it arrived. */
const RELEASE_AFTER_TRIES = 1.2;
/** How long a handler's task waits, once its reply is ready, for its request to say it answered with it. */
const REQUEST_GRACE_MS = 200;
/** The time a hand-over's customer-service send leaves for the message's own answer. */
const ANSWER_MARGIN_MS = 300;

/** How an earlier try answers this one, or that this try runs the handler. */
export type Earlier =
  /** `fresh`: the message's first run (a reply waiting for the follower may be handed over on it). */
  | { run: true; tryNumber: number; fresh: boolean }
  /** The answer again: a passive reply's body, or `success`. */
  | { run: false; answer: "again"; body: string }
  /** hold: the reply is not ready and WeChat will try again: leave this try unanswered. */
  | { run: false; answer: "held" }
  /** hold: WeChat's last try, the reply still not ready: the notice; the reply waits for the next message. */
  | { run: false; answer: "notice" };

const again = (body: string): Earlier => ({ run: false, answer: "again", body });

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
  /** This try's run of the handler, in the ledger: its lease and its right to settle. */
  readonly #holder = bytesToHex(randomBytes(8));
  /** How this try answered while its handler ran: `passive` (with the reply), or the ledger's OwnDecision. */
  #decision: "passive" | OwnDecision | undefined;
  #decided: () => void = () => {};
  readonly #decisionMade = new Promise<void>((resolve) => (this.#decided = resolve));

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
    this.#log = { ...log, ref: keyRef(this.key) };
  }

  get #openid(): string {
    return this.#message.FromUserName;
  }

  get #hold(): boolean {
    return this.#config.strategy === "hold";
  }

  /** When a held try may end its response: WeChat has given up on it by then. */
  get releaseAt(): number {
    return this.#arrived + Math.round(this.#config.tryMs * RELEASE_AFTER_TRIES);
  }

  // ---- the try's request --------------------------------------------------

  /** Stage 2: whether an earlier try answers this one, or this try runs the handler (and which try it is). */
  async earlier(): Promise<Earlier> {
    const now = Date.now();
    const local = this.#ledger ? recentDelivery(this.key, now) : undefined;
    if (local?.state === "replied" && local.reply) return again(local.reply);
    if (local?.state === "running" && !this.#hold) {
      // Its own try answers at its deadline; if that request is gone, the reply goes by customer-service message.
      this.#markLater("deferred");
      return again("success");
    }
    if (local !== undefined && local.state !== "running") return again("success");
    const first = isFirstDelivery(Number(this.#message.CreateTime), this.#sentAtS, now);
    if (this.#ledger === null || (first && local === undefined)) return { run: true, tryNumber: 1, fresh: true };
    let arrival: Arrival;
    try {
      arrival = await this.#call("arrive", (l) =>
        l.arrive(this.key, this.#openid, this.#config.recordTtlMs, this.#holder),
      );
    } catch {
      return { run: true, tryNumber: this.#tryByClock(), fresh: false }; // nothing lost; at worst it runs twice
    }
    const tryNumber = Math.max(arrival.tries, this.#tryByClock());
    if (arrival.run) {
      if (arrival.takenOver) log("delivery", { ...this.#log, outcome: "taken_over", try: tryNumber });
      return { run: true, tryNumber, fresh: arrival.tries === 1 };
    }
    if (arrival.reply !== undefined) return again(arrival.reply);
    if (arrival.state === "running") return this.#awaitReply(tryNumber);
    return again("success");
  }

  /**
   * Another try's handler has the message: wait for its reply until this
   * try's deadline; if it does not come, what this try answers instead, marked
   * in the same ledger call (`success` and the customer-service message, or
   * hold's silence or notice).
   */
  async #awaitReply(tryNumber: number): Promise<Earlier> {
    const last = tryNumber >= WECHAT_TRIES;
    const otherwise = this.#hold ? (last ? "noticed" : null) : "deferred";
    const instead: Earlier = !this.#hold ? again("success") : { run: false, answer: last ? "notice" : "held" };
    const answerBy = this.#arrived + this.#config.replyDeadlineMs - ROUND_TRIP_MS;
    const waitMs = answerBy - Date.now() - ROUND_TRIP_MS;
    if (waitMs <= 0) {
      if (otherwise) this.#markLater(otherwise);
      return instead;
    }
    let got: Awaited;
    try {
      got = await this.#call(
        "awaitReply",
        (l) => l.awaitReply(this.key, waitMs, answerBy, otherwise, this.#holder),
        answerBy - Date.now(),
      );
    } catch {
      if (otherwise) this.#markLater(otherwise);
      return instead;
    }
    if ("reply" in got) return again(got.reply);
    if ("takeOver" in got) {
      log("delivery", { ...this.#log, outcome: "taken_over", try: tryNumber });
      return { run: true, tryNumber, fresh: false };
    }
    return instead;
  }

  /**
   * A reply waiting for this follower, handed over on their message's first
   * run: by customer-service message when that works now (auto; then
   * undefined: this message is handled as usual), else the reply's body,
   * which answers this message instead. Confirmed to the ledger once it went,
   * or is this message's answer; unconfirmed, it waits again.
   */
  async handOver(earlier: Earlier & { run: true }): Promise<string | undefined> {
    if (!earlier.fresh || this.#ledger === null || this.#config.strategy === "custom") return undefined;
    if (!isInteraction(this.#message)) return undefined;
    const shardName = `shard-${this.#shard}`;
    let waiting: Waiting | null;
    try {
      const fetch = () => this.#call<string[]>("waitingFollowers", (l) => l.waitingFollowers());
      if (!(await mayHaveWaiting(shardName, this.#openid, fetch, Date.now()))) return undefined;
      waiting = await this.#call<Waiting | null>("takeWaiting", (l) => l.takeWaiting(this.#openid));
    } catch {
      return undefined; // unconfirmed, it waits again, for a later message
    }
    noteHandedOver(shardName);
    if (waiting === null) return undefined;
    const confirm = () => this.#waitUntil(this.#persist("confirmHandOver", (l) => l.confirmHandOver(waiting.key)));
    const fields = {
      ...this.#log,
      outcome: "handed_over",
      of: keyRef(waiting.key),
      waitedMs: Date.now() - waiting.since,
    };
    const budget = this.#remaining() - ANSWER_MARGIN_MS;
    if (this.#config.strategy === "auto" && budget > 0) {
      const sent = await this.#sendWithin(parseReplyBody(waiting.reply), budget);
      // A send whose result is unknown may have reached the follower: it is not repeated passively.
      if (sent.sent || (!sent.nothing && sent.failure === "unknown")) {
        confirm();
        log("delivery", { ...fields, via: "custom", ...resultFields(sent) });
        return undefined;
      }
    }
    confirm(); // this message's answer now; its own record keeps it for a retry of this message
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
    if (this.#ledger) rememberDelivery(this.key, { state: "deferred" }, Date.now());
    this.#decide("deferred");
    this.#markLater("deferred"); // for a try on another instance; this one's task settles with its decision
  }

  /** hold: this try stopped waiting at its deadline; `last`: it was WeChat's last try, answered with the notice. */
  held(last: boolean): void {
    this.#decide(last ? "noticed" : "held");
    if (last) this.#markLater("noticed");
  }

  #decide(decision: "passive" | OwnDecision): void {
    this.#decision ??= decision;
    this.#decided();
  }

  /** Marks the message for the other tries, after this try's answer is fixed: never takes a reply. */
  #markLater(state: "deferred" | "noticed"): void {
    if (this.#ledger === null) return;
    this.#waitUntil(this.#persist("mark", (l) => l.mark(this.key, this.#openid, state, this.#config.recordTtlMs)));
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
    const own = this.#decision ?? null;
    if (this.#decision === undefined) log("delivery", { ...this.#log, outcome: "request_gone" });
    if (this.#ledger === null) return this.#withoutLedger(reply);
    const body = renderReplyBody(reply);
    const settled = await this.#persist<Settled>("settle", (l) =>
      l.settle(this.key, this.#openid, body, own, this.#holder, this.#config.recordTtlMs, this.#config.tryMs),
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
      const outcome = settled === "ready" ? "ready_for_next_try" : settled;
      log("delivery", { ...this.#log, outcome, reply: reply.type });
    }
  }

  /** Holds the message's lease while `work` goes on: renewed on a fixed beat, whatever one renewal takes. */
  async #keepLease(work: Promise<void>): Promise<void> {
    if (this.#ledger === null) return work;
    let over = false;
    const done = work.finally(() => (over = true));
    let inFlight: Promise<unknown> | null = null;
    let failures = 0;
    while (!over) {
      inFlight ??= this.#call(
        "renew",
        (l) => l.renew(this.key, this.#openid, this.#config.recordTtlMs, this.#holder),
        2 * LEASE_RENEW_MS,
      )
        .catch(() => failures++)
        .finally(() => (inFlight = null));
      await Promise.race([sleep(LEASE_RENEW_MS), done]);
    }
    if (failures > 0) log("delivery", { ...this.#log, outcome: "lease_unrenewed", failures });
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
    } else if (
      this.#config.strategy === "auto" &&
      this.#ledger &&
      (await this.#park(renderReplyBody(reply), reasonOf(result)))
    ) {
      log("deferred", { ...fields, outcome: "waiting" });
    } else {
      await this.#finish("lost");
      log("deferred", { ...fields, outcome: "lost", reason: reasonOf(result) });
    }
  }

  /** EXACTLY_ONCE=off: no ledger, no other try to leave the reply to: by customer-service message if late. */
  async #withoutLedger(reply: Reply): Promise<void> {
    if (this.#decision === "deferred") return this.#send(reply);
    log("delivery", {
      ...this.#log,
      outcome: "lost",
      reason: "the request ended before the reply, and there is no ledger",
    });
  }

  async #park(body: string, reason: string): Promise<boolean> {
    const parked = await this.#persist<boolean>("park", (l) => l.park(this.key, this.#openid, body, reason));
    if (!parked) return false;
    noteWaiting(`shard-${this.#shard}`, this.#openid);
    return true;
  }

  /** A send's end, recorded whatever fails after it: a later try must never send it again. */
  async #finish(state: "done" | "unknown" | "lost"): Promise<void> {
    if (this.#ledger === null) return;
    rememberDelivery(this.key, { state: "done" }, Date.now());
    const written = await this.#persist<void>("finish", (l) => l.finish(this.key, state));
    if (written === null) log("ledger", { ...this.#log, op: "finish", outcome: "unrecorded", state });
  }

  /** A customer-service send bounded by `ms` (the follower's message still needs its answer): unknown when it outlasts it. */
  async #sendWithin(reply: Reply, ms: number): Promise<SendResult> {
    const sending = sendReply(this.#env, this.#openid, reply, Date.now() + ms, this.#backoffScale);
    return bounded(sending, ms, "customer-service send").catch((error: unknown) => ({
      sent: false,
      failure: "unknown",
      error,
      attempts: 1,
    }));
  }

  // ---- the ledger ----------------------------------------------------------

  /** A ledger write that must land: tried again with backoff; null if it never did. Only for calls safe to repeat. */
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
    return Math.min(STORAGE_MS, Math.max(50, this.#remaining() - ROUND_TRIP_MS));
  }

  /** Time left before this try's deadline. */
  #remaining(): number {
    return this.#config.replyDeadlineMs - (Date.now() - this.#arrived);
  }

  /** Backoff between customer-service attempts, scaled with WeChat's try (shorter in tests). */
  get #backoffScale(): number {
    return this.#config.tryMs / 5000;
  }

  /** Which of WeChat's tries this is, by WeChat's own clock (its send time in the query). */
  #tryByClock(): number {
    const elapsedMs = (this.#sentAtS - Number(this.#message.CreateTime)) * 1000;
    return Math.min(WECHAT_TRIES, Math.max(1, 1 + Math.floor(elapsedMs / 5000)));
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
