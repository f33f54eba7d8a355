#!/usr/bin/env node
/**
 * `npm --prefix bench run profile`: where a callback's time goes inside
 * workerd. Loads our Worker under Miniflare as the throughput benchmark does,
 * records a V8 CPU profile of the Worker's isolate through the inspector, and
 * prints the functions with the most self time (the Durable Objects share the
 * isolate under Miniflare, so their work shows too).
 *
 * --ref profiles the Worker built from another git ref instead of this checkout.
 *
 *   npm --prefix bench run profile -- [--mode plaintext|safe] [--seconds 4] [--exactly-once on|off] [--top 30] [--ref HEAD~1]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { atRef, bundleWorker, load, log, out, startOurs } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "plaintext" },
    seconds: { type: "string", default: "4" },
    "exactly-once": { type: "string", default: "on" },
    top: { type: "string", default: "30" },
    ref: { type: "string" },
  },
});
process.env.BENCH_SECONDS ??= args.seconds;

const INSPECTOR_PORT = 9300 + Math.floor(Math.random() * 500);
const script = args.ref
  ? await atRef(args.ref, (tree) => bundleWorker(join(out, "ref"), tree))
  : await bundleWorker(join(out, "worker"));
const { mf, url } = await startOurs(script, { EXACTLY_ONCE: args["exactly-once"] }, undefined, {
  inspectorPort: INSPECTOR_PORT,
});
await load(url, args.mode, false); // warm-up

const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
const target = targets.find((t) => !t.title?.includes("miniflare") && !t.url?.includes("miniflare")) ?? targets[0];
log(`profiling ${target.title ?? target.url}`);
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
let nextId = 1;
const pending = new Map();
ws.on("message", (data) => {
  const msg = JSON.parse(String(data));
  if (msg.id && pending.has(msg.id)) pending.get(msg.id)(msg);
});
const send = (method, params = {}) =>
  new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const r = await load(url, args.mode, true);
const { result } = await send("Profiler.stop");
ws.close();
await mf.dispose();
log(`${r.rps.toFixed(0)} req/s while profiling (the profiler slows it); wrong ${r.wrong}`);

const profile = result.profile;
writeFileSync(join(out, "callback.cpuprofile"), JSON.stringify(profile));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const f = n.callFrame;
  const file = f.url ? f.url.split("/").pop() : "";
  const key = `${f.functionName || "(anonymous)"} ${file}${f.url ? `:${f.lineNumber + 1}` : ""}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  total += dt[i] ?? 0;
});
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top));
console.log(
  `\nself time, ${args.mode}, exactly-once ${args["exactly-once"]} (${(total / 1000).toFixed(0)} ms sampled; profile in ${join(out, "callback.cpuprofile")})`,
);
for (const [k, v] of rows) console.log(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
process.exit(0);
