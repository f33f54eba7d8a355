/**
 * One HTTP exchange with WeChat's API: timeout, status and JSON checks, ids
 * kept exact, errcode turned into WeChatApiError. No retries and no token
 * handling here (the client and the broker decide those).
 */
import type { ApiConfig } from "../config";
import { UpstreamError, WeChatApiError } from "./errors";
import { parseJsonExact } from "./json";

export interface UpstreamRequest {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

export type WeChatJson = Record<string, unknown> & { errcode?: number; errmsg?: string };

/**
 * Sends the request and returns WeChat's JSON. Throws UpstreamError when
 * WeChat cannot be reached or answers something else, WeChatApiError when
 * the JSON carries a non-zero errcode.
 */
export async function callUpstream(
  config: Pick<ApiConfig, "apiBase" | "timeoutMs">,
  req: UpstreamRequest,
): Promise<WeChatJson> {
  const text = await exchange(config, req);
  let json: unknown;
  try {
    json = parseJsonExact(text);
  } catch (e) {
    throw new UpstreamError("bad_response", req.path, "answer is not JSON", undefined, { cause: e });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UpstreamError("bad_response", req.path, "answer is not a JSON object");
  }
  const body = json as WeChatJson;
  if (typeof body.errcode === "number" && body.errcode !== 0) {
    throw new WeChatApiError(body.errcode, typeof body.errmsg === "string" ? body.errmsg : "", req.path);
  }
  return body;
}

/** The HTTP exchange: the answer's text, within the timeout, from a 2xx. */
async function exchange(config: Pick<ApiConfig, "apiBase" | "timeoutMs">, req: UpstreamRequest): Promise<string> {
  const url = new URL(config.apiBase + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const timedOut = (e: unknown, what: string) =>
    new UpstreamError("timeout", req.path, `${what} within ${config.timeoutMs} ms`, undefined, { cause: e });
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method,
      // WeChat wants UTF-8 JSON; JSON.stringify keeps Chinese as is (no \u escapes that menus would show).
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      headers: req.body === undefined ? undefined : { "content-type": "application/json; charset=utf-8" },
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (e) {
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) throw timedOut(e, "no answer");
    throw new UpstreamError("network", req.path, "could not reach the API", undefined, { cause: e });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw timedOut(e, "no complete answer");
  }
  if (!res.ok) throw new UpstreamError("http", req.path, `HTTP ${res.status}`, res.status);
  return text;
}
