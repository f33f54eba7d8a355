/**
 * Web authorization (网页授权): /oauth/login sends the visitor to WeChat,
 * /oauth/callback exchanges the code and sets a signed session cookie,
 * /oauth/me says who the session is.
 *
 * WeChat's `state` may hold only [A-Za-z0-9], at most 128 bytes, so it is
 * hex: nonce(16) ‖ expiry(8) ‖ HMAC(32) over nonce, expiry, scope and
 * `next` (which travels in redirect_uri). It is short-lived (5 min), bound
 * to the browser by an HttpOnly cookie holding the nonce, and single-use (a
 * claim in the DeliveryLedger).
 */
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { exchangeCode, webUserInfo, type CodeExchange, type OAuthScope } from "../api/oauth";
import { UpstreamError, WeChatApiError } from "../api/errors";
import { apiConfig, ConfigError, webConfig, type ApiConfig } from "../config";
import { ledgerStub } from "../delivery/recorder";
import { shardOf } from "../delivery/policy";
import type { Env } from "../env";
import { log, type LogFields } from "../log";
import { bytesToHex, hexEqualsBytes, randomBytes } from "../wechat/bytes";
import { escapeHtml, htmlPage, type PagePolicy } from "../web/html";
import { hmac, signPayload, verifyPayload } from "../web/signed";
import { jsonError } from "./errors";

type WebEnv = { Bindings: Env };

export const SESSION_COOKIE = "wx_session";
const STATE_COOKIE = "wx_oauth_state";
const STATE_TTL_S = 300;
const SESSION_TTL_S = 86_400;
const SCOPES = new Set<OAuthScope>(["snsapi_base", "snsapi_userinfo"]);

/** What the session cookie carries. */
export interface Session {
  openid: string;
  scope: string;
  nickname?: string;
  headimgurl?: string;
  unionid?: string;
  exp: number;
}

const nowS = () => Math.floor(Date.now() / 1000);

/** A same-origin path (`/…`, not `//…` or `/\…`), or null. */
export function safeNext(next: string | undefined, origin: string): string | null {
  if (next === undefined || next === "") return "/";
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || /[\u0000-\u001f]/.test(next))
    return null;
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? url.pathname + url.search + url.hash : null;
  } catch {
    return null;
  }
}

const stateData = (nonce: string, exp: string, scope: string, next: string) => `${nonce}.${exp}.${scope}.${next}`;

export async function makeState(
  secret: string,
  scope: string,
  next: string,
  now: number,
): Promise<{ state: string; nonce: string }> {
  const nonce = bytesToHex(randomBytes(8));
  const exp = (now + STATE_TTL_S).toString(16).padStart(8, "0");
  const mac = bytesToHex((await hmac(secret, stateData(nonce, exp, scope, next))).subarray(0, 16));
  return { state: nonce + exp + mac, nonce };
}

/** The state's nonce if it is authentic and unexpired, else why not. */
export async function checkState(
  secret: string,
  state: string,
  scope: string,
  next: string,
  now: number,
): Promise<{ nonce: string } | { error: "invalid" | "expired" }> {
  if (!/^[0-9a-f]{56}$/.test(state)) return { error: "invalid" };
  const nonce = state.slice(0, 16);
  const exp = state.slice(16, 24);
  const full = await hmac(secret, stateData(nonce, exp, scope, next));
  // The MAC is truncated to 16 bytes; compared in constant time.
  if (!hexEqualsBytes(state.slice(24), full.subarray(0, 16))) return { error: "invalid" };
  if (parseInt(exp, 16) < now) return { error: "expired" };
  return { nonce };
}

export async function readSession(c: Context<WebEnv>): Promise<Session | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  return verifyPayload<Session>(webConfig(c.env).sessionSecret, token, nowS());
}

/** The sign-in pages: their inline styles, nothing else (the link to sign in again is a navigation). */
const PAGE_POLICY: PagePolicy = { "style-src": "'unsafe-inline'" };

function page(c: Context<WebEnv>, status: 400 | 401 | 502, title: string, text: string, retry?: string) {
  const link = retry ? `<p><a href="${escapeHtml(retry)}">重新登录 · Sign in again</a></p>` : "";
  return htmlPage(
    c,
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font:16px/1.6 system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em"><h1 style="font-size:20px">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${link}</body></html>`,
    PAGE_POLICY,
    status,
  );
}

/**
 * What /oauth/callback carries, checked: a known scope, a same-site `next`,
 * an authentic unexpired state started in this browser; or the page that says
 * what is wrong, with a link to sign in again.
 */
async function checkCallback(
  c: Context<WebEnv>,
): Promise<{ scope: string; next: string; nonce: string; retry: string } | Response> {
  const scope = c.req.query("scope") ?? "";
  const next = safeNext(c.req.query("next"), new URL(c.req.url).origin);
  const known = SCOPES.has(scope as OAuthScope);
  const retry = `/oauth/login?${new URLSearchParams({ scope: known ? scope : "snsapi_base", next: next ?? "/" })}`;
  if (next === null || !known) return page(c, 400, "登录链接无效", "This sign-in link is not valid.", "/oauth/login");
  const checked = await checkState(webConfig(c.env).sessionSecret, c.req.query("state") ?? "", scope, next, nowS());
  if ("error" in checked) {
    return checked.error === "expired"
      ? page(c, 400, "登录已过期", "This sign-in took too long. Please sign in again.", retry)
      : page(c, 400, "登录链接无效", "This sign-in link is not valid.", retry);
  }
  if (getCookie(c, STATE_COOKIE) !== checked.nonce) {
    const text = "This sign-in was started in another browser or has already finished.";
    return page(c, 400, "请在同一浏览器中登录", text, retry);
  }
  return { scope, next, nonce: checked.nonce, retry };
}

/** Why WeChat would not exchange the code: already used or invalid (40163, 40029), or WeChat unavailable. */
function codeRefusal(e: unknown): "used" | "unavailable" {
  if (e instanceof WeChatApiError && (e.errcode === 40163 || e.errcode === 40029)) {
    log("oauth", { outcome: "code_rejected", errcode: e.errcode });
    return "used";
  }
  if (e instanceof WeChatApiError || e instanceof UpstreamError) {
    log("oauth", { outcome: "upstream_error", ...upstreamFields(e) });
    return "unavailable";
  }
  throw e;
}

/** snsapi_userinfo's profile; a sign-in still succeeds without it. */
async function profileOf(api: ApiConfig, exchange: CodeExchange): Promise<Partial<Session>> {
  try {
    const info = await webUserInfo(api, exchange.accessToken, exchange.openid);
    return { nickname: info.nickname, headimgurl: info.headimgurl, unionid: info.unionid ?? exchange.unionid };
  } catch (e) {
    if (!(e instanceof WeChatApiError || e instanceof UpstreamError)) throw e;
    log("oauth", { outcome: "userinfo_failed", ...upstreamFields(e) });
    return {};
  }
}

async function startSession(c: Context<WebEnv>, who: Omit<Session, "exp">): Promise<void> {
  const token = await signPayload(webConfig(c.env).sessionSecret, { ...who, exp: nowS() + SESSION_TTL_S });
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: SESSION_TTL_S,
  });
  deleteCookie(c, STATE_COOKIE, { path: "/oauth", secure: true });
}

function upstreamFields(e: WeChatApiError | UpstreamError): LogFields {
  return e instanceof WeChatApiError ? { errcode: e.errcode } : { upstream: e.kind };
}

/** Sends the visitor to WeChat's authorization page (网页授权), bound to this browser by the state cookie. */
async function login(c: Context<WebEnv>): Promise<Response> {
  const web = webConfig(c.env);
  const api = apiConfig(c.env);
  const scope = (c.req.query("scope") ?? "snsapi_base") as OAuthScope;
  if (!SCOPES.has(scope))
    return c.json({ error: "invalid_input", message: "scope must be snsapi_base or snsapi_userinfo" }, 400);
  const origin = new URL(c.req.url).origin;
  const next = safeNext(c.req.query("next"), origin);
  if (next === null)
    return c.json(
      { error: "invalid_input", message: "next must be a path on this site (starting with a single /)" },
      400,
    );
  const { state, nonce } = await makeState(web.sessionSecret, scope, next, nowS());
  setCookie(c, STATE_COOKIE, nonce, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/oauth",
    maxAge: STATE_TTL_S,
  });
  const redirect = `${origin}/oauth/callback?${new URLSearchParams({ scope, next })}`;
  // WeChat requires these parameters in this order, and the #wechat_redirect fragment.
  const authorize =
    `${web.oauthBase}/connect/oauth2/authorize?appid=${encodeURIComponent(api.appId)}&redirect_uri=${encodeURIComponent(redirect)}` +
    `&response_type=code&scope=${scope}&state=${state}&connect_redirect=1#wechat_redirect`;
  return c.redirect(authorize, 302);
}

export function oauthRoutes() {
  const oauth = new Hono<WebEnv>();

  oauth.get("/login", login);

  oauth.get("/callback", async (c) => {
    const checked = await checkCallback(c);
    if (checked instanceof Response) return checked;
    const { scope, next, nonce, retry } = checked;
    const session = await readSession(c);
    // Single-use: a double callback or the back button finds the state claimed.
    const ledger = c.env.DELIVERY_LEDGER;
    if (!ledger) throw new ConfigError("DELIVERY_LEDGER", "binding is missing: see wrangler.toml");
    const claim = await ledgerStub(ledger, shardOf(nonce)).claim(`oauth:${nonce}`, STATE_TTL_S * 1000);
    if (claim.state !== "new") {
      return session
        ? c.redirect(next, 302)
        : page(c, 400, "登录链接已使用", "This sign-in link was already used.", retry);
    }
    const code = c.req.query("code");
    if (!code) return page(c, 400, "未获得授权", "WeChat did not authorize this sign-in.", retry);

    const api = apiConfig(c.env);
    const exchange = await exchangeCode(api, code).catch((e: unknown) => codeRefusal(e));
    if (exchange === "used") {
      return session
        ? c.redirect(next, 302)
        : page(c, 400, "登录链接已使用", "This sign-in code was already used.", retry);
    }
    if (exchange === "unavailable") {
      return page(c, 502, "微信暂时无法登录", "WeChat could not complete the sign-in. Please try again.", retry);
    }
    const profile = scope === "snsapi_userinfo" ? await profileOf(api, exchange) : {};
    await startSession(c, { openid: exchange.openid, scope: exchange.scope || scope, ...profile });
    log("oauth", { outcome: "signed_in", scope });
    return c.redirect(next, 302);
  });

  oauth.get("/me", async (c) => {
    const session = await readSession(c);
    if (!session) return c.json({ error: "unauthorized", message: "no session: sign in at /oauth/login" }, 401);
    const { exp, ...who } = session;
    return c.json({ ...who, expires_at: exp });
  });

  oauth.onError((err, c) => {
    if (err instanceof ConfigError) return jsonError(err, c, "oauth");
    throw err;
  });
  return oauth;
}
