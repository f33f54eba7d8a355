/**
 * /jssdk/config: what a page inside WeChat passes to wx.config, signed with
 * the shared jsapi_ticket — only for pages on JSSDK_ALLOWED_ORIGINS.
 */
import { Hono } from "hono";
import { apiFor } from "../api/client";
import { webConfig } from "../config";
import type { Env } from "../env";
import { randomBytes } from "../wechat/bytes";
import { jssdkSignature, withoutFragment } from "../wechat/jssdk";
import { jsonError } from "./errors";

const ALPHANUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function jssdkRoutes() {
  const jssdk = new Hono<{ Bindings: Env }>();
  jssdk.get("/config", async (c) => {
    const web = webConfig(c.env);
    const raw = c.req.query("url");
    if (!raw) return c.json({ error: "invalid_input", message: "url is required (the page's URL)" }, 400);
    const url = withoutFragment(raw);
    let origin: string;
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error();
      origin = parsed.origin;
    } catch {
      return c.json({ error: "invalid_input", message: "url must be an absolute http(s) URL" }, 400);
    }
    if (!web.jssdkOrigins.has(origin)) {
      return c.json({ error: "invalid_input", message: "this page's origin is not in JSSDK_ALLOWED_ORIGINS" }, 400);
    }
    const api = apiFor(c.env);
    const ticket = await api.jsapiTicket();
    const nonceStr = Array.from(randomBytes(16), (b) => ALPHANUM[b % ALPHANUM.length]).join("");
    const timestamp = Math.floor(Date.now() / 1000);
    return c.json({
      appId: api.config.appId,
      timestamp,
      nonceStr,
      signature: await jssdkSignature(ticket, nonceStr, timestamp, url),
    });
  });
  jssdk.onError((err, c) => jsonError(err, c, "jssdk"));
  return jssdk;
}
