/**
 * The Worker's HTTP surface: one Hono app, a route module per concern.
 * `createApp(bot)` takes the bot so tests can drive the app with bots of their own.
 * A follower's message (POST /wechat) is taken before the router: it is the
 * hot path, and Hono's dispatch measured 6% of its throughput.
 */
import { Hono } from "hono";
import type { Env } from "./env";
import { describeError, log } from "./log";
import { adminRoutes } from "./routes/admin";
import { demoRoutes } from "./routes/demo";
import { jssdkRoutes } from "./routes/jssdk";
import { oauthRoutes } from "./routes/oauth";
import { callbackQuery } from "./routes/callback-url";
import { callback, wechatRoutes } from "./routes/wechat";
import type { Bot } from "./wechat/router";

export function createApp<E extends Env>(bot: Bot<E>) {
  const app = new Hono<{ Bindings: E }>();
  app.route("/wechat", wechatRoutes<E>());
  app.route("/admin", adminRoutes() as unknown as Hono<{ Bindings: E }>);
  app.route("/oauth", oauthRoutes() as unknown as Hono<{ Bindings: E }>);
  app.route("/jssdk", jssdkRoutes() as unknown as Hono<{ Bindings: E }>);
  app.route("/demo", demoRoutes() as unknown as Hono<{ Bindings: E }>);
  app.get("/", (c) => c.text("WeChat Official Account backend. WeChat calls /wechat.\n"));
  app.notFound((c) => c.text("not found", 404));
  app.onError((err, c) => {
    log("error", { path: new URL(c.req.url).pathname, ...describeError(err) });
    return c.text("internal error", 500);
  });
  // app.request() (the tests) goes through app.fetch too, so this path is what they drive.
  const route = app.fetch;
  app.fetch = (request, env, ctx) => {
    const query = callbackQuery(request.method, request.url);
    return query === null ? route(request, env, ctx) : callback(bot, request, query, env as E, ctx);
  };
  return app;
}
