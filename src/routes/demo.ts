/**
 * /demo: the page an account owner links from the menu to see it all work —
 * signs the visitor in (snsapi_base), shows who they are, configures the
 * JS-SDK. Everything shown is escaped; the script only calls our own routes,
 * and runs under a nonce of its own response.
 */
import { Hono } from "hono";
import { escapeHtml, htmlPage, scriptNonce } from "../web/html";
import type { Env } from "../env";
import { readSession } from "./oauth";

const JSSDK_SCRIPT = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js";

export function demoRoutes() {
  const demo = new Hono<{ Bindings: Env }>();
  demo.get("/", async (c) => {
    const session = await readSession(c);
    if (!session)
      return c.redirect(`/oauth/login?${new URLSearchParams({ scope: "snsapi_base", next: "/demo" })}`, 302);
    const e = escapeHtml;
    const nonce = scriptNonce();
    // The JS-SDK's own report beacon (an image from open.weixin.qq.com) stays blocked: the page does not need it.
    const policy = {
      "script-src": `'nonce-${nonce}' ${JSSDK_SCRIPT}`,
      "connect-src": "'self'",
      "style-src": "'unsafe-inline'",
    };
    return htmlPage(
      c,
      `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>公众号网页示例 · Demo</title>
<style>
  body { font: 16px/1.6 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 32em; margin: 2em auto; padding: 0 1em; color: #1f2329; }
  code { background: #f2f3f5; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
  .ok { color: #07c160; } .err { color: #d03050; }
</style>
</head>
<body>
<h1>你好${session.nickname ? `，${e(session.nickname)}` : ""}</h1>
<p>OpenID：<code id="openid">${e(session.openid)}</code></p>
<p>授权范围 Scope：<code>${e(session.scope)}</code></p>
<p>JS-SDK：<span id="jssdk">签名中… signing…</span></p>
<script src="${JSSDK_SCRIPT}" async></script>
<script nonce="${nonce}">
  (async () => {
    const status = document.getElementById("jssdk");
    try {
      const res = await fetch("/jssdk/config?url=" + encodeURIComponent(location.href.split("#")[0]));
      const cfg = await res.json();
      if (!res.ok) throw new Error(cfg.message || res.status);
      status.textContent = "已签名 signed (" + cfg.signature.slice(0, 8) + "…)";
      status.className = "ok";
      status.dataset.signature = cfg.signature;
      const configure = () => window.wx && window.wx.config({ debug: false, appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr, signature: cfg.signature, jsApiList: ["updateAppMessageShareData", "scanQRCode"] });
      if (window.wx) configure(); else addEventListener("load", configure);
    } catch (err) {
      status.textContent = "签名失败 failed: " + err.message;
      status.className = "err";
    }
  })();
</script>
</body>
</html>
`,
      policy,
    );
  });
  return demo;
}
