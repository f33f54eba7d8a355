/**
 * The WeChat protocol, as the bot sees it: the router, reply builders and message types.
 */
export { Bot, type Context, type ErrorHandler, type Handler, type Middleware, type Mode } from "./router";
export { reply, type Article, type Reply, type HandlerResult } from "./replies";
export type * from "./messages";
