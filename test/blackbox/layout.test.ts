/**
 * What keeps the framework's tests and the Worker apart from what an owner
 * edits and from development tooling: no framework test imports src/bot/, and
 * the production bundle (`wrangler deploy --dry-run` of wrangler.toml's main)
 * carries neither the test helper, the test bot, nor the local WeChat.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("layout", () => {
  it("no framework test imports the owner's bot", () => {
    const offenders = files("test").filter((f) => /from\s+["'][./]*\/src\/bot["'/]/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("the production bundle holds nothing of the tests or the local WeChat", () => {
    const outdir = mkdtempSync(join(tmpdir(), "wechat-edge-prod-"));
    execFileSync(
      process.execPath,
      ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir],
      {
        stdio: "pipe",
        env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
      },
    );
    const bundle = readFileSync(join(outdir, "index.js"), "utf8");
    expect(bundle).toContain("DeliveryLedger = class");
    expect(bundle).not.toContain("testWeChat");
    expect(bundle).not.toContain("TestWeChat");
    expect(bundle).not.toContain("testBot");
    // The local WeChat (local-wechat/) is development tooling.
    expect(bundle).not.toContain("FakeWeChatApi");
    expect(bundle).not.toContain("createLocalWeChat");
    expect(bundle).not.toContain("renderSVG");
  }, 60_000);
});
