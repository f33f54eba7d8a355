#!/usr/bin/env node
/**
 * `npm --prefix bench run ab`: a quick side-by-side throughput check for one
 * change, shorter than the full `npm run bench`. Runs the bare floor, this
 * checkout (exactly-once on and off) and, with --base <git ref>, the same
 * Worker built from that ref, in interleaved rounds so that the machine's drift
 * hits all of them alike; prints each round's ratios and their median.
 * Besides req/s it reports the workerd process's CPU time per request (from
 * /proc), which the load generator's share of the 2 cores disturbs far less
 * than throughput, and its minor page faults per request, which explain much
 * of the CPU time's spread between runs (bench/NOTES.md, “Page faults and
 * warm-up”).
 *
 *   npm --prefix bench run ab -- [--mode plaintext|safe] [--seconds 4] [--rounds 3] [--base HEAD~1] [--on-only] [--warmups 1]
 */
import { parseArgs } from "node:util";
import { assertAllRight, compareTargets, inRoundOrder, log, measureRun, median } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    base: { type: "string" },
    "on-only": { type: "boolean", default: false },
    warmups: { type: "string", default: "1" },
  },
});
if (args.mode !== "plaintext" && args.mode !== "safe") throw new Error("--mode is plaintext or safe");
process.env.BENCH_SECONDS ??= args.seconds;

const targets = await compareTargets(args.base);

if (args["on-only"]) for (const name of Object.keys(targets)) if (name.endsWith("off")) delete targets[name];
const names = Object.keys(targets);
const rps = Object.fromEntries(names.map((n) => [n, []]));
const cpu = Object.fromEntries(names.map((n) => [n, []]));
const faults = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < Number(args.rounds); round++) {
  for (const name of inRoundOrder(names, round)) {
    const r = assertAllRight(
      await measureRun(targets[name], args.mode, { check: name !== "bare", warmups: Number(args.warmups) }),
      name,
    );
    rps[name].push(r.rps);
    cpu[name].push(r.cpuUs);
    faults[name].push(r.faults);
    log(
      `round ${round + 1} ${name}: ${r.rps.toFixed(0)} req/s, workerd ${r.cpuUs.toFixed(0)} µs CPU and ${r.faults.toFixed(2)} page faults/request`,
    );
  }
}

const ratio = (a, b) => rps[a].map((x, i) => x / rps[b][i]);
console.log(`\n${args.mode}, ${args.seconds} s × ${args.rounds} rounds (median req/s; per-round ratios)`);
for (const name of names) {
  const vsBare = ratio(name, "bare");
  const line = [
    `${name.padEnd(40)} ${median(rps[name]).toFixed(0).padStart(6)} req/s ${median(cpu[name]).toFixed(0).padStart(4)} µs CPU ${median(faults[name]).toFixed(2)} faults`,
  ];
  if (name !== "bare") line.push(`× bare ${median(vsBare).toFixed(2)} [${vsBare.map((x) => x.toFixed(2)).join(" ")}]`);
  if (name.endsWith("on") && rps[name.replace(/on$/, "off")]) {
    const vsOff = ratio(name, name.replace(/on$/, "off"));
    line.push(`× off ${median(vsOff).toFixed(2)} [${vsOff.map((x) => x.toFixed(2)).join(" ")}]`);
  }
  console.log(line.join("  "));
}
process.exit(0);
