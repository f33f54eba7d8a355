/**
 * Two test projects:
 * - workerd: inside the Workers runtime (@cloudflare/vitest-pool-workers) —
 *   real Web Crypto, real KV and Durable Objects. The Worker under test is
 *   test/worker.ts (the app with a test bot of its own), with the explicit
 *   bindings below: nothing is read from wrangler.toml's vars or an owner's
 *   .dev.vars. test/fixtures/wechat.ts plays WeChat with these public values.
 *   An owner's own tests (src/bot/*.test.ts) run here too, with the same bindings.
 * - blackbox: in Node, starting the Worker as the README does and talking to
 *   it over HTTP.
 */
import { readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
// Nothing here may reach the network: keep Miniflare from fetching Request.cf data.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
import { defineConfig } from "vitest/config";
import { FakeWeChatApi } from "./local-wechat/api.ts";

/** The deployment's compatibility date, so that tests run on the runtime it will. */
const compatibilityDate = /^compatibility_date = "([\d-]+)"$/m.exec(readFileSync("wrangler.toml", "utf8"))![1]!;

const bindings = {
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
};

/** WeChat's API as the Worker sees it in tests: every outbound fetch lands here (in Node). */
const fakeWeChat = new FakeWeChatApi();
// The configured AppID is a registered account from the start, so that a bot's own tests need no set-up.
fakeWeChat.register(bindings.WECHAT_APPID, bindings.WECHAT_APPSECRET);

export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: "./test/worker.ts",
            miniflare: {
              compatibilityDate,
              // nodejs_compat only for the tests: the independent implementation
              // (@wecom/crypto) uses node:crypto. The Worker itself needs none.
              compatibilityFlags: ["nodejs_compat"],
              outboundService: (request) => fakeWeChat.fetch(request as unknown as Request) as never,
              bindings,
              kvNamespaces: ["WECHAT_KV"],
              durableObjects: {
                TOKEN_BROKER: { className: "TokenBroker", useSQLite: true },
                DELIVERY_LEDGER: { className: "DeliveryLedger", useSQLite: true },
              },
            },
          }),
        ],
        test: { name: "workerd", include: ["test/**/*.test.ts", "src/**/*.test.ts"], exclude: ["test/blackbox/**"] },
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
