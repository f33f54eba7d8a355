/**
 * Exactly-once for one message, as the callback asks it: did an earlier
 * delivery of this message leave an answer (a reply to give again, or
 * `success`), and what this delivery has come to. This isolate's memory
 * answers first, the ledger next; a provable first delivery does not ask the
 * ledger at all, and its records travel in the recorder's batches.
 */
import type { Message } from "../wechat/messages";
import type { DeliveryLedger } from "./ledger";
import { dedupKey, isFirstDelivery, shardOf, type LedgerRecord } from "./policy";
import { recentDelivery, rememberDelivery, type RecentDelivery } from "./recent";
import { enqueueRecord, ledgerStub } from "./recorder";

export class DeliveryTracker {
  readonly key: string;
  readonly #shard: number;
  readonly #firstDelivery: boolean;

  constructor(
    message: Message,
    /** The query's `timestamp`: WeChat's clock when it sent this try. */
    sentAtS: number,
    now: number,
    readonly ledger: DurableObjectNamespace<DeliveryLedger>,
    readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {
    this.key = dedupKey(message);
    this.#shard = shardOf(message.FromUserName);
    this.#firstDelivery = isFirstDelivery(Number(message.CreateTime), sentAtS, now);
  }

  /** The ledger shard that holds this message. */
  stub() {
    return ledgerStub(this.ledger, this.#shard);
  }

  /**
   * What an earlier delivery of this message left: the passive reply's body
   * to answer with again, `success`, or undefined when this delivery is the
   * one that runs the handler (for a possible retry, claimed in the ledger).
   */
  recentAnswer(now: number): string | undefined {
    const local = recentDelivery(this.key, now);
    if (local !== undefined) return local.state === "replied" && local.reply !== undefined ? local.reply : "success";
    return undefined;
  }

  get mayBeRetry(): boolean {
    return !this.#firstDelivery;
  }

  async ledgerAnswer(): Promise<string | undefined> {
    const stub = this.stub();
    const claim = await stub.claim(this.key);
    if (claim.state === "new") return undefined;
    const again = claim.reply !== undefined ? await stub.takeForRetry(this.key) : null;
    return again ?? "success";
  }

  /** The handler did not finish at once: a resend meanwhile must not run it again. */
  running(now: number): void {
    if (this.#firstDelivery) this.#enqueue({ key: this.key, state: "running" });
    rememberDelivery(this.key, { state: "running" }, now);
  }

  /** Answered passively: `body` is the reply's body (renderReplyBody), or `success`. */
  answered(body: string, now: number): void {
    const delivery: RecentDelivery = body === "success" ? { state: "done" } : { state: "replied", reply: body };
    rememberDelivery(this.key, delivery, now);
    this.#enqueue({ key: this.key, ...delivery });
  }

  /** Answered `success` at the deadline: the reply goes out later (../delivery/deferred.ts). */
  deferred(now: number): void {
    rememberDelivery(this.key, { state: "deferred" }, now);
  }

  #enqueue(record: LedgerRecord): void {
    enqueueRecord(this.ledger, this.#shard, record, this.waitUntil);
  }
}
