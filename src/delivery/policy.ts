/**
 * Delivery policy, as pure functions and constants: which key identifies a
 * message across WeChat's tries, which ledger shard holds it, when a request
 * is provably a first delivery, which try of WeChat's three a request is,
 * the states a message's delivery goes through, and which failures of the
 * customer-service API are worth another attempt.
 *
 * WeChat waits 5 s for an answer before retrying, so a retry is sent at
 * least 5 s after the message's CreateTime (both on WeChat's clock). A
 * request whose query `timestamp` (WeChat's send time) and whose arrival
 * (our clock) are both within FIRST_DELIVERY_S of CreateTime cannot be a
 * retry unless our clock runs more than 5 − FIRST_DELIVERY_S = 3 s behind
 * WeChat's *and* WeChat reused the first attempt's timestamp.
 * (被动回复用户消息; 客服消息)
 */
import { InvalidInputError, UpstreamError, WeChatApiError } from "../api/errors";
import { ConfigError } from "../config";
import type { Message } from "../wechat/messages";

export const FIRST_DELIVERY_S = 2;
export const LEDGER_SHARDS = 8;
/** WeChat tries a message three times, then gives up. */
export const WECHAT_TRIES = 3;

/**
 * A handler at work holds a lease on its message, renewed every
 * LEASE_RENEW_MS while it runs: a retry that finds the lease run out knows the
 * handler's instance is gone (a restart, an eviction) and runs it again. Three
 * renewals fit in a lease, so one slow renewal does not lose it; and a lease
 * runs out within WeChat's 5 s between tries.
 */
export const LEASE_MS = 3000;
export const LEASE_RENEW_MS = 1000;
/** How long a waiting reply is lent to the try handing it over before it waits again (unconfirmed). */
export const HANDING_MS = 30_000;
/**
 * A reply still owed whose lease ran out this long ago was abandoned: WeChat's
 * tries (~15 s) are over, so no try will run its handler again.
 */
export const ABANDONED_AFTER_MS = 15_000;
/** A reply not handed over within this long after it began to wait is logged as lost. */
export const WAITING_MAX_MS = 48 * 3600_000;
/** Waiting replies an instance knows of in a shard are trusted this long before it asks the shard again. */
export const WAITING_INDEX_MS = 1000;

/** The retry-stable identity: MsgId for messages; sender + CreateTime + event + key for events. */
export function dedupKey(message: Message): string {
  if (message.MsgType !== "event" && typeof message.MsgId === "string" && message.MsgId !== "")
    return `m:${message.MsgId}`;
  const key = typeof message.EventKey === "string" ? message.EventKey : "";
  return `e:${message.FromUserName}\n${message.CreateTime}\n${String(message.Event ?? message.MsgType)}\n${key}`;
}

/** FNV-1a over the text's UTF-16 units, as an unsigned 32-bit number. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A message's reference in log lines: a hash of its key (which may hold an OpenID), to match a message's lines. */
export function keyRef(key: string): string {
  return fnv1a(key).toString(16).padStart(8, "0");
}

/** The ledger shard of a follower: all of one follower's messages share one. */
export function shardOf(openid: string): number {
  return fnv1a(openid) % LEDGER_SHARDS;
}

/** True when this request cannot be a retry (see the module comment). */
export function isFirstDelivery(createTimeS: number, queryTimestampS: number, nowMs: number): boolean {
  const ageByUs = nowMs / 1000 - createTimeS;
  const ageByWeChat = queryTimestampS - createTimeS;
  return ageByUs <= FIRST_DELIVERY_S && ageByWeChat <= FIRST_DELIVERY_S;
}

/**
 * Events a follower sees an answer to: a passive reply to them is shown, and
 * they open the 48-hour customer-service window. VIEW (a menu link), the
 * unsubscribe and the job reports are not.
 */
const INTERACTIONS = new Set([
  "subscribe",
  "SCAN",
  "CLICK",
  "scancode_push",
  "scancode_waitmsg",
  "pic_sysphoto",
  "pic_photo_or_album",
  "pic_weixin",
  "location_select",
]);

/** Whether the follower did something a waiting reply can be handed over on. */
export function isInteraction(message: Message): boolean {
  return message.MsgType !== "event" || INTERACTIONS.has(String(message.Event));
}

/**
 * A message's delivery state in the ledger:
 * - running:  a handler is producing the reply (under a lease);
 * - deferred: the deadline passed, `success` was answered; the reply goes by customer-service API;
 * - ready:    (hold) the reply is ready and no try has taken it yet; `reply` holds its body;
 * - noticed:  (hold) WeChat's last try was answered with the notice; the reply will wait;
 * - replied:  answered passively; `reply` holds its body, which a retry gets again in its own envelope;
 * - sending:  the customer-service send is under way;
 * - waiting:  the reply waits for the follower's next message (the waiting table holds it);
 * - done:     delivered, or nothing to deliver;
 * - unknown:  the customer-service send's result is unknown (it timed out): never sent again;
 * - lost:     not delivered, and logged with why.
 * A batch's upsert never moves a state to a lower rank.
 */
export type DeliveryState =
  "running" | "deferred" | "ready" | "noticed" | "replied" | "sending" | "waiting" | "done" | "unknown" | "lost";

export const STATE_RANK: Record<DeliveryState, number> = {
  running: 0,
  deferred: 1,
  ready: 2,
  noticed: 2,
  replied: 3,
  sending: 3,
  waiting: 4,
  done: 5,
  unknown: 5,
  lost: 5,
};

/** States in which the message's reply is still owed: a lease says whether its handler is alive. */
export const LEASED_STATES: ReadonlySet<DeliveryState> = new Set(["running", "deferred", "noticed", "sending"]);

export interface LedgerRecord {
  key: string;
  state: DeliveryState;
  /**
   * The plaintext reply's XML from `<MsgType>` on (states replied, ready): the
   * envelope is left to the retry's own message (replies.ts' renderReplyBody and wrapReply).
   */
  reply?: string;
}

/**
 * What a failed customer-service send means:
 * - retry: worth another attempt (network, WeChat's 5xx, `-1` system busy);
 * - unknown: it may have reached WeChat (our side timed out): never sent again;
 * - refused: WeChat said no (no permission 48001, window 45015, quota 45047, …): no point retrying now.
 */
export function sendFailure(error: unknown): "retry" | "unknown" | "refused" {
  if (error instanceof WeChatApiError) return error.errcode === -1 ? "retry" : "refused";
  if (error instanceof UpstreamError) return error.kind === "timeout" ? "unknown" : "retry";
  // The message was refused before any call (InvalidInputError) or the API cannot be called (ConfigError).
  if (error instanceof InvalidInputError || error instanceof ConfigError) return "refused";
  return "retry";
}

/** Waits before the attempts after the first, while the platform still lets the work run. */
export const SEND_BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
