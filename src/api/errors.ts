/**
 * What can go wrong calling WeChat, as types: WeChat said no (an errcode), or
 * WeChat could not be reached properly (timeout, HTTP error, not its JSON).
 * Messages name the API path and WeChat's words, never a token or secret.
 * (全局返回码说明)
 */
import { ConfigError } from "../config";
import type { Env } from "../env";

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

/**
 * WeChat could not be reached, timed out, or answered something that is not
 * what the API documents (not JSON, or without the field a success carries).
 */
export class UpstreamError extends Error {
  constructor(
    readonly kind: "timeout" | "http" | "network" | "bad_response",
    readonly path: string,
    detail: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`WeChat ${path}: ${detail}`, options);
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

/** A fault of our own code on the far side of a Durable Object call: its type, never its message. */
export class InternalError extends Error {
  constructor(readonly type: string) {
    super(`internal error (${type})`);
    this.name = "InternalError";
  }
}

/** A failure in a form that crosses Durable Object RPC intact (class instances do not). */
export type SerializedError =
  | { type: "wechat"; errcode: number; errmsg: string; path: string }
  | { type: "upstream"; kind: UpstreamError["kind"]; path: string; message: string; status?: number }
  | { type: "config"; variable: keyof Env; problem: string }
  | { type: "internal"; name: string };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof WeChatApiError) return { type: "wechat", errcode: e.errcode, errmsg: e.errmsg, path: e.path };
  if (e instanceof UpstreamError) {
    return { type: "upstream", kind: e.kind, path: e.path, message: e.message, status: e.status };
  }
  if (e instanceof ConfigError) return { type: "config", variable: e.variable, problem: e.problem };
  return { type: "internal", name: e instanceof Error ? e.name : typeof e };
}

export function deserializeError(e: SerializedError): Error {
  switch (e.type) {
    case "wechat":
      return new WeChatApiError(e.errcode, e.errmsg, e.path);
    case "upstream": {
      const error = new UpstreamError(e.kind, e.path, "", e.status);
      error.message = e.message;
      return error;
    }
    case "config":
      return new ConfigError(e.variable, e.problem);
    case "internal":
      return new InternalError(e.name);
  }
}

/**
 * What an operator can do about WeChat's errcode, for the answers of the
 * admin routes (and the deployment check): the errcodes a new deployment
 * meets first. (全局返回码说明)
 */
export function errcodeHint(errcode: number, errmsg: string): string | undefined {
  switch (errcode) {
    case 40164: {
      const ip = /invalid ip ([0-9a-fA-F.:]+)/.exec(errmsg)?.[1];
      return (
        `WeChat refused the call from this server's IP address${ip ? ` (it saw ${ip})` : ""}: add it to the ` +
        "IP whitelist (IP白名单: 微信开发者平台 → 我的业务 → 公众号 → 基本信息 → 开发信息). Workers have no fixed " +
        "outgoing address: set WECHAT_API_BASE to a relay with a fixed IP, and whitelist that."
      );
    }
    case 48001:
      return "The account lacks the permission for this API: customer-service and template messages, parametric QR codes and web authorization need a verified account.";
    case 40125:
    case 40001:
      return "WeChat refused the AppSecret or the token made with it: check WECHAT_APPSECRET (开发信息 → AppSecret).";
    case 40013:
      return "WeChat does not know this AppID: check WECHAT_APPID.";
    default:
      return undefined;
  }
}
