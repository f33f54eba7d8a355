#!/usr/bin/env node
// `npm run dev`: the account's Worker on http://localhost:8787 and the local
// WeChat (local-wechat/) on http://localhost:8788, both under `wrangler dev`
// with local bindings and nothing from the network. The Worker calls the local
// WeChat for everything it would ask WeChat (WECHAT_API_BASE, WECHAT_OAUTH_BASE);
// the local WeChat pushes followers' messages to the Worker with the account's
// own Token, EncodingAESKey and AppID (from .dev.vars, which is created from
// .dev.vars.example the first time, and any `--var NAME:VALUE` given here).
//
//   npm run dev [-- --port 8787] [--wechat-port 8788] [--var NAME:VALUE …] [any other `wrangler dev` option]
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";

const args = process.argv.slice(2);
/** Takes `--name value` (or `--name=value`) out of the arguments. */
function take(name, fallback) {
  const at = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at === -1) return fallback;
  const [arg] = args.splice(at, 1);
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args.splice(at, 1)[0];
}
const wechatPort = take("--wechat-port", "8788");
const port = take("--port", "8787");
const ip = take("--ip", "127.0.0.1");
const configArg = args.indexOf("--config") !== -1 ? args.indexOf("--config") : args.indexOf("-c");
const configDir = configArg === -1 ? "." : dirname(args[configArg + 1]);

// wrangler reads .dev.vars beside the configuration; so does the local WeChat.
const devVarsPath = join(configDir, ".dev.vars");
if (configDir === "." && !existsSync(devVarsPath)) {
  copyFileSync(".dev.vars.example", devVarsPath);
  console.log("Created .dev.vars with the development Token and EncodingAESKey (see README).");
}
const vars = {};
if (existsSync(devVarsPath)) {
  for (const line of readFileSync(devVarsPath, "utf8").split("\n")) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
}
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--var" && args[i + 1]?.includes(":")) {
    const [name, ...value] = args[i + 1].split(":");
    vars[name] = value.join(":");
  }
}

const wechatUrl = `http://${ip === "0.0.0.0" ? "127.0.0.1" : ip}:${wechatPort}`;
const workerUrl = `http://${ip === "0.0.0.0" ? "127.0.0.1" : ip}:${port}`;
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const wrangler = join("node_modules", "wrangler", "bin", "wrangler.js");
const shared = ["--ip", ip, "--show-interactive-dev-session=false"];

const localWeChat = [
  ...["dev", "--config", "local-wechat/wrangler.toml", "--port", wechatPort, "--inspector-port", "0", ...shared],
  ...["--var", `ACCOUNT_URL:${workerUrl}/wechat`],
  ...["WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "WECHAT_APPID", "WECHAT_APPSECRET", "WECHAT_TRY_MS"]
    .filter((name) => vars[name])
    .flatMap((name) => ["--var", `${name}:${vars[name]}`]),
];
const worker = [
  ...["dev", "--port", port, ...shared],
  ...["--var", `WECHAT_API_BASE:${wechatUrl}`, "--var", `WECHAT_OAUTH_BASE:${wechatUrl}`],
  ...["--var", `JSSDK_ALLOWED_ORIGINS:http://localhost:${port}, http://127.0.0.1:${port}`],
  ...args,
];

const children = [];
let ready = 0;
function start(name, wranglerArgs) {
  const child = spawn(process.execPath, [wrangler, ...wranglerArgs], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.on("data", (chunk) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop();
      for (const line of lines) {
        process.stdout.write(`[${name}] ${line}\n`);
        if (/Ready on http/.test(line) && ++ready === 2) {
          console.log(`\n  本地微信 Local WeChat: ${wechatUrl}\n  Worker:               ${workerUrl}\n`);
        }
      }
    });
  }
  child.on("exit", (code, signal) => {
    for (const other of children) if (other !== child) other.kill("SIGTERM");
    process.exit(signal ? 1 : (code ?? 0));
  });
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of children) child.kill("SIGTERM");
  });
}
start("wechat", localWeChat);
start("worker", worker);
