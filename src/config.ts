/**
 * Reads and checks configuration once per `env` object (once per isolate in
 * production), so the hot path never re-parses a var or re-imports a key.
 * A missing or malformed value is a ConfigError that names the variable and
 * never its value.
 */
import type { Env } from "./env";
import { decodeEncodingAESKey } from "./wechat/crypto";

export class ConfigError extends Error {
  readonly code = "config";

  constructor(
    readonly variable: keyof Env,
    readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

export interface CallbackConfig {
  token: string;
  /** Retries deduplicated through the ledger (EXACTLY_ONCE, default on). */
  exactlyOnce: boolean;
  ledger: DurableObjectNamespace<import("./delivery/ledger").DeliveryLedger> | null;
  /** 0 = no replay check. */
  replayWindowS: number;
  replyDeadlineMs: number;
  /** How a reply that missed the deadline reaches the follower (README: "Every kind of account"). */
  strategy: ReplyStrategy;
  /** What `hold` answers on WeChat's last try when the reply is still not ready. */
  holdNotice: string;
  /** How long WeChat waits for one try (5 s; shorter only in tests and emulators). */
  tryMs: number;
  /** How long the ledger keeps a message: past the replay window, so that no replay runs a handler again. */
  recordTtlMs: number;
  /** What encrypted modes need, or the reason they cannot work. */
  encryption: Encryption | ConfigError;
}

/**
 * - custom: `success` at the deadline, the reply by customer-service message;
 * - hold: WeChat's own tries as the window, no customer-service API;
 * - auto: custom, and a reply the customer-service API refuses waits for the follower's next message.
 */
export type ReplyStrategy = "custom" | "hold" | "auto";

export const DEFAULT_HOLD_NOTICE = "正在思考，请稍后回复任意文字获取答案";

export interface Encryption {
  encodingAESKey: string;
  appId: string;
}

/**
 * Reads a configuration once per env object and remembers the result — or
 * the ConfigError, so a broken value is reported on every request without
 * being re-read.
 */
function memoized<T>(read: (env: Env) => T): (env: Env) => T {
  const cache = new WeakMap<Env, T | ConfigError>();
  return (env) => {
    let value = cache.get(env);
    if (value === undefined) {
      try {
        value = read(env);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        value = e;
      }
      cache.set(env, value);
    }
    if (value instanceof ConfigError) throw value;
    return value;
  };
}

/** The callback's configuration; throws ConfigError when it cannot serve at all. */
export const callbackConfig = memoized(readCallbackConfig);

function readCallbackConfig(env: Env): CallbackConfig {
  const token = env.WECHAT_TOKEN;
  if (typeof token !== "string" || token.length === 0) {
    throw new ConfigError("WECHAT_TOKEN", "is not set: `wrangler secret put WECHAT_TOKEN` (the Token of 服务器配置)");
  }
  const exactly = env.EXACTLY_ONCE ?? "on";
  if (exactly !== "on" && exactly !== "off") throw new ConfigError("EXACTLY_ONCE", "must be `on` or `off`");
  if (exactly === "on" && !env.DELIVERY_LEDGER) {
    throw new ConfigError(
      "DELIVERY_LEDGER",
      "binding is missing: see wrangler.toml [[durable_objects.bindings]] (or set EXACTLY_ONCE=off)",
    );
  }
  const strategy = env.REPLY_STRATEGY || "auto";
  if (strategy !== "custom" && strategy !== "hold" && strategy !== "auto") {
    throw new ConfigError("REPLY_STRATEGY", "must be `custom`, `hold` or `auto`");
  }
  if (strategy === "hold" && exactly === "off") {
    throw new ConfigError("REPLY_STRATEGY", "`hold` needs the delivery ledger: it cannot work with EXACTLY_ONCE=off");
  }
  const replayWindowS = integerVar(env, "REPLAY_WINDOW_S", 300, 0);
  return {
    token,
    exactlyOnce: exactly === "on",
    ledger: env.DELIVERY_LEDGER ?? null,
    replayWindowS,
    replyDeadlineMs: integerVar(env, "REPLY_DEADLINE_MS", 4000, 1),
    strategy,
    holdNotice: env.HOLD_NOTICE || DEFAULT_HOLD_NOTICE,
    tryMs: integerVar(env, "WECHAT_TRY_MS", 5000, 1),
    recordTtlMs: recordTtlMs(replayWindowS),
    encryption: readEncryption(env),
  };
}

/**
 * The ledger keeps a message a minute past the replay window (and at least
 * two minutes: WeChat's tries span ~15 s), so a replay the window lets in
 * finds the message's record. With the check off, a day.
 */
export function recordTtlMs(replayWindowS: number): number {
  if (replayWindowS === 0) return 86_400_000;
  return Math.max(120_000, (replayWindowS + 60) * 1000);
}

function readEncryption(env: Env): Encryption | ConfigError {
  const key = env.WECHAT_ENCODING_AES_KEY;
  if (key === undefined || key === "") {
    return new ConfigError(
      "WECHAT_ENCODING_AES_KEY",
      "is not set, but WeChat sent an encrypted message (兼容模式/安全模式): `wrangler secret put WECHAT_ENCODING_AES_KEY`",
    );
  }
  // A malformed key is refused for every callback, not only encrypted ones,
  // so that a typo shows up the first time WeChat calls.
  if (decodeEncodingAESKey(key) === null) {
    throw new ConfigError("WECHAT_ENCODING_AES_KEY", "must be the 43 letters and digits shown in 服务器配置");
  }
  const appId = env.WECHAT_APPID;
  if (typeof appId !== "string" || appId.length === 0) {
    return new ConfigError(
      "WECHAT_APPID",
      "is not set, but encrypted messages need it: set it in wrangler.toml [vars]",
    );
  }
  return { encodingAESKey: key, appId };
}

export interface ApiConfig {
  appId: string;
  appSecret: string;
  /** No trailing slash. */
  apiBase: string;
  tokenMode: "stable" | "classic";
  timeoutMs: number;
  kv: KVNamespace;
  broker: DurableObjectNamespace<import("./api/broker").TokenBroker>;
}

/** What calling WeChat's API needs; throws ConfigError naming what is missing. */
export const apiConfig = memoized(readApiConfig);

function readApiConfig(env: Env): ApiConfig {
  const appId = env.WECHAT_APPID;
  if (typeof appId !== "string" || !/^wx[0-9A-Za-z]{6,30}$/.test(appId)) {
    throw new ConfigError(
      "WECHAT_APPID",
      appId ? "is not an AppID (wx…)" : "is not set: set it in wrangler.toml [vars]",
    );
  }
  const appSecret = env.WECHAT_APPSECRET;
  if (typeof appSecret !== "string" || appSecret.length === 0) {
    throw new ConfigError("WECHAT_APPSECRET", "is not set: `wrangler secret put WECHAT_APPSECRET`");
  }
  const base = env.WECHAT_API_BASE || "https://api.weixin.qq.com";
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ConfigError("WECHAT_API_BASE", "is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError("WECHAT_API_BASE", "must be an http(s) URL");
  const mode = env.WECHAT_TOKEN_MODE || "stable";
  if (mode !== "stable" && mode !== "classic")
    throw new ConfigError("WECHAT_TOKEN_MODE", "must be `stable` or `classic`");
  if (!env.WECHAT_KV) throw new ConfigError("WECHAT_KV", "binding is missing: see wrangler.toml [[kv_namespaces]]");
  if (!env.TOKEN_BROKER)
    throw new ConfigError("TOKEN_BROKER", "binding is missing: see wrangler.toml [[durable_objects.bindings]]");
  return {
    appId,
    appSecret,
    apiBase: base.replace(/\/+$/, ""),
    tokenMode: mode,
    timeoutMs: integerVar(env, "WECHAT_API_TIMEOUT_MS", 5000, 1),
    kv: env.WECHAT_KV,
    broker: env.TOKEN_BROKER,
  };
}

function integerVar(
  env: Env,
  name: "REPLAY_WINDOW_S" | "REPLY_DEADLINE_MS" | "WECHAT_API_TIMEOUT_MS" | "WECHAT_TRY_MS",
  fallback: number,
  min: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "number" ? raw : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(name, `must be a whole number ≥ ${min}`);
  }
  return value;
}

export interface WebConfig {
  sessionSecret: string;
  /** Origins (scheme://host[:port]) whose pages may get a JS-SDK signature. */
  jssdkOrigins: Set<string>;
  /** Where WeChat's authorize page lives (https://open.weixin.qq.com, or an emulator). */
  oauthBase: string;
}

/** What the web flows (OAuth, sessions, JS-SDK) need; throws ConfigError naming what is missing. */
export const webConfig = memoized(readWebConfig);

function readWebConfig(env: Env): WebConfig {
  const secret = env.SESSION_SECRET;
  if (typeof secret !== "string" || secret.length < 32) {
    throw new ConfigError(
      "SESSION_SECRET",
      secret
        ? "must be at least 32 characters"
        : "is not set: `wrangler secret put SESSION_SECRET` (a long random string)",
    );
  }
  const origins = new Set<string>();
  for (const item of (env.JSSDK_ALLOWED_ORIGINS ?? "").split(/[\s,]+/).filter(Boolean)) {
    let origin: string;
    try {
      origin = new URL(item).origin;
    } catch {
      throw new ConfigError(
        "JSSDK_ALLOWED_ORIGINS",
        "must list origins such as https://example.com, separated by commas",
      );
    }
    origins.add(origin);
  }
  const base = env.WECHAT_OAUTH_BASE || "https://open.weixin.qq.com";
  try {
    new URL(base);
  } catch {
    throw new ConfigError("WECHAT_OAUTH_BASE", "is not a URL");
  }
  return { sessionSecret: secret, jssdkOrigins: origins, oauthBase: base.replace(/\/+$/, "") };
}
