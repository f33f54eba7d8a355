/**
 * Structured logs: one JSON object per line, for Workers Logs to index.
 * Callers pass only what is safe to keep: kinds, outcomes, durations, error
 * codes. Never a secret, a token, an OpenID or a follower's content.
 */
import { UpstreamError, WeChatApiError } from "./api/errors";

export type LogFields = Record<string, string | number | boolean | undefined>;

export function log(event: string, fields: LogFields): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/**
 * Routine callbacks (a passive reply, outcome `replied`) get a line at most
 * once per ROUTINE_LOG_MS in an isolate; every other outcome always gets one.
 * A line is the dearest single step of a routine callback, and Workers Logs
 * bills it as an event. So an account's first messages are all logged, while
 * under load the routine lines fall to 10 a second per isolate, each counting
 * (`unlogged`) the routine callbacks since the previous one that were not logged.
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

/**
 * An error's type and where it was thrown, without its message (which may
 * quote content); for a call to WeChat's API, its errcode or HTTP status and the path.
 */
export function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: typeof error };
  if (error instanceof WeChatApiError) return { error: error.name, errcode: error.errcode, path: error.path };
  if (error instanceof UpstreamError) {
    return { error: error.name, upstream: error.kind, httpStatus: error.status, path: error.path };
  }
  const where = error.stack
    ?.split("\n")
    .slice(1, 4)
    .map((l) => l.trim())
    .join(" | ");
  return { error: error.name, where };
}
