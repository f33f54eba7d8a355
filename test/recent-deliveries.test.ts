/**
 * The isolate's memory of recent deliveries (src/delivery/recent.ts): what a
 * resend on the same isolate finds before the ledger record is written, how
 * long it is kept, and that it stays bounded however many messages pass.
 */
import { describe, expect, it } from "vitest";
import { FIRST_DELIVERY_S } from "../src/delivery/policy";
import {
  GENERATION_SIZE,
  MIN_KEPT_MS,
  forgetDelivery,
  recentDelivery,
  recentSize,
  rememberDelivery,
} from "../src/delivery/recent";

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

  it("keeps every message MIN_KEPT_MS at least, however many arrive meanwhile (a resend inside the first-delivery window asks no ledger)", () => {
    const t = T0 + 100_000;
    const first = key();
    rememberDelivery(first, { state: "replied", reply: "r" }, t);
    // 20,000 messages a second: four generations' worth of writes inside the window.
    for (let i = 1; i <= 4 * GENERATION_SIZE; i++) rememberDelivery(key(), { state: "done" }, t + Math.floor(i / 20));
    expect(MIN_KEPT_MS).toBeGreaterThan(FIRST_DELIVERY_S * 1000);
    expect(recentDelivery(first, t + MIN_KEPT_MS - 1)).toMatchObject({ state: "replied", reply: "r" });
  });

  it("stays bounded: two generations of GENERATION_SIZE when quiet, of MIN_KEPT_MS when busy", () => {
    const sizeAfter = (from: number, perMs: number, ms: number) => {
      let most = 0;
      for (let at = 0; at < ms; at++) {
        for (let j = 0; j < perMs; j++) rememberDelivery(key(), { state: "done" }, from + at);
        // The first half rotates out earlier tests' messages; the size peaks just before a rotation, so look often.
        if (at >= ms / 2 && at % 50 === 49) most = Math.max(most, recentSize());
      }
      return most;
    };
    // 1,000 a second, under GENERATION_SIZE / MIN_KEPT_MS: bounded by the count.
    expect(sizeAfter(T0 + 150_000, 1, 20_000)).toBeLessThanOrEqual(2 * GENERATION_SIZE + 1);
    // 20,000 a second: bounded by the time, two MIN_KEPT_MS of messages.
    expect(sizeAfter(T0 + 200_000, 20, 10_000)).toBeLessThanOrEqual(2 * (20 * MIN_KEPT_MS + 20));
  });

  it("drops a message two generations later", () => {
    const t = T0 + 250_000;
    const first = key();
    rememberDelivery(first, { state: "done" }, t);
    for (let i = 1; i <= 3 * GENERATION_SIZE; i++) rememberDelivery(key(), { state: "done" }, t + MIN_KEPT_MS + i);
    expect(recentDelivery(first, t + MIN_KEPT_MS + 3 * GENERATION_SIZE)).toBeUndefined();
  });

  it("drops a quiet isolate's old generation whole on the next rotation", () => {
    const t = T0 + 270_000;
    const k = key();
    rememberDelivery(k, { state: "done" }, t);
    rememberDelivery(key(), { state: "done" }, t + 16_000); // rotates: k is in the older generation
    expect(recentDelivery(k, t + 16_000)).toMatchObject({ state: "done" });
    rememberDelivery(key(), { state: "done" }, t + 32_000); // rotates again: k's generation is gone
    expect(recentSize()).toBeLessThanOrEqual(2);
  });
});
