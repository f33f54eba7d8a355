/**
 * Timers: a plain sleep, and the race between a promise and a deadline that
 * the callback runs every slow handler against.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What `withinDeadline` settles to when the deadline came first. */
export const DEADLINE: unique symbol = Symbol("deadline");

/**
 * The promise's value, or DEADLINE if `ms` pass first. The promise keeps
 * running either way. The timer is cleared as soon as the race is decided:
 * a pending timer keeps its request's context alive until it fires.
 */
export async function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof DEADLINE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reached = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => resolve(DEADLINE), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, reached]);
  } finally {
    clearTimeout(timer);
  }
}

/** A call that took longer than its bound (storage that stalls is treated as storage that failed). */
export class TimeoutError extends Error {
  constructor(readonly what: string) {
    super(`${what} took too long`);
    this.name = "TimeoutError";
  }
}

/** The promise's value, or a TimeoutError once `ms` pass (the promise goes on, its result ignored). */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const result = await withinDeadline(promise, ms);
  if (result === DEADLINE) {
    promise.catch(() => {}); // a late failure is no one's to report
    throw new TimeoutError(what);
  }
  return result;
}
