/**
 * This isolate's own memory of the messages it handled lately. It catches a
 * duplicate that arrives on the same isolate before the original's ledger
 * record has been written (a resend within the 500 ms batch window, which
 * WeChat's 5-second retries never are, but a proxy or a test may be), and
 * answers it as a retry without a Durable Object round trip. Bounded in size
 * and age; the ledger stays the authority across isolates.
 *
 * Two generations of maps, not one map trimmed in age order: deleting from
 * the front of a Map leaves holes that every later trim walks again (measured
 * in a CPU profile at 7.5% of a callback). Rotating whole generations is O(1).
 * An entry is kept until two rotations have passed, so at least as long as a
 * whole generation lasts, at most MAX_AGE_MS. A generation ends once it holds
 * GENERATION_SIZE writes *and* is MIN_KEPT_MS old, or at MAX_AGE_MS / 2.
 *
 * MIN_KEPT_MS is what makes the memory sufficient, not merely helpful: a
 * resend within FIRST_DELIVERY_S of its CreateTime counts as a first delivery
 * (policy.ts) and does not ask the ledger, and a resend inside the batch window
 * (BATCH_MS) would not find the record there yet, so only this memory stands
 * between such a resend and a second run of the handler. With an age floor
 * of FIRST_DELIVERY_S plus a second for the two clocks to disagree, that
 * holds at any rate. The price is memory that grows with the rate above
 * GENERATION_SIZE / MIN_KEPT_MS (~1,700 messages a second): two generations
 * of MIN_KEPT_MS each, bounded in practice by what one isolate can handle
 * (docs/storage.md gives the figures).
 */
import { FIRST_DELIVERY_S, type DeliveryState } from "./policy";

export interface RecentDelivery {
  state: Exclude<DeliveryState, "undeliverable" | "sending">;
  /** The passive reply's body (state `replied`; replies.ts' renderReplyBody), which a resend's answer wraps. */
  reply?: string;
}

const MAX_AGE_MS = 30_000;
/** A generation ends after this many writes (once MIN_KEPT_MS old): the bound on a quiet isolate. */
export const GENERATION_SIZE = 5000;
/** The least time a generation lasts, and so the least time an entry is kept (see above). */
export const MIN_KEPT_MS = FIRST_DELIVERY_S * 1000 + 1000;

interface Entry extends RecentDelivery {
  key: string;
  at: number;
  /** Another message whose key has the same hash (rare: a 30-bit hash over tens of thousands of keys at most). */
  next: Entry | undefined;
}

// Keyed by a hash of the message key, not by the key: a Map looks a fresh
// string key up in V8's string table first (perf: 2.4 µs a callback), a small
// integer it hashes in place. Each entry keeps its key, so a collision only chains.
type Generation = Map<number, Entry>;
let current: Generation = new Map();
let previous: Generation = new Map();
let currentSince = 0;
/** Writes into `current` since it began (a replaced state counts too): its bound. */
let currentWrites = 0;

/** FNV-1a over the key's UTF-16 units, cut to 30 bits so that V8 keeps it a small integer. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x3fffffff;
}

function find(generation: Generation, hash: number, key: string): Entry | undefined {
  let entry = generation.get(hash);
  while (entry !== undefined && entry.key !== key) entry = entry.next;
  return entry;
}

function rotateIfDue(now: number): void {
  const age = now - currentSince;
  if ((currentWrites >= GENERATION_SIZE && age >= MIN_KEPT_MS) || age > MAX_AGE_MS / 2) {
    previous = current;
    current = new Map();
    currentSince = now;
    currentWrites = 0;
  }
}

function lookup(key: string, hash: number, now: number): Entry | undefined {
  const entry = find(current, hash, key) ?? find(previous, hash, key);
  return entry !== undefined && now - entry.at <= MAX_AGE_MS ? entry : undefined;
}

export function recentDelivery(key: string, now: number): RecentDelivery | undefined {
  return lookup(key, keyHash(key), now);
}

export function rememberDelivery(key: string, delivery: RecentDelivery, now: number): void {
  const hash = keyHash(key);
  const before = lookup(key, hash, now);
  store(key, hash, delivery, before === undefined ? now : before.at, now);
}

/**
 * `rememberDelivery` for a key that `recentDelivery` has just reported
 * unknown, with no await since: no lookup before the write.
 */
export function rememberFirst(key: string, delivery: RecentDelivery, now: number): void {
  store(key, keyHash(key), delivery, now, now);
}

function store(key: string, hash: number, delivery: RecentDelivery, at: number, now: number): void {
  rotateIfDue(now);
  const head = current.get(hash);
  const entry: Entry = { key, state: delivery.state, reply: flat(delivery.reply), at, next: unlink(head, key) };
  current.set(hash, entry);
  currentWrites++;
}

/**
 * The reply as one string of its own. A reply is built by concatenation around
 * slices of the request's text (an echo's Content), and V8 keeps a whole string
 * alive for as long as any slice of it is: kept as built, every entry held its
 * request's text too. Converting a string to a number makes V8 copy it into one
 * flat string first, dropping its parts; reading a character does not do it
 * reliably. Measured in workerd's heap, an echo's entry: 619 bytes as built,
 * 211 flattened (504 with charCodeAt).
 */
function flat(reply: string | undefined): string | undefined {
  if (reply !== undefined) Number(reply); // for the flattening only; the result is NaN
  return reply;
}

/** The chain without `key`'s entry (a new state replaces the old one). */
function unlink(head: Entry | undefined, key: string): Entry | undefined {
  if (head === undefined) return undefined;
  if (head.key === key) return head.next;
  // Collisions are rare and chains short: rebuild the chain without the key.
  return { ...head, next: unlink(head.next, key) };
}

/** Forgets a message here, so a later retry asks the ledger (e.g. to take an undelivered reply). */
export function forgetDelivery(key: string): void {
  const hash = keyHash(key);
  for (const generation of [current, previous]) {
    const rest = unlink(generation.get(hash), key);
    if (rest === undefined) generation.delete(hash);
    else generation.set(hash, rest);
  }
}

/** How many messages are remembered (for tests of the bound). */
export function recentSize(): number {
  let n = 0;
  for (const generation of [current, previous]) {
    for (const head of generation.values()) for (let e: Entry | undefined = head; e !== undefined; e = e.next) n++;
  }
  return n;
}
