/**
 * Web authorization (网页授权): exchanging a code for the follower's OpenID
 * and, for snsapi_userinfo, their profile. These use the per-user web
 * access_token WeChat returns with the code, not the shared one.
 */
import type { ApiConfig } from "../config";
import { callUpstream } from "./upstream";

export type OAuthScope = "snsapi_base" | "snsapi_userinfo";

export interface CodeExchange {
  openid: string;
  scope: string;
  accessToken: string;
  unionid?: string;
}

export interface WebUserInfo {
  openid: string;
  nickname?: string;
  headimgurl?: string;
  unionid?: string;
}

export async function exchangeCode(config: ApiConfig, code: string): Promise<CodeExchange> {
  const json = await callUpstream(config, {
    method: "GET",
    path: "/sns/oauth2/access_token",
    query: { appid: config.appId, secret: config.appSecret, code, grant_type: "authorization_code" },
  });
  return {
    openid: String(json["openid"] ?? ""),
    scope: String(json["scope"] ?? ""),
    accessToken: String(json["access_token"] ?? ""),
    ...(typeof json["unionid"] === "string" ? { unionid: json["unionid"] } : {}),
  };
}

export async function webUserInfo(config: ApiConfig, accessToken: string, openid: string): Promise<WebUserInfo> {
  const json = await callUpstream(config, {
    method: "GET",
    path: "/sns/userinfo",
    query: { access_token: accessToken, openid, lang: "zh_CN" },
  });
  const str = (k: string) => (typeof json[k] === "string" ? (json[k] as string) : undefined);
  return { openid, nickname: str("nickname"), headimgurl: str("headimgurl"), unionid: str("unionid") };
}
