/**
 * The byte helpers (src/wechat/bytes.ts): the table-driven base64 codec
 * against the runtime's own atob/btoa with the strict RFC 4648 rule as the
 * oracle — same bytes for every valid text, null for every invalid one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64 } from "../src/wechat/bytes";

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

  it.each(["Q", "QQ=", "QQ", "Q===", "=QQQ", "QQ=Q", "QUJD\n", " QUJD", "QUJ-", "QUJ_", "QUJD===="])("refuses %j", (text) => {
    expect(base64ToBytes(text)).toBeNull();
  });
});
