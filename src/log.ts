/**
 * Structured logs: one JSON object per line, for Workers Logs to index.
 * Callers pass only what is safe to keep: kinds, outcomes, durations, error
 * codes. Never a secret, a token, an OpenID or a follower's content.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export function log(event: string, fields: LogFields): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** An error's type and where it was thrown, without its message (which may quote content). */
export function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: typeof error };
  const where = error.stack?.split("\n").slice(1, 4).map((l) => l.trim()).join(" | ");
  return { error: error.name, where };
}
