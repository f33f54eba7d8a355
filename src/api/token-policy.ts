/**
 * When a cached credential (access_token, jsapi_ticket) may be used and when
 * it is refreshed: pure functions of the record and the clock, shared by the
 * readers (KV, memory) and the broker (Durable Object).
 *
 * Times are milliseconds since the epoch. WeChat's credentials live 7200 s.
 * In stable_token's normal mode WeChat issues a new token only in the last
 * 300 s of the old one's life, so the broker refreshes ahead inside that
 * window, and readers stop trusting a copy well before it ends.
 */

export type CredentialKind = "access_token" | "jsapi_ticket";

/** What the broker stores and KV serves, per AppID and kind. */
export interface CredentialRecord {
  value: string;
  /** When WeChat says it expires (ms since epoch). */
  expiresAt: number;
  /** When it was fetched (ms since epoch). */
  fetchedAt: number;
}

/** The broker refreshes ahead when less than this is left (inside stable_token's 300 s window). */
export const REFRESH_AHEAD_MS = 240_000;
/** Readers use a cached copy only while more than this is left; after that they ask the broker. */
export const READER_MARGIN_MS = 120_000;
/** Retry delay for a failed scheduled refresh. */
export const RETRY_REFRESH_MS = 30_000;

export function usableByReader(record: CredentialRecord | null | undefined, now: number): record is CredentialRecord {
  return record != null && record.expiresAt - now > READER_MARGIN_MS;
}

export function dueForRefresh(record: CredentialRecord | null | undefined, now: number): boolean {
  return record == null || record.expiresAt - now <= REFRESH_AHEAD_MS;
}

/** When the broker's alarm should next fire for this record. */
export function refreshTime(record: CredentialRecord): number {
  return record.expiresAt - REFRESH_AHEAD_MS;
}

/** WeChat's expires_in (seconds) to an absolute time. */
export function recordFrom(value: string, expiresInS: number, now: number): CredentialRecord {
  return { value, expiresAt: now + expiresInS * 1000, fetchedAt: now };
}

/** stable_token's force_refresh: at most 20 a day, 30 s apart (WeChat's limits). */
export const FORCE_REFRESH_PER_DAY = 20;
export const FORCE_REFRESH_INTERVAL_MS = 30_000;

/** Whether a forced refresh is allowed now, given the times of earlier ones. */
export function forceRefreshAllowed(history: readonly number[], now: number): boolean {
  const today = history.filter((t) => now - t < 86_400_000);
  const last = today.length ? Math.max(...today) : -Infinity;
  return today.length < FORCE_REFRESH_PER_DAY && now - last >= FORCE_REFRESH_INTERVAL_MS;
}

/** The Workers KV key of a credential. Every key is listed in docs/storage.md. */
export function kvKey(appId: string, kind: CredentialKind): string {
  return `wechat:${appId}:${kind}`;
}
