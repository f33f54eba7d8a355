/**
 * `/wechat`: where WeChat's servers call. Thin: the pipeline is in ../callback.ts.
 * GET (the server check) goes through the router like every other route;
 * POST (every follower's message, the hot path) is taken before the router
 * by `callbackQuery` (./callback-url.ts) + `callback` (see ../app.ts).
 */
import { Hono } from "hono";
import { handleCallback, verifyServer, type QueryParams } from "../callback";
import type { Env } from "../env";
import type { Bot } from "../wechat/router";

export function wechatRoutes<E extends Env>() {
  return new Hono<{ Bindings: E }>()
    .get("/", (c) => verifyServer(new URL(c.req.url), c.env))
    .all("/", (c) =>
      c.text("method not allowed: WeChat calls GET (server check) and POST (messages)", 405, { allow: "GET, POST" }),
    );
}

/** A callback, answered by the pipeline; outside a Worker (app.request() without a context) waitUntil is best effort. */
export function callback<E extends Env>(
  bot: Bot<E>,
  request: Request,
  query: QueryParams,
  env: E,
  ctx: { waitUntil(p: Promise<unknown>): void } | undefined,
) {
  const waitUntil = ctx ? (p: Promise<unknown>) => ctx.waitUntil(p) : (p: Promise<unknown>) => void p.catch(() => {});
  return handleCallback(request, query, { env, bot, waitUntil });
}
