/**
 * This isolate's own memory of the messages it handled lately. It catches a
 * duplicate that arrives on the same isolate before the original's ledger
 * record has been written (a resend within the recorder's batch window, which
 * WeChat's 5-second retries never are, but a proxy or a test may be), and
 * answers it as a retry without a Durable Object round trip. Bounded in size
 * and age; the ledger stays the authority across isolates.
 *
 * Two generations of maps: a write goes to `current`; when `current` ends, it
 * becomes `previous` and the old `previous` is dropped whole. An entry is so
 * kept for at least one generation's life, at most MAX_AGE_MS. A generation
 * ends once it holds GENERATION_SIZE writes *and* is MIN_KEPT_MS old, or at
 * MAX_AGE_MS / 2.
 *
 * MIN_KEPT_MS makes the memory sufficient, not merely helpful: a resend within
 * FIRST_DELIVERY_S of its CreateTime counts as a first delivery (policy.ts)
 * and does not ask the ledger, and a resend inside the batch window would not
 * find the record there yet, so only this memory stands between such a resend
 * and a second run of the handler. With an age floor of FIRST_DELIVERY_S plus
 * a second for the two clocks to disagree, that holds at any rate; the price
 * is memory that grows with the rate above GENERATION_SIZE / MIN_KEPT_MS
 * (docs/storage.md).
 */
import { FIRST_DELIVERY_S, type DeliveryState } from "./policy";

export interface RecentDelivery {
  state: Extract<DeliveryState, "running" | "deferred" | "replied" | "done">;
  /** The passive reply's body (state `replied`; replies.ts' renderReplyBody), which a resend's answer wraps. */
  reply?: string;
}

interface Entry extends RecentDelivery {
  /** When the message was first remembered: its age counts from there. */
  since: number;
}

const MAX_AGE_MS = 30_000;
/** A generation ends after this many writes (once MIN_KEPT_MS old): the bound on a quiet isolate. */
export const GENERATION_SIZE = 5000;
/** The least time a generation lasts, and so the least time an entry is kept (see above). */
export const MIN_KEPT_MS = FIRST_DELIVERY_S * 1000 + 1000;

let current = new Map<string, Entry>();
let previous = new Map<string, Entry>();
let currentSince = 0;
/** Writes into `current` since it began (a replaced state counts too): its bound. */
let currentWrites = 0;

function rotateIfDue(now: number): void {
  const age = now - currentSince;
  if ((currentWrites >= GENERATION_SIZE && age >= MIN_KEPT_MS) || age > MAX_AGE_MS / 2) {
    previous = current;
    current = new Map();
    currentSince = now;
    currentWrites = 0;
  }
}

function lookup(key: string, now: number): Entry | undefined {
  const entry = current.get(key) ?? previous.get(key);
  return entry !== undefined && now - entry.since <= MAX_AGE_MS ? entry : undefined;
}

export function recentDelivery(key: string, now: number): RecentDelivery | undefined {
  return lookup(key, now);
}

export function rememberDelivery(key: string, delivery: RecentDelivery, now: number): void {
  const since = lookup(key, now)?.since ?? now;
  rotateIfDue(now);
  previous.delete(key);
  current.set(key, { state: delivery.state, reply: delivery.reply, since });
  currentWrites++;
}

/** Forgets a message here, so a later retry asks the ledger (e.g. to take an undelivered reply). */
export function forgetDelivery(key: string): void {
  current.delete(key);
  previous.delete(key);
}

/** How many messages are remembered (for tests of the bound). */
export function recentSize(): number {
  return current.size + previous.size;
}
