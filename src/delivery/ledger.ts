/**
 * DeliveryLedger — a Durable Object per shard of followers that remembers,
 * for RECORD_TTL_MS, what happened to each message, so that a retry landing
 * on any isolate anywhere never runs the handler again and the reply goes
 * out exactly once. Single-threaded, so every decision here is atomic.
 * Schema: docs/storage.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { RECORD_TTL_MS, STATE_RANK, type DeliveryState, type LedgerRecord } from "./policy";
import { chunksOf } from "./recorder";

/** The rank of the state `expr` names, in SQL, from the one table of ranks (policy.ts); NULL (refused by NOT NULL) for no state. */
const rankSql = (expr: string) =>
  `CASE ${expr} ${Object.entries(STATE_RANK)
    .map(([state, rank]) => `WHEN '${state}' THEN ${rank}`)
    .join(" ")} END`;

/**
 * Never moves a message's state backwards: a higher or equal rank wins, and a
 * reply, once known, is kept.
 */
const ON_CONFLICT =
  " ON CONFLICT(key) DO UPDATE SET state = excluded.state, rank = excluded.rank," +
  " reply = COALESCE(excluded.reply, deliveries.reply), expires_at = excluded.expires_at" +
  " WHERE excluded.rank >= deliveries.rank";

/**
 * Many records in one statement with two bound values: SQLite reads them out
 * of their JSON itself (json_each), so a batch crosses RPC as a few strings
 * rather than an object a record. Rows are applied in array order, each
 * seeing the ones before it. (`WHERE true` tells SQLite's parser that
 * ON CONFLICT belongs to the INSERT, not to a join.)
 */
const UPSERT_JSON =
  "INSERT INTO deliveries (key, state, rank, reply, expires_at)" +
  ` SELECT value->>'key', value->>'state', ${rankSql("value->>'state'")}, value->>'reply', ?2` +
  " FROM json_each(?1) WHERE true" +
  ON_CONFLICT;

const UPSERT_ONE = "INSERT INTO deliveries (key, state, rank, reply, expires_at) VALUES (?, ?, ?, ?, ?)" + ON_CONFLICT;

/** What a possible retry learns: `new` means it owns the message and runs the handler. */
export type ClaimResult = { state: "new" } | { state: DeliveryState; reply?: string };

export class DeliveryLedger extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #cleanupScheduled = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS deliveries (
         key TEXT PRIMARY KEY, state TEXT NOT NULL, rank INTEGER NOT NULL, reply TEXT, expires_at INTEGER NOT NULL)`,
    );
  }

  /** Records, applied in order; a state never moves backwards. */
  async record(records: LedgerRecord[]): Promise<void> {
    await this.recordBatch(chunksOf(records));
  }

  /**
   * A recorder's batch of first deliveries' records: each chunk the JSON of a
   * LedgerRecord array (see recorder.ts), all applied in order in one
   * transaction; a state never moves backwards.
   */
  async recordBatch(chunks: string[]): Promise<void> {
    const expires = Date.now() + RECORD_TTL_MS;
    for (const chunk of chunks) this.#sql.exec(UPSERT_JSON, chunk, expires);
    await this.#ensureCleanup();
  }

  /**
   * A request that may be a retry: the record if there is one, else a new
   * `running` claim (kept `ttlMs`; also how OAuth state is made single-use).
   */
  async claim(key: string, ttlMs: number = RECORD_TTL_MS): Promise<ClaimResult> {
    const row = this.#get(key);
    if (!row) {
      this.#upsert({ key, state: "running" }, Date.now() + ttlMs);
      await this.#ensureCleanup();
      return { state: "new" };
    }
    return row.reply === undefined ? { state: row.state } : { state: row.state, reply: row.reply };
  }

  /**
   * A retry found a reply (replied/undeliverable) and answers with it. For an
   * undeliverable reply the retry is now the delivery: mark it done so that
   * nothing else sends it.
   */
  async takeForRetry(key: string): Promise<string | null> {
    const row = this.#get(key);
    if (!row || row.reply === undefined) return null;
    if (row.state === "undeliverable") this.#set(key, "done", null);
    else if (row.state !== "replied") return null;
    return row.reply;
  }

  /**
   * The deferred reply is ready: may it go by customer-service API? Only if
   * no retry has taken it. Atomically moves to `sending`.
   */
  async takeForDelivery(key: string): Promise<boolean> {
    const row = this.#get(key);
    if (row && row.state !== "running" && row.state !== "deferred") return false;
    this.#upsert({ key, state: "sending" }, Date.now() + RECORD_TTL_MS);
    return true;
  }

  /** Outcome of a customer-service send: done, or undeliverable with the reply kept for a retry. */
  async finishDelivery(key: string, delivered: boolean, reply?: string): Promise<void> {
    this.#set(key, delivered ? "done" : "undeliverable", delivered ? null : (reply ?? null));
  }

  override async alarm(): Promise<void> {
    this.#cleanupScheduled = false;
    this.#sql.exec("DELETE FROM deliveries WHERE expires_at < ?", Date.now());
    const left = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries").one().n;
    if (left > 0) await this.#ensureCleanup();
  }

  #get(key: string): { state: DeliveryState; reply?: string } | null {
    const rows = this.#sql
      .exec<{ state: string; reply: string | null; expires_at: number }>(
        "SELECT state, reply, expires_at FROM deliveries WHERE key = ?",
        key,
      )
      .toArray();
    const row = rows[0];
    if (!row || row.expires_at < Date.now()) return null;
    return row.reply === null
      ? { state: row.state as DeliveryState }
      : { state: row.state as DeliveryState, reply: row.reply };
  }

  #upsert(r: LedgerRecord, expires: number): void {
    this.#sql.exec(UPSERT_ONE, r.key, r.state, STATE_RANK[r.state], r.reply ?? null, expires);
  }

  #set(key: string, state: DeliveryState, reply: string | null): void {
    this.#sql.exec(
      "UPDATE deliveries SET state = ?, rank = ?, reply = ? WHERE key = ?",
      state,
      STATE_RANK[state],
      reply,
      key,
    );
  }

  async #ensureCleanup(): Promise<void> {
    if (this.#cleanupScheduled) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + RECORD_TTL_MS);
    this.#cleanupScheduled = true;
  }
}
