/**
 * The Worker's bindings and vars (the README's configuration table).
 * Vars arrive as strings (or numbers when written unquoted in wrangler.toml).
 * Every KV key and Durable Object record is described in docs/storage.md.
 */
import type { TokenBroker } from "./api/broker";
import type { DeliveryLedger } from "./delivery/ledger";

export interface Env {
  /** Read cache of the shared access_token / jsapi_ticket (written only by TokenBroker). */
  WECHAT_KV?: KVNamespace;
  /** One TokenBroker per AppID: the only writer of the token. */
  TOKEN_BROKER?: DurableObjectNamespace<TokenBroker>;
  /** Sharded record of every message's delivery, for exactly-once across retries. */
  DELIVERY_LEDGER?: DurableObjectNamespace<DeliveryLedger>;
  /** HMAC key for session cookies and OAuth state (secret, ≥ 32 characters). */
  SESSION_SECRET?: string;
  /** Origins allowed to get a JS-SDK signature, comma-separated (e.g. `https://example.com`). */
  JSSDK_ALLOWED_ORIGINS?: string;
  /** WeChat's web-authorization host; default https://open.weixin.qq.com. */
  WECHAT_OAUTH_BASE?: string;
  /** `on` (default) or `off`: deduplicate WeChat's retries through DELIVERY_LEDGER. */
  EXACTLY_ONCE?: string;
  /** The account's AppID. */
  WECHAT_APPID?: string;
  /** AppSecret, for API calls (secret). */
  WECHAT_APPSECRET?: string;
  /** The Token of 服务器配置 (secret). */
  WECHAT_TOKEN?: string;
  /** 43-character EncodingAESKey (secret); enables compatible and safe modes. */
  WECHAT_ENCODING_AES_KEY?: string;
  /** Bearer token for /admin/* (secret); admin is refused while unset. */
  ADMIN_TOKEN?: string;
  /** Upstream API base; defaults to https://api.weixin.qq.com. */
  WECHAT_API_BASE?: string;
  /** Milliseconds before a slow handler is answered `success`; default 4000. */
  REPLY_DEADLINE_MS?: string | number;
  /** Seconds a callback's timestamp may be from now; 0 disables; default 300. */
  REPLAY_WINDOW_S?: string | number;
  /** `stable` (default: /cgi-bin/stable_token) or `classic` (/cgi-bin/token). */
  WECHAT_TOKEN_MODE?: string;
  /** `custom`, `hold` or `auto` (default): how a reply that missed the deadline reaches the follower. */
  REPLY_STRATEGY?: string;
  /** What `hold` answers on WeChat's last try when the reply is not ready (a Chinese default). */
  HOLD_NOTICE?: string;
  /** How long WeChat waits for one try, ms; default 5000 (shorter only in tests and emulators). */
  WECHAT_TRY_MS?: string | number;
  /** Timeout of one upstream call in ms; default 5000. */
  WECHAT_API_TIMEOUT_MS?: string | number;
}
