/**
 * The local WeChat: WeChat as an account's server meets it, on a developer's
 * machine. One Hono app serves
 * - the chat page (GET /, page.ts): a follower's conversation with the account;
 * - its JSON API (/api/*), for the page, scripts and tests: a follower's
 *   message or event pushed to the account as WeChat pushes it (push.ts), the
 *   conversation, the account's state, settings and faults; and a stream of
 *   what happens (GET /api/stream, server-sent events);
 * - WeChat's own API paths (/cgi-bin/…, /sns/…, /connect/oauth2/authorize),
 *   strictly (api.ts), which the Worker calls through WECHAT_API_BASE.
 * Runtime-agnostic (a fetch handler): `npm run dev` runs it as a second Worker
 * (worker.ts), the black boxes in Node. Development tooling: nothing here is in
 * the Worker's bundle.
 */
import { Hono } from "hono";
import { FakeWeChatApi, type AccountMessage, type App, type Fault, type Permissions } from "./api";
import { renderPage } from "./page";
import { push, SYSTEM_LINE, type Account, type Exchange, type Fields, type Mode, type Shown } from "./push";

export interface LocalWeChatOptions {
  account: Account;
  appSecret: string;
  /** How long WeChat waits for one try (5000; shorter in tests). */
  tryMs?: number;
  /** The API fake to share (tests); else one of its own. */
  api?: FakeWeChatApi;
  /** How WeChat reaches the account's server (tests); else fetch. */
  fetch?: typeof fetch;
}

/** A line of a follower's conversation, in order. */
export interface ConversationEntry {
  from: "follower" | "account" | "system";
  via: "passive" | "custom" | "template" | null;
  MsgType: string;
  Content?: string;
  at: number;
  [field: string]: unknown;
}

/** What the stream tells the page. */
type StreamEvent =
  | { type: "conversation"; openid: string; entry: ConversationEntry }
  | { type: "exchange"; exchange: ExchangeView }
  | { type: "state" };

/** An exchange as the inspector shows it. */
export interface ExchangeView extends Exchange {
  id: number;
}

const STATE_PATHS = new Set(["/cgi-bin/menu/create", "/cgi-bin/menu/delete", "/cgi-bin/qrcode/create"]);
const MESSAGE_TYPES = new Set(["text", "image", "voice", "video", "shortvideo", "location", "link"]);

export function createLocalWeChat(options: LocalWeChatOptions) {
  const account = options.account;
  const api = options.api ?? new FakeWeChatApi({ anyHost: true });
  const wechatApp: App =
    api.app(account.appId) ?? api.register(account.appId, options.appSecret, 7200, { windowRules: true });
  let mode: Mode = "plaintext";
  const conversations = new Map<string, ConversationEntry[]>();
  const exchanges: ExchangeView[] = [];
  const listeners = new Set<(event: StreamEvent) => void>();
  let nextMsgId = BigInt(Date.now()) * 1000n;
  let nextExchange = 0;

  const emit = (event: StreamEvent) => listeners.forEach((listen) => listen(event));
  const say = (openid: string, entry: ConversationEntry) => {
    const list = conversations.get(openid) ?? [];
    conversations.set(openid, list);
    list.push(entry);
    emit({ type: "conversation", openid, entry });
  };

  // What the account sends on its own reaches the follower later, as WeChat shows it.
  const previous = api.onAccountMessage;
  api.onAccountMessage = (m: AccountMessage) => {
    previous?.(m);
    if (m.appid === account.appId) say(m.openid, { ...accountMessageShown(m), at: Date.now() } as ConversationEntry);
  };

  /** A follower's message or event, pushed to the account; the exchange, and what the follower saw. */
  async function deliver(openid: string, fields: Fields): Promise<ExchangeView> {
    const isEvent = fields["MsgType"] === "event";
    const message: Fields = {
      ToUserName: account.originalId,
      FromUserName: openid,
      CreateTime: Math.floor(Date.now() / 1000),
      ...fields,
      ...(isEvent ? {} : { MsgId: String(nextMsgId++) }),
    };
    api.interaction(
      account.appId,
      openid,
      isEvent ? "event" : "message",
      isEvent ? String(fields["Event"]) : undefined,
    );
    say(openid, { from: "follower", via: null, ...(message as { MsgType: string }), at: Date.now() });
    const exchange = await push(account, mode, message, { tryMs: options.tryMs, fetch: options.fetch });
    for (const shown of exchange.shown) say(openid, { ...shown, at: Date.now() });
    if (exchange.error)
      say(openid, { from: "system", via: null, MsgType: "text", Content: exchange.error, at: Date.now() });
    const view = { id: ++nextExchange, ...exchange };
    exchanges.push(view);
    if (exchanges.length > 200) exchanges.shift();
    emit({ type: "exchange", exchange: view });
    return view;
  }

  const answer = (exchange: Exchange) => ({
    tries: exchange.tries.map((t) => ({
      status: t.status,
      ms: t.ms,
      body: t.answer,
      reply: t.reply,
      verdict: t.verdict,
    })),
    shown: exchange.shown,
    error: exchange.error,
  });

  const app = new Hono();

  app.get("/", (c) => c.html(renderPage({ appId: account.appId, account: account.originalId })));

  app.post("/api/messages", async (c) => {
    const body = await jsonBody(c.req.raw);
    const openid = followerOf(body);
    if (typeof body["MsgType"] !== "string" || !MESSAGE_TYPES.has(body["MsgType"])) {
      return c.json({ error: `MsgType must be one of ${[...MESSAGE_TYPES].join(", ")}` }, 400);
    }
    const { openid: _, ...fields } = body;
    return c.json(answer(await deliver(openid, fields)));
  });

  app.post("/api/events", async (c) => {
    const body = await jsonBody(c.req.raw);
    const openid = followerOf(body);
    if (typeof body["Event"] !== "string" || body["Event"] === "") return c.json({ error: "Event is required" }, 400);
    const { openid: _, ...fields } = body;
    return c.json(answer(await deliver(openid, { MsgType: "event", ...fields })));
  });

  app.post("/api/scan", async (c) => {
    const body = await jsonBody(c.req.raw);
    const openid = followerOf(body);
    const code = wechatApp.qrcodes.find((q) => q.ticket === body["ticket"]);
    if (!code) return c.json({ error: "no QR code of the account has this ticket" }, 404);
    const known = wechatApp.followers.get(openid);
    // Scanning: a follower who does not follow yet subscribes through it; one who does gets SCAN.
    const fields =
      known?.subscribed === true
        ? { Event: "SCAN", EventKey: code.scene, Ticket: code.ticket }
        : { Event: "subscribe", EventKey: `qrscene_${code.scene}`, Ticket: code.ticket };
    return c.json(answer(await deliver(openid, { MsgType: "event", ...fields })));
  });

  app.get("/api/conversation", (c) => {
    const openid = c.req.query("openid") ?? "";
    return c.json({ messages: conversations.get(openid) ?? [] });
  });

  app.get("/api/exchanges", (c) => c.json({ exchanges }));

  app.get("/api/state", (c) =>
    c.json({
      menu: (wechatApp.menu as Record<string, unknown> | undefined) ?? null,
      qrcodes: wechatApp.qrcodes.map(({ ticket, url, action_name, scene }) => ({ ticket, url, action_name, scene })),
      calls: wechatApp.counts,
      mode,
      permissions: wechatApp.permissions,
      clockOffsetS: wechatApp.clockOffsetMs / 1000,
      faults: wechatApp.faults,
      followers: [...wechatApp.followers.values()].map(({ openid, subscribed }) => ({ openid, subscribed })),
    }),
  );

  app.put("/api/settings", async (c) => {
    const body = await jsonBody(c.req.raw);
    if (body["mode"] !== undefined) {
      if (!["plaintext", "compatible", "safe"].includes(String(body["mode"]))) {
        return c.json({ error: "mode is plaintext, compatible or safe" }, 400);
      }
      if (body["mode"] !== "plaintext" && !account.encodingAESKey) {
        return c.json({ error: "兼容/安全 mode needs the account's EncodingAESKey" }, 400);
      }
      mode = body["mode"] as Mode;
    }
    if (body["clockOffsetS"] !== undefined) {
      if (typeof body["clockOffsetS"] !== "number")
        return c.json({ error: "clockOffsetS is a number of seconds" }, 400);
      wechatApp.clockOffsetMs = body["clockOffsetS"] * 1000;
    }
    if (body["permissions"] !== undefined) {
      if (!["verified", "unverified"].includes(String(body["permissions"]))) {
        return c.json({ error: "permissions is verified or unverified" }, 400);
      }
      wechatApp.permissions = body["permissions"] as Permissions;
    }
    emit({ type: "state" });
    return c.json({ ok: true });
  });

  app.post("/api/faults", async (c) => {
    const body = await jsonBody(c.req.raw);
    if (body["reset"] === true) wechatApp.faults = [];
    else if (body["revokeToken"] === true) api.revokeTokens(wechatApp);
    else {
      const fault = faultOf(body);
      if (typeof fault === "string") return c.json({ error: fault }, 400);
      wechatApp.faults.push(fault);
    }
    emit({ type: "state" });
    return c.json({ ok: true });
  });

  app.get("/api/stream", (c) => {
    let listener: ((event: StreamEvent) => void) | undefined;
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        listener = (event) => controller.enqueue(encoder.encode(`data: ${JSON.stringify(event)}\n\n`));
        listeners.add(listener);
        controller.enqueue(encoder.encode(": connected\n\n"));
        keepAlive = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), 15_000);
      },
      cancel() {
        if (listener) listeners.delete(listener);
        clearInterval(keepAlive);
      },
    });
    return c.body(stream, 200, { "content-type": "text/event-stream", "cache-control": "no-store" });
  });

  app.onError((e, c) => {
    if (e instanceof BadRequest) return c.json({ error: e.message }, 400);
    throw e;
  });

  // Everything else is WeChat's API (and its showqrcode and authorize pages).
  app.all("*", async (c) => {
    const res = await api.fetch(c.req.raw);
    // A change the page shows: a menu published or deleted, a QR code created.
    if (STATE_PATHS.has(c.req.path)) emit({ type: "state" });
    return res;
  });

  return {
    app,
    api,
    fetch: (request: Request) => app.fetch(request),
    conversationOf: (openid: string) => conversations.get(openid) ?? [],
  };
}

class BadRequest extends Error {}

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  try {
    const body = await request.json();
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // below
  }
  throw new BadRequest("the body must be a JSON object");
}

function followerOf(body: Record<string, unknown>): string {
  const openid = body["openid"];
  if (typeof openid !== "string" || !/^[A-Za-z0-9_-]{6,64}$/.test(openid)) {
    throw new BadRequest("openid names the follower: 6 to 64 letters, digits, _ or -");
  }
  return openid;
}

function faultOf(body: Record<string, unknown>): Fault | string {
  const { path, delayMs, errcode, errmsg, times } = body;
  if (typeof path !== "string" || !(path === "*" || path.startsWith("/"))) return 'path is "*" or an API path';
  if (delayMs !== undefined && (typeof delayMs !== "number" || delayMs < 0)) return "delayMs is a number of ms";
  if (errcode !== undefined && typeof errcode !== "number") return "errcode is a number";
  if (errmsg !== undefined && typeof errmsg !== "string") return "errmsg is text";
  if (times !== undefined && (typeof times !== "number" || times < 1)) return "times is a count";
  if (delayMs === undefined && errcode === undefined) return "a fault has a delayMs, an errcode, or both";
  return { path, delayMs, errcode, errmsg, times } as Fault;
}

/** A customer-service or template message as the follower sees it. */
function accountMessageShown(m: AccountMessage): Omit<ConversationEntry, "at"> {
  const body = m.body as Record<string, any>;
  if (m.via === "template") {
    const data = (body["data"] ?? {}) as Record<string, { value?: string }>;
    const lines = Object.entries(data).map(([name, v]) => `${name}: ${v?.value ?? ""}`);
    return { from: "account", via: "template", MsgType: "template", Content: lines.join("\n"), url: body["url"] };
  }
  const type = String(body["msgtype"]);
  if (type === "text")
    return { from: "account", via: "custom", MsgType: "text", Content: String(body["text"]?.content ?? "") };
  if (type === "news") {
    const articles = (body["news"]?.articles ?? []) as Record<string, string>[];
    return {
      from: "account",
      via: "custom",
      MsgType: "news",
      Articles: {
        item: articles.map((a) => ({ Title: a.title, Description: a.description, PicUrl: a.picurl, Url: a.url })),
      },
    };
  }
  return { from: "account", via: "custom", MsgType: type, ...(body[type] as object) };
}

export { SYSTEM_LINE, type Shown };
