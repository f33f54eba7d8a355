/**
 * Exactly-once policy, as pure functions: which key identifies a message
 * across WeChat's retries, which ledger shard holds it, and when a request
 * is provably a first delivery (so it need not consult the ledger first).
 *
 * WeChat waits 5 s for an answer before retrying, so a retry is sent at
 * least 5 s after the message's CreateTime (both on WeChat's clock). A
 * request whose query `timestamp` (WeChat's send time) and whose arrival
 * (our clock) are both within FIRST_DELIVERY_S of CreateTime cannot be a
 * retry unless our clock runs more than 5 − FIRST_DELIVERY_S = 3 s behind
 * WeChat's *and* WeChat reused the first attempt's timestamp.
 */
import type { Message } from "../wechat/messages";

export const FIRST_DELIVERY_S = 2;
/** How long a ledger record is kept: WeChat retries 3 times within ~15 s. */
export const RECORD_TTL_MS = 120_000;
export const LEDGER_SHARDS = 8;

/** The retry-stable identity: MsgId for messages; sender + CreateTime + event + key for events. */
export function dedupKey(message: Message): string {
  if (message.MsgType !== "event" && typeof message.MsgId === "string" && message.MsgId !== "")
    return `m:${message.MsgId}`;
  const key = typeof message.EventKey === "string" ? message.EventKey : "";
  return `e:${message.FromUserName}\n${message.CreateTime}\n${String(message.Event ?? message.MsgType)}\n${key}`;
}

/** The ledger shard of a follower (FNV-1a of the OpenID): all of one follower's messages share one. */
export function shardOf(openid: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < openid.length; i++) {
    h ^= openid.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % LEDGER_SHARDS;
}

/** True when this request cannot be a retry (see the module comment). */
export function isFirstDelivery(createTimeS: number, queryTimestampS: number, nowMs: number): boolean {
  const ageByUs = nowMs / 1000 - createTimeS;
  const ageByWeChat = queryTimestampS - createTimeS;
  return ageByUs <= FIRST_DELIVERY_S && ageByWeChat <= FIRST_DELIVERY_S;
}

/**
 * A message's delivery state in the ledger, in the order it can advance:
 * - running:       a handler is producing the reply
 * - deferred:      the deadline passed; `success` was answered; the reply goes by customer-service API
 * - replied:       answered passively; `reply` holds its body, which a retry gets again in its own envelope
 * - undeliverable: the customer-service send failed; `reply` holds the body for a retry to take
 * - sending:       the customer-service send is under way
 * - done:          delivered (or nothing to deliver): a retry gets `success`
 */
export type DeliveryState = "running" | "deferred" | "replied" | "undeliverable" | "sending" | "done";

export const STATE_RANK: Record<DeliveryState, number> = {
  running: 0,
  deferred: 1,
  replied: 2,
  undeliverable: 2,
  sending: 3,
  done: 4,
};

export interface LedgerRecord {
  key: string;
  state: DeliveryState;
  /**
   * The plaintext reply's XML from `<MsgType>` on (states replied, undeliverable): the
   * envelope is left to the retry's own message (replies.ts' renderReplyBody and wrapReply).
   */
  reply?: string;
}
