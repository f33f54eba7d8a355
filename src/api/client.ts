/**
 * The typed WeChat API client. Every call takes the shared access_token and,
 * when WeChat says it is invalid or expired (40001, 40014, 42001), renews it
 * through the broker (compare-and-expire) and retries exactly once.
 */
import { apiConfig, type ApiConfig } from "../config";
import type { Env } from "../env";
import { TOKEN_INVALID_ERRCODES, WeChatApiError } from "./errors";
import { menuApi } from "./menu";
import { messageApi } from "./messages";
import { qrcodeApi } from "./qrcode";
import { credential, renewCredential } from "./tokens";
import { callUpstream, type UpstreamRequest, type WeChatJson } from "./upstream";
import { userApi } from "./users";

export type ApiRequest = Omit<UpstreamRequest, "query"> & { query?: Record<string, string> };

export class WeChatApi {
  readonly #env: Env;
  readonly config: ApiConfig;
  readonly qrcode = qrcodeApi(this);
  readonly menu = menuApi(this);
  readonly message = messageApi(this);
  readonly user = userApi(this);

  constructor(env: Env) {
    this.#env = env;
    this.config = apiConfig(env);
  }

  /** An authenticated call: access_token added, renewed and retried once if WeChat rejects it. */
  async call(req: ApiRequest): Promise<WeChatJson> {
    const token = await this.accessToken();
    try {
      return await this.#send(req, token);
    } catch (e) {
      if (!(e instanceof WeChatApiError && TOKEN_INVALID_ERRCODES.has(e.errcode))) throw e;
      const renewed = await renewCredential(this.#env, "access_token", token);
      return this.#send(req, renewed);
    }
  }

  /** The shared access_token (for calls this client does not wrap). */
  accessToken(): Promise<string> {
    return credential(this.#env, "access_token");
  }

  /** The shared jsapi_ticket, for JS-SDK signatures. */
  jsapiTicket(): Promise<string> {
    return credential(this.#env, "jsapi_ticket");
  }

  #send(req: ApiRequest, token: string): Promise<WeChatJson> {
    return callUpstream(this.config, { ...req, query: { ...req.query, access_token: token } });
  }
}

const clients = new WeakMap<Env, WeChatApi>();

/** The client for this env, created once per isolate (throws ConfigError if it cannot be). */
export function apiFor(env: Env): WeChatApi {
  let api = clients.get(env);
  if (!api) {
    api = new WeChatApi(env);
    clients.set(env, api);
  }
  return api;
}
