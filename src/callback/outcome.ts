/**
 * The last stage of a callback: what it came to (an Outcome), and the answer
 * WeChat gets for it — the reply, encrypted when the message was — with the
 * callback's log line. Also the answers to what went wrong before there was
 * an outcome: a refusal (4xx), a configuration error (500 naming the
 * variable), or a fault of ours (500).
 */
import { ConfigError } from "../config";
import { describeError, log, routineLine, type LogFields } from "../log";
import { CryptoError } from "../wechat/crypto";
import { messageKind } from "../wechat/messages";
import { renderReplyBody, wrapReply, type Reply } from "../wechat/replies";
import { sleep } from "../timers";
import { XmlError } from "../wechat/xml";
import { Refusal, type Inbound } from "./inbound";

/** What a callback came to. The answer, the ledger's records and the log line are all read from it. */
export type Outcome =
  /** The handler's reply, passively; `error` when the handler failed (the reply is then onError's, or `success`). */
  | { kind: "replied"; body: string; reply: Reply["type"]; error?: LogFields }
  /** An earlier try of the message answered it: its reply's body again, or `success`. */
  | { kind: "again"; body: string }
  /** A reply that waited for the follower, as this message's answer (this message is not handled). */
  | { kind: "handed_over"; body: string }
  /** custom, auto: the deadline passed: `success` now, the reply by customer-service message when ready. */
  | { kind: "deferred"; mine: boolean }
  /**
   * hold: not ready by the deadline, and WeChat will try again: no answer until
   * WeChat has given up on this try. `mine`: this try's own handler is the one at work.
   */
  | { kind: "held"; releaseAt: number; mine: boolean }
  /** hold: WeChat's last try, not ready: the notice now, the reply on the follower's next message. */
  | { kind: "notice"; text: string; mine: boolean };

/** What WeChat is answered: a status and a body (XML, `success`, or a refusal's reason). */
export interface CallbackAnswer {
  status: number;
  body: string;
  xml: boolean;
}

/** The reply's body (renderReplyBody) this outcome answers with. */
function bodyOf(outcome: Outcome): string {
  switch (outcome.kind) {
    case "replied":
    case "again":
    case "handed_over":
      return outcome.body;
    case "deferred":
    case "held":
      return "success";
    case "notice":
      return renderReplyBody({ type: "text", content: outcome.text });
  }
}

/**
 * The outcome as WeChat's answer: the reply addressed back to the follower,
 * sealed (encrypted and signed) when the message came encrypted. A held try
 * is answered only once WeChat has stopped waiting for it.
 */
export async function answer(
  outcome: Outcome,
  inbound: Inbound,
  seal: (xml: string) => Promise<string>,
  arrived: number,
): Promise<CallbackAnswer> {
  const { message } = inbound;
  if (outcome.kind === "held") await sleep(outcome.releaseAt - Date.now());
  const xml = wrapReply(bodyOf(outcome), message.FromUserName, message.ToUserName, Date.now());
  const body = xml !== "success" && inbound.encrypted ? await seal(xml) : xml;
  logOutcome(outcome, inbound, Date.now() - arrived);
  return { status: 200, body, xml: xml !== "success" };
}

/** The callback's log line: always, except a routine reply's, which gets one at most every ROUTINE_LOG_MS. */
function logOutcome(outcome: Outcome, inbound: Inbound, ms: number): void {
  const fields: LogFields = { mode: inbound.mode, type: messageKind(inbound.message) };
  const line = (name: string, more: LogFields = {}) =>
    log("callback", { ...fields, ...more, outcome: name, status: 200, ms });
  switch (outcome.kind) {
    case "again":
      return line(outcome.body === "success" ? "retry_success" : "retry_reply");
    case "handed_over":
    case "deferred":
    case "held":
      return line(outcome.kind);
    case "notice":
      return line("noticed");
    case "replied": {
      if (outcome.error !== undefined)
        return line("handler_error", { handler: "error", ...outcome.error, reply: outcome.reply });
      const unlogged = routineLine(Date.now());
      if (unlogged !== undefined) line("replied", { reply: outcome.reply, unlogged: unlogged || undefined });
    }
  }
}

/** The answer to a request that ended in an error: a refusal's 4xx, or a 500 that is logged. */
export function failure(event: string, e: unknown, arrived: number, inbound?: Inbound): CallbackAnswer {
  const fields: LogFields = inbound ? { mode: inbound.mode, type: messageKind(inbound.message) } : {};
  const ms = Date.now() - arrived;
  const refused = refusalOf(e);
  if (refused !== null) {
    log(event, { ...fields, outcome: "refused", status: refused.status, reason: refused.reason, ms });
    return { status: refused.status, body: refused.reason, xml: false };
  }
  if (e instanceof ConfigError) {
    log(event, { ...fields, outcome: "config_error", status: 500, variable: e.variable, ms });
    return { status: 500, body: `Configuration error: ${e.message}`, xml: false };
  }
  log(event, { ...fields, outcome: "error", status: 500, ms, ...describeError(e) });
  return { status: 500, body: "internal error", xml: false };
}

/** A client's error as its refusal: the request was not WeChat's, or not a message. */
function refusalOf(e: unknown): Refusal | null {
  if (e instanceof Refusal) return e;
  if (e instanceof CryptoError) return new Refusal(400, `undecryptable message (${e.code})`);
  if (e instanceof XmlError) return new Refusal(400, e.message);
  return null;
}
