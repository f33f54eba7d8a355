/**
 * The isolate's memory of recent deliveries (src/delivery/recent.ts): what a
 * resend on the same isolate finds before the ledger record is written, how
 * long it is kept, and that it stays bounded however many messages pass.
 */
import { describe, expect, it } from "vitest";
import { GENERATION_SIZE, forgetDelivery, keyHash, recentDelivery, recentSize, rememberDelivery, rememberFirst } from "../src/delivery/recent";

let seq = 0;
const key = () => `m:recent-test-${seq++}`;
const T0 = 1_900_000_000_000;

describe("recent deliveries", () => {
  it("remembers the newest state of a message, and its reply", () => {
    const k = key();
    rememberDelivery(k, { state: "running" }, T0);
    expect(recentDelivery(k, T0)).toMatchObject({ state: "running" });
    rememberDelivery(k, { state: "replied", reply: "<xml/>" }, T0 + 5);
    expect(recentDelivery(k, T0 + 10)).toMatchObject({ state: "replied", reply: "<xml/>" });
  });

  it("forgets a message on request, so a retry asks the ledger", () => {
    const k = key();
    rememberDelivery(k, { state: "deferred" }, T0);
    forgetDelivery(k);
    expect(recentDelivery(k, T0)).toBeUndefined();
  });

  it("keeps a message 30 s from its first sighting, not from its last update", () => {
    const k = key();
    rememberDelivery(k, { state: "running" }, T0);
    rememberDelivery(k, { state: "done" }, T0 + 20_000);
    expect(recentDelivery(k, T0 + 30_000)).toMatchObject({ state: "done" });
    expect(recentDelivery(k, T0 + 30_001)).toBeUndefined();
  });

  it("still holds a message after GENERATION_SIZE later ones, and stays bounded after many more", () => {
    const t = T0 + 100_000;
    const first = key();
    rememberDelivery(first, { state: "replied", reply: "r" }, t);
    for (let i = 0; i < GENERATION_SIZE - 1; i++) rememberDelivery(key(), { state: "done" }, t);
    expect(recentDelivery(first, t)).toMatchObject({ state: "replied", reply: "r" });
    for (let i = 0; i < 10 * GENERATION_SIZE; i++) rememberDelivery(key(), { state: "done" }, t + 1);
    expect(recentSize()).toBeLessThanOrEqual(2 * GENERATION_SIZE);
    expect(recentDelivery(first, t + 1)).toBeUndefined();
  });

  it("drops a quiet isolate's old generation whole on the next rotation", () => {
    const t = T0 + 200_000;
    const k = key();
    rememberDelivery(k, { state: "done" }, t);
    rememberDelivery(key(), { state: "done" }, t + 16_000); // rotates: k is in the older generation
    expect(recentDelivery(k, t + 16_000)).toMatchObject({ state: "done" });
    rememberDelivery(key(), { state: "done" }, t + 32_000); // rotates again: k's generation is gone
    expect(recentSize()).toBeLessThanOrEqual(2);
  });

  it("keeps two messages apart whose keys share a hash", () => {
    // Birthday search for two message keys with the same 30-bit hash.
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const k = `m:${8_100_000_000_000_000_000n + BigInt(i)}`;
      const other = seen.get(keyHash(k));
      if (other !== undefined) pair = [other, k];
      else seen.set(keyHash(k), k);
    }
    const [a, b] = pair;
    const t = T0 + 300_000;
    rememberFirst(a, { state: "replied", reply: "<a/>" }, t);
    rememberFirst(b, { state: "running" }, t);
    expect(recentDelivery(a, t)).toMatchObject({ state: "replied", reply: "<a/>" });
    expect(recentDelivery(b, t)).toMatchObject({ state: "running" });
    rememberDelivery(b, { state: "replied", reply: "<b/>" }, t + 1);
    expect(recentDelivery(a, t + 1)).toMatchObject({ state: "replied", reply: "<a/>" });
    expect(recentDelivery(b, t + 1)).toMatchObject({ state: "replied", reply: "<b/>" });
    forgetDelivery(a);
    expect(recentDelivery(a, t + 1)).toBeUndefined();
    expect(recentDelivery(b, t + 1)).toMatchObject({ state: "replied", reply: "<b/>" });
  });
});
