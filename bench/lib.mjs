/**
 * What the benchmarks share: WeChat's requests as the load generator sends
 * them, the reply check, the load run, and the Workers under Miniflare
 * (ours from a `wrangler deploy --dry-run` bundle, and the bare floor).
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import autocannon from "autocannon";
import { Miniflare } from "miniflare";

const require = createRequire(import.meta.url);
const { encrypt, decrypt, getSignature } = require("@wecom/crypto");

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
export const CONNECTIONS = 32;
export const TOKEN = "bench-token";
export const AES_KEY = "YmVuY2htYXJrLWtleS0wMTIzNDU2Nzg5YWJjZGVmZ2g";
export const APPID = "wxbench00000000001";
export const SECRET = "bench-secret";
export const COMPAT_DATE = "2026-04-20";
export const out = mkdtempSync(join(tmpdir(), "wechat-bench-"));
export const log = (...a) => console.error("[bench]", ...a);

// ---------------------------------------------------------------- messages
let msgId = 8_000_000_000_000_000_000n;
const now = () => Math.floor(Date.now() / 1000);

/** A fresh signed request, as WeChat sends it: new MsgId, current CreateTime and timestamp. */
export function makeRequest(mode, opts = {}) {
  const id = String(msgId++);
  const ts = String(opts.timestamp ?? now());
  const nonce = String(Math.floor(Math.random() * 1e9));
  const openid = `oBench${id.slice(-8)}`;
  const content = `你好 hello ${id}`;
  const xml =
    `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName>` +
    `<CreateTime>${ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content>` +
    `<MsgId>${id}</MsgId></xml>`;
  const query = { signature: getSignature(TOKEN, ts, nonce, ""), timestamp: ts, nonce, openid };
  let body = xml;
  if (mode === "safe") {
    const cipher = encrypt(AES_KEY, xml, APPID);
    query.encrypt_type = "aes";
    query.msg_signature = getSignature(TOKEN, ts, nonce, cipher);
    body = `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`;
  }
  return { path: `/wechat?${new URLSearchParams(query)}`, query, body, content };
}

/** True when a reply carries the expected echo (decrypting safe-mode replies). */
export function replyIsCorrect(mode, body, content) {
  if (mode === "plaintext") return body.includes(`<Content><![CDATA[${content}]]></Content>`);
  const enc = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(body)?.[1];
  if (!enc) return false;
  const { message, id } = decrypt(AES_KEY, enc);
  return id === APPID && message.includes(`<Content><![CDATA[${content}]]></Content>`);
}

// ---------------------------------------------------------------- load
/**
 * Requests are generated before each run so that the generator (which
 * shares the 2 cores) spends its time sending, not signing and encrypting.
 * CreateTime and timestamp are set to the run's end: every request is then
 * within the replay window and a genuine first delivery (the fast path).
 */
export function pool(mode, size) {
  const at = now() + SECONDS + 1;
  return Array.from({ length: size }, () => makeRequest(mode, { timestamp: at }));
}

export async function load(url, mode, check) {
  let wrong = 0;
  let checked = 0;
  const messages = pool(mode, 12_000 * SECONDS);
  let next = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: "POST",
        setupRequest(req, context) {
          if (next >= messages.length) throw new Error("request pool exhausted: raise its size");
          const m = messages[next++];
          context.content = m.content;
          return { ...req, method: "POST", path: m.path, body: m.body, headers: { "content-type": "text/xml" } };
        },
        onResponse(status, body, context) {
          if (!check) return;
          // Check every plaintext reply and every 10th safe-mode one (decrypting costs the generator).
          if (mode === "plaintext" || checked % 10 === 0) {
            if (status !== 200 || !replyIsCorrect(mode, body, context.content)) wrong++;
          }
          checked++;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    wrong,
  };
}

// ---------------------------------------------------------------- workers
/** Bundles the Worker as `wrangler deploy` would (from `cwd`, e.g. another checkout) and returns its entry. */
export async function bundleWorker(dir = join(out, "worker"), cwd = process.cwd()) {
  execFileSync(process.execPath, [join(cwd, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir], {
    cwd,
    stdio: "pipe",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  return join(dir, "index.js");
}

const quiet = { handleRuntimeStdio(stdout, stderr) { stdout.resume(); stderr.resume(); } };

export async function startOurs(scriptPath, vars, fake, extra = {}) {
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPAT_DATE,
    bindings: { WECHAT_APPID: APPID, WECHAT_APPSECRET: SECRET, WECHAT_TOKEN: TOKEN, WECHAT_ENCODING_AES_KEY: AES_KEY, ADMIN_TOKEN: "bench-admin", ...vars },
    kvNamespaces: ["WECHAT_KV"],
    durableObjects: {
      TOKEN_BROKER: { className: "TokenBroker", useSQLite: true },
      DELIVERY_LEDGER: { className: "DeliveryLedger", useSQLite: true },
    },
    outboundService: fake ? (request) => fake.fetch(request) : undefined,
    host: "127.0.0.1",
    port: 0,
    ...quiet,
    ...extra,
  });
  return { mf, url: (await mf.ready).origin };
}

export async function startBare() {
  const mf = new Miniflare({ modules: true, script: readFileSync(new URL("./bare-worker.js", import.meta.url), "utf8"), compatibilityDate: COMPAT_DATE, host: "127.0.0.1", port: 0, ...quiet });
  return { mf, url: (await mf.ready).origin };
}


/** CPU seconds (user + system) of this process's workerd children, from /proc (Linux). */
export function workerdCpuSeconds() {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (comm.startsWith("workerd") && Number(fields[1]) === process.pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100; // USER_HZ
}

