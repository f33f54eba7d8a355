/**
 * The Worker's HTTP surface: one Hono app, a route module per concern.
 * `createApp(bot)` takes the bot so that tests can drive the app with bots of their own.
 */
import { Hono } from "hono";
import { callbackRoutes, type CallbackOptions } from "./callback";
import type { Env } from "./env";
import { describeError, log } from "./log";
import { adminRoutes } from "./routes/admin";
import { demoRoutes } from "./routes/demo";
import { jssdkRoutes } from "./routes/jssdk";
import { oauthRoutes } from "./routes/oauth";
import type { Bot } from "./wechat/router";

export function createApp(bot: Bot<Env>, options: CallbackOptions = {}) {
  const app = new Hono<{ Bindings: Env }>();
  app.route("/wechat", callbackRoutes(bot, options));
  app.route("/admin", adminRoutes());
  app.route("/oauth", oauthRoutes());
  app.route("/jssdk", jssdkRoutes());
  app.route("/demo", demoRoutes());
  app.get("/", (c) => c.text("WeChat Official Account backend. WeChat calls /wechat.\n"));
  app.notFound((c) => c.text("not found", 404));
  app.onError((err, c) => {
    log("error", { path: new URL(c.req.url).pathname, ...describeError(err) });
    return c.text("internal error", 500);
  });
  return app;
}
