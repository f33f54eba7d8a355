/**
 * DeliveryLedger — a Durable Object per shard of followers that remembers
 * what happened to each message, so that a try landing on any instance never
 * runs the handler again and the reply goes out exactly once; and that keeps
 * the replies waiting for their follower's next message. Single-threaded, so
 * every decision here is atomic. Schema: docs/storage.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { log } from "../log";
import {
  ABANDONED_AFTER_MS,
  LEASE_MS,
  LEASED_STATES,
  STATE_RANK,
  WAITING_MAX_MS,
  type DeliveryState,
  type LedgerRecord,
} from "./policy";
import { chunksOf } from "./recorder";

/** The rank of the state `expr` names, in SQL, from the one table of ranks (policy.ts); NULL (refused by NOT NULL) for no state. */
const rankSql = (expr: string) =>
  `CASE ${expr} ${Object.entries(STATE_RANK)
    .map(([state, rank]) => `WHEN '${state}' THEN ${rank}`)
    .join(" ")} END`;

/**
 * Never moves a message's state backwards: a higher or equal rank wins, and a
 * reply, once known, is kept. A `running` record (re)starts the lease.
 */
const ON_CONFLICT =
  " ON CONFLICT(key) DO UPDATE SET state = excluded.state, rank = excluded.rank," +
  " reply = COALESCE(excluded.reply, deliveries.reply), expires_at = MAX(excluded.expires_at, deliveries.expires_at)," +
  " lease_until = excluded.lease_until" +
  " WHERE excluded.rank >= deliveries.rank";

/**
 * Many records in one statement with three bound values: SQLite reads them
 * out of their JSON itself (json_each), so a batch crosses RPC as a few
 * strings rather than an object a record. Rows are applied in array order,
 * each seeing the ones before it. (`WHERE true` tells SQLite's parser that
 * ON CONFLICT belongs to the INSERT, not to a join.)
 */
const UPSERT_JSON =
  "INSERT INTO deliveries (key, state, rank, reply, expires_at, lease_until, tries)" +
  ` SELECT value->>'key', value->>'state', ${rankSql("value->>'state'")}, value->>'reply', ?2,` +
  ` CASE value->>'state' WHEN 'running' THEN ?3 ELSE 0 END, 1` +
  " FROM json_each(?1) WHERE true" +
  ON_CONFLICT;

const COLUMNS: Record<string, string> = {
  key: "TEXT PRIMARY KEY",
  state: "TEXT NOT NULL",
  rank: "INTEGER NOT NULL",
  reply: "TEXT",
  expires_at: "INTEGER NOT NULL",
  lease_until: "INTEGER NOT NULL DEFAULT 0",
  tries: "INTEGER NOT NULL DEFAULT 1",
  openid: "TEXT NOT NULL DEFAULT ''",
};

/** A single-use claim (OAuth state): `new` for the first, the state it found for any later one. */
export type ClaimResult = { state: "new" } | { state: DeliveryState; reply?: string };

/** What a try of a message learns on arrival. */
export type Arrival =
  /** This try runs the handler: nobody had, or the one that had is gone (its lease ran out). */
  | { run: true; tries: number; takenOver: boolean }
  /** Another try has it: its state, the reply's body when known, and which try this is. */
  | { run: false; tries: number; state: DeliveryState; reply?: string };

/** What became of a handler's reply on `settle`. */
export type Settled = "ready" | "deliver" | "waiting" | "done";

/** A reply waiting for its follower's next message. */
export type Waiting = {
  key: string;
  reply: string;
  reason: string;
  since: number;
};

/** What the ledger answers a try of a held message (hold) that waited: the reply's body, or why not. */
export type HeldAnswer = { reply: string } | { reply?: undefined; state: DeliveryState | "none" };

type Row = {
  state: DeliveryState;
  reply: string | null;
  expires_at: number;
  lease_until: number;
  tries: number;
};

export class DeliveryLedger extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** Tries (hold) waiting for a message's reply, by key. */
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS deliveries (${Object.entries(COLUMNS)
        .map(([name, type]) => `${name} ${type}`)
        .join(", ")})`,
    );
    // A table made by an earlier schema gets the columns it lacks.
    const have = new Set(
      this.#sql
        .exec<{ name: string }>("PRAGMA table_info(deliveries)")
        .toArray()
        .map((c) => c.name),
    );
    for (const [name, type] of Object.entries(COLUMNS)) {
      if (!have.has(name)) this.#sql.exec(`ALTER TABLE deliveries ADD COLUMN ${name} ${type}`);
    }
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS waiting (
         key TEXT PRIMARY KEY, openid TEXT NOT NULL, reply TEXT NOT NULL, reason TEXT NOT NULL, since INTEGER NOT NULL)`,
    );
    this.#sql.exec("CREATE INDEX IF NOT EXISTS waiting_by_follower ON waiting (openid, since)");
  }

  /** Records, applied in order; a state never moves backwards. */
  async record(records: LedgerRecord[], ttlMs = 120_000): Promise<void> {
    await this.recordBatch(chunksOf(records), ttlMs);
  }

  /**
   * A recorder's batch of first deliveries' records: each chunk the JSON of a
   * LedgerRecord array (recorder.ts), all applied in order in one
   * transaction; a state never moves backwards.
   */
  async recordBatch(chunks: string[], ttlMs = 120_000): Promise<void> {
    const now = Date.now();
    for (const chunk of chunks) this.#sql.exec(UPSERT_JSON, chunk, now + ttlMs, now + LEASE_MS);
    // A try waiting on one of these messages finds its answer now (a passive reply is given again).
    for (const key of this.#waiters.keys()) this.#wake(key);
    await this.#ensureAlarm();
  }

  /** A single-use claim kept `ttlMs` (how OAuth state is made single-use). */
  async claim(key: string, ttlMs = 120_000): Promise<ClaimResult> {
    const row = this.#get(key);
    if (!row) {
      this.#insert(key, "", "running", null, ttlMs, 0);
      await this.#ensureAlarm();
      return { state: "new" };
    }
    return row.reply === null ? { state: row.state } : { state: row.state, reply: row.reply };
  }

  /**
   * A try of a message that may not be its first. It runs the handler when
   * nobody has, or when the handler that had it is gone: its lease ran out
   * while the reply was still owed. Counts the try either way.
   */
  async arrive(key: string, openid: string, ttlMs: number): Promise<Arrival> {
    const row = this.#get(key);
    const now = Date.now();
    if (!row) {
      this.#insert(key, openid, "running", null, ttlMs, now + LEASE_MS);
      await this.#ensureAlarm();
      return { run: true, tries: 1, takenOver: false };
    }
    const tries = row.tries + 1;
    if (row.state === "running" && row.lease_until < now) {
      this.#sql.exec("UPDATE deliveries SET lease_until = ?, tries = ? WHERE key = ?", now + LEASE_MS, tries, key);
      return { run: true, tries, takenOver: true };
    }
    this.#sql.exec("UPDATE deliveries SET tries = ? WHERE key = ?", tries, key);
    if (row.state === "ready") return { run: false, tries, state: "replied", reply: this.#take(key, row) };
    return row.reply === null
      ? { run: false, tries, state: row.state }
      : { run: false, tries, state: row.state, reply: row.reply };
  }

  /** The handler is still at work: its lease goes on (and starts, for a first delivery not yet recorded). */
  async renew(key: string, openid: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const row = this.#get(key);
    if (!row) {
      this.#insert(key, openid, "running", null, ttlMs, now + LEASE_MS);
      await this.#ensureAlarm();
      return true;
    }
    if (!LEASED_STATES.has(row.state)) return false;
    this.#sql.exec("UPDATE deliveries SET lease_until = ? WHERE key = ?", now + LEASE_MS, key);
    return true;
  }

  /**
   * hold: a try waits, at most `waitMs`, for the reply of a message another
   * try's handler is producing. Takes the reply (now `replied`) if it comes.
   */
  async awaitReply(key: string, waitMs: number): Promise<HeldAnswer> {
    const ready = this.#readyReply(key);
    if (ready !== undefined) return ready;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      const waiters = this.#waiters.get(key) ?? new Set();
      this.#waiters.set(key, waiters.add(done));
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
    });
    return this.#readyReply(key) ?? { state: this.#get(key)?.state ?? "none" };
  }

  /**
   * hold: WeChat's last try is about to give up. The reply if it is ready
   * (taken); else the message is marked `noticed`, so that its reply waits for
   * the follower's next message when it comes.
   */
  async giveUp(key: string): Promise<HeldAnswer> {
    const ready = this.#readyReply(key);
    if (ready !== undefined) return ready;
    const row = this.#get(key);
    if (row?.state === "running") this.#set(key, "noticed", null);
    return { state: row?.state === "running" ? "noticed" : (row?.state ?? "none") };
  }

  /**
   * The handler's reply, once no try is waiting on it in its own instance;
   * where it goes depends on what the tries decided meanwhile:
   * - nobody decided (hold, or the try's request died): `ready`, for the next try to take;
   * - a try answered `success` at its deadline (custom, auto): `deliver`, by customer-service message (now `sending`);
   * - WeChat's last try got the notice (hold): `waiting`, for the follower's next message.
   * `success` (nothing to say) is `done`.
   */
  async settle(key: string, openid: string, body: string, ttlMs: number, tryMs: number): Promise<Settled> {
    const row = this.#get(key);
    if (!row) this.#insert(key, openid, "running", null, ttlMs, 0);
    const state = row?.state ?? "running";
    let settled: Settled = "done";
    if (body === "success") {
      if (LEASED_STATES.has(state) || state === "noticed") this.#set(key, "done", null);
    } else if (state === "running") {
      // A try may take it while WeChat goes on trying; after that the alarm puts it to wait.
      this.#set(key, "ready", body);
      this.#sql.exec("UPDATE deliveries SET lease_until = ? WHERE key = ?", Date.now() + 3 * tryMs, key);
      settled = "ready";
    } else if (state === "deferred") {
      this.#set(key, "sending", null);
      this.#sql.exec("UPDATE deliveries SET lease_until = ? WHERE key = ?", Date.now() + LEASE_MS, key);
      settled = "deliver";
    } else if (state === "noticed") {
      this.#park(key, openid, body, "WeChat's last try was answered with the notice");
      settled = "waiting";
    }
    this.#wake(key);
    await this.#ensureAlarm();
    return settled;
  }

  /**
   * custom, auto: a try answers `success` at its deadline; the reply, when
   * ready, goes by customer-service message. If it is ready already, it is
   * this try's to answer with (taken).
   */
  async defer(key: string, openid: string, ttlMs: number): Promise<HeldAnswer> {
    const ready = this.#readyReply(key);
    if (ready !== undefined) return ready;
    const row = this.#get(key);
    if (!row) this.#insert(key, openid, "deferred", null, ttlMs, Date.now() + LEASE_MS);
    else if (row.state === "running") this.#set(key, "deferred", null);
    await this.#ensureAlarm();
    return { state: "deferred" };
  }

  /** How a customer-service delivery ended: done, unknown (the send timed out: never again), or lost. */
  async finish(key: string, state: "done" | "unknown" | "lost"): Promise<void> {
    this.#set(key, state, null);
  }

  /** The reply waits for the follower's next message; `reason` says why it could not go now. */
  async park(key: string, openid: string, body: string, reason: string): Promise<void> {
    this.#park(key, openid, body, reason);
    await this.#ensureAlarm();
  }

  /** Followers of this shard with a reply waiting. */
  async waitingFollowers(): Promise<string[]> {
    return this.#sql
      .exec<{ openid: string }>("SELECT DISTINCT openid FROM waiting")
      .toArray()
      .map((r) => r.openid);
  }

  /** The follower's oldest waiting reply, handed over (gone from here), or null. */
  async takeWaiting(openid: string): Promise<Waiting | null> {
    const row = this.#sql
      .exec<Waiting>("SELECT key, reply, reason, since FROM waiting WHERE openid = ? ORDER BY since LIMIT 1", openid)
      .toArray()[0];
    if (!row) return null;
    this.#sql.exec("DELETE FROM waiting WHERE key = ?", row.key);
    this.#set(row.key, "done", null);
    return row;
  }

  /**
   * Cleanup, and the losses nobody else would see: a reply owed whose
   * handler's lease ran out past WeChat's tries (its instance ended), a ready
   * reply no try took (WeChat stopped trying: it waits for the follower), and
   * a waiting reply past 48 hours.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const abandoned = now - ABANDONED_AFTER_MS;
    for (const row of this.#sql
      .exec<{ key: string; state: DeliveryState }>(
        "SELECT key, state FROM deliveries WHERE state IN ('running', 'deferred', 'noticed', 'sending') AND lease_until > 0 AND lease_until < ?",
        abandoned,
      )
      .toArray()) {
      const unknown = row.state === "sending";
      this.#set(row.key, unknown ? "unknown" : "lost", null);
      log("delivery", {
        outcome: unknown ? "unknown" : "lost",
        reason: unknown
          ? "the instance ended during the customer-service send"
          : "the handler's instance ended before its reply was ready (a restart, an eviction, or past the platform's time after the response)",
      });
    }
    for (const row of this.#sql
      .exec<{ key: string; reply: string; openid: string }>(
        "SELECT key, reply, openid FROM deliveries WHERE state = 'ready' AND lease_until < ?",
        now,
      )
      .toArray()) {
      this.#park(row.key, row.openid, row.reply, "no try of WeChat's took the ready reply");
    }
    for (const row of this.#sql
      .exec<{ key: string; reason: string }>("SELECT key, reason FROM waiting WHERE since < ?", now - WAITING_MAX_MS)
      .toArray()) {
      this.#sql.exec("DELETE FROM waiting WHERE key = ?", row.key);
      log("delivery", {
        outcome: "lost",
        reason: `not handed over within 48 hours; it was waiting because ${row.reason}`,
      });
    }
    this.#sql.exec("DELETE FROM deliveries WHERE expires_at < ?", now);
    await this.#ensureAlarm(true);
  }

  #readyReply(key: string): { reply: string } | undefined {
    const row = this.#get(key);
    if (row?.state === "ready" || (row?.state === "replied" && row.reply !== null)) {
      return { reply: row.state === "ready" ? this.#take(key, row) : row.reply! };
    }
    return undefined;
  }

  /** A ready reply taken by a try: from now on it is that try's passive answer. */
  #take(key: string, row: Row): string {
    this.#set(key, "replied", row.reply);
    return row.reply!;
  }

  #park(key: string, openid: string, body: string, reason: string): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO waiting (key, openid, reply, reason, since) VALUES (?, ?, ?, ?, ?)",
      key,
      openid,
      body,
      reason,
      Date.now(),
    );
    this.#set(key, "waiting", null);
    log("delivery", { outcome: "waiting", reason });
  }

  #wake(key: string): void {
    for (const wake of this.#waiters.get(key) ?? []) wake();
  }

  #get(key: string): Row | null {
    const row = this.#sql
      .exec<Row>("SELECT state, reply, expires_at, lease_until, tries FROM deliveries WHERE key = ?", key)
      .toArray()[0];
    return row && row.expires_at >= Date.now() ? row : null;
  }

  #insert(
    key: string,
    openid: string,
    state: DeliveryState,
    reply: string | null,
    ttlMs: number,
    leaseUntil: number,
  ): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO deliveries (key, openid, state, rank, reply, expires_at, lease_until, tries)" +
        " VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
      key,
      openid,
      state,
      STATE_RANK[state],
      reply,
      Date.now() + ttlMs,
      leaseUntil,
    );
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

  /** An alarm while anything is kept: soon while a reply is owed, else within a minute. */
  async #ensureAlarm(rescheduling = false): Promise<void> {
    const owed = this.#sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('running', 'deferred', 'noticed', 'sending', 'ready')",
      )
      .one().n;
    const kept = this.#sql
      .exec<{ n: number }>("SELECT (SELECT COUNT(*) FROM deliveries) + (SELECT COUNT(*) FROM waiting) AS n")
      .one().n;
    if (owed === 0 && kept === 0) return;
    const wanted = Date.now() + (owed > 0 ? 10_000 : 60_000);
    const current = rescheduling ? null : await this.ctx.storage.getAlarm();
    if (current === null || current > wanted) await this.ctx.storage.setAlarm(wanted);
  }
}
