/**
 * TokenBroker — one Durable Object per AppID, the only party that fetches
 * WeChat's access_token and jsapi_ticket and the only writer of their KV
 * copies. Everyone else reads KV (src/api/tokens.ts) and comes here only on
 * a miss, near expiry, or when WeChat rejected a token.
 *
 * A Durable Object does not serialise an outbound fetch (input gates cover
 * storage only), so concurrent callers share one in-flight refresh per kind
 * explicitly. Renewal after a rejection is compare-and-expire: only if the
 * rejected value is still the one held. An alarm refreshes ahead of expiry.
 * Records (storage and KV) are described in docs/storage.md.
 */
import { DurableObject } from "cloudflare:workers";
import { apiConfig, type ApiConfig } from "../config";
import type { Env } from "../env";
import { log, type LogFields } from "../log";
import { TOKEN_INVALID_ERRCODES, WeChatApiError, serializeError, type SerializedError } from "./errors";
import {
  RETRY_REFRESH_MS,
  dueForRefresh,
  forceRefreshAllowed,
  kvKey,
  recordFrom,
  refreshTime,
  usableByReader,
  type CredentialKind,
  type CredentialRecord,
} from "./token-policy";
import { callUpstream } from "./upstream";

export type BrokerResult = { ok: true; record: CredentialRecord } | { ok: false; error: SerializedError };

/**
 * What a caller tells the broker about the upstream (never the AppSecret,
 * which the broker takes from its own env). Persisted for the alarm.
 */
export type BrokerOptions = Pick<ApiConfig, "appId" | "apiBase" | "tokenMode" | "timeoutMs">;

const FORCE_LOG = "force_refresh_log";
const OPTIONS = "options";

export class TokenBroker extends DurableObject<Env> {
  readonly #inflight = new Map<CredentialKind, Promise<CredentialRecord>>();
  readonly #records = new Map<CredentialKind, CredentialRecord | null>();
  #options: BrokerOptions | undefined;

  /** The current credential, fetched first if there is none usable. */
  async get(kind: CredentialKind, options: BrokerOptions): Promise<BrokerResult> {
    return this.#settle(options, async () => {
      const record = await this.#load(kind);
      return usableByReader(record, Date.now()) ? record : this.#refresh(kind, null);
    });
  }

  /**
   * WeChat rejected `failed`. If it is still the value held, refresh once
   * (concurrent callers share that refresh); if it was already replaced,
   * return the replacement without calling WeChat.
   */
  async renew(kind: CredentialKind, failed: string, options: BrokerOptions): Promise<BrokerResult> {
    return this.#settle(options, async () => {
      const record = await this.#load(kind);
      if (record && record.value !== failed && usableByReader(record, Date.now())) return record;
      const renewed = await this.#refresh(kind, failed);
      // Joined a refresh that was already in flight for another reason and
      // got the rejected value back: refresh once more, for this rejection.
      return renewed.value === failed ? this.#refresh(kind, failed) : renewed;
    });
  }

  /** Scheduled refresh ahead of expiry; idempotent, reschedules itself on failure. */
  override async alarm(): Promise<void> {
    this.#options ??= await this.ctx.storage.get<BrokerOptions>(OPTIONS);
    if (!this.#options) return; // never used: nothing to refresh
    const now = Date.now();
    let failed = false;
    for (const kind of ["access_token", "jsapi_ticket"] as const) {
      const record = await this.#load(kind);
      if (record && dueForRefresh(record, now)) {
        await this.#refresh(kind, null).catch((e) => {
          failed = true;
          log("token_refresh", { kind, outcome: "failed", ...errorFields(e) });
        });
      }
    }
    if (failed) await this.ctx.storage.setAlarm(Date.now() + RETRY_REFRESH_MS);
    else await this.#schedule();
  }

  async #settle(options: BrokerOptions, work: () => Promise<CredentialRecord>): Promise<BrokerResult> {
    try {
      await this.#remember(options);
      return { ok: true, record: await work() };
    } catch (e) {
      return { ok: false, error: serializeError(e) };
    }
  }

  /** Keeps the caller's options (for the alarm); written only when they change. */
  async #remember(options: BrokerOptions): Promise<void> {
    const o = this.#options;
    if (
      o &&
      o.appId === options.appId &&
      o.apiBase === options.apiBase &&
      o.tokenMode === options.tokenMode &&
      o.timeoutMs === options.timeoutMs
    )
      return;
    const { appId, apiBase, tokenMode, timeoutMs } = options; // nothing else crosses into storage
    this.#options = { appId, apiBase, tokenMode, timeoutMs };
    await this.ctx.storage.put(OPTIONS, this.#options);
  }

  /** The upstream configuration: the caller's options and this deployment's own AppSecret and KV. */
  #config(): ApiConfig {
    const env = this.env;
    const own = apiConfig(env); // throws ConfigError naming a missing secret/binding
    return { ...own, ...this.#options! };
  }

  async #load(kind: CredentialKind): Promise<CredentialRecord | null> {
    if (!this.#records.has(kind)) {
      this.#records.set(kind, (await this.ctx.storage.get<CredentialRecord>(kind)) ?? null);
    }
    return this.#records.get(kind) ?? null;
  }

  /** One refresh per kind at a time: later callers join the one in flight. */
  #refresh(kind: CredentialKind, failed: string | null): Promise<CredentialRecord> {
    let pending = this.#inflight.get(kind);
    if (!pending) {
      pending = this.#fetchAndStore(kind, failed).finally(() => this.#inflight.delete(kind));
      this.#inflight.set(kind, pending);
    }
    return pending;
  }

  async #fetchAndStore(kind: CredentialKind, failed: string | null): Promise<CredentialRecord> {
    const config = this.#config();
    const started = Date.now();
    const record =
      kind === "access_token" ? await this.#fetchAccessToken(config, failed) : await this.#fetchJsapiTicket(config);
    this.#records.set(kind, record);
    await this.ctx.storage.put(kind, record);
    await this.#publish(config, kind, record);
    await this.#schedule();
    log("token_refresh", { kind, outcome: "ok", renew: failed !== null, ms: Date.now() - started });
    return record;
  }

  async #fetchAccessToken(config: ApiConfig, failed: string | null): Promise<CredentialRecord> {
    if (config.tokenMode === "classic") {
      const json = await callUpstream(config, {
        method: "GET",
        path: "/cgi-bin/token",
        query: { grant_type: "client_credential", appid: config.appId, secret: config.appSecret },
      });
      return tokenRecord(json, "/cgi-bin/token");
    }
    const stable = (force: boolean) =>
      callUpstream(config, {
        method: "POST",
        path: "/cgi-bin/stable_token",
        body: { grant_type: "client_credential", appid: config.appId, secret: config.appSecret, force_refresh: force },
      }).then((json) => tokenRecord(json, "/cgi-bin/stable_token"));
    const record = await stable(false);
    // Normal mode hands back the same token until it expires. If that is the
    // very token WeChat just rejected, only a forced refresh helps — and
    // WeChat allows 20 a day, 30 s apart, so they are rationed here.
    if (failed === null || record.value !== failed) return record;
    const history = (await this.ctx.storage.get<number[]>(FORCE_LOG)) ?? [];
    const now = Date.now();
    if (!forceRefreshAllowed(history, now)) {
      throw new WeChatApiError(
        40001,
        "access_token rejected and force_refresh is rate-limited (20/day, 30 s apart)",
        "/cgi-bin/stable_token",
      );
    }
    await this.ctx.storage.put(FORCE_LOG, [...history.filter((t) => now - t < 86_400_000), now]);
    return stable(true);
  }

  async #fetchJsapiTicket(config: ApiConfig): Promise<CredentialRecord> {
    const fetchWith = async (token: string) =>
      callUpstream(config, {
        method: "GET",
        path: "/cgi-bin/ticket/getticket",
        query: { access_token: token, type: "jsapi" },
      });
    let token = (await this.#currentAccessToken()).value;
    let json;
    try {
      json = await fetchWith(token);
    } catch (e) {
      if (!(e instanceof WeChatApiError && TOKEN_INVALID_ERRCODES.has(e.errcode))) throw e;
      token = (await this.#refresh("access_token", token)).value;
      json = await fetchWith(token);
    }
    if (typeof json["ticket"] !== "string" || typeof json["expires_in"] !== "number") {
      throw new WeChatApiError(-1, "getticket answered without ticket/expires_in", "/cgi-bin/ticket/getticket");
    }
    return recordFrom(json["ticket"], json["expires_in"], Date.now());
  }

  async #currentAccessToken(): Promise<CredentialRecord> {
    const record = await this.#load("access_token");
    return usableByReader(record, Date.now()) ? record : this.#refresh("access_token", null);
  }

  /** Writes the KV copy every location reads. A failed write is logged; the broker still serves. */
  async #publish(config: ApiConfig, kind: CredentialKind, record: CredentialRecord): Promise<void> {
    const ttl = Math.max(60, Math.floor((record.expiresAt - Date.now()) / 1000));
    try {
      await config.kv.put(kvKey(config.appId, kind), JSON.stringify(record), { expirationTtl: ttl });
    } catch (e) {
      log("token_publish", { kind, outcome: "failed", ...errorFields(e) });
    }
  }

  async #schedule(): Promise<void> {
    const times: number[] = [];
    for (const kind of ["access_token", "jsapi_ticket"] as const) {
      const record = await this.#load(kind);
      if (record) times.push(refreshTime(record));
    }
    // Never sooner than the retry delay: a credential WeChat issued with a short
    // life must not turn the alarm into a busy loop.
    if (times.length) await this.ctx.storage.setAlarm(Math.max(Math.min(...times), Date.now() + RETRY_REFRESH_MS));
  }
}

function tokenRecord(json: Record<string, unknown>, path: string): CredentialRecord {
  if (typeof json["access_token"] !== "string" || typeof json["expires_in"] !== "number") {
    throw new WeChatApiError(-1, "answered without access_token/expires_in", path);
  }
  return recordFrom(json["access_token"], json["expires_in"], Date.now());
}

function errorFields(e: unknown): LogFields {
  const s = serializeError(e);
  switch (s.type) {
    case "wechat":
      return { errcode: s.errcode, path: s.path };
    case "upstream":
      return { upstream: s.kind, path: s.path, status: s.status };
    case "config":
      return { variable: s.variable };
    case "internal":
      return { error: s.name };
  }
}
