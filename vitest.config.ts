/**
 * Two test projects:
 * - workerd: inside the Workers runtime (@cloudflare/vitest-pool-workers) —
 *   real Web Crypto, real bindings. test/fixtures/wechat.ts plays WeChat with
 *   the fixed, public test values below.
 * - blackbox: in Node, starting the Worker as the README does and talking to
 *   it over HTTP.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
// Nothing here may reach the network: keep Miniflare from fetching Request.cf data.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
import { defineConfig } from "vitest/config";
import { FakeWeChatApi } from "./test/fakes/wechat-api.ts";

/** WeChat's API as the Worker sees it in tests: every outbound fetch lands here (in Node). */
const fakeWeChat = new FakeWeChatApi();

export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // nodejs_compat only for the tests: the independent implementation
              // (@wecom/crypto) uses node:crypto. The Worker itself needs none.
              compatibilityFlags: ["nodejs_compat"],
              outboundService: (request) => fakeWeChat.fetch(request as unknown as Request) as never,
              bindings: {
                WECHAT_APPID: "wx1234567890abcdef",
                WECHAT_TOKEN: "test-token-0123",
                WECHAT_ENCODING_AES_KEY: "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
                WECHAT_APPSECRET: "test-appsecret",
                ADMIN_TOKEN: "test-admin-token",
                REPLAY_WINDOW_S: "300",
                REPLY_DEADLINE_MS: "4000",
                SESSION_SECRET: "test-session-secret-0123456789abcdefghijklmnop",
                JSSDK_ALLOWED_ORIGINS: "https://worker.test, https://pages.example.com",
                // The fake API answers the authorize page too (outbound fetches reach only the fake).
                WECHAT_OAUTH_BASE: "https://api.weixin.qq.com",
              },
            },
          }),
        ],
        test: { name: "workerd", include: ["test/**/*.test.ts"], exclude: ["test/blackbox/**"] },
      },
      {
        test: {
          name: "blackbox",
          include: ["test/blackbox/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
