/**
 * Errors of the JSON routes (/admin, /jssdk, /oauth), one mapping for all:
 * 400 for input, 502/504 naming WeChat's errcode and errmsg, 500 naming a
 * configuration variable, else a logged 500.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { InvalidInputError, UpstreamError, WeChatApiError, errcodeHint } from "../api/errors";
import { ConfigError } from "../config";
import { describeError, log } from "../log";

export function jsonError(err: unknown, c: Context, area: string): Response {
  if (err instanceof HTTPException) return err.getResponse(); // a middleware's own answer (admin auth)
  if (err instanceof InvalidInputError) return c.json({ error: "invalid_input", message: err.message }, 400);
  if (err instanceof WeChatApiError) {
    log(area, { path: c.req.path, outcome: "wechat_error", errcode: err.errcode });
    const hint = errcodeHint(err.errcode, err.errmsg);
    return c.json({ error: "wechat_error", errcode: err.errcode, errmsg: err.errmsg, ...(hint ? { hint } : {}) }, 502);
  }
  if (err instanceof UpstreamError) {
    log(area, { path: c.req.path, outcome: "upstream_error", upstream: err.kind, status: err.status });
    return c.json(
      { error: "upstream_unavailable", errcode: -1, errmsg: err.message },
      err.kind === "timeout" ? 504 : 502,
    );
  }
  if (err instanceof ConfigError)
    return c.json({ error: "configuration", message: `Configuration error: ${err.message}` }, 500);
  log(area, { path: c.req.path, outcome: "error", ...describeError(err) });
  return c.json({ error: "internal" }, 500);
}
