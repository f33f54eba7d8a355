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
  followers: Promise<Set<string>>;
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
    // One question at a time; a shard that cannot say is asked again only WAITING_INDEX_MS later.
    const followers = fetch().then(
      (list) => new Set(list),
      () => new Set<string>(),
    );
    index = { followers, fetchedAt: now };
    shards.set(shardName, index);
  }
  return (await index.followers).has(openid);
}

/** A reply for `openid` began to wait (this instance put it there). */
export function noteWaiting(shardName: string, openid: string): void {
  void shards.get(shardName)?.followers.then((set) => set.add(openid));
}

/** A reply of the shard was handed over (the follower may have more): the shard is asked again next time. */
export function noteHandedOver(shardName: string): void {
  const index = shards.get(shardName);
  if (index) index.fetchedAt = 0;
}
