/**
 * A follower's message, from WeChat's request to the reply that leaves:
 *
 *   1. authenticate     — signature, replay window, body, decryption, parse (inbound.ts)
 *   2. is it a retry?   — an earlier try's answer, from this instance or the ledger; a reply
 *                         waiting for this follower goes first (../delivery/message-delivery.ts)
 *   3. handle           — the bot's handler, raced against REPLY_DEADLINE_MS from the request's arrival
 *   4. finish           — the outcome recorded for the other tries, the answer sealed and logged (outcome.ts)
 *
 * A reply that misses the deadline goes on by REPLY_STRATEGY, in ../delivery/.
 * Nothing a client sends becomes a 5xx: refusals are 4xx, a handler's error is its onError reply or `success`.
 */
import { callbackConfig, type CallbackConfig } from "../config";
import { MessageDelivery } from "../delivery/message-delivery";
import { WECHAT_TRIES } from "../delivery/policy";
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
    const fields = { mode: inbound.mode, type: messageKind(inbound.message) };
    const delivery = new MessageDelivery(
      inbound.message,
      inbound.sentAtS,
      services.env,
      arrived,
      services.waitUntil,
      fields,
    );
    const outcome = await decide(inbound, delivery, services, config, arrived);
    finish(outcome, delivery);
    return await answer(outcome, inbound, (xml) => services.crypto.seal(xml, config), arrived);
  } catch (e) {
    return failure("callback", e, arrived, inbound);
  }
}

/** Stages 2 and 3: an earlier try's answer, a waiting reply handed over, or the handler's. */
async function decide<E extends Env>(
  inbound: Inbound,
  delivery: MessageDelivery,
  services: CallbackServices<E>,
  config: CallbackConfig,
  arrived: number,
): Promise<Outcome> {
  const earlier = await delivery.earlier();
  if (!earlier.run) {
    if (earlier.answer === "again") return { kind: "again", body: earlier.body };
    if (earlier.answer === "held") return { kind: "held", releaseAt: delivery.releaseAt, mine: false };
    return { kind: "notice", text: config.holdNotice, mine: false };
  }
  const waiting = await delivery.handOver(earlier);
  if (waiting !== undefined) return { kind: "handed_over", body: waiting };
  const remainingMs = config.replyDeadlineMs - (Date.now() - arrived);
  const handled = handle(inbound, services, remainingMs, delivery);
  const outcome = handled instanceof Promise ? await handled : handled;
  if (!("late" in outcome)) return outcome;
  // The deadline passed with the handler at work: by REPLY_STRATEGY (README: "Every kind of account").
  if (config.strategy !== "hold") return { kind: "deferred", mine: true };
  if (earlier.tryNumber >= WECHAT_TRIES) return { kind: "notice", text: config.holdNotice, mine: true };
  return { kind: "held", releaseAt: delivery.releaseAt, mine: true };
}

/** A handler still at work at the deadline (its task goes on: MessageDelivery.running). */
type Late = { late: true };

/** Stage 3: the handler's reply, at once or within `remainingMs`; after that, its reply to come. */
function handle<E extends Env>(
  inbound: Inbound,
  services: CallbackServices<E>,
  remainingMs: number,
  delivery: MessageDelivery,
): Outcome | Promise<Outcome | Late> {
  let deadlinePassed = false;
  let error: LogFields | undefined;
  const context = new HandlerContext(inbound.message, services.env, inbound.mode, services.waitUntil);
  const result = runHandler(services.bot, context, (e) => {
    // Before the deadline the error goes on the callback's own line; after it, on a line of its own.
    if (!deadlinePassed && error === undefined) error = describeError(e);
    else log("handler_error", { mode: inbound.mode, type: messageKind(inbound.message), ...describeError(e) });
  });
  const replied = (reply: Reply): Outcome => ({
    kind: "replied",
    body: renderReplyBody(reply),
    reply: reply.type,
    error,
  });
  if (!(result instanceof Promise)) return replied(result);
  delivery.running(result);
  return withinDeadline(result, remainingMs).then((reply) => {
    if (reply !== DEADLINE) return replied(reply);
    deadlinePassed = true;
    return { late: true };
  });
}

/** Stage 4, before the answer: what this try did, recorded for the other tries and for its handler's task. */
function finish(outcome: Outcome, delivery: MessageDelivery): void {
  switch (outcome.kind) {
    case "replied":
    case "handed_over":
      return delivery.answered(outcome.body);
    case "deferred":
      if (outcome.mine) delivery.deferred();
      return;
    case "held":
    case "notice":
      if (outcome.mine) delivery.held(outcome.kind === "notice");
  }
}
