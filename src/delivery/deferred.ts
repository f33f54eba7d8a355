/**
 * A reply that missed the deadline: the follower already got `success`, so
 * the reply goes out through the customer-service API — once. The ledger
 * decides atomically between this send and a retry that might take the
 * reply instead; a failed send is logged with WeChat's errcode and kept in
 * the ledger, where a retry can still deliver it.
 */
import { apiFor } from "../api/client";
import { WeChatApiError } from "../api/errors";
import { replyToCustomMessage } from "../api/messages";
import type { Env } from "../env";
import { describeError, log } from "../log";
import { messageKind, type Message } from "../wechat/messages";
import { renderReplyBody, type Reply } from "../wechat/replies";
import type { DeliveryLedger } from "./ledger";
import { forgetDelivery, rememberDelivery } from "./recent";

type Ledger = DurableObjectStub<DeliveryLedger>;

export async function deliverDeferred(
  env: Env,
  message: Message,
  key: string,
  ledger: Ledger | null,
  reply: Promise<Reply>,
  started: number,
): Promise<void> {
  const fields = { type: messageKind(message) };
  // Tell the ledger first, so a retry from here on answers `success` instead of running the handler.
  await ledger?.record([{ key, state: "deferred" }]).catch(() => {});
  const result = await reply;
  const custom = replyToCustomMessage(result);
  if (custom === null) {
    if (ledger) rememberDelivery(key, { state: "done" }, Date.now());
    await ledger?.finishDelivery(key, true);
    log("deferred", { ...fields, outcome: "nothing_to_send", reply: result.type, ms: Date.now() - started });
    return;
  }
  if (ledger && !(await ledger.takeForDelivery(key))) {
    log("deferred", { ...fields, outcome: "taken_by_retry", ms: Date.now() - started });
    return;
  }
  try {
    await apiFor(env).message.sendCustom(message.FromUserName, custom);
    if (ledger) rememberDelivery(key, { state: "done" }, Date.now());
    await ledger?.finishDelivery(key, true);
    log("deferred", { ...fields, outcome: "sent", reply: result.type, ms: Date.now() - started });
  } catch (e) {
    forgetDelivery(key); // a retry must reach the ledger, which hands it the undelivered reply
    await ledger?.finishDelivery(key, false, renderReplyBody(result)).catch(() => {});
    log("deferred", {
      ...fields,
      outcome: "undelivered",
      reply: result.type,
      ms: Date.now() - started,
      ...(e instanceof WeChatApiError ? { errcode: e.errcode } : describeError(e)),
    });
  }
}
