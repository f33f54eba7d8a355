/**
 * Structured logs: one JSON object per line, for Workers Logs to index.
 * Callers pass only what is safe to keep: kinds, outcomes, durations, error
 * codes. Never a secret, a token, an OpenID or a follower's content.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export function log(event: string, fields: LogFields): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/**
 * The usual callback line — exactly what `log("callback", …)` writes for
 * these fields, in the same order — built as a string, without the object
 * spreads and generic stringify (about 1 µs of a 12 µs in-process callback).
 */
export function logCallback(
  mode: string,
  type: string,
  reply: string | undefined,
  outcome: string,
  ms: number,
  unlogged = 0,
): void {
  console.log(
    '{"event":"callback","mode":' +
      jsonString(mode) +
      ',"type":' +
      jsonString(type) +
      (reply === undefined ? "" : ',"reply":' + jsonString(reply)) +
      ',"outcome":' +
      jsonString(outcome) +
      ',"status":200,"ms":' +
      ms +
      (unlogged === 0 ? "}" : ',"unlogged":' + unlogged + "}"),
  );
}

/**
 * Routine callbacks (a passive reply, outcome `replied`) get a line at most
 * once per ROUTINE_LOG_MS in an isolate; every other outcome always gets one.
 * A line costs workerd ~7 µs of CPU (console.log's machinery and the write;
 * measured beside a bare Worker, ~4% of a plaintext callback's throughput),
 * the most of any single step, and Workers Logs bills it as an event. So an
 * account's first messages are all logged, while under load the routine
 * lines fall to 10 a second per isolate, each counting (`unlogged`) the
 * routine callbacks since the previous one that were not logged.
 */
export const ROUTINE_LOG_MS = 100;
let lastRoutineLine = Number.NEGATIVE_INFINITY;
let routineUnlogged = 0;

/** Whether a routine callback at `now` gets its line: the count of routine callbacks unlogged since the last line, or undefined (and it is counted). */
export function routineLine(now: number): number | undefined {
  if (now - lastRoutineLine < ROUTINE_LOG_MS) {
    routineUnlogged++;
    return undefined;
  }
  lastRoutineLine = now;
  const unlogged = routineUnlogged;
  routineUnlogged = 0;
  return unlogged;
}

/** Names (letters, digits, `_`, `.`, `:`, `-`) need no escaping; anything else goes through JSON.stringify. */
const PLAIN_NAME = /^[\w.:-]*$/;
function jsonString(text: string): string {
  return PLAIN_NAME.test(text) ? '"' + text + '"' : JSON.stringify(text);
}

/** An error's type and where it was thrown, without its message (which may quote content). */
export function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: typeof error };
  const where = error.stack
    ?.split("\n")
    .slice(1, 4)
    .map((l) => l.trim())
    .join(" | ");
  return { error: error.name, where };
}
