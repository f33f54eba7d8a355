/**
 * WeChat's API, played strictly: the one fake of WeChat that `npm run dev`
 * (the local WeChat), the tests (inside workerd as the outbound service, and
 * behind HTTP in the black boxes) and the benchmarks all use.
 * - /cgi-bin/token issues a new token and revokes the previous one at once
 *   (the real one grants a 5-minute overlap; strictness exposes races);
 * - /cgi-bin/stable_token returns the same token until its last 300 s, a new
 *   one with force_refresh (20 a day, 30 s apart), separate from /cgi-bin/token;
 * - API calls check access_token: missing 41001, unknown 40014, revoked 40001,
 *   expired 42001; wrong HTTP method 43001/43002; bad JSON 47001;
 * - qrcode/create, menu/create, message/*, user/info validate like WeChat;
 * - customer-service messages follow WeChat's rules (客服消息): a follower's
 *   message opens a 48-hour window of 5 messages, a click, subscribe or scan
 *   allows 3 within a minute; past the quota 45047, outside the window 45015;
 *   an unverified account gets 48001 on customer-service, QR codes, template
 *   messages and web authorization;
 * - faults on demand: a delay or an errcode on any path, "another server
 *   fetched the token", and an offset on the account's clock.
 * Plain fetch-handler code, no import from the Worker: it runs in Node and in
 * workerd. Tests steer it through http://fake.control/ (see `control`); the
 * local WeChat (./app.ts) through its methods. Development tooling: nothing
 * here is in the Worker's bundle.
 */

import { renderSVG } from "uqr";

export const API_HOST = "api.weixin.qq.com";
export const CONTROL_HOST = "fake.control";

interface Token {
  value: string;
  appid: string;
  kind: "classic" | "stable";
  expiresAt: number;
  revoked: boolean;
  poisoned: boolean;
}

interface Behaviour {
  /** Delay before answering (ms), per path prefix ("" = all). */
  delayMs: Record<string, number>;
  /** Answer the next N calls to a path prefix with this HTTP status. */
  fail: { prefix: string; status: number; remaining: number }[];
  /** Refuse every customer-service message with this errcode (48001 no permission, 45047 quota, …) until cleared. */
  customRefusal?: { errcode: number; errmsg: string };
}

/** A fault on an API path ("*": every one): a delay, an errcode, or both; for `times` calls, or until reset. */
export interface Fault {
  path: string;
  delayMs?: number;
  errcode?: number;
  errmsg?: string;
  times?: number;
}

/** What the account may do: an unverified 订阅号 has no customer-service, QR codes, templates or web authorization. */
export type Permissions = "verified" | "unverified";

/** A follower as the API knows them: following or not, and their customer-service allowances. */
export interface Follower {
  openid: string;
  subscribed: boolean;
  /** Each interaction's allowance of customer-service messages: until when, and how many are left. */
  grants: { until: number; left: number }[];
}

/** A parametric QR code the account created. */
export interface QrCode {
  ticket: string;
  url: string;
  action_name: string;
  scene: string;
  expires_at: number | null;
}

/** A message the account sent on its own, as the follower sees it. */
export interface AccountMessage {
  appid: string;
  openid: string;
  via: "custom" | "template";
  body: Record<string, unknown>;
}

export interface App {
  appid: string;
  secret: string;
  tokenTtlS: number;
  classic?: Token;
  stable?: Token;
  forceLog: number[];
  ticket?: { value: string; expiresAt: number };
  menu?: unknown;
  counts: Record<string, number>;
  sent: { path: string; body: unknown }[];
  behaviour: Behaviour;
  customWindowClosed: Set<string>;
  permissions: Permissions;
  /** Whether customer-service messages need a follower's window (the local WeChat's account: yes). */
  windowRules: boolean;
  followers: Map<string, Follower>;
  qrcodes: QrCode[];
  faults: Fault[];
  /** Added to the clock the customer-service rules read (a developer jumps ahead 48 hours). */
  clockOffsetMs: number;
}

const HOUR = 3600_000;

const json = (body: unknown, status = 200) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
const err = (errcode: number, errmsg: string) => json({ errcode, errmsg: `${errmsg} rid: fake` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let serial = 0;
const randomToken = (prefix: string) =>
  `${prefix}_${++serial}_${Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[b & 63]).join("")}`;

/** A real-looking ticket: base64 with "+", "/" and "=", so encoding mistakes show. */
const randomTicket = () => `gQH${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(60))))}+/=`;

interface OAuthCode {
  appid: string;
  openid: string;
  scope: string;
  used: boolean;
}

export class FakeWeChatApi {
  readonly apps = new Map<string, App>();
  readonly codes = new Map<string, OAuthCode>();
  readonly webTokens = new Map<string, { appid: string; openid: string; scope: string }>();
  /** The OpenID the fake's "user" has when authorizing (per app: the same follower each time). */
  oauthOpenId = "oFakeWebUser000000000000001";

  /** Told of every customer-service and template message an account sends (the local WeChat shows them). */
  onAccountMessage: ((message: AccountMessage) => void) | undefined;

  /** `anyHost`: serve the API on whatever host it is reached at (standalone over HTTP). */
  constructor(readonly options: { anyHost?: boolean } = {}) {}
  readonly tokens = new Map<string, Token>();
  /** Every request that reached the fake, in order (path only). */
  readonly log: string[] = [];

  app(appid: string): App | undefined {
    return this.apps.get(appid);
  }

  register(appid: string, secret: string, tokenTtlS = 7200, options: { windowRules?: boolean } = {}): App {
    const app: App = {
      appid,
      secret,
      tokenTtlS,
      forceLog: [],
      counts: {},
      sent: [],
      behaviour: { delayMs: {}, fail: [] },
      customWindowClosed: new Set(),
      permissions: "verified",
      windowRules: options.windowRules ?? false,
      followers: new Map(),
      qrcodes: [],
      faults: [],
      clockOffsetMs: 0,
    };
    this.apps.set(appid, app);
    return app;
  }

  /** The fetch handler: API host, control host, anything else refused (no network here). */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.hostname === CONTROL_HOST) return this.control(url, request);
    if (url.hostname !== API_HOST && !this.options.anyHost)
      return new Response(`fake network: ${url.hostname} is unreachable`, { status: 502 });
    this.log.push(url.pathname);
    const accessToken = url.searchParams.get("access_token") ?? "";
    const appid =
      url.searchParams.get("appid") ??
      this.tokens.get(accessToken)?.appid ??
      this.webTokens.get(accessToken)?.appid ??
      (await peekAppid(request));
    const app = appid ? this.apps.get(appid) : undefined;
    if (app) {
      app.counts[url.pathname] = (app.counts[url.pathname] ?? 0) + 1;
      const delay = Object.entries(app.behaviour.delayMs).find(([prefix]) => url.pathname.startsWith(prefix))?.[1];
      if (delay) await sleep(delay);
      const failure = app.behaviour.fail.find((f) => url.pathname.startsWith(f.prefix) && f.remaining > 0);
      if (failure) {
        failure.remaining--;
        return new Response("<html>502 Bad Gateway</html>", { status: failure.status });
      }
      const faulted = await this.fault(app, url.pathname, request);
      if (faulted) return faulted;
    }
    return this.api(url, request, app);
  }

  /** The fault set on this path, if any: its delay, then its errcode. */
  async fault(app: App, path: string, request: Request): Promise<Response | undefined> {
    const fault = app.faults.find((f) => (f.path === "*" || f.path === path) && (f.times === undefined || f.times > 0));
    if (!fault || path === "/cgi-bin/showqrcode") return undefined;
    if (fault.times !== undefined) fault.times--;
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.errcode === undefined) return undefined;
    const ip = request.headers.get("cf-connecting-ip") ?? request.headers.get("x-forwarded-for") ?? "127.0.0.1";
    const errmsg =
      fault.errmsg ?? (fault.errcode === 40164 ? `invalid ip ${ip} ipv6 ::ffff:${ip}, not in whitelist` : "fault");
    return err(fault.errcode, errmsg);
  }

  async api(url: URL, request: Request, app: App | undefined): Promise<Response> {
    const path = url.pathname;
    const q = url.searchParams;
    const now = Date.now();

    if (path === "/cgi-bin/token") {
      if (request.method !== "GET") return err(43001, "require GET method");
      if (q.get("grant_type") !== "client_credential") return err(40002, "invalid grant_type");
      if (!app) return err(40013, "invalid appid");
      if (q.get("secret") !== app.secret)
        return err(40001, "invalid credential, access_token is invalid or not latest");
      if (app.classic) app.classic.revoked = true; // a new fetch revokes the old token
      app.classic = this.issue(app, "classic", now);
      return json({ access_token: app.classic.value, expires_in: app.tokenTtlS });
    }

    if (path === "/cgi-bin/stable_token") {
      if (request.method !== "POST") return err(43002, "require POST method");
      const body = await readJson(request);
      if (body === undefined) return err(47001, "data format error");
      if (body.grant_type !== "client_credential") return err(40002, "invalid grant_type");
      const sapp = this.apps.get(String(body.appid));
      if (!sapp) return err(40013, "invalid appid");
      if (body.secret !== sapp.secret) return err(40125, "invalid appsecret");
      if (body.force_refresh === true) {
        const today = sapp.forceLog.filter((t) => now - t < 86_400_000);
        if (today.length >= 20) return err(45009, "reach max api daily quota limit");
        if (today.length && now - Math.max(...today) < 30_000)
          return err(45011, "api minute-quota reach limit, mustslower retry next minute");
        sapp.forceLog.push(now);
        sapp.counts["stable_token:force"] = (sapp.counts["stable_token:force"] ?? 0) + 1;
        if (sapp.stable) sapp.stable.revoked = true;
        sapp.stable = this.issue(sapp, "stable", now);
      } else if (!sapp.stable || sapp.stable.revoked || sapp.stable.expiresAt - now <= 300_000) {
        // Normal mode: a new token only when there is none or in the last 300 s (the old one stays valid until it expires).
        sapp.stable = this.issue(sapp, "stable", now);
      }
      return json({ access_token: sapp.stable.value, expires_in: Math.round((sapp.stable.expiresAt - now) / 1000) });
    }

    if (path === "/connect/oauth2/authorize") {
      // The user consents at once; WeChat redirects back with a one-time code.
      if (!app) return new Response("invalid appid", { status: 400 });
      if (app.permissions === "unverified") return new Response("api unauthorized (48001)", { status: 403 });
      const scope = q.get("scope") ?? "";
      const redirect = q.get("redirect_uri");
      if (q.get("response_type") !== "code" || !["snsapi_base", "snsapi_userinfo"].includes(scope) || !redirect) {
        return new Response("invalid request", { status: 400 });
      }
      const code = randomToken("code");
      // The local WeChat's page tells which of its followers is signing in (a cookie of its origin).
      const follower = /(?:^|;\s*)wechat_follower=([A-Za-z0-9_-]+)/.exec(request.headers.get("cookie") ?? "")?.[1];
      this.codes.set(code, { appid: app.appid, openid: follower ?? this.oauthOpenId, scope, used: false });
      const back = new URL(redirect);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state") ?? "");
      return new Response(null, { status: 302, headers: { location: back.href } });
    }

    if (path === "/sns/oauth2/access_token") {
      if (q.get("grant_type") !== "authorization_code") return err(40002, "invalid grant_type");
      if (!app) return err(40013, "invalid appid");
      if (app.permissions === "unverified") return err(48001, "api unauthorized");
      if (q.get("secret") !== app.secret) return err(40125, "invalid appsecret");
      const code = this.codes.get(q.get("code") ?? "");
      if (!code || code.appid !== app.appid) return err(40029, "invalid code");
      if (code.used) return err(40163, "code been used");
      code.used = true;
      const token = randomToken("web");
      this.webTokens.set(token, { appid: app.appid, openid: code.openid, scope: code.scope });
      return json({
        access_token: token,
        expires_in: 7200,
        refresh_token: randomToken("refresh"),
        openid: code.openid,
        scope: code.scope,
        is_snapshotuser: 0,
      });
    }

    if (path === "/sns/userinfo") {
      const t = this.webTokens.get(q.get("access_token") ?? "");
      if (!t || t.openid !== q.get("openid"))
        return err(40001, "invalid credential, access_token is invalid or not latest");
      if (t.scope !== "snsapi_userinfo") return err(48001, "api unauthorized");
      return json({
        openid: t.openid,
        nickname: "测试用户<b>",
        sex: 0,
        province: "",
        city: "",
        country: "",
        headimgurl: "https://thirdwx.qlogo.cn/x/132",
        privilege: [],
      });
    }

    if (path === "/cgi-bin/showqrcode") {
      // WeChat serves this at mp.weixin.qq.com: the image of the code, which encodes its url.
      const code = [...this.apps.values()].flatMap((a) => a.qrcodes).find((c) => c.ticket === q.get("ticket"));
      if (!code) return new Response("invalid ticket", { status: 404 });
      return new Response(renderSVG(code.url, { border: 2 }), { headers: { "content-type": "image/svg+xml" } });
    }

    // Everything else needs a valid access_token.
    const access = q.get("access_token");
    if (!access) return err(41001, "access_token missing");
    const token = this.tokens.get(access);
    if (!token) return err(40014, "invalid access_token");
    if (token.revoked || token.poisoned) return err(40001, "invalid credential, access_token is invalid or not latest");
    if (token.expiresAt <= now) return err(42001, "access_token expired");
    const tapp = this.apps.get(token.appid)!;

    switch (path) {
      case "/cgi-bin/ticket/getticket": {
        if (q.get("type") !== "jsapi") return err(40097, "invalid args");
        if (!tapp.ticket || tapp.ticket.expiresAt - now <= 300_000)
          tapp.ticket = { value: randomToken("ticket"), expiresAt: now + 7200_000 };
        return json({ errcode: 0, errmsg: "ok", ticket: tapp.ticket.value, expires_in: 7200 });
      }
      case "/cgi-bin/qrcode/create": {
        if (request.method !== "POST") return err(43002, "require POST method");
        const body = await readJson(request);
        if (!body) return err(47001, "data format error");
        const problem = qrProblem(body);
        if (problem) return err(40097, `invalid args: ${problem}`);
        if (tapp.permissions === "unverified") return err(48001, "api unauthorized");
        tapp.sent.push({ path, body });
        const permanent = String(body.action_name).startsWith("QR_LIMIT");
        const expire = permanent ? undefined : ((body.expire_seconds as number | undefined) ?? 30); // WeChat's default is 30 s
        const code: QrCode = {
          ticket: randomTicket(),
          url: `http://weixin.qq.com/q/${randomToken("q")}`,
          action_name: String(body.action_name),
          scene: String(body.action_info.scene.scene_str ?? body.action_info.scene.scene_id),
          expires_at: expire === undefined ? null : now + expire * 1000,
        };
        tapp.qrcodes.push(code);
        return json({
          ticket: code.ticket,
          ...(expire === undefined ? {} : { expire_seconds: expire }),
          url: code.url,
        });
      }
      case "/cgi-bin/menu/create": {
        if (request.method !== "POST") return err(43002, "require POST method");
        const body = await readJson(request);
        if (!body) return err(47001, "data format error");
        const problem = menuProblem(body);
        if (problem) return err(problem[0], problem[1]);
        tapp.menu = body;
        tapp.sent.push({ path, body });
        return err(0, "ok");
      }
      case "/cgi-bin/menu/get":
        if (request.method !== "GET") return err(43001, "require GET method");
        return tapp.menu ? json({ menu: tapp.menu }) : err(46003, "menu no exist");
      case "/cgi-bin/menu/delete":
        if (request.method !== "GET") return err(43001, "require GET method");
        tapp.menu = undefined;
        return err(0, "ok");
      case "/cgi-bin/get_current_selfmenu_info":
        return json({ is_menu_open: tapp.menu ? 1 : 0, selfmenu_info: tapp.menu ?? { button: [] } });
      case "/cgi-bin/message/custom/send": {
        if (request.method !== "POST") return err(43002, "require POST method");
        const body = await readJson(request);
        if (!body) return err(47001, "data format error");
        if (typeof body.touser !== "string" || !body.touser) return err(40003, "invalid openid");
        if (tapp.permissions === "unverified") return err(48001, "api unauthorized");
        if (tapp.customWindowClosed.has(body.touser))
          return err(45015, "response out of time limit or subscription is canceled");
        const refusal = tapp.behaviour.customRefusal;
        if (refusal) return err(refusal.errcode, refusal.errmsg);
        const allowed = this.takeCustomAllowance(tapp, body.touser, now);
        if (allowed !== true) return allowed;
        const type = body.msgtype as string;
        if (
          ![
            "text",
            "image",
            "voice",
            "video",
            "music",
            "news",
            "mpnews",
            "mpnewsarticle",
            "msgmenu",
            "wxcard",
            "miniprogrampage",
          ].includes(type) ||
          typeof body[type] !== "object"
        ) {
          return err(40008, "invalid message type");
        }
        tapp.sent.push({ path, body });
        this.onAccountMessage?.({ appid: tapp.appid, openid: body.touser, via: "custom", body });
        return err(0, "ok");
      }
      case "/cgi-bin/message/template/send": {
        if (request.method !== "POST") return err(43002, "require POST method");
        const body = await readJson(request);
        if (!body) return err(47001, "data format error");
        if (typeof body.touser !== "string" || !body.touser) return err(40003, "invalid openid");
        if (typeof body.template_id !== "string" || !body.template_id.startsWith("tpl"))
          return err(40037, "invalid template_id");
        if (tapp.permissions === "unverified") return err(48001, "api unauthorized");
        tapp.sent.push({ path, body });
        this.onAccountMessage?.({ appid: tapp.appid, openid: body.touser, via: "template", body });
        // A 64-bit msgid written as a bare number, as WeChat does.
        const msgid = (9_007_199_254_740_993n + BigInt(tapp.sent.length)).toString();
        return json(`{"errcode":0,"errmsg":"ok","msgid":${msgid}}`);
      }
      case "/cgi-bin/user/info": {
        const openid = q.get("openid");
        if (!openid || !/^o[A-Za-z0-9_-]{5,}$/.test(openid)) return err(40003, "invalid openid");
        if (tapp.followers.get(openid)?.subscribed === false) return json({ subscribe: 0, openid });
        return json({
          subscribe: 1,
          openid,
          language: "zh_CN",
          subscribe_time: 1700000000,
          remark: "",
          groupid: 0,
          tagid_list: [],
          subscribe_scene: "ADD_SCENE_QR_CODE",
          qr_scene: 0,
          qr_scene_str: "",
        });
      }
      default:
        return err(40066, "invalid url");
    }
  }

  issue(app: App, kind: Token["kind"], now: number): Token {
    const token: Token = {
      value: randomToken(kind === "classic" ? "ACCESS" : "STABLE"),
      appid: app.appid,
      kind,
      expiresAt: now + app.tokenTtlS * 1000,
      revoked: false,
      poisoned: false,
    };
    this.tokens.set(token.value, token);
    return token;
  }

  /**
   * A follower did something (WeChat's server tells the API so): a message
   * opens 48 hours of 5 customer-service messages; a click, a subscribe or a
   * scan allows 3 within a minute. Subscribing and unsubscribing are kept.
   */
  interaction(appid: string, openid: string, kind: "message" | "event", event?: string): void {
    const app = this.apps.get(appid);
    if (!app) return;
    const follower = this.follower(app, openid);
    const now = Date.now() + app.clockOffsetMs;
    if (event === "subscribe") follower.subscribed = true;
    if (event === "unsubscribe") follower.subscribed = false;
    if (kind === "message") follower.grants.push({ until: now + 48 * HOUR, left: 5 });
    else if (event === "CLICK" || event === "subscribe" || event === "SCAN")
      follower.grants.push({ until: now + 60_000, left: 3 });
  }

  follower(app: App, openid: string): Follower {
    let follower = app.followers.get(openid);
    if (!follower) {
      follower = { openid, subscribed: true, grants: [] };
      app.followers.set(openid, follower);
    }
    return follower;
  }

  /** One customer-service message's allowance, or WeChat's refusal (45015 outside the window, 45047 past the quota). */
  takeCustomAllowance(app: App, openid: string, realNow: number): true | Response {
    if (!app.windowRules) return true;
    const follower = app.followers.get(openid);
    if (!follower || !follower.subscribed) return err(43004, "require subscribe");
    const now = realNow + app.clockOffsetMs;
    const open = follower.grants.filter((g) => g.until > now);
    if (open.length === 0) return err(45015, "response out of time limit or subscription is canceled");
    const grant = open.filter((g) => g.left > 0).sort((a, b) => a.until - b.until)[0];
    if (!grant) return err(45047, "out of response count limit");
    grant.left--;
    return true;
  }

  /** Another server fetched the token: the current ones stop working, and new ones are issued. */
  revokeTokens(app: App): void {
    const now = Date.now();
    for (const kind of ["classic", "stable"] as const) {
      const current = app[kind];
      if (current) {
        current.revoked = true;
        app[kind] = this.issue(app, kind, now);
      }
    }
  }

  /** Test control: POST http://fake.control/<verb> with a JSON body. */
  async control(url: URL, request: Request): Promise<Response> {
    const body = (await readJson(request)) ?? {};
    const app = this.apps.get(String(body.appid));
    switch (url.pathname) {
      case "/register":
        this.register(String(body.appid), String(body.secret), (body.tokenTtlS as number | undefined) ?? 7200);
        return json({ ok: true });
      case "/state":
        if (!app) return json({ error: "no such app" }, 404);
        return json({
          counts: app.counts,
          sent: app.sent,
          menu: app.menu ?? null,
          classic: app.classic?.value ?? null,
          stable: app.stable?.value ?? null,
          ticket: app.ticket?.value ?? null,
        });
      case "/revoke": {
        // Another server fetched a token: the current one stops working.
        if (!app) return json({ error: "no such app" }, 404);
        const kind = body.kind === "classic" ? "classic" : "stable";
        const current = app[kind];
        if (current) current.revoked = true;
        app[kind] = this.issue(app, kind, Date.now());
        return json({ ok: true, revoked: current?.value ?? null });
      }
      case "/poison": {
        // WeChat rejects this token (40001) yet stable_token's normal mode keeps returning it.
        const t = this.tokens.get(String(body.token));
        if (t) t.poisoned = true;
        return json({ ok: !!t });
      }
      case "/expire": {
        const t = this.tokens.get(String(body.token));
        if (t) t.expiresAt = Date.now() - 1;
        return json({ ok: !!t });
      }
      case "/behaviour":
        if (!app) return json({ error: "no such app" }, 404);
        if (body.delayMs) app.behaviour.delayMs = body.delayMs as Record<string, number>;
        if (body.fail) app.behaviour.fail.push(body.fail as Behaviour["fail"][number]);
        if (body.customWindowClosed) app.customWindowClosed.add(String(body.customWindowClosed));
        if (body.customWindowOpen) app.customWindowClosed.delete(String(body.customWindowOpen));
        if (body.customRefusal !== undefined) {
          app.behaviour.customRefusal = (body.customRefusal as Behaviour["customRefusal"] | null) ?? undefined;
        }
        if (body.clearFailures) app.behaviour.fail = [];
        return json({ ok: true });
      default:
        return json({ error: "unknown control" }, 404);
    }
  }
}

async function readJson(request: Request): Promise<Record<string, any> | undefined> {
  try {
    const v = JSON.parse(await request.text());
    return typeof v === "object" && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The appid of a token request whose appid is in the JSON body (stable_token). */
async function peekAppid(request: Request): Promise<string | undefined> {
  if (request.method !== "POST") return undefined;
  try {
    const body = JSON.parse(await request.clone().text());
    return typeof body?.appid === "string" ? body.appid : undefined;
  } catch {
    return undefined;
  }
}

function qrProblem(body: Record<string, any>): string | undefined {
  const name = body.action_name;
  const scene = body.action_info?.scene;
  if (!["QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"].includes(name)) return "action_name";
  if (!scene || typeof scene !== "object") return "action_info.scene";
  if (name === "QR_SCENE" && !(Number.isInteger(scene.scene_id) && scene.scene_id >= 1 && scene.scene_id <= 4294967295))
    return "scene_id";
  if (
    name === "QR_LIMIT_SCENE" &&
    !(Number.isInteger(scene.scene_id) && scene.scene_id >= 1 && scene.scene_id <= 100000)
  )
    return "scene_id";
  if (
    name.endsWith("STR_SCENE") &&
    !(typeof scene.scene_str === "string" && scene.scene_str.length >= 1 && scene.scene_str.length <= 64)
  )
    return "scene_str";
  if (
    !name.startsWith("QR_LIMIT") &&
    body.expire_seconds !== undefined &&
    !(body.expire_seconds >= 1 && body.expire_seconds <= 2592000)
  )
    return "expire_seconds";
  return undefined;
}

const enc = new TextEncoder();
function menuProblem(body: Record<string, any>): [number, string] | undefined {
  const buttons = body.button;
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return [40016, "invalid button size"];
  for (const b of buttons) {
    if (typeof b.name !== "string" || !b.name || enc.encode(b.name).length > 16)
      return [40018, "invalid button name size"];
    const subs = b.sub_button;
    if (Array.isArray(subs) && subs.length) {
      if (subs.length > 5) return [40023, "invalid sub button size"];
      for (const s of subs) {
        if (typeof s.name !== "string" || !s.name || enc.encode(s.name).length > 60)
          return [40025, "invalid sub button name size"];
        const p = actionProblem(s, true);
        if (p) return p;
      }
    } else {
      const p = actionProblem(b, false);
      if (p) return p;
    }
  }
  return undefined;
}

function actionProblem(b: Record<string, any>, sub: boolean): [number, string] | undefined {
  const keyed = [
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
  ];
  if (keyed.includes(b.type))
    return typeof b.key === "string" && b.key ? undefined : [sub ? 40026 : 40019, "invalid button key size"];
  if (b.type === "view")
    return typeof b.url === "string" && /^https?:\/\//.test(b.url)
      ? undefined
      : [sub ? 40027 : 40020, "invalid button url size"];
  if (["media_id", "view_limited"].includes(b.type)) return b.media_id ? undefined : [40007, "invalid media_id"];
  if (["article_id", "article_view_limited"].includes(b.type))
    return b.article_id ? undefined : [40007, "invalid article_id"];
  if (b.type === "miniprogram") return b.appid && b.pagepath && b.url ? undefined : [40097, "invalid args"];
  return [40017, "invalid button type"];
}
