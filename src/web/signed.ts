/**
 * HMAC-SHA256 (Web Crypto) for the web flows: session cookies and OAuth
 * state. Verification goes through crypto.subtle.verify, which compares in
 * constant time. Keys are imported once per secret.
 */
import { utf8Decoder, utf8Encoder } from "../wechat/bytes";

const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8Encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

export async function hmac(secret: string, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await keyFor(secret), utf8Encoder.encode(data)));
}

export async function hmacVerify(secret: string, data: string, mac: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify("HMAC", await keyFor(secret), mac, utf8Encoder.encode(data));
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
function fromB64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** `base64url(JSON) . base64url(HMAC)` — for cookies. `exp` (seconds) is required. */
export async function signPayload(secret: string, payload: { exp: number } & Record<string, unknown>): Promise<string> {
  const body = b64url(utf8Encoder.encode(JSON.stringify(payload)));
  return `${body}.${b64url(await hmac(secret, body))}`;
}

/** The payload, or null when the token is malformed, forged or expired. */
export async function verifyPayload<T extends { exp: number }>(
  secret: string,
  token: string,
  nowS: number,
): Promise<T | null> {
  const dot = token.indexOf(".");
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  const mac = fromB64url(token.slice(dot + 1));
  if (!mac || mac.length !== 32 || !(await hmacVerify(secret, body, mac))) return null;
  try {
    const bytes = fromB64url(body);
    const payload = bytes && (JSON.parse(utf8Decoder.decode(bytes)) as T);
    return payload && typeof payload.exp === "number" && payload.exp > nowS ? payload : null;
  } catch {
    return null;
  }
}
