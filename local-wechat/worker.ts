/**
 * The local WeChat as a Worker, for `npm run dev` (local-wechat/wrangler.toml):
 * the account it plays WeChat for comes from its vars, which scripts/dev.mjs
 * sets from the account's own development values.
 */
import { createLocalWeChat } from "./app";

interface LocalWeChatEnv {
  ACCOUNT_URL: string;
  WECHAT_TOKEN: string;
  WECHAT_ENCODING_AES_KEY?: string;
  WECHAT_APPID: string;
  WECHAT_APPSECRET: string;
  ACCOUNT_ORIGINAL_ID?: string;
  WECHAT_TRY_MS?: string;
}

let local: ReturnType<typeof createLocalWeChat> | undefined;

export default {
  fetch(request: Request, env: LocalWeChatEnv): Response | Promise<Response> {
    local ??= createLocalWeChat({
      account: {
        url: env.ACCOUNT_URL,
        token: env.WECHAT_TOKEN,
        encodingAESKey: env.WECHAT_ENCODING_AES_KEY || undefined,
        appId: env.WECHAT_APPID,
        originalId: env.ACCOUNT_ORIGINAL_ID || "gh_local0wechat",
      },
      appSecret: env.WECHAT_APPSECRET,
      tryMs: env.WECHAT_TRY_MS ? Number(env.WECHAT_TRY_MS) : undefined,
    });
    return local.fetch(request);
  },
};
