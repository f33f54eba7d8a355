#!/usr/bin/env node
// `npm run dev`: local Worker with local KV and Durable Objects, ready for
// WeChat-shaped requests at once. Creates .dev.vars from the example the
// first time (an existing .dev.vars is never touched), keeps Miniflare off
// the network, and passes any extra arguments on to `wrangler dev`.
import { copyFileSync, existsSync } from "node:fs";
import { spawn } from "node:child_process";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars with the development Token and EncodingAESKey (see README).");
}
const child = spawn("npx", ["wrangler", "dev", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
