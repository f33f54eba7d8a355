/**
 * DeliveryLedger — a Durable Object per shard of followers that remembers
 * what happened to each message, so that a try landing on any instance never
 * runs the handler again and the reply goes out exactly once; and that keeps
 * the replies waiting for their follower's next message. Single-threaded, so
 * every decision here is atomic. Schema: docs/storage.md.
 *
 * Two rules keep a reply from being lost between an instance and the ledger:
 * a call made once a try's answer is fixed never takes a reply (`mark`), and
 * a call a try may repeat after a lost answer gives the same result again
 * (`settle` by its token, `confirmHandOver`, `park` only from `sending`).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { log } from "../log";
import {
  ABANDONED_AFTER_MS,
  HANDING_MS,
  LEASE_MS,
  LEASED_STATES,
  STATE_RANK,
  WAITING_MAX_MS,
  keyRef,
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
 * Never moves a message's state backwards, nor sideways to another state of
 * the same rank (a passive answer does not overwrite a customer-service send);
 * a reply, once known, is kept.
 */
const ON_CONFLICT =
  " ON CONFLICT(key) DO UPDATE SET state = excluded.state, rank = excluded.rank," +
  " reply = COALESCE(excluded.reply, deliveries.reply), expires_at = MAX(excluded.expires_at, deliveries.expires_at)" +
  " WHERE excluded.rank > deliveries.rank OR excluded.state = deliveries.state";

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

/** Columns by table; a table made by an earlier schema gets the ones it lacks. */
const TABLES: Record<string, Record<string, string>> = {
  deliveries: {
    key: "TEXT PRIMARY KEY",
    state: "TEXT NOT NULL",
    rank: "INTEGER NOT NULL",
    reply: "TEXT",
    expires_at: "INTEGER NOT NULL",
    lease_until: "INTEGER NOT NULL DEFAULT 0",
    tries: "INTEGER NOT NULL DEFAULT 1",
    openid: "TEXT NOT NULL DEFAULT ''",
    settled_by: "TEXT",
    settled_as: "TEXT",
    holder: "TEXT",
  },
  waiting: {
    key: "TEXT PRIMARY KEY",
    openid: "TEXT NOT NULL",
    reply: "TEXT NOT NULL",
    reason: "TEXT NOT NULL",
    since: "INTEGER NOT NULL",
    handing_until: "INTEGER NOT NULL DEFAULT 0",
  },
};

/** A single-use claim (OAuth state): `new` for the first, the state it found for any later one. */
export type ClaimResult = { state: "new" } | { state: DeliveryState; reply?: string };

/** What a try of a message learns on arrival. */
export type Arrival =
  /** This try runs the handler: nobody had, or the one that had is gone (its lease ran out). */
  | { run: true; tries: number; takenOver: boolean }
  /** Another try has it: its state, the reply's body when known, and which try this is. */
  | { run: false; tries: number; state: DeliveryState; reply?: string };

/** What a try that waited for another try's reply learns. */
export type Awaited =
  | { reply: string }
  /** The handler's instance is gone: this try runs it again. */
  | { takeOver: true }
  | { state: DeliveryState | "none" };

/** What became of a handler's reply on `settle`. */
export type Settled = "ready" | "deliver" | "waiting" | "done" | "superseded";

/** How this try's own request answered while its handler ran (null: it is gone, it never did). */
export type OwnDecision = "deferred" | "noticed" | "held" | null;

/** A reply waiting for its follower's next message. */
export type Waiting = {
  key: string;
  reply: string;
  reason: string;
  since: number;
};

type Row = {
  state: DeliveryState;
  reply: string | null;
  expires_at: number;
  lease_until: number;
  tries: number;
  openid: string;
  settled_by: string | null;
  settled_as: string | null;
  holder: string | null;
};

/** How often a waiting try looks again (a handler's lease may run out while nothing is written). */
const WAIT_SLICE_MS = 500;

export class DeliveryLedger extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** Tries waiting for a message's reply, by key. */
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    for (const [table, columns] of Object.entries(TABLES)) {
      const definition = Object.entries(columns).map(([name, type]) => `${name} ${type}`);
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (${definition.join(", ")})`);
      const have = new Set(
        this.#sql
          .exec<{ name: string }>(`PRAGMA table_info(${table})`)
          .toArray()
          .map((c) => c.name),
      );
      for (const [name, type] of Object.entries(columns)) {
        if (!have.has(name)) this.#sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
      }
    }
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
    const expires = Date.now() + ttlMs;
    for (const chunk of chunks) {
      this.#sql.exec(UPSERT_JSON, chunk, expires);
      // A try waiting on one of these messages finds its answer now (a passive reply is given again).
      for (const { key } of this.#sql.exec<{ key: string }>("SELECT value->>'key' AS key FROM json_each(?)", chunk)) {
        this.#wake(key);
      }
    }
    await this.#ensureAlarm();
  }

  /** A single-use claim kept `ttlMs` (how OAuth state is made single-use). */
  async claim(key: string, ttlMs = 120_000): Promise<ClaimResult> {
    const row = this.#get(key);
    if (!row) {
      this.#insert(key, "", "done", null, ttlMs, 0);
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
  async arrive(key: string, openid: string, ttlMs: number, holder: string): Promise<Arrival> {
    const row = this.#get(key);
    if (!row) {
      this.#insert(key, openid, "running", null, ttlMs, Date.now() + LEASE_MS, holder);
      await this.#ensureAlarm();
      return { run: true, tries: 1, takenOver: false };
    }
    const tries = row.tries + 1;
    this.#sql.exec("UPDATE deliveries SET tries = ? WHERE key = ?", tries, key);
    if (this.#orphaned(row)) {
      this.#takeOver(key, holder);
      return { run: true, tries, takenOver: true };
    }
    if (row.state === "ready") return { run: false, tries, state: "replied", reply: this.#take(key, row) };
    if (row.reply !== null && row.state === "replied") return { run: false, tries, state: row.state, reply: row.reply };
    return { run: false, tries, state: row.state };
  }

  /**
   * The handler `holder` runs is still at work: its lease goes on (and
   * starts, for a first delivery not yet recorded). False once another try
   * took the message over, or nothing is owed any more.
   */
  async renew(key: string, openid: string, ttlMs: number, holder: string): Promise<boolean> {
    const row = this.#get(key);
    if (!row) {
      this.#insert(key, openid, "running", null, ttlMs, Date.now() + LEASE_MS, holder);
      await this.#ensureAlarm();
      return true;
    }
    if (!LEASED_STATES.has(row.state) || (row.holder !== null && row.holder !== holder)) return false;
    this.#sql.exec(
      "UPDATE deliveries SET lease_until = ?, holder = ? WHERE key = ?",
      Date.now() + LEASE_MS,
      holder,
      key,
    );
    return true;
  }

  /**
   * A try waits, at most `waitMs`, for the reply of a message another try's
   * handler is producing. The reply is taken only before `answerBy` (after
   * that, the try could no longer answer with it); if it does not come, the
   * message is marked `otherwise` (deferred: it goes by customer-service
   * message; noticed: it waits for the follower). A handler whose lease runs
   * out meanwhile is this try's to run again.
   */
  async awaitReply(
    key: string,
    waitMs: number,
    answerBy: number,
    otherwise: "deferred" | "noticed" | null,
    holder: string,
  ): Promise<Awaited> {
    const until = Date.now() + waitMs;
    for (;;) {
      const row = this.#get(key);
      if (!row) return { state: "none" };
      if (Date.now() < answerBy && (row.state === "ready" || (row.state === "replied" && row.reply !== null))) {
        return { reply: row.state === "ready" ? this.#take(key, row) : row.reply! };
      }
      if (this.#orphaned(row) && Date.now() < answerBy) {
        this.#takeOver(key, holder);
        return { takeOver: true };
      }
      if (row.state !== "running" || Date.now() >= until) break;
      await this.#sleepOrWake(key, Math.min(WAIT_SLICE_MS, until - Date.now()));
    }
    if (otherwise !== null) this.#mark(key, otherwise);
    await this.#ensureAlarm();
    return { state: this.#get(key)?.state ?? "none" };
  }

  /**
   * A try's answer is fixed (custom, auto: `success` at the deadline; hold:
   * the notice on the last try): the message is marked so that its reply,
   * when ready, goes by customer-service message or waits for the follower.
   * Never takes a reply: the try can no longer answer with it.
   */
  async mark(key: string, openid: string, state: "deferred" | "noticed", ttlMs: number): Promise<void> {
    if (!this.#get(key)) this.#insert(key, openid, "running", null, ttlMs, Date.now() + LEASE_MS);
    this.#mark(key, state);
    await this.#ensureAlarm();
  }

  /**
   * The handler's reply, once no try is waiting on it in its own instance;
   * `own` is how its own try answered. Where it goes:
   * - `deliver` by customer-service message (now `sending`): a try answered `success` at its deadline;
   * - `waiting` for the follower's next message: WeChat's last try got the notice, or its tries are over;
   * - `ready` for the next try to take: no try has answered (hold, or the try's request died);
   * - `superseded`: another run of this handler, or a try, settled the message already.
   * `success` (nothing to say) is `done`. `holder` is the handler's run: one
   * whose message another try took over is superseded. Repeated, the same answer.
   */
  async settle(
    key: string,
    openid: string,
    body: string,
    own: OwnDecision,
    holder: string,
    ttlMs: number,
    tryMs: number,
  ): Promise<Settled> {
    const row = this.#get(key);
    if (row?.settled_by === holder) return row.settled_as as Settled;
    if (!row) this.#insert(key, openid, "running", null, ttlMs, 0, holder);
    const state = row?.state ?? "running";
    let settled: Settled;
    if (row?.holder != null && row.holder !== holder) {
      settled = "superseded"; // another try took the message over: its run settles it
    } else if (state !== "running" && state !== "deferred" && state !== "noticed" && state !== "lost") {
      settled = "superseded";
    } else if (body === "success") {
      this.#set(key, "done", null);
      settled = "done";
    } else if (state === "deferred" || own === "deferred") {
      this.#set(key, "sending", null);
      this.#sql.exec("UPDATE deliveries SET lease_until = ? WHERE key = ?", Date.now() + LEASE_MS, key);
      settled = "deliver";
    } else if (state === "noticed" || own === "noticed" || state === "lost") {
      this.#park(
        key,
        openid,
        body,
        state === "lost" ? "WeChat's tries were over" : "WeChat's last try was answered with the notice",
      );
      settled = "waiting";
    } else {
      // A try may take it while WeChat goes on trying; after that the alarm puts it to wait.
      this.#set(key, "ready", body);
      this.#sql.exec("UPDATE deliveries SET lease_until = ? WHERE key = ?", Date.now() + 3 * tryMs, key);
      settled = "ready";
    }
    if (settled !== "superseded") {
      this.#sql.exec("UPDATE deliveries SET settled_by = ?, settled_as = ? WHERE key = ?", holder, settled, key);
    }
    this.#wake(key);
    await this.#ensureAlarm();
    return settled;
  }

  /** How a customer-service delivery ended: done, unknown (the send timed out: never again), or lost. */
  async finish(key: string, state: "done" | "unknown" | "lost"): Promise<void> {
    this.#set(key, state, null);
  }

  /**
   * The reply of a customer-service send that failed for good waits for the
   * follower's next message; `reason` says why. Only from `sending`: a repeat
   * after the reply was handed over does nothing. False when it did nothing.
   */
  async park(key: string, openid: string, body: string, reason: string): Promise<boolean> {
    const state = this.#get(key)?.state;
    if (state === "waiting") return true;
    if (state !== undefined && state !== "sending") return false;
    this.#park(key, openid, body, reason);
    await this.#ensureAlarm();
    return true;
  }

  /** Followers of this shard with a reply waiting (not one being handed over right now). */
  async waitingFollowers(): Promise<string[]> {
    return this.#sql
      .exec<{ openid: string }>("SELECT DISTINCT openid FROM waiting WHERE handing_until < ?", Date.now())
      .toArray()
      .map((r) => r.openid);
  }

  /**
   * The follower's oldest waiting reply, lent for HANDING_MS to the try that
   * hands it over: gone once that try confirms, waiting again if it does not.
   */
  async takeWaiting(openid: string): Promise<Waiting | null> {
    const now = Date.now();
    const row = this.#sql
      .exec<Waiting>(
        "SELECT key, reply, reason, since FROM waiting WHERE openid = ? AND handing_until < ? ORDER BY since LIMIT 1",
        openid,
        now,
      )
      .toArray()[0];
    if (!row) return null;
    this.#sql.exec("UPDATE waiting SET handing_until = ? WHERE key = ?", now + HANDING_MS, row.key);
    await this.#ensureAlarm();
    return row;
  }

  /** The waiting reply was handed over (sent, or this message's answer): it waits no more. */
  async confirmHandOver(key: string): Promise<void> {
    this.#sql.exec("DELETE FROM waiting WHERE key = ?", key);
    this.#set(key, "done", null);
  }

  /**
   * Cleanup, and the losses nobody else would see: a reply owed whose
   * handler's lease ran out past WeChat's tries (its instance ended), a ready
   * reply no try took (WeChat stopped trying: it waits for the follower), and
   * a waiting reply past 48 hours.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const row of this.#sql
      .exec<{ key: string; state: DeliveryState }>(
        "SELECT key, state FROM deliveries WHERE state IN ('running', 'deferred', 'noticed', 'sending')" +
          " AND lease_until > 0 AND lease_until < ?",
        now - ABANDONED_AFTER_MS,
      )
      .toArray()) {
      const unknown = row.state === "sending";
      this.#set(row.key, unknown ? "unknown" : "lost", null);
      log("delivery", {
        ref: keyRef(row.key),
        outcome: unknown ? "unknown" : "lost",
        reason: unknown
          ? "a customer-service send was under way when its instance ended, or its end could not be recorded; it is not sent again"
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
        ref: keyRef(row.key),
        outcome: "lost",
        reason: `not handed over within 48 hours; it was waiting because ${row.reason}`,
      });
    }
    this.#sql.exec("DELETE FROM deliveries WHERE expires_at < ?", now);
    await this.#ensureAlarm(true);
  }

  /** A message still owed a reply whose handler's lease ran out (a lease of 0 is a record without one). */
  #orphaned(row: Row): boolean {
    return row.state === "running" && row.lease_until > 0 && row.lease_until < Date.now();
  }

  /** Another try runs the handler now: the lease, and the right to settle, are `holder`'s. */
  #takeOver(key: string, holder: string): void {
    this.#sql.exec(
      "UPDATE deliveries SET lease_until = ?, holder = ?, settled_by = NULL, settled_as = NULL WHERE key = ?",
      Date.now() + LEASE_MS,
      holder,
      key,
    );
  }

  /** A ready reply taken by a try: from now on it is that try's passive answer. */
  #take(key: string, row: Row): string {
    this.#set(key, "replied", row.reply);
    return row.reply!;
  }

  #mark(key: string, state: "deferred" | "noticed"): void {
    if (this.#get(key)?.state === "running") this.#set(key, state, null);
  }

  #park(key: string, openid: string, body: string, reason: string): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO waiting (key, openid, reply, reason, since, handing_until) VALUES (?, ?, ?, ?, ?, 0)",
      key,
      openid,
      body,
      reason,
      Date.now(),
    );
    this.#set(key, "waiting", null);
    log("delivery", { ref: keyRef(key), outcome: "waiting", reason });
  }

  #wake(key: string): void {
    for (const wake of this.#waiters.get(key) ?? []) wake();
  }

  #sleepOrWake(key: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set();
      this.#waiters.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      waiters.add(done);
    });
  }

  #get(key: string): Row | null {
    const row = this.#sql
      .exec<Row>(
        "SELECT state, reply, expires_at, lease_until, tries, openid, settled_by, settled_as, holder FROM deliveries WHERE key = ?",
        key,
      )
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
    holder: string | null = null,
  ): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO deliveries (key, openid, state, rank, reply, expires_at, lease_until, tries, holder)" +
        " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
      key,
      openid,
      state,
      STATE_RANK[state],
      reply,
      Date.now() + ttlMs,
      leaseUntil,
      holder,
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

  /** An alarm while anything is kept: soon while a reply is owed or lent, else within a minute. */
  async #ensureAlarm(rescheduling = false): Promise<void> {
    const owed = this.#sql
      .exec<{ n: number }>(
        "SELECT (SELECT COUNT(*) FROM deliveries WHERE lease_until > 0 AND state IN ('running', 'deferred', 'noticed', 'sending', 'ready'))" +
          " + (SELECT COUNT(*) FROM waiting WHERE handing_until > ?) AS n",
        Date.now(),
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
