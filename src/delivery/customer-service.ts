/**
 * A reply sent by customer-service message (客服消息), with WeChat's failures
 * told apart: attempts that are worth repeating are repeated with backoff
 * while the platform lets the work run (`until`); a refusal or a send whose
 * result is unknown is not repeated.
 */
import { apiFor } from "../api/client";
import { replyToCustomMessage } from "../api/messages";
import type { Env } from "../env";
import { sleep } from "../timers";
import type { Reply } from "../wechat/replies";
import { SEND_BACKOFF_MS, sendFailure } from "./policy";

export type SendResult =
  | { sent: true; attempts: number }
  /** Nothing to send: the reply is `success` or has no customer-service form (transfer_customer_service). */
  | { sent: false; nothing: true }
  | { sent: false; nothing?: false; failure: "refused" | "unknown" | "retry"; error: unknown; attempts: number };

/** `backoffScale` shortens the waits between attempts (in tests, with WeChat's try shortened alike). */
export async function sendReply(
  env: Env,
  openid: string,
  reply: Reply,
  until: number,
  backoffScale = 1,
): Promise<SendResult> {
  const message = replyToCustomMessage(reply);
  if (message === null) return { sent: false, nothing: true };
  for (let attempts = 1; ; attempts++) {
    try {
      await apiFor(env).message.sendCustom(openid, message);
      return { sent: true, attempts };
    } catch (error) {
      const failure = sendFailure(error);
      const wait = SEND_BACKOFF_MS[attempts - 1]! * backoffScale;
      if (failure !== "retry" || attempts > SEND_BACKOFF_MS.length || Date.now() + wait >= until) {
        return { sent: false, failure, error, attempts };
      }
      await sleep(wait);
    }
  }
}
