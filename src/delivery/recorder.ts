/**
 * Writes first deliveries' ledger records off the critical path: records
 * from every request in this isolate are sent to their shards in one batch
 * every BATCH_MS, in the order they were made; the ledger keeps the furthest
 * state of each message (its upsert never moves a state backwards). A
 * request counts as a first delivery only within 2 s of its CreateTime and
 * WeChat's first retry comes 5 s after it, so a record has 2.5 s to land
 * after its batch leaves. Each batch is one RPC and one SQLite commit per
 * shard, whatever the number of requests it carries.
 *
 * The request that opens a batch keeps it alive (waitUntil) and performs the
 * write; later requests only add data to it, so no request waits on I/O that
 * belongs to another. A shard's records travel as JSON (`chunksOf`), which
 * the ledger hands to SQLite whole. A write that fails is made once more,
 * RETRY_MS later (still seconds before WeChat's first retry): a lost record
 * would let a retry run the handler again.
 */
import type { DeliveryLedger } from "./ledger";
import type { LedgerRecord } from "./policy";
import { describeError, log } from "../log";
import { sleep } from "../timers";

export const BATCH_MS = 500;
export const RETRY_MS = 1000;
/**
 * The most UTF-16 units of records a chunk's JSON holds, so that every chunk
 * stays far under SQLite's 2 MB bound on one value (a unit is at most 3 UTF-8 bytes).
 */
export const CHUNK_UNITS = 128 * 1024;

type LedgerNamespace = DurableObjectNamespace<DeliveryLedger>;

interface Batch {
  namespace: LedgerNamespace;
  ttlMs: number;
  /** Records by shard, in the order they were made. */
  shards: LedgerRecord[][];
}

let open: Batch | null = null;

export function ledgerStub(namespace: LedgerNamespace, shard: number) {
  return namespace.get(namespace.idFromName(`shard-${shard}`));
}

/** Queues a record for its shard's next batch; it is kept `ttlMs`. */
export function enqueueRecord(
  namespace: LedgerNamespace,
  shard: number,
  record: LedgerRecord,
  ttlMs: number,
  waitUntil: (p: Promise<unknown>) => void,
): void {
  let batch = open;
  if (batch === null || batch.namespace !== namespace || batch.ttlMs !== ttlMs) {
    batch = open = { namespace, ttlMs, shards: [] };
    const opened = batch;
    waitUntil(sleep(BATCH_MS).then(() => flush(opened)));
  }
  (batch.shards[shard] ??= []).push(record);
}

async function flush(batch: Batch): Promise<void> {
  if (open === batch) open = null;
  const writes: Promise<void>[] = [];
  batch.shards.forEach((records, shard) => writes.push(write(batch, shard, chunksOf(records), records.length)));
  await Promise.all(writes);
}

async function write(batch: Batch, shard: number, chunks: string[], records: number): Promise<void> {
  const attempt = () => ledgerStub(batch.namespace, shard).recordBatch(chunks, batch.ttlMs);
  try {
    await attempt();
  } catch (first) {
    await sleep(RETRY_MS);
    try {
      await attempt();
      log("ledger_write", { outcome: "written_again", shard, records, ...describeError(first) });
    } catch (e) {
      log("ledger_write", { outcome: "failed", shard, records, ...describeError(e) });
    }
  }
}

/**
 * A shard's records as JSON, one string per CHUNK_UNITS of them, in order:
 * the ledger hands each string to SQLite whole (ledger.ts), so the RPC
 * carries a few strings instead of an object a record.
 */
export function chunksOf(records: LedgerRecord[]): string[] {
  const chunks: string[] = [];
  let from = 0;
  let units = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const size = r.key.length + (r.reply === undefined ? 0 : r.reply.length) + 48;
    if (units + size > CHUNK_UNITS && i > from) {
      chunks.push(JSON.stringify(records.slice(from, i)));
      from = i;
      units = 0;
    }
    units += size;
  }
  chunks.push(JSON.stringify(from === 0 ? records : records.slice(from)));
  return chunks;
}
