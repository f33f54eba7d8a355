/**
 * What the benchmarks share: WeChat's requests as the load generator sends
 * them, the reply check, the load run, and the Workers under Miniflare
 * (ours from a `wrangler deploy --dry-run` bundle, and the bare floor).
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Miniflare } from "miniflare";

const require = createRequire(import.meta.url);
const { encrypt, decrypt, getSignature } = require("@wecom/crypto");

/**
 * Each load run's length in seconds: BENCH_SECONDS (default 8), read when a
 * run starts, so that a script may set it from its own flag after importing this.
 */
export function seconds() {
  return Number(process.env.BENCH_SECONDS ?? 8);
}
export const CONNECTIONS = 32;
export const TOKEN = "bench-token";
export const AES_KEY = "YmVuY2htYXJrLWtleS0wMTIzNDU2Nzg5YWJjZGVmZ2g";
export const APPID = "wxbench00000000001";
export const SECRET = "bench-secret";
export const COMPAT_DATE = "2026-04-20";
/**
 * This run's scratch directory (bundles, perf data, callgrind dumps: up to
 * hundreds of MB), removed when the run exits; BENCH_KEEP_OUTPUT=1 keeps it.
 */
export const out = mkdtempSync(join(tmpdir(), "wechat-bench-"));
if (process.env.BENCH_KEEP_OUTPUT !== "1") process.on("exit", () => rmSync(out, { recursive: true, force: true }));
export const log = (...a) => console.error("[bench]", ...a);
/** The repository's root (this file's parent), wherever the benchmark is run from: the product's code and its node_modules. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

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
 * Every request must arrive as a genuine first delivery (the Worker's fast
 * path): at most FIRST_DELIVERY_S after its CreateTime (src/delivery/policy.ts).
 * A later one is answered correctly too, but only after a Durable Object claim,
 * so a run that let them in would measure the ledger's slow path unnoticed.
 * CreateTime and timestamp are therefore set to when the run will end: after
 * the generation itself (safe mode encrypts every request: 240,000 of them
 * took 5.6 s here, longer than the window's slack) and the run's seconds.
 * `at` is that time, which `load` checks once the run is over.
 */
export function pool(mode, size) {
  const sample = Math.min(size, 1000);
  const started = Date.now();
  for (let i = 0; i < sample; i++) makeRequest(mode);
  const generating = ((Date.now() - started) / 1000) * (size / sample);
  const at = Math.ceil(Date.now() / 1000 + generating * 1.5 + seconds() + 1);
  return { at, messages: Array.from({ length: size }, () => makeRequest(mode, { timestamp: at })) };
}

/**
 * How long after its CreateTime a request is still a first delivery: read
 * from src/delivery/policy.ts itself (this file is plain Node, the policy
 * TypeScript), so the benchmark's window cannot drift from the Worker's.
 */
export const FIRST_DELIVERY_S = (() => {
  const policy = readFileSync(new URL("../src/delivery/policy.ts", import.meta.url), "utf8");
  const value = /^export const FIRST_DELIVERY_S = (\d+);$/m.exec(policy)?.[1];
  if (value === undefined)
    throw new Error("src/delivery/policy.ts no longer declares `export const FIRST_DELIVERY_S = <seconds>;`");
  return Number(value);
})();

export async function load(url, mode, check, { maxRate = 12_000 } = {}) {
  let wrong = 0;
  let checked = 0;
  const duration = seconds();
  const { at, messages } = pool(mode, maxRate * duration);
  let next = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
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
  if (Date.now() / 1000 - at > FIRST_DELIVERY_S) {
    throw new Error(
      `the run ended ${(Date.now() / 1000 - at).toFixed(1)} s after its requests' CreateTime: the last of them took the ledger's slow path`,
    );
  }
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
/**
 * Bundles the Worker as `wrangler deploy` would (from `cwd`, e.g. another
 * checkout) and returns its entry. The wrangler is the product's own, in the
 * root's node_modules: the benchmark measures what the product deploys.
 */
export async function bundleWorker(dir = join(out, "worker"), cwd = ROOT) {
  const wrangler = join(cwd, "node_modules/wrangler/bin/wrangler.js");
  if (!existsSync(wrangler)) throw new Error(`${wrangler} is missing: run npm ci at the repository's root first`);
  execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", dir], {
    cwd,
    stdio: "pipe",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  return join(dir, "index.js");
}

/**
 * The callback pipeline (bench/pipeline.ts) bundled for Node into `outfile`,
 * from `cwd` (this checkout, or another ref's worktree); returns the file.
 */
export async function bundlePipelineFor(outfile, cwd = ROOT) {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(cwd, "bench/pipeline.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    external: ["cloudflare:*"],
    logLevel: "error",
  });
  return outfile;
}

/** The Worker's configuration for the pipeline driven in-process (run.mjs, inprocess.mjs): no replay window, no ledger in Node. */
export const PIPELINE_ENV = {
  WECHAT_TOKEN: TOKEN,
  WECHAT_ENCODING_AES_KEY: AES_KEY,
  WECHAT_APPID: APPID,
  REPLAY_WINDOW_S: "0",
  EXACTLY_ONCE: "off",
};

/** SHA-1 and raw AES-256-CBC from node:crypto, for the protocol code in Node (Node runs Web Crypto on a thread pool). */
export const nodePrimitives = {
  async sha1(text) {
    const digest = createHash("sha1").update(text, "utf8").digest();
    return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.length); // an ArrayBuffer, as Web Crypto's
  },
  async aesCbc(rawKey) {
    const key = Buffer.from(rawKey);
    const run = (make, iv, data) => {
      const c = make("aes-256-cbc", key, iv);
      c.setAutoPadding(false);
      const out = c.update(data); // without padding, final() adds nothing
      c.final();
      return out;
    };
    return {
      async encrypt(iv, data) {
        return run(createCipheriv, iv, data);
      },
      async decrypt(iv, data) {
        return run(createDecipheriv, iv, data);
      },
    };
  },
};

/**
 * workerd's output, discarded in batches. Miniflare reads workerd's stdout
 * as it comes, so every log line wakes this process on the other core, and
 * perf files that wakeup under workerd (~90% of a log line's 12 µs here). On
 * the edge no process waits on a pipe for each line. So workerd's stdout is
 * read every LOG_DRAIN_MS in one piece, the way a log shipper reads: workerd
 * still makes one write per line, but nothing waits on it in between.
 * BENCH_LOG_PIPE=eager reads every line as it comes (Miniflare's way).
 */
const LOG_DRAIN_MS = 20;
const quiet = {
  handleRuntimeStdio(stdout, stderr) {
    stderr.resume();
    const source = process.env.BENCH_LOG_PIPE === "eager" ? undefined : pipedInto(stdout);
    if (source === undefined) return void stdout.resume();
    source.unpipe(stdout);
    // Node reads a paused socket only until its buffer holds highWaterMark bytes, then stops
    // polling it; a drain empties the buffer, and the next read takes all that has queued.
    source._readableState.highWaterMark = 1;
    const drain = () => {
      while (source.read() !== null);
    };
    const timer = setInterval(drain, LOG_DRAIN_MS);
    timer.unref();
    source.once("close", () => clearInterval(timer));
    drain();
  },
};

/** The socket Miniflare piped into `stream` (workerd's stdout), found among this process's open handles. */
function pipedInto(stream) {
  return process._getActiveHandles().find((h) => h?._readableState?.pipes?.includes?.(stream));
}

/**
 * Where the Durable Objects keep their SQLite files: in memory (tmpfs). Under
 * Miniflare they run in the same workerd process as the Worker, and each
 * batch's commit fsyncs; on this VM's disk that write stalls every request
 * the process serves (measured: ~6–9 µs of wall time per ledger record on
 * disk, ~4 on tmpfs). On the edge a Durable Object's storage is not the
 * Worker's to wait for. The SQLite work itself is still counted.
 * BENCH_DO_STORAGE=disk keeps Miniflare's own choice (a directory under /tmp).
 */
let shmRoot;
function durableObjectStorage() {
  if (process.env.BENCH_DO_STORAGE === "disk" || !existsSync("/dev/shm")) return {};
  if (shmRoot === undefined) {
    shmRoot = mkdtempSync("/dev/shm/wechat-bench-");
    process.on("exit", () => rmSync(shmRoot, { recursive: true, force: true }));
  }
  return { durableObjectsPersist: mkdtempSync(join(shmRoot, "do-")) };
}

export async function startOurs(scriptPath, vars, fake, extra = {}) {
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPAT_DATE,
    bindings: {
      WECHAT_APPID: APPID,
      WECHAT_APPSECRET: SECRET,
      WECHAT_TOKEN: TOKEN,
      WECHAT_ENCODING_AES_KEY: AES_KEY,
      ADMIN_TOKEN: "bench-admin",
      ...vars,
    },
    kvNamespaces: ["WECHAT_KV"],
    durableObjects: {
      TOKEN_BROKER: { className: "TokenBroker", useSQLite: true },
      DELIVERY_LEDGER: { className: "DeliveryLedger", useSQLite: true },
    },
    outboundService: fake ? (request) => fake.fetch(request) : undefined,
    ...durableObjectStorage(),
    host: "127.0.0.1",
    port: 0,
    ...quiet,
    ...extra,
  });
  return { mf, url: (await mf.ready).origin };
}

/**
 * What an A/B run compares, by name: the bare floor, this checkout with
 * exactly-once on and off, and with `base` (a git ref) the same Worker built
 * from that ref in a temporary worktree. Each value starts its Worker.
 */
export async function compareTargets(base) {
  const head = await bundleWorker(join(out, "head"));
  const targets = {
    bare: () => startBare(),
    "head, exactly-once on": () => startOurs(head, {}),
    "head, exactly-once off": () => startOurs(head, { EXACTLY_ONCE: "off" }),
  };
  if (base) {
    const built = await atRef(base, (tree) => bundleWorker(join(out, "base"), tree));
    targets[`base ${base}, exactly-once on`] = () => startOurs(built, {});
    targets[`base ${base}, exactly-once off`] = () => startOurs(built, { EXACTLY_ONCE: "off" });
  }
  return targets;
}

/** `fn(tree)` on a temporary worktree of git ref `base` (sharing this checkout's node_modules), removed after. */
export async function atRef(base, fn) {
  const tree = join(out, "base-tree");
  execFileSync("git", ["worktree", "add", "--detach", tree, base], { cwd: ROOT, stdio: "pipe" });
  try {
    if (!existsSync(join(tree, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"));
    return await fn(tree);
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", tree], { cwd: ROOT, stdio: "pipe" });
  }
}

export async function startBare(extra = {}, file = "./bare-worker.js") {
  const mf = new Miniflare({
    modules: true,
    script: readFileSync(new URL(file, import.meta.url), "utf8"),
    compatibilityDate: COMPAT_DATE,
    host: "127.0.0.1",
    port: 0,
    ...quiet,
    ...extra,
  });
  return { mf, url: (await mf.ready).origin };
}

/** The floor plus one awaited Web Crypto SHA-1 (bench/bare-signed-worker.js): what the signature's runtime call costs by itself. */
export function startBareSigned(extra = {}) {
  return startBare(extra, "./bare-signed-worker.js");
}

/**
 * Miniflare's options for a socket straight to the Worker, past Miniflare's
 * own entry worker (which routes every request, clones its `cf` object and
 * logs it, and has no counterpart on the edge); `directUrl` gives its origin.
 */
export const DIRECT = { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] };
export async function directUrl(mf) {
  return (await mf.unsafeGetDirectURL()).origin;
}

/**
 * One measured run of one target: starts its Worker, warms it up (JIT,
 * connection pool) with `warmups` runs of the same load (default 1), measures
 * one more with workerd's CPU time (`cpuUs`) and minor page faults (`faults`)
 * per request, and disposes of it. workerd's memory grows for the first
 * ~30 s of load before it levels off, and until then every request pays page
 * faults (bench/NOTES.md, “Page faults and warm-up”): more warm-ups measure
 * nearer that level.
 */
export async function measureRun(start, mode, { check, maxRate, warmups = 1 } = {}) {
  const worker = await startTracked(start);
  for (let i = 0; i < warmups; i++) await load(worker.url, mode, false, { maxRate });
  const r = await measureWorker(worker, mode, { check, maxRate });
  await worker.mf.dispose();
  return r;
}

/** A measured run, refused (thrown) unless every reply was right: for the quick scripts, which report no errors. */
export function assertAllRight(r, name) {
  if (r.wrong || r.non2xx || r.errors)
    throw new Error(`${name}: ${r.wrong} wrong replies, ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

/**
 * `measureLoad` on a Worker from `startTracked`, counting only its own
 * processes: other Workers may be kept running meanwhile (run.mjs, steady.mjs).
 */
export async function measureWorker(worker, mode, { check, maxRate } = {}) {
  return measureLoad(worker.url, mode, { check, maxRate, stats: () => processStats(worker.pids) });
}

/** This process's child processes (each Worker's workerd is one of them). */
function childPids() {
  try {
    return new Set(
      execFileSync("pgrep", ["-P", String(process.pid)])
        .toString()
        .trim()
        .split("\n"),
    );
  } catch {
    return new Set(); // pgrep found none
  }
}

/**
 * Starts a Worker (`start` as startBare/startOurs) and notes which processes
 * are its own (`pids`), so that several can be kept running at once and each
 * measured apart with `processStats(worker.pids)`.
 */
export async function startTracked(start) {
  const before = childPids();
  const worker = await start();
  return { ...worker, pids: [...childPids()].filter((p) => !before.has(p)) };
}

/**
 * Warms a Worker kept running until its workerd's memory has stopped growing:
 * `loads` load runs (~30 s in all is enough; bench/NOTES.md, “Page faults and
 * warm-up”), in the given modes in turn.
 */
export async function warmUp(worker, modes, loads) {
  for (let i = 0; i < loads; i++) await load(worker.url, modes[i % modes.length], false);
}

/**
 * One load run with workerd's CPU time (`cpuUs`) and minor page faults
 * (`faults`) per request, as `stats` counts them (by default every workerd
 * this process started; `processStats` of given pids to tell two apart).
 */
export async function measureLoad(url, mode, { check, maxRate, stats = workerdStats } = {}) {
  const before = stats();
  const r = await load(url, mode, check, { maxRate });
  const after = stats();
  r.cpuUs = ((after.cpuSeconds - before.cpuSeconds) / r.total) * 1e6;
  r.faults = (after.minorFaults - before.minorFaults) / r.total;
  return r;
}

/**
 * A round's order of the targets: as given in even rounds (counted from 0),
 * reversed in odd ones, the bare floor's place included. Whichever runs later
 * in a round measured faster (the same code against itself: 261 vs 252 µs;
 * in one full run the floor made 4789 and 5068 req/s first, 5595 and 5429 last).
 */
export function inRoundOrder(items, round) {
  return round % 2 === 0 ? items : [...items].reverse();
}

/** The median (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * CPU seconds (user + system) and minor page faults (first touches of
 * memory) of this process's workerd children, from /proc (Linux). On these
 * virtual machines a fault costs workerd ~10–20 µs (bench/NOTES.md, “Page
 * faults and warm-up”), so a change in faults per request moves its CPU time
 * as much as its code does.
 */
export function workerdStats() {
  const workerd = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    const stat = procStat(pid);
    if (stat !== null && stat.comm.startsWith("workerd") && stat.ppid === process.pid) workerd.push(stat);
  }
  return sumStats(workerd);
}

/** `workerdStats` for the given processes only (e.g. one of two Workers running at once). */
export function processStats(pids) {
  return sumStats(pids.map(procStat).filter((s) => s !== null));
}

function sumStats(stats) {
  let ticks = 0;
  let minorFaults = 0;
  for (const s of stats) {
    ticks += s.ticks;
    minorFaults += s.minorFaults;
  }
  return { cpuSeconds: ticks / 100, minorFaults }; // ticks are USER_HZ
}

/** One process's line of /proc/PID/stat, the fields used here; null once it has gone. */
function procStat(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command may hold spaces and parentheses: the fields start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    ppid: Number(fields[1]),
    minorFaults: Number(fields[7]),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}
