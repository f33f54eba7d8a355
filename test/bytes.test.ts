/**
 * The byte helpers (src/wechat/bytes.ts): the strict base64 codec against
 * atob/btoa with the strict RFC 4648 rule as the oracle — same bytes for
 * every valid text, null for every invalid one; and the constant-time
 * hex-to-digest comparison against plain hex formatting.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64, bytesToHex, hexEqualsBytes } from "../src/wechat/bytes";

const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function reference(text: string): number[] | null {
  if (!STRICT.test(text)) return null;
  return [...atob(text)].map((c) => c.charCodeAt(0));
}

describe("base64", () => {
  it("encodes as btoa does, and decodes back, for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(btoa(String.fromCharCode(...bytes)));
        expect(base64ToBytes(text)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts exactly the strict texts, with atob's bytes", () => {
    const b64ish = fc.string({ unit: fc.constantFrom(..."ABCXYZabcxyz0189+/=-_ \n\u00e9\u4e2d"), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(b64ish, fc.base64String({ maxLength: 40 }), fc.string({ maxLength: 12 })), (text) => {
        const got = base64ToBytes(text);
        const want = reference(text);
        expect(got === null ? null : [...got]).toEqual(want);
      }),
      { numRuns: 4000 },
    );
  });

  it.each([
    ["", []],
    ["QQ==", [65]],
    ["QUI=", [65, 66]],
    ["QUJD", [65, 66, 67]],
    ["/+/+", [255, 239, 254]],
  ])("%j", (text, bytes) => {
    expect([...base64ToBytes(text)!]).toEqual(bytes);
    expect(bytesToBase64(new Uint8Array(bytes))).toBe(text);
  });

  it.each(["Q", "QQ=", "QQ", "Q===", "=QQQ", "QQ=Q", "QUJD\n", " QUJD", "QUJ-", "QUJ_", "QUJD===="])(
    "refuses %j",
    (text) => {
      expect(base64ToBytes(text)).toBeNull();
    },
  );
});

describe("hexEqualsBytes", () => {
  // Independent of bytes.ts: the hex of the bytes, compared case-insensitively, digits only.
  const oracle = (hex: string, bytes: Uint8Array) =>
    /^[0-9a-fA-F]*$/.test(hex) &&
    hex.toLowerCase() === Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  it("agrees with decoding the hex and comparing, for digests and near misses", () => {
    const hexish = fc.string({
      unit: fc.constantFrom(..."0123456789abcdefABCDEFgG -\u00e9"),
      minLength: 38,
      maxLength: 42,
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), hexish, fc.nat(39), (bytes, noise, at) => {
        const hex = bytesToHex(bytes);
        expect(hexEqualsBytes(hex, bytes)).toBe(true);
        expect(hexEqualsBytes(hex.toUpperCase(), bytes)).toBe(true);
        const flipped = hex.slice(0, at) + (hex[at] === "0" ? "1" : "0") + hex.slice(at + 1);
        expect(hexEqualsBytes(flipped, bytes)).toBe(false);
        expect(hexEqualsBytes(noise, bytes)).toBe(oracle(noise, bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it.each(["", "0".repeat(39), "0".repeat(41), "g".repeat(40), " ".repeat(40)])(
    "is false for %j against a zero digest",
    (hex) => {
      expect(hexEqualsBytes(hex, new Uint8Array(20))).toBe(false);
    },
  );

  it("is true for a zero digest's own hex", () => {
    expect(hexEqualsBytes("0".repeat(40), new Uint8Array(20))).toBe(true);
  });
});
