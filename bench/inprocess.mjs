#!/usr/bin/env node
/**
 * `npm --prefix bench run inprocess`: the pipeline's own cost, in Node, for
 * changes too small for workerd to show here (a few µs; bench/NOTES.md,
 * “Noise, and what each tool resolves”). Drives `processCallback`
 * (bench/pipeline.ts: the Worker's code, node:crypto primitives, exactly-once
 * off, the log line silenced) over the same signed messages, this checkout
 * beside --base <git ref>, in interleaved windows, and reports per callback:
 * - µs: the best and the median window;
 * - bytes allocated on V8's heap, counted with nothing collected inside the
 *   window (the semi-spaces are made large enough: the npm script's flags).
 * --profile adds where this checkout's bytes are allocated, by function
 * (V8's sampling heap profiler, collected objects included).
 *
 *   npm --prefix bench run inprocess -- [--mode plaintext|safe] [--base HEAD~1] [--windows 12] [--profile]
 */
import { Session } from "node:inspector/promises";
import { PerformanceObserver } from "node:perf_hooks";
import { join } from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import {
  PIPELINE_ENV,
  atRef,
  bundlePipelineFor,
  inRoundOrder,
  log,
  makeRequest,
  median,
  nodePrimitives,
  out,
} from "./lib.mjs";
import "./uint8array-encoding.mjs"; // built-ins the pipeline uses that Node 20 lacks

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    base: { type: "string" },
    windows: { type: "string", default: "12" },
    profile: { type: "boolean", default: false },
  },
});
if (args.mode !== "plaintext" && args.mode !== "safe") throw new Error("--mode is plaintext or safe");
if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc (npm run inprocess does)");

/** Callbacks a window: at ~4 KB each (plaintext; safe mode more), ~80 MB, inside the 256 MB semi-space. */
const N = 20_000;

const builds = { head: await import(await bundlePipelineFor(join(out, "inprocess-head.mjs"))) };
if (args.base)
  builds[`base ${args.base}`] = await import(
    await atRef(args.base, (tree) => bundlePipelineFor(join(out, "inprocess-base.mjs"), tree))
  );
/** Each build's pipeline on node:crypto, with an env object of its own (a pipeline's configuration is kept per env object). */
const pipelines = new Map(Object.values(builds).map((p) => [p, nodePipeline(p)]));
function nodePipeline(p) {
  // A base ref whose pipeline.ts takes no primitives has them set module-wide instead.
  if (typeof p.usePrimitives === "function") p.usePrimitives(nodePrimitives);
  return p.pipeline({ ...PIPELINE_ENV }, nodePrimitives);
}

// The same inputs for every build, made before timing: the query and the body text.
const messages = Array.from({ length: N }, () => makeRequest(args.mode));
const queries = messages.map((m) => new URLSearchParams(m.query));
const bodies = messages.map((m) => m.body);

// Collections inside a window would make its byte count wrong: their start times are kept, and such a window's bytes dropped.
const collectedAt = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collectedAt.push(e.startTime);
}).observe({ entryTypes: ["gc"] });
/** Whether a collection started between `from` and `to` (performance.now() times); the observer reports some turns later. */
async function collectedBetween(from, to) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return collectedAt.some((t) => t >= from && t <= to);
}

const console_log = console.log;
/** One window of N callbacks: µs a callback, and bytes allocated a callback (NaN if anything was collected meanwhile). */
async function window(p) {
  const run = pipelines.get(p);
  console.log = () => {};
  try {
    globalThis.gc();
    const heapBefore = v8.getHeapStatistics().used_heap_size;
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const answer = await run(queries[i], bodies[i]);
      if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${answer.body}`);
    }
    const ended = performance.now();
    const heapAfter = v8.getHeapStatistics().used_heap_size;
    const bytes = (await collectedBetween(started, ended)) ? NaN : (heapAfter - heapBefore) / N;
    return { us: ((ended - started) / N) * 1000, bytes };
  } finally {
    console.log = console_log;
  }
}

const names = Object.keys(builds);
const results = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) await window(builds[name]); // warm-up: JIT
for (let w = 0; w < Number(args.windows); w++) {
  for (const name of inRoundOrder(names, w)) results[name].push(await window(builds[name]));
}

console_log(
  `\n${args.mode}: processCallback in Node, ${args.windows} windows of ${N} callbacks (node:crypto, exactly-once off)`,
);
console_log("build".padEnd(28) + "µs best".padStart(10) + "µs median".padStart(12) + "bytes (median)".padStart(16));
for (const name of names) {
  const r = results[name];
  const us = r.map((x) => x.us);
  console_log(
    name.padEnd(28) +
      Math.min(...us)
        .toFixed(2)
        .padStart(10) +
      median(us).toFixed(2).padStart(12) +
      bytesOf(r).padStart(16),
  );
}

/** The median of the windows' byte counts, or why there is none. */
function bytesOf(windows) {
  const counted = windows.map((x) => x.bytes).filter((b) => !Number.isNaN(b));
  return counted.length === 0 ? "collected" : median(counted).toFixed(0);
}

if (args.profile) {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 32,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await window(builds.head);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  const bySite = new Map();
  const walk = (node) => {
    const f = node.callFrame;
    const site = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  console_log(
    "\nhead: bytes allocated a callback, by the function that allocated them (sampled; inlined callees count as their caller)",
  );
  for (const [site, size] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15))
    if (size > 0) console_log(`${(size / N).toFixed(0).padStart(8)}  ${site}`);
}
log("done");
