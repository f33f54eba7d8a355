/**
 * Running the bot's handler for a message: the context it gets, and the guard
 * that turns its error into the bot's onError reply or `success` (a handler's
 * bug is ours to log, never WeChat's to show the follower as "该公众号暂时无法提供服务").
 */
import { apiFor, type WeChatApi } from "../api/client";
import type { Env } from "../env";
import { textFieldProblem, type Message } from "../wechat/messages";
import type { Reply } from "../wechat/replies";
import type { Bot, Context, Mode } from "../wechat/router";

const SUCCESS: Reply = { type: "success" };

/** A handler's `ctx`. The API client is made on first use: most handlers never call WeChat. */
export class HandlerContext<E extends Env> implements Context<Message, E> {
  constructor(
    readonly message: Message,
    readonly env: E,
    readonly mode: Mode,
    readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  get api(): WeChatApi {
    return apiFor(this.env);
  }
}

/**
 * The bot's reply: a Reply at once when the handler is synchronous, else a
 * promise of it. A handler's error, thrown or rejected (a message field that
 * is not text, or a result that is not a reply, included), is reported to
 * `report` and answered with the bot's onError reply, or `success`.
 */
export function runHandler<E extends Env>(
  bot: Bot<E>,
  context: Context<Message, E>,
  report: (error: unknown) => void,
): Reply | Promise<Reply> {
  const failed = (error: unknown): Reply | Promise<Reply> => {
    report(error);
    try {
      const recovered = bot.recover(error, context);
      if (recovered === undefined) return SUCCESS;
      return recovered instanceof Promise ? recovered.catch(quietly) : recovered;
    } catch (e) {
      return quietly(e);
    }
  };
  // The onError handler's own failure is reported too, and answered with `success`.
  const quietly = (error: unknown): Reply => {
    report(error);
    return SUCCESS;
  };
  try {
    const problem = textFieldProblem(context.message);
    if (problem !== null) throw new TypeError(problem);
    const reply = bot.handle(context);
    return reply instanceof Promise ? reply.catch(failed) : reply;
  } catch (error) {
    return failed(error);
  }
}
