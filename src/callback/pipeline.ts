/**
 * A follower's message, from WeChat's request to the reply that leaves:
 *
 *   1. authenticate     — signature, replay window, body, decryption, parse (inbound.ts)
 *   2. is it a retry?   — an earlier delivery's answer, from this isolate or the ledger (../delivery/tracker.ts)
 *   3. handle           — the bot's handler, raced against REPLY_DEADLINE_MS from the request's arrival
 *   4. finish           — the outcome recorded for retries, the answer sealed and logged (outcome.ts)
 *
 * A reply that misses the deadline goes on in ../delivery/deferred.ts.
 * Nothing a client sends becomes a 5xx: refusals are 4xx, a handler's error is `success`.
 */
import { callbackConfig, type CallbackConfig } from "../config";
import { deliverDeferred } from "../delivery/deferred";
import { DeliveryTracker } from "../delivery/tracker";
import type { Env } from "../env";
import { describeError, log, type LogFields } from "../log";
import { DEADLINE, withinDeadline } from "../timers";
import { messageKind } from "../wechat/messages";
import { renderReplyBody, type Reply } from "../wechat/replies";
import type { Bot } from "../wechat/router";
import { HandlerContext, runHandler } from "./handler";
import { Refusal, authenticate, checkSignature, type CallbackCrypto, type Inbound, type QueryParams } from "./inbound";
import { answer, failure, type CallbackAnswer, type Outcome } from "./outcome";

/** What a callback runs with. */
export interface CallbackServices<E extends Env> {
  env: E;
  bot: Bot<E>;
  waitUntil(promise: Promise<unknown>): void;
  crypto: CallbackCrypto;
}

/** `GET /wechat`: WeChat's server check (验证服务器地址的有效性): `echostr` back when the signature holds. */
export async function verifyServer(q: QueryParams, env: Env, crypto: CallbackCrypto): Promise<CallbackAnswer> {
  const arrived = Date.now();
  try {
    const config = callbackConfig(env);
    const echostr = q.get("echostr");
    if (echostr === null) return failure("verify", new Refusal(400, "missing query parameter: echostr"), arrived);
    await checkSignature(q, config, crypto, arrived);
    log("verify", { outcome: "ok", status: 200, ms: Date.now() - arrived });
    return { status: 200, body: echostr, xml: false };
  } catch (e) {
    return failure("verify", e, arrived);
  }
}

/**
 * `POST /wechat`: one message or event, answered with a passive reply.
 * `readBody` is called only once the query's signature holds; `arrived` is
 * when the request came in, from which the deadline counts.
 */
export async function processCallback<E extends Env>(
  q: QueryParams,
  readBody: () => Promise<string>,
  services: CallbackServices<E>,
  arrived = Date.now(),
): Promise<CallbackAnswer> {
  let inbound: Inbound | undefined;
  try {
    const config = callbackConfig(services.env);
    inbound = await authenticate(q, readBody, config, services.crypto, arrived);
    const tracker = config.exactlyOnce
      ? new DeliveryTracker(inbound.message, inbound.sentAtS, Date.now(), config.ledger!, services.waitUntil)
      : null;
    let earlier = tracker?.recentAnswer(Date.now());
    if (earlier === undefined && tracker?.mayBeRetry) earlier = await tracker.ledgerAnswer();
    let outcome: Outcome | Promise<Outcome> =
      earlier !== undefined
        ? { kind: "retry", body: earlier }
        : handle(inbound, services, config.replyDeadlineMs - (Date.now() - arrived), tracker);
    if (outcome instanceof Promise) outcome = await outcome;
    finish(outcome, inbound, services, tracker, arrived);
    return await answer(outcome, inbound, (xml) => services.crypto.seal(xml, config), arrived);
  } catch (e) {
    return failure("callback", e, arrived, inbound);
  }
}

/** Stage 3: the handler's reply if it comes within `remainingMs`; after that, the deadline's outcome. */
function handle<E extends Env>(
  inbound: Inbound,
  services: CallbackServices<E>,
  remainingMs: number,
  tracker: DeliveryTracker | null,
): Outcome | Promise<Outcome> {
  let deadlinePassed = false;
  let error: LogFields | undefined;
  const context = new HandlerContext(inbound.message, services.env, inbound.mode, services.waitUntil);
  const result = runHandler(services.bot, context, (e) => {
    // Before the deadline the error goes on the callback's own line; after it, on a line of its own.
    if (!deadlinePassed) error = describeError(e);
    else log("handler_error", { mode: inbound.mode, type: messageKind(inbound.message), ...describeError(e) });
  });
  const settle = (reply: Reply | typeof DEADLINE): Outcome => {
    if (reply === DEADLINE) {
      deadlinePassed = true;
      return { kind: "deferred", body: "success", pending: result as Promise<Reply> };
    }
    return { kind: "replied", body: renderReplyBody(reply), reply: reply.type, error };
  };
  if (!(result instanceof Promise)) return settle(result);
  tracker?.running(Date.now());
  return withinDeadline(result, remainingMs).then(settle);
}

/** Stage 4, before the answer: the outcome recorded for retries, and a deferred reply's delivery started. */
function finish<E extends Env>(
  outcome: Outcome,
  inbound: Inbound,
  services: CallbackServices<E>,
  tracker: DeliveryTracker | null,
  arrived: number,
): void {
  const now = Date.now();
  if (outcome.kind === "replied") tracker?.answered(outcome.body, now);
  if (outcome.kind !== "deferred") return;
  tracker?.deferred(now);
  const key = tracker?.key ?? "";
  const delivery = deliverDeferred(
    services.env,
    inbound.message,
    key,
    tracker?.stub() ?? null,
    outcome.pending,
    arrived,
  );
  services.waitUntil(
    delivery.catch((e) =>
      log("deferred", {
        mode: inbound.mode,
        type: messageKind(inbound.message),
        outcome: "error",
        ...describeError(e),
      }),
    ),
  );
}
