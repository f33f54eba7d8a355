/**
 * Reading the shared credentials: isolate memory first, then Workers KV,
 * then the AppID's TokenBroker. The hot path after the first call is a Map
 * lookup; a KV read per isolate; a Durable Object call only on a miss, near
 * expiry, or to renew a token WeChat rejected.
 */
import { apiConfig, type ApiConfig } from "../config";
import type { Env } from "../env";
import { deserializeError } from "./errors";
import type { BrokerOptions, BrokerResult } from "./broker";
import { kvKey, usableByReader, type CredentialKind, type CredentialRecord } from "./token-policy";

/** Per-isolate copies, keyed by KV key (so by AppID and kind). */
const memory = new Map<string, CredentialRecord>();

/** Forgets this isolate's copies (tests; never needed in production). */
export function forgetCachedCredentials(): void {
  memory.clear();
}

function brokerOf(config: ApiConfig) {
  return config.broker.get(config.broker.idFromName(config.appId));
}

function optionsOf(config: ApiConfig): BrokerOptions {
  return { appId: config.appId, apiBase: config.apiBase, tokenMode: config.tokenMode, timeoutMs: config.timeoutMs };
}

function unwrap(result: BrokerResult, key: string): CredentialRecord {
  if (!result.ok) throw deserializeError(result.error);
  memory.set(key, result.record);
  return result.record;
}

/** The current credential of this kind, from the nearest place that has a usable copy. */
export async function credential(env: Env, kind: CredentialKind): Promise<string> {
  const config = apiConfig(env);
  const key = kvKey(config.appId, kind);
  const now = Date.now();
  const cached = memory.get(key);
  if (usableByReader(cached, now)) return cached.value;
  const stored = await config.kv.get<CredentialRecord>(key, "json").catch(() => null);
  if (usableByReader(stored, now)) {
    memory.set(key, stored);
    return stored.value;
  }
  return unwrap(await brokerOf(config).get(kind, optionsOf(config)), key).value;
}

/** WeChat rejected `failed`: the broker's replacement (one refresh however many ask). */
export async function renewCredential(env: Env, kind: CredentialKind, failed: string): Promise<string> {
  const config = apiConfig(env);
  const key = kvKey(config.appId, kind);
  const cached = memory.get(key);
  if (cached && cached.value !== failed && usableByReader(cached, Date.now())) return cached.value;
  return unwrap(await brokerOf(config).renew(kind, failed, optionsOf(config)), key).value;
}
