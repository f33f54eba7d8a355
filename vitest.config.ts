/**
 * Tests run inside workerd (@cloudflare/vitest-pool-workers): the real
 * runtime, real Web Crypto, real bindings. The test bindings below are fixed,
 * public values; test/fixtures/wechat.ts plays WeChat's servers with them.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // nodejs_compat only for the tests: the independent implementation
        // (@wecom/crypto) uses node:crypto. The Worker itself needs none.
        compatibilityFlags: ["nodejs_compat"],
        bindings: {
          WECHAT_APPID: "wx1234567890abcdef",
          WECHAT_TOKEN: "test-token-0123",
          WECHAT_ENCODING_AES_KEY: "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
          WECHAT_APPSECRET: "test-appsecret",
          ADMIN_TOKEN: "test-admin-token",
          REPLAY_WINDOW_S: "300",
          REPLY_DEADLINE_MS: "4000",
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
  },
});
