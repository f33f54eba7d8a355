#!/usr/bin/env node
/**
 * `npm --prefix bench run instructions`: instructions per callback, counted by
 * valgrind's callgrind over the whole workerd process: the bare floor, this
 * checkout (exactly-once on and off) and, with --base <git ref>, the same
 * Worker built from that ref. Throughput and CPU time on these shared
 * machines move 5–10% between runs, more than most single changes are
 * worth; an instruction count repeats to a fraction of a percent, so this is
 * the tool for telling whether a change to the hot path pays.
 *
 * What it does not see: cache misses, system calls' kernel side, page faults
 * and the wakeups of other processes (perf.mjs sees those). How it counts,
 * and what valgrind's slowness does to the ledger's share: callgrind.mjs.
 *
 * Needs valgrind (Debian: valgrind).
 *
 *   npm --prefix bench run instructions -- [--mode plaintext|safe] [--requests 500 (per window)] [--base HEAD~1]
 */
import { parseArgs } from "node:util";
import { CONCURRENCY, WARM_UP, WINDOWS, instructionsPerCallback } from "./callgrind.mjs";
import { compareTargets, log } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    requests: { type: "string", default: "500" },
    base: { type: "string" },
  },
});
if (args.mode !== "plaintext" && args.mode !== "safe") throw new Error("--mode is plaintext or safe");
const REQUESTS = Number(args.requests);

const targets = await compareTargets(args.base);

const results = {};
for (const [name, start] of Object.entries(targets)) {
  const r = await instructionsPerCallback(start, args.mode, { requests: REQUESTS, check: name !== "bare" });
  results[name] = r;
  log(
    `${name}: ${(r.main / 1000).toFixed(1)} k instructions/request on the main thread, ${(r.all / 1000).toFixed(1)} k on all`,
  );
}

const bare = results.bare;
const k = (n) => (n / 1000).toFixed(1).padStart(8);
console.log(
  `\n${args.mode}: workerd instructions per callback, k (callgrind; the median of ${WINDOWS} windows of ${REQUESTS} requests after ${WARM_UP} warm-up, ${CONCURRENCY} at a time)`,
);
console.log(
  `${"".padEnd(40)} ${"main".padStart(8)} ${"− bare".padStart(8)} ${"bare ÷".padStart(7)}    ${"all".padStart(8)} ${"− bare".padStart(8)}`,
);
for (const [name, r] of Object.entries(results)) {
  const main = name === "bare" ? "" : `${k(r.main - bare.main)} ${(bare.main / r.main).toFixed(3).padStart(7)}`;
  const all = name === "bare" ? "" : k(r.all - bare.all);
  console.log(`${name.padEnd(40)} ${k(r.main)} ${main.padEnd(16)}    ${k(r.all)} ${all}`);
}
process.exit(0);
