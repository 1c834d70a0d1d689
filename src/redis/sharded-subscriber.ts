/**
 * Sharded pub/sub (SSUBSCRIBE, Redis 7) on a Redis Cluster: a sharded channel lives on the
 * node that owns its slot, so there is one subscriber connection per node that holds a
 * channel, each told where to go by the cluster's slot map.
 *
 * Like the plain subscriber it re-subscribes itself: after a node's connection comes back,
 * and when the slot map moves a channel to another node (a failover, a resharding, a MOVED
 * reply). Each time, once the subscriptions are in force again, `onResubscribed` runs, for
 * the bus to have its subscribers re-read what they may have missed.
 */
import { type Cluster, Redis, type RedisOptions } from "ioredis";
import { nodeAddress } from "./connection.js";
import { slotOf } from "./slots.js";

export interface ShardedSubscriber {
  /** resolves once the subscription is in force on the node that owns the channel's slot */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** false while a channel waits for its node, or a node holding channels cannot be reached */
  healthy(): boolean;
  close(): void;
}

export interface ShardedSubscriberOptions {
  /** its slot map says which node owns a channel; its refreshes move channels */
  cluster: Cluster;
  /** credentials and TLS of the subscriber connections */
  redisOptions: RedisOptions;
  onMessage(channel: string, message: string): void;
  /** the subscriptions are in force again after a reconnection or a move: messages may have been missed meanwhile */
  onResubscribed(): void;
}

interface Shard {
  redis: Redis;
  channels: Set<string>;
}

interface Placement {
  node: string;
  slot: number;
  /** settles when the node confirms the subscription, or when the channel leaves the node */
  live: Promise<void>;
  /** settles when the channel leaves the node */
  left: Promise<void>;
  leave(): void;
}

/** a node refusing an SSUBSCRIBE (CLUSTERDOWN while it rejoins the cluster) is asked again this often */
const RESUBSCRIBE_RETRY_MS = 500;

function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createShardedSubscriber(options: ShardedSubscriberOptions): ShardedSubscriber {
  return new ShardedChannels(options);
}

class ShardedChannels implements ShardedSubscriber {
  private readonly cluster: Cluster;
  private readonly wanted = new Set<string>();
  private readonly placements = new Map<string, Placement>();
  /** node key (`host:port`) → its subscriber connection */
  private readonly shards = new Map<string, Shard>();
  private closed = false;
  private slotsRead = signal();
  private readonly onSlotsRead = () => this.followSlots();

  constructor(private readonly options: ShardedSubscriberOptions) {
    this.cluster = options.cluster;
    this.cluster.on("refresh", this.onSlotsRead);
  }

  subscribe(channel: string): Promise<void> {
    this.wanted.add(channel);
    return this.place(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.wanted.delete(channel);
    await this.unplace(channel);
  }

  healthy(): boolean {
    if (this.placements.size < this.wanted.size) return false;
    for (const shard of this.shards.values()) if (shard.channels.size > 0 && shard.redis.status !== "ready") return false;
    return true;
  }

  close(): void {
    this.closed = true;
    this.cluster.off("refresh", this.onSlotsRead);
    this.slotsRead.fire();
    for (const placement of this.placements.values()) placement.leave();
    for (const shard of this.shards.values()) shard.redis.disconnect();
    this.shards.clear();
    this.placements.clear();
    this.wanted.clear();
  }

  private ownerOf(slot: number): string | undefined {
    return this.cluster.slots[slot]?.[0];
  }

  /**
   * SSUBSCRIBE until the node takes it or the channel leaves the node. Unlike a plain
   * SUBSCRIBE, a connected node may refuse one (CLUSTERDOWN while it rejoins the cluster).
   */
  private async subscribeOn(redis: Redis, channel: string, placement: Placement): Promise<void> {
    for (;;) {
      const outcome = await Promise.race([
        redis.ssubscribe(channel).then(
          () => "taken",
          () => "refused",
        ),
        placement.left.then(() => "left"),
      ]);
      if (outcome !== "refused" || this.closed || this.placements.get(channel) !== placement) return;
      await delay(RESUBSCRIBE_RETRY_MS);
    }
  }

  private shardAt(node: string): Shard {
    const known = this.shards.get(node);
    if (known) return known;
    // Re-subscribing after a reconnect is done here rather than by ioredis, whose own
    // re-subscription has no handler and rejects unhandled when the connection closes again.
    const redis = new Redis({
      ...this.options.redisOptions,
      ...nodeAddress(node),
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
    });
    const shard: Shard = { redis, channels: new Set() };
    this.shards.set(node, shard);
    redis.on("error", () => {}); // surfaces through healthy()
    redis.on("smessage", (channel: string, message: string) => this.options.onMessage(channel, message));
    // ioredis drops an SSUBSCRIBE answered with MOVED: the slot map is stale, and its refresh moves the channel.
    redis.on("moved", () => this.cluster.refreshSlotsCache());
    let wasReady = false;
    redis.on("ready", () => {
      if (wasReady) void this.resubscribe(shard).then(() => this.options.onResubscribed());
      wasReady = true;
    });
    return shard;
  }

  private resubscribe(shard: Shard): Promise<unknown> {
    return Promise.all(
      [...shard.channels].map((channel) => {
        const placement = this.placements.get(channel);
        return placement && this.subscribeOn(shard.redis, channel, placement);
      }),
    );
  }

  private async place(channel: string): Promise<void> {
    const slot = slotOf(channel);
    let node = this.ownerOf(slot);
    while (!node && !this.closed) {
      await this.slotsRead.fired; // not connected yet, or the slot has no owner for now
      node = this.ownerOf(slot);
    }
    if (!node || !this.wanted.has(channel)) return;
    const current = this.placements.get(channel);
    if (current) return current.live;
    const shard = this.shardAt(node);
    shard.channels.add(channel);
    const left = signal();
    const placement: Placement = { node, slot, live: left.fired, left: left.fired, leave: left.fire };
    this.placements.set(channel, placement);
    placement.live = this.subscribeOn(shard.redis, channel, placement);
    return placement.live;
  }

  private unplace(channel: string): Promise<unknown> {
    const placement = this.placements.get(channel);
    if (!placement) return Promise.resolve();
    this.placements.delete(channel);
    placement.leave();
    const shard = this.shards.get(placement.node);
    if (!shard) return Promise.resolve();
    shard.channels.delete(channel);
    return shard.redis.sunsubscribe(channel);
  }

  /** After each read of the slot map: channels whose slot changed hands follow it, then the bus re-reads. */
  private followSlots(): void {
    const read = this.slotsRead;
    this.slotsRead = signal();
    read.fire();
    const moved: string[] = [];
    for (const [channel, { slot, node }] of this.placements) {
      const owner = this.ownerOf(slot);
      if (owner !== undefined && owner !== node) moved.push(channel);
    }
    for (const channel of moved) void this.unplace(channel).catch(() => {}); // the old node may be gone
    const masters = new Set(this.cluster.slots.map((nodes) => nodes?.[0]));
    for (const [node, shard] of this.shards) {
      if (shard.channels.size > 0 || masters.has(node)) continue;
      this.shards.delete(node);
      shard.redis.disconnect();
    }
    if (moved.length > 0) void Promise.all(moved.map((channel) => this.place(channel))).then(() => this.options.onResubscribed());
  }
}
