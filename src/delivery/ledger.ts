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

const ROWS_PER_STATEMENT = 20; // 5 values a row

const upsertStatements = new Map<number, string>();
/** An upsert of `rows` rows that never moves a message's state backwards (a higher or equal rank wins). */
function upsertSql(rows: number): string {
  let sql = upsertStatements.get(rows);
  if (!sql) {
    sql =
      "INSERT INTO deliveries (key, state, rank, reply, expires_at) VALUES " +
      Array(rows).fill("(?, ?, ?, ?, ?)").join(", ") +
      " ON CONFLICT(key) DO UPDATE SET state = excluded.state, rank = excluded.rank," +
      " reply = COALESCE(excluded.reply, deliveries.reply), expires_at = excluded.expires_at" +
      " WHERE excluded.rank >= deliveries.rank";
    upsertStatements.set(rows, sql);
  }
  return sql;
}

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

  /** Batched records from first deliveries; a state never moves backwards. */
  async record(records: LedgerRecord[]): Promise<void> {
    const expires = Date.now() + RECORD_TTL_MS;
    // Several rows per statement (Durable Object SQL binds at most 100 values per query).
    for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
      const chunk = records.slice(i, i + ROWS_PER_STATEMENT);
      const values: (string | number | null)[] = [];
      for (const r of chunk) values.push(r.key, r.state, STATE_RANK[r.state], r.reply ?? null, expires);
      this.#sql.exec(upsertSql(chunk.length), ...values);
    }
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
      .exec<{ state: string; reply: string | null; expires_at: number }>("SELECT state, reply, expires_at FROM deliveries WHERE key = ?", key)
      .toArray();
    const row = rows[0];
    if (!row || row.expires_at < Date.now()) return null;
    return row.reply === null ? { state: row.state as DeliveryState } : { state: row.state as DeliveryState, reply: row.reply };
  }

  #upsert(r: LedgerRecord, expires: number): void {
    this.#sql.exec(upsertSql(1), r.key, r.state, STATE_RANK[r.state], r.reply ?? null, expires);
  }

  #set(key: string, state: DeliveryState, reply: string | null): void {
    this.#sql.exec("UPDATE deliveries SET state = ?, rank = ?, reply = ? WHERE key = ?", state, STATE_RANK[state], reply, key);
  }

  async #ensureCleanup(): Promise<void> {
    if (this.#cleanupScheduled) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + RECORD_TTL_MS);
    this.#cleanupScheduled = true;
  }
}
