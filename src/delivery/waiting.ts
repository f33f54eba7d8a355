/**
 * This instance's knowledge of which followers have a reply waiting, by
 * ledger shard: asked of the shard at most once every WAITING_INDEX_MS, so
 * that a follower's message costs no Durable Object call unless they may
 * have something waiting. A reply this instance puts to wait is known here
 * at once; one put to wait on another instance within the last
 * WAITING_INDEX_MS may be seen one message late.
 */
import { WAITING_INDEX_MS } from "./policy";

interface ShardIndex {
  followers: Set<string>;
  fetchedAt: number;
}

const shards = new Map<string, ShardIndex>();

/** Whether `openid` may have a waiting reply in the shard that `fetch` asks (when this instance's knowledge is old); false when it cannot say. */
export async function mayHaveWaiting(
  shardName: string,
  openid: string,
  fetch: () => Promise<string[]>,
  now: number,
): Promise<boolean> {
  let index = shards.get(shardName);
  if (index === undefined || now - index.fetchedAt > WAITING_INDEX_MS) {
    // A shard that cannot say is asked again only WAITING_INDEX_MS later: its replies keep waiting meanwhile.
    const followers = await fetch().catch(() => []);
    index = { followers: new Set(followers), fetchedAt: now };
    shards.set(shardName, index);
  }
  return index.followers.has(openid);
}

/** A reply for `openid` began to wait (this instance put it there). */
export function noteWaiting(shardName: string, openid: string): void {
  shards.get(shardName)?.followers.add(openid);
}

/** The follower's waiting reply was handed over. */
export function noteHandedOver(shardName: string, openid: string): void {
  shards.get(shardName)?.followers.delete(openid);
}
