/**
 * Follower information (获取用户基本信息).
 */
import type { WeChatApi } from "./client";
import { InvalidInputError } from "./errors";

export interface UserInfo {
  /** 0: not following (only openid is then returned). */
  subscribe: number;
  openid: string;
  language?: string;
  subscribe_time?: number;
  unionid?: string;
  remark?: string;
  groupid?: number;
  tagid_list?: number[];
  subscribe_scene?: string;
  qr_scene?: number;
  qr_scene_str?: string;
}

export function userApi(api: WeChatApi) {
  return {
    async info(openid: string, lang: "zh_CN" | "zh_TW" | "en" = "zh_CN"): Promise<UserInfo> {
      if (!/^[A-Za-z0-9_-]{6,64}$/.test(openid)) throw new InvalidInputError("openid must be a follower's OpenID");
      return (await api.call({
        method: "GET",
        path: "/cgi-bin/user/info",
        query: { openid, lang },
      })) as unknown as UserInfo;
    },
  };
}
