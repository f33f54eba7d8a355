/**
 * What can go wrong calling WeChat, as types: WeChat said no (an errcode), or
 * WeChat could not be reached properly (timeout, HTTP error, not JSON).
 * Messages name the API path and WeChat's words, never a token or secret.
 */

/** WeChat answered with a non-zero errcode. */
export class WeChatApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly path: string,
  ) {
    super(`WeChat ${path}: errcode ${errcode} (${errmsg})`);
    this.name = "WeChatApiError";
  }
}

/** WeChat could not be reached, timed out, or answered something that is not its JSON. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: "timeout" | "http" | "network" | "bad_response",
    readonly path: string,
    detail: string,
    readonly status?: number,
  ) {
    super(`WeChat ${path}: ${detail}`);
    this.name = "UpstreamError";
  }
}

/** Refused before any upstream call: the input breaks one of WeChat's rules. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** Errcodes meaning "this access_token is no good": invalid/not latest, malformed, expired. */
export const TOKEN_INVALID_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** A failure in a form that crosses Durable Object RPC intact (class instances do not). */
export type SerializedError =
  | { type: "wechat"; errcode: number; errmsg: string; path: string }
  | { type: "upstream"; kind: UpstreamError["kind"]; path: string; message: string; status?: number };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof WeChatApiError) return { type: "wechat", errcode: e.errcode, errmsg: e.errmsg, path: e.path };
  if (e instanceof UpstreamError)
    return { type: "upstream", kind: e.kind, path: e.path, message: e.message, status: e.status };
  return { type: "upstream", kind: "network", path: "?", message: e instanceof Error ? e.name : "unknown error" };
}

export function deserializeError(e: SerializedError): WeChatApiError | UpstreamError {
  if (e.type === "wechat") return new WeChatApiError(e.errcode, e.errmsg, e.path);
  const err = new UpstreamError(e.kind, e.path, "", e.status);
  err.message = e.message;
  return err;
}
