/**
 * Bearer-token check for /admin/*: refused while ADMIN_TOKEN is unset, and
 * compared as SHA-256 digests in constant time (so neither content nor
 * length leaks through timing).
 */
import { timingSafeEqual, utf8Encoder } from "../wechat/bytes";

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encoder.encode(text)));
}

/** True when the Authorization header carries exactly `Bearer <adminToken>`. */
export async function adminAuthorized(authorization: string | null, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken) return false;
  const match = /^Bearer[ ]+(.+)$/i.exec(authorization ?? "");
  if (!match) return false;
  const [given, expected] = await Promise.all([digest(match[1]!.trim()), digest(adminToken)]);
  return timingSafeEqual(given, expected);
}
