#!/usr/bin/env node
/**
 * `npm --prefix bench run perf`: where workerd's CPU goes per callback,
 * native code included, ours beside the bare floor. Runs each Worker under the
 * same load as the throughput benchmark while Linux `perf` samples the workerd
 * process with call stacks, then files every sample under the first category
 * its stack matches and prints µs per request for each, and the difference.
 * V8's own profile (profile.mjs) sees only JavaScript; this sees the runtime,
 * the kernel and the Durable Objects that share workerd under Miniflare.
 *
 * Needs `perf` (Debian: linux-perf) and the right to use it (root, or
 * kernel.perf_event_paranoid ≤ 1).
 *
 * --direct sends the load straight to each Worker's own socket, past
 * Miniflare's entry worker (as the full run's "past Miniflare's entry worker" table does).
 *
 * --ref compares with the Worker built from another git ref instead of the bare floor.
 *
 *   npm --prefix bench run perf -- [--mode plaintext|safe] [--seconds 5] [--exactly-once on|off] [--top 12] [--direct] [--ref HEAD~1]
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DIRECT,
  atRef,
  bundleWorker,
  directUrl,
  load,
  log,
  measureWorker,
  out,
  startBare,
  startOurs,
  startTracked,
} from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    seconds: { type: "string", default: "5" },
    "exactly-once": { type: "string", default: "on" },
    top: { type: "string", default: "12" },
    direct: { type: "boolean", default: false },
    ref: { type: "string" },
  },
});
process.env.BENCH_SECONDS ??= args.seconds;
const HZ = 2000;

/** First match wins, in this order: I/O and memory before what triggered them. */
const CATEGORIES = [
  ["stdout pipe to Miniflare (log lines; the wakeup of its reader)", /unix_stream_sendmsg/],
  ["HTTP socket writes", /tcp_sendmsg/],
  ["socket reads and polling", /ksys_read|sock_recvmsg|epoll_wait|do_epoll/],
  [
    "Durable Objects (RPC, SQLite; on the edge they run elsewhere)",
    /workerd::api::JsRpc|IoContext::run<workerd::api::JsRpc|sqlite3|workerd::SqliteDatabase|workerd::ActorSqlite|workerd::ActorCache/,
  ],
  ["page faults (first touch of memory)", /asm_exc_page_fault/],
  [
    "garbage collection",
    /Scavenger|MarkCompact|MinorMarkSweep|Heap::CollectGarbage|cppgc::internal|ArrayBufferSweeper/,
  ],
  ["Miniflare entry worker: cf object clone", /CfProperty|jsonClone|serializeCfBlobJson/],
  ["URL and URLSearchParams", /ada::|api::url::/],
  ["Web Crypto", /SubtleCrypto/],
  ["TextEncoder / TextDecoder", /api::TextDecoder|api::TextEncoder/],
  ["Response / Headers objects", /Response::constructor|Headers::Headers|Headers::~Headers/],
  ["promise bridging (JS ⇄ C++)", /v8::Function::New|PromiseWrapper|promiseContinuation/],
  ["JavaScript (JIT code and builtins)", /^(\[unknown\]|Builtins_)/],
];

/** Past the entry worker, a Worker answers ~3× faster, so the load's pool of messages is larger. */
const maxRate = args.direct ? 30_000 : undefined;

async function record(name, start) {
  const worker = await startTracked(() => start(args.direct ? DIRECT : {}));
  if (args.direct) worker.url = await directUrl(worker.mf);
  await load(worker.url, args.mode, false, { maxRate }); // warm-up
  const file = join(out, `perf-${name}.data`);
  const perf = spawn("perf", ["record", "-F", String(HZ), "-g", "-o", file, "-p", worker.pids.join(",")], {
    stdio: "ignore",
  });
  await new Promise((r) => setTimeout(r, 300));
  const r = await measureWorker(worker, args.mode, { check: false, maxRate });
  perf.kill("SIGINT");
  await new Promise((resolve) => perf.on("exit", resolve));
  await worker.mf.dispose();
  log(`${name}: ${r.rps.toFixed(0)} req/s under perf`);
  return { file, requests: r.total, faults: r.faults };
}

function breakdown({ file, requests, faults }) {
  const text = execFileSync("perf", ["script", "-i", file, "-F", "ip,sym"], { maxBuffer: 1 << 30 }).toString();
  const us = new Map();
  let total = 0;
  for (const block of text.split("\n\n")) {
    const frames = block
      .split("\n")
      .map((l) => l.trim().replace(/^[0-9a-f]+\s+/, ""))
      .filter(Boolean);
    if (frames.length === 0) continue;
    total++;
    // Mangled names (jsg's type wrappers) list every API type in their template
    // arguments, so they would match any category: categories look at the rest.
    const stack = frames.filter((f) => !f.startsWith("_Z")).join("\n");
    const hit = CATEGORIES.find(([, re]) => (re.source.startsWith("^") ? re.test(frames[0]) : re.test(stack)));
    const key = hit ? hit[0] : "other runtime code";
    us.set(key, (us.get(key) ?? 0) + 1);
  }
  const perRequest = (samples) => (samples * 1e6) / HZ / requests;
  return { total: perRequest(total), us: new Map([...us].map(([k, v]) => [k, perRequest(v)])), faults };
}

const script = await bundleWorker(join(out, "worker"));
const floor = args.ref
  ? await atRef(args.ref, (tree) => bundleWorker(join(out, "ref"), tree)).then(
      (built) => (extra) => startOurs(built, { EXACTLY_ONCE: args["exactly-once"] }, undefined, extra),
    )
  : startBare;
const bare = breakdown(await record(args.ref ? `ref ${args.ref}` : "bare", floor));
const ours = breakdown(
  await record("ours", (extra) => startOurs(script, { EXACTLY_ONCE: args["exactly-once"] }, undefined, extra)),
);

const names = [...new Set([...ours.us.keys(), ...bare.us.keys()])].sort(
  (a, b) => (ours.us.get(b) ?? 0) - (bare.us.get(b) ?? 0) - ((ours.us.get(a) ?? 0) - (bare.us.get(a) ?? 0)),
);
const f = (x) => (x ?? 0).toFixed(1).padStart(7);
console.log(
  `\n${args.mode}, exactly-once ${args["exactly-once"]}${args.direct ? ", straight to the Worker's socket" : ""}: workerd CPU per request by where perf found it (µs; sampled under perf, so a little above ab.mjs' figures)`,
);
const floorName = args.ref ? "ref" : "bare";
console.log(`${"".padEnd(66)}${floorName.padStart(7)}    ours  ours−${floorName}`);
for (const name of names.slice(0, Number(args.top)))
  console.log(
    `${name.padEnd(66)}${f(bare.us.get(name))} ${f(ours.us.get(name))} ${f((ours.us.get(name) ?? 0) - (bare.us.get(name) ?? 0))}`,
  );
console.log(`${"total".padEnd(66)}${f(bare.total)} ${f(ours.total)} ${f(ours.total - bare.total)}`);
// What one first touch of memory costs here: the page-fault category's time over the count from /proc.
const PF = "page faults (first touch of memory)";
const perFault = (b) => ((b.us.get(PF) ?? 0) / b.faults).toFixed(1);
console.log(
  `minor page faults a request: bare ${bare.faults.toFixed(2)}, ours ${ours.faults.toFixed(2)}; µs a fault (sampled): bare ${perFault(bare)}, ours ${perFault(ours)}`,
);
process.exit(0);
