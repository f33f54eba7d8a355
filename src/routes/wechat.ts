/**
 * `/wechat`: where WeChat's servers call. Thin: the pipeline is in ../callback.ts.
 */
import { Hono } from "hono";
import { handleCallback, verifyServer } from "../callback";
import type { Env } from "../env";
import type { Bot } from "../wechat/router";

export function wechatRoutes<E extends Env>(bot: Bot<E>) {
  return new Hono<{ Bindings: E }>()
    .get("/", (c) => verifyServer(new URL(c.req.url), c.env))
    .post("/", (c) =>
      handleCallback(c.req.raw, new URL(c.req.url), { env: c.env, bot, waitUntil: waitUntilOf(c) }),
    )
    .all("/", (c) => c.text("method not allowed: WeChat calls GET (server check) and POST (messages)", 405, { allow: "GET, POST" }));
}

/** The request's waitUntil; outside a Worker (app.request() in tests) a best-effort stand-in. */
interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

function waitUntilOf(c: { executionCtx: WaitUntil }): (p: Promise<unknown>) => void {
  let ctx: WaitUntil | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  return ctx ? (p) => ctx.waitUntil(p) : (p) => void p.catch(() => {});
}
