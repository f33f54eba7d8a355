/**
 * This isolate's own memory of the messages it handled lately. It catches a
 * duplicate that arrives on the same isolate before the original's ledger
 * record has been written (a resend within the 250 ms batch window, which
 * WeChat's 5-second retries never are, but a proxy or a test may be), and
 * answers it as a retry without a Durable Object round trip. Bounded in size
 * and age; the ledger stays the authority across isolates.
 *
 * Two generations of maps, not one map trimmed in age order: deleting from
 * the front of a Map leaves holes that every later trim walks again (measured
 * in a CPU profile at 7.5% of a callback). Rotating whole generations is O(1).
 * An entry is kept until two rotations have passed: at least a full
 * generation (GENERATION_SIZE later entries or MAX_AGE_MS / 2), at most MAX_AGE_MS.
 * That outlasts the batch window (BATCH_MS) unless one isolate handles
 * 10,000 messages a second, more than twice what it can.
 */
import type { DeliveryState } from "./policy";

export interface RecentDelivery {
  state: Exclude<DeliveryState, "undeliverable" | "sending">;
  /** The passive reply's XML (state `replied`). */
  reply?: string;
}

const MAX_AGE_MS = 30_000;
/** Two generations hold at most 2 × this many messages. */
export const GENERATION_SIZE = 2500;

interface Entry extends RecentDelivery {
  at: number;
}

let current = new Map<string, Entry>();
let previous = new Map<string, Entry>();
let currentSince = 0;

function rotateIfDue(now: number): void {
  if (current.size >= GENERATION_SIZE || now - currentSince > MAX_AGE_MS / 2) {
    previous = current;
    current = new Map();
    currentSince = now;
  }
}

export function recentDelivery(key: string, now: number): RecentDelivery | undefined {
  const entry = current.get(key) ?? previous.get(key);
  return entry !== undefined && now - entry.at <= MAX_AGE_MS ? entry : undefined;
}

export function rememberDelivery(key: string, delivery: RecentDelivery, now: number): void {
  rotateIfDue(now);
  const before = current.get(key) ?? previous.get(key);
  const at = before !== undefined && now - before.at <= MAX_AGE_MS ? before.at : now;
  const entry: Entry = delivery.reply === undefined ? { state: delivery.state, at } : { state: delivery.state, reply: delivery.reply, at };
  current.set(key, entry);
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
