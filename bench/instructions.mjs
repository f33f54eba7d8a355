#!/usr/bin/env node
/**
 * `npm run bench:instructions`: instructions per callback, counted by
 * valgrind's callgrind over the whole workerd process: the bare floor, this
 * checkout (exactly-once on and off) and, with --base <git ref>, the same
 * Worker built from that ref. Throughput and CPU time on these shared
 * machines move 5–10% between runs, more than most single changes are
 * worth; an instruction count repeats to a fraction of a percent, so this is
 * the tool for telling whether a change to the hot path pays.
 *
 * What it does not see: cache misses, system calls' kernel side, page faults
 * and the wakeups of other processes (bench:perf sees those). And under
 * valgrind requests run ~50× slower, so each 250 ms ledger batch holds fewer
 * records than at full speed: the exactly-once rows overstate the ledger's
 * per-batch share (the same for every target).
 *
 * Needs valgrind (Debian: valgrind).
 *
 *   node bench/instructions.mjs [--mode plaintext|safe] [--requests 400] [--base HEAD~1]
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundleWorker, log, makeRequest, out, replyIsCorrect, startBare, startOurs } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    requests: { type: "string", default: "1000" },
    base: { type: "string" },
  },
});
if (args.mode !== "plaintext" && args.mode !== "safe") throw new Error("--mode is plaintext or safe");
const REQUESTS = Number(args.requests);
const WARM_UP = 2000; // long enough for V8 to optimize the hot path (fewer left baseline code running)
const CONCURRENCY = 8;

// Miniflare starts whatever MINIFLARE_WORKERD_PATH names: a wrapper that runs workerd under callgrind.
const workerd = createRequire(import.meta.url)("workerd").default;
const dumps = join(out, "callgrind");
execFileSync("mkdir", ["-p", dumps]);
const wrapper = join(out, "workerd-callgrind.sh");
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --dump-instr=no --separate-threads=yes --callgrind-out-file=${dumps}/out.%p "${workerd}" "$@"\n`,
);
chmodSync(wrapper, 0o755);
process.env.MINIFLARE_WORKERD_PATH = wrapper;

const head = await bundleWorker(join(out, "head"));
const targets = {
  bare: () => startBare(),
  "head, exactly-once on": () => startOurs(head, {}),
  "head, exactly-once off": () => startOurs(head, { EXACTLY_ONCE: "off" }),
};
if (args.base) {
  const tree = join(out, "base-tree");
  execFileSync("git", ["worktree", "add", "--detach", tree, args.base], { stdio: "pipe" });
  try {
    if (!existsSync(join(tree, "node_modules"))) symlinkSync(join(process.cwd(), "node_modules"), join(tree, "node_modules"));
    const base = await bundleWorker(join(out, "base"), tree);
    targets[`base ${args.base}, exactly-once on`] = () => startOurs(base, {});
    targets[`base ${args.base}, exactly-once off`] = () => startOurs(base, { EXACTLY_ONCE: "off" });
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", tree], { stdio: "pipe" });
  }
}

/**
 * `count` signed callbacks, CONCURRENCY at a time; every reply checked. As WeChat
 * and autocannon do, no compressed answer is asked for (fetch asks for gzip by default).
 */
async function send(url, count, check) {
  let wrong = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const m = makeRequest(args.mode);
      const res = await fetch(url + m.path, { method: "POST", body: m.body, headers: { "content-type": "text/xml", "accept-encoding": "identity" } });
      const body = await res.text();
      if (check && (res.status !== 200 || !replyIsCorrect(args.mode, body, m.content))) wrong++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return wrong;
}

/**
 * Instructions callgrind has counted in `pid` since the last zeroing: on the
 * main thread (the isolate's, where the callbacks run) and on all threads
 * (V8's background compiler and collector too, whose work lands in the window
 * in bursts). Dumps, then reads each thread's dump.
 */
function dumpTotals(pid) {
  const before = new Set(readdirSync(dumps));
  execFileSync("callgrind_control", ["-d", String(pid)], { stdio: "pipe" });
  const files = readdirSync(dumps).filter((f) => !before.has(f) && f.startsWith(`out.${pid}.`));
  if (files.length === 0) throw new Error("callgrind wrote no dump");
  let main = 0;
  let all = 0;
  for (const file of files) {
    const text = readFileSync(join(dumps, file), "utf8");
    const totals = /^(?:totals|summary): (\d+)/m.exec(text);
    if (!totals) continue; // a thread with nothing counted
    all += Number(totals[1]);
    if (/^thread: 1$/m.test(text)) main = Number(totals[1]);
  }
  return { main, all };
}

const results = {};
for (const [name, start] of Object.entries(targets)) {
  const { mf, url } = await start();
  const pid = execFileSync("pgrep", ["-P", String(process.pid)]).toString().trim().split("\n")[0];
  await send(url, WARM_UP, false); // JIT, connection pool, ledger shards created
  execFileSync("callgrind_control", ["-z", pid], { stdio: "pipe" });
  const wrong = await send(url, REQUESTS, name !== "bare");
  const { main, all } = dumpTotals(pid);
  await mf.dispose();
  if (wrong) throw new Error(`${name}: ${wrong} wrong replies`);
  results[name] = { main: main / REQUESTS, all: all / REQUESTS };
  log(`${name}: ${(main / REQUESTS / 1000).toFixed(1)} k instructions/request on the main thread, ${(all / REQUESTS / 1000).toFixed(1)} k on all`);
}

const bare = results.bare;
const k = (n) => (n / 1000).toFixed(1).padStart(8);
console.log(`\n${args.mode}: workerd instructions per callback, k (callgrind; ${REQUESTS} requests after ${WARM_UP} warm-up, ${CONCURRENCY} at a time)`);
console.log(`${"".padEnd(40)} ${"main".padStart(8)} ${"− bare".padStart(8)} ${"bare ÷".padStart(7)}    ${"all".padStart(8)} ${"− bare".padStart(8)}`);
for (const [name, r] of Object.entries(results)) {
  const main = name === "bare" ? "" : `${k(r.main - bare.main)} ${(bare.main / r.main).toFixed(3).padStart(7)}`;
  const all = name === "bare" ? "" : k(r.all - bare.all);
  console.log(`${name.padEnd(40)} ${k(r.main)} ${main.padEnd(16)}    ${k(r.all)} ${all}`);
}
process.exit(0);
