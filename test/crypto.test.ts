/**
 * Message crypto (src/wechat/crypto.ts): WeChat's published sample vectors,
 * a round trip with @wecom/crypto (Tencent's independent helper) over all 32
 * padding lengths, every way a payload can be malformed, and the raw
 * AES-CBC underneath (primitives.ts) against Web Crypto's own padded CBC.
 */
import { decrypt as wecomDecrypt, encrypt as wecomEncrypt, getSignature } from "@wecom/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64, utf8Encoder } from "../src/wechat/bytes";
import { CryptoError, MessageCipher, decodeEncodingAESKey } from "../src/wechat/crypto";
import { webCrypto } from "../src/wechat/primitives";
import { sign, signedText, verifySignature } from "../src/wechat/signature";
import { parseXml } from "../src/wechat/xml";

// WeChat's sample (WXBizMsgCrypt, 公众号 Java sample): fixed random, so the ciphertext is exact.
const SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const JAVA = {
  appId: "wxb11529c136998cb6",
  random: "aaaabbbbccccdddd",
  plain1: "我是中文abcd123",
  cipher1: "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
  plain2:
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>",
  cipher2:
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb",
};
// WeChat's sample (公众号 Python/PHP sample): an inbound message with its msg_signature.
const SAMPLE_INBOUND = {
  token: "spamtest",
  appId: "wx2c2769f8efd9abc2",
  timestamp: "1409735669",
  nonce: "1320562132",
  msgSignature: "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
  encrypt:
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=",
};
// WeChat Work's sample (same algorithm, different key and id).
const SAMPLE_WORK = {
  key: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  token: "QDG6eK",
  receiveId: "wx5823bf96d3bd56c7",
  timestamp: "1409659813",
  nonce: "1372623149",
  msgSignature: "477715d11cdb4164915debcba66cb864d751f3e6",
  encrypt:
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==",
};

const ascii = (s: string) => utf8Encoder.encode(s);

describe("WeChat's official sample vectors", () => {
  it("encrypts the Java sample's messages to the published ciphertexts", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, JAVA.appId);
    expect(await cipher.encrypt(JAVA.plain1, ascii(JAVA.random))).toBe(JAVA.cipher1);
    expect(await cipher.encrypt(JAVA.plain2, ascii(JAVA.random))).toBe(JAVA.cipher2);
  });

  it("decrypts the Java sample's ciphertexts", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, JAVA.appId);
    expect(await cipher.decrypt(JAVA.cipher1)).toBe(JAVA.plain1);
    expect(await cipher.decrypt(JAVA.cipher2)).toBe(JAVA.plain2);
  });

  it("verifies and decrypts the published inbound message", async () => {
    const s = SAMPLE_INBOUND;
    expect(await verifySignature(s.msgSignature, [s.token, s.timestamp, s.nonce, s.encrypt])).toBe(true);
    const cipher = await MessageCipher.create(SAMPLE_KEY, s.appId);
    const xml = parseXml(await cipher.decrypt(s.encrypt));
    expect(xml["ToUserName"]).toBeTypeOf("string");
    expect(xml["MsgType"]).toBeTypeOf("string");
  });

  it("verifies and decrypts WeChat Work's sample (same algorithm)", async () => {
    const s = SAMPLE_WORK;
    expect(await sign([s.token, s.timestamp, s.nonce, s.encrypt])).toBe(s.msgSignature);
    const cipher = await MessageCipher.create(s.key, s.receiveId);
    const xml = parseXml(await cipher.decrypt(s.encrypt));
    expect(xml["ToUserName"]).toBe(s.receiveId);
  });

  it("refuses the published message for any other appid (the check wechatpy-era SDKs skipped)", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, "wx0000000000000000");
    await expect(cipher.decrypt(SAMPLE_INBOUND.encrypt)).rejects.toMatchObject({ code: "appid_mismatch" });
    const prefix = await MessageCipher.create(SAMPLE_KEY, SAMPLE_INBOUND.appId.slice(0, -1));
    await expect(prefix.decrypt(SAMPLE_INBOUND.encrypt)).rejects.toMatchObject({ code: "appid_mismatch" });
  });
});

describe("32-byte PKCS#7 padding against @wecom/crypto", () => {
  const appId = "wx1234567890abcdef"; // 18 bytes; with random(16)+len(4): 38 + message
  // Message lengths 0..63 cover every padding length 1..32 twice.
  const lengths = Array.from({ length: 64 }, (_, i) => i);

  it("covers all 32 padding lengths", () => {
    const pads = new Set(lengths.map((n) => 32 - ((16 + 4 + n + appId.length) % 32)));
    expect([...pads].sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  it.each(lengths)("message of %i bytes: ours → theirs and theirs → ours", async (n) => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, appId);
    const text = "x".repeat(n);
    const ours = await cipher.encrypt(text);
    expect(wecomDecrypt(SAMPLE_KEY, ours)).toMatchObject({ message: text, id: appId });
    expect(await cipher.decrypt(wecomEncrypt(SAMPLE_KEY, text, appId))).toBe(text);
  });

  it("pads a block-aligned message with a whole 32-byte block", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, appId);
    const text = "x".repeat(64 - 16 - 4 - appId.length); // exactly 64 bytes before padding
    expect(base64ToBytes(await cipher.encrypt(text))!.length).toBe(96);
  });

  it("round-trips multi-byte text, emoji and 2,000+ characters", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, appId);
    const text = "中文😀]]>&<".repeat(300);
    expect(wecomDecrypt(SAMPLE_KEY, await cipher.encrypt(text)).message).toBe(text);
    expect(await cipher.decrypt(wecomEncrypt(SAMPLE_KEY, text, appId))).toBe(text);
  });

  it("keeps interleaved encryptions and decryptions apart, long messages (> 64 KiB) included", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, appId);
    const texts = Array.from({ length: 40 }, (_, i) => `消息${i}:` + "中文😀".repeat(i * i * 20));
    const encrypted = await Promise.all(texts.map((t) => cipher.encrypt(t)));
    expect(encrypted.map((e) => wecomDecrypt(SAMPLE_KEY, e).message)).toEqual(texts);
    const inbound = texts.map((t) => wecomEncrypt(SAMPLE_KEY, t, appId));
    expect(await Promise.all(inbound.map((e) => cipher.decrypt(e)))).toEqual(texts);
    const mixed = await Promise.all(
      texts.flatMap((t, i) => [
        cipher.decrypt(inbound[i]!),
        cipher.encrypt(t).then((e) => wecomDecrypt(SAMPLE_KEY, e).message),
      ]),
    );
    expect(mixed).toEqual(texts.flatMap((t) => [t, t]));
  });

  it("keeps interleaved signatures apart", async () => {
    const parts = Array.from(
      { length: 40 },
      (_, i) => [`token${i}`, String(1_700_000_000 + i), `${i * 7919}`, "签名😀".repeat(i * i * 30)] as const,
    );
    const signatures = await Promise.all(parts.map(([token, ts, nonce, text]) => sign([token, ts, nonce, text])));
    expect(signatures).toEqual(parts.map(([token, ts, nonce, text]) => getSignature(token, ts, nonce, text)));
    const checks = await Promise.all(
      parts.map(([token, ts, nonce, text], i) =>
        verifySignature(signatures[(i + 1) % parts.length]!, [token, ts, nonce, text]),
      ),
    );
    expect(checks.every((ok) => !ok)).toBe(true);
  });

  it("uses fresh random bytes for every encryption", async () => {
    const cipher = await MessageCipher.create(SAMPLE_KEY, appId);
    const a = wecomDecrypt(SAMPLE_KEY, await cipher.encrypt("same"));
    const b = wecomDecrypt(SAMPLE_KEY, await cipher.encrypt("same"));
    expect(bytesToBase64(new Uint8Array(a.random))).not.toBe(bytesToBase64(new Uint8Array(b.random)));
  });
});

describe("the signed text's order", () => {
  it("is Array.prototype.sort's order, any strings, any count", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 12 }), { maxLength: 6 }), (parts) => {
        expect(signedText([...parts])).toBe([...parts].sort().join(""));
      }),
      { numRuns: 500 },
    );
  });

  it("signs as @wecom/crypto does, equal prefixes and duplicates included", async () => {
    const cases = [
      ["token", "1700000000", "123"],
      ["abc", "ab", "abcd", "a"],
      ["same", "same", "1"],
      ["Z", "a", "_", "0"],
    ];
    for (const p of cases) expect(await sign(p)).toBe(getSignature(p[0]!, p[1]!, p[2]!, p[3] ?? ""));
  });
});

describe("malformed payloads are refused with a reason", () => {
  const appId = "wx1234567890abcdef";
  const cipherP = MessageCipher.create(SAMPLE_KEY, appId);

  /** Raw AES-CBC of arbitrary plaintext (a whole number of blocks), to forge bad paddings. */
  async function rawEncrypt(plain: Uint8Array): Promise<string> {
    const raw = decodeEncodingAESKey(SAMPLE_KEY)!;
    const key = await crypto.subtle.importKey("raw", raw, "AES-CBC", false, ["encrypt"]);
    const out = await crypto.subtle.encrypt({ name: "AES-CBC", iv: raw.slice(0, 16) }, key, plain);
    return bytesToBase64(new Uint8Array(out, 0, plain.length));
  }

  function frame(message: string, opts: { length?: number; pad?: (n: number) => number[]; appId?: string } = {}) {
    const body = utf8Encoder.encode(message);
    const id = utf8Encoder.encode(opts.appId ?? appId);
    const unpadded = 20 + body.length + id.length;
    const padLen = 32 - (unpadded % 32);
    const pad = opts.pad ? opts.pad(padLen) : Array(padLen).fill(padLen);
    const out = new Uint8Array(unpadded + pad.length);
    new DataView(out.buffer).setUint32(16, opts.length ?? body.length);
    out.set(body, 20);
    out.set(id, 20 + body.length);
    out.set(pad, unpadded);
    return out;
  }

  const refuses = async (encrypt: string | Promise<string>, code: CryptoError["code"]) => {
    const cipher = await cipherP;
    await expect(cipher.decrypt(await encrypt)).rejects.toSatisfy((e) => e instanceof CryptoError && e.code === code);
  };

  it("accepts a correctly framed payload (the forger itself is right)", async () => {
    expect(await (await cipherP).decrypt(await rawEncrypt(frame("hello")))).toBe("hello");
  });
  it("non-base64", () => refuses("not base64!!", "bad_base64"));
  it("base64 with whitespace", () => refuses("AAAA AAAA", "bad_base64"));
  it("empty", () => refuses("", "bad_length"));
  it("one block only", () => refuses(bytesToBase64(new Uint8Array(16)), "bad_length"));
  it("not a whole number of blocks", () => refuses(bytesToBase64(new Uint8Array(40)), "bad_length"));
  it("truncated by one block", async () => {
    const good = base64ToBytes(await (await cipherP).encrypt("hello world"))!;
    await refuses(bytesToBase64(good.subarray(0, good.length - 16)), "bad_padding");
  });
  it("a pad value of 0", () =>
    refuses(rawEncrypt(frame("hi", { pad: (n) => [...Array(n - 1).fill(n), 0] })), "bad_padding"));
  it("a pad value above 32", async () => {
    const f = frame("hi");
    f[f.length - 1] = 33;
    await refuses(await rawEncrypt(f), "bad_padding");
  });
  it("one wrong byte inside the padding", async () => {
    const f = frame("hello");
    const pad = f[f.length - 1]!;
    expect(pad).toBeGreaterThan(2);
    f[f.length - 2] = pad ^ 1;
    await refuses(await rawEncrypt(f), "bad_padding");
  });
  it("a 16-byte pad where the frame needs a longer one (the 16-byte padding bug)", async () => {
    // Pad to 16 only, as SDKs that reuse AES-CBC's own padding do.
    const body = frame("hello", { pad: () => [] });
    const pad16 = 16 - (body.length % 16);
    const f = new Uint8Array(body.length + pad16);
    f.set(body);
    f.fill(pad16, body.length);
    const decoded = await (await cipherP).decrypt(await rawEncrypt(f)).catch((e) => e);
    // Either refused as bad padding, or (when 16-padding happens to be valid 32-padding) exact.
    if (decoded instanceof CryptoError) expect(decoded.code).toBe("bad_padding");
    else expect(decoded).toBe("hello");
  });
  it("a length field past the end", () => refuses(rawEncrypt(frame("hello", { length: 1000 })), "bad_message_length"));
  it("a length field of 2^32-1", () =>
    refuses(rawEncrypt(frame("hello", { length: 0xffffffff })), "bad_message_length"));
  it("a wrong appid", () => refuses(rawEncrypt(frame("hello", { appId: "wx0000000000000000" })), "appid_mismatch"));
  it("an appid with a trailing byte", () =>
    refuses(rawEncrypt(frame("hello", { appId: appId + "x" })), "appid_mismatch"));
  it("no appid at all", () => refuses(rawEncrypt(frame("hello", { appId: "" })), "appid_mismatch"));
  it("a message that is not UTF-8", async () => {
    const f = frame("ab");
    f[20] = 0xff;
    await refuses(await rawEncrypt(f), "bad_utf8");
  });
  it("a signature from another token does not verify", async () => {
    const e = wecomEncrypt(SAMPLE_KEY, "x", appId);
    expect(await verifySignature(getSignature("other", "1", "2", e), ["token", "1", "2", e])).toBe(false);
  });
});

describe("EncodingAESKey", () => {
  it("decodes 43 characters to 32 bytes", () => {
    expect(decodeEncodingAESKey(SAMPLE_KEY)?.length).toBe(32);
  });
  it.each(["", "short", SAMPLE_KEY + "A", SAMPLE_KEY.slice(0, 42) + "+", SAMPLE_KEY.slice(0, 42) + "="])(
    "refuses %j",
    (k) => {
      expect(decodeEncodingAESKey(k)).toBeNull();
    },
  );
});

describe("raw AES-CBC on Web Crypto (primitives.ts)", () => {
  it("decrypts any whole blocks to exactly what was encrypted, whatever the last byte (no padding read or removed)", async () => {
    const raw = decodeEncodingAESKey(SAMPLE_KEY)!;
    const ours = await webCrypto.aesCbc(raw);
    const key = await crypto.subtle.importKey("raw", raw, "AES-CBC", false, ["encrypt"]);
    for (let i = 0; i < 200; i++) {
      const plain = crypto.getRandomValues(new Uint8Array(16 * (1 + (i % 6))));
      if (i % 3 === 0) plain.fill(i % 40, plain.length - 16); // last block valid or invalid PKCS#7 either way
      const iv = crypto.getRandomValues(new Uint8Array(16));
      // Web Crypto's padded CBC, its padding block dropped: the raw CBC ciphertext (a prefix chain).
      const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, plain), 0, plain.length);
      expect(await ours.decrypt(iv, cipher)).toEqual(plain);
      expect(await ours.encrypt(iv, plain)).toEqual(cipher);
    }
  });
});
