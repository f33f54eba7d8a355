/**
 * This isolate's own memory of the messages it handled lately. It catches a
 * duplicate that arrives on the same isolate before the original's ledger
 * record has been written (a resend within the 50 ms batch window, which
 * WeChat's 5-second retries never are, but a proxy or a test may be), and
 * answers it as a retry without a Durable Object round trip. Bounded in size
 * and age; the ledger stays the authority across isolates.
 */
import type { DeliveryState } from "./policy";

export interface RecentDelivery {
  state: Exclude<DeliveryState, "undeliverable" | "sending">;
  /** The passive reply's XML (state `replied`). */
  reply?: string;
}

const MAX_ENTRIES = 5000;
const MAX_AGE_MS = 30_000;

interface Entry extends RecentDelivery {
  at: number;
}

const entries = new Map<string, Entry>();

export function recentDelivery(key: string, now: number): RecentDelivery | undefined {
  const entry = entries.get(key);
  if (entry && now - entry.at > MAX_AGE_MS) {
    entries.delete(key);
    return undefined;
  }
  return entry;
}

export function rememberDelivery(key: string, delivery: RecentDelivery, now: number): void {
  const previous = entries.get(key);
  entries.delete(key); // re-insert: Map order is age order
  entries.set(key, { ...delivery, at: previous?.at ?? now });
  // Oldest first: drop what is too old or beyond the bound.
  for (const [k, e] of entries) {
    if (entries.size <= MAX_ENTRIES && now - e.at <= MAX_AGE_MS) break;
    entries.delete(k);
  }
}

/** Forgets a message here, so a later retry asks the ledger (e.g. to take an undelivered reply). */
export function forgetDelivery(key: string): void {
  entries.delete(key);
}
