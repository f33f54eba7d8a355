#!/usr/bin/env node
/**
 * `npm --prefix bench run steady`: the full run's way of measuring beside a
 * steady state, in one run. "fresh" is the full run's: a new workerd for every
 * measurement, after one warm-up load. "steady" keeps one workerd per Worker
 * running for the whole run, after WARM_LOADS warm-up loads (~30 s), by
 * which time workerd's memory has stopped growing and a request no longer
 * pays page faults for it (bench/NOTES.md, “Page faults and warm-up”). The
 * rounds interleave both ways and both Workers, so the machine's drift hits
 * them alike.
 *
 *   npm --prefix bench run steady -- [--mode plaintext|safe] [--seconds 5] [--rounds 6]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  assertAllRight,
  bundleWorker,
  inRoundOrder,
  log,
  measureRun,
  measureWorker,
  median,
  out,
  startBare,
  startOurs,
  startTracked,
  warmUp,
} from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "6" },
  },
});
if (args.mode !== "plaintext" && args.mode !== "safe") throw new Error("--mode is plaintext or safe");
process.env.BENCH_SECONDS ??= args.seconds;

const WARM_LOADS = 6;

const script = await bundleWorker(join(out, "worker"));
const starters = { bare: () => startBare(), ours: () => startOurs(script, {}) };
const steady = {};
for (const [name, start] of Object.entries(starters)) {
  steady[name] = await startTracked(start);
  await warmUp(steady[name], [args.mode], WARM_LOADS);
}

const results = { fresh: { bare: [], ours: [] }, steady: { bare: [], ours: [] } };
for (let round = 0; round < Number(args.rounds); round++) {
  for (const name of inRoundOrder(Object.keys(starters), round)) {
    const check = name !== "bare";
    results.fresh[name].push(assertAllRight(await measureRun(starters[name], args.mode, { check }), `${name}, fresh`));
    results.steady[name].push(
      assertAllRight(await measureWorker(steady[name], args.mode, { check }), `${name}, steady`),
    );
    log(
      `round ${round + 1} ${name}: fresh ${results.fresh[name].at(-1).rps.toFixed(0)} req/s, steady ${results.steady[name].at(-1).rps.toFixed(0)} req/s`,
    );
  }
}
for (const worker of Object.values(steady)) await worker.mf.dispose();

console.log(`\n${args.mode}, exactly-once on, ${args.seconds} s × ${args.rounds} rounds (medians; per-round ratios)`);
for (const way of ["fresh", "steady"]) {
  const r = results[way];
  const ratios = r.ours.map((x, i) => x.rps / r.bare[i].rps);
  const m = (name, key) => median(r[name].map((x) => x[key]));
  console.log(
    `${way.padEnd(7)} ours × bare ${median(ratios).toFixed(2)} [${ratios.map((x) => x.toFixed(2)).join(" ")}]` +
      `  CPU µs bare ${m("bare", "cpuUs").toFixed(0)}, ours ${m("ours", "cpuUs").toFixed(0)}` +
      `  faults bare ${m("bare", "faults").toFixed(2)}, ours ${m("ours", "faults").toFixed(2)}`,
  );
}
process.exit(0);
