/**
 * Instructions per callback, counted by valgrind's callgrind over the whole
 * workerd process (shared by instructions.mjs and run.mjs).
 * Miniflare starts whatever MINIFLARE_WORKERD_PATH names, so a wrapper script
 * runs workerd under callgrind. After a warm-up the counters are zeroed, the
 * callbacks sent, and each thread's dump read: the main thread is the
 * isolate's (where the callbacks run), the others are V8's background
 * compiler and collector, whose work lands in the window in bursts.
 *
 * Under valgrind requests run ~50× slower, so each 500 ms ledger batch holds
 * fewer records than at full speed: with exactly-once on, the ledger's
 * per-batch share is overstated (alike for every build).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { makeRequest, out, replyIsCorrect } from "./lib.mjs";

export const WARM_UP = 2000; // long enough for V8 to optimize the hot path
export const CONCURRENCY = 8;

const dumps = join(out, "callgrind");

/** True when valgrind is installed. */
export function haveValgrind() {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

function wrapper() {
  const path = join(out, "workerd-callgrind.sh");
  mkdirSync(dumps, { recursive: true });
  // The workerd Miniflare runs: resolved from Miniflare's own place, as Miniflare resolves it.
  const workerd = createRequire(createRequire(import.meta.url).resolve("miniflare"))("workerd").default;
  writeFileSync(
    path,
    `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --dump-instr=no --separate-threads=yes --callgrind-out-file=${dumps}/out.%p "${workerd}" "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/**
 * `count` signed callbacks, CONCURRENCY at a time; replies checked when asked.
 * As WeChat and autocannon do, no compressed answer is asked for (fetch asks for gzip by default).
 */
async function send(url, mode, count, check) {
  let wrong = 0;
  let next = 0;
  let dropped = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const m = makeRequest(mode);
      let res;
      try {
        res = await fetch(url + m.path, {
          method: "POST",
          body: m.body,
          headers: { "content-type": "text/xml", "accept-encoding": "identity" },
        });
      } catch (e) {
        // A kept-alive connection that workerd closed while the dump was written: send it anew.
        if (++dropped > 2 * CONCURRENCY) throw e;
        next--;
        continue;
      }
      const body = await res.text();
      if (check && (res.status !== 200 || !replyIsCorrect(mode, body, m.content))) wrong++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return wrong;
}

/** Instructions counted in `pid` since the last zeroing, on the main thread and on all threads. */
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

export const WINDOWS = 3;

/**
 * Starts a Worker under callgrind with `start` (startOurs/startBare), warms
 * it up, counts WINDOWS windows of `requests` callbacks each, and returns the
 * median window's instructions per callback: { main, all }. A major
 * collection lands in a window or not (one safe-mode window measured 1.7×
 * its neighbours); the median keeps the typical window.
 */
export async function instructionsPerCallback(start, mode, { requests = 500, check = true } = {}) {
  process.env.MINIFLARE_WORKERD_PATH = wrapper();
  let started;
  try {
    started = await start();
  } finally {
    delete process.env.MINIFLARE_WORKERD_PATH;
  }
  const { mf, url } = started;
  try {
    const pid = execFileSync("pgrep", ["-P", String(process.pid), "-n"])
      .toString()
      .trim();
    await send(url, mode, WARM_UP, false);
    const windows = [];
    for (let w = 0; w < WINDOWS; w++) {
      execFileSync("callgrind_control", ["-z", pid], { stdio: "pipe" });
      const wrong = await send(url, mode, requests, check);
      if (wrong) throw new Error(`${wrong} wrong replies under callgrind`);
      const { main, all } = dumpTotals(pid);
      windows.push({ main: main / requests, all: all / requests });
    }
    windows.sort((a, b) => a.main - b.main);
    return windows[Math.floor(WINDOWS / 2)];
  } finally {
    await mf.dispose();
  }
}
