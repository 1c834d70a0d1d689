import { connectRedis, type RedisAddress, redisNames, targetOf } from "../redis/connection.js";
import type { LimitStore, Slot, WindowCount } from "./store.js";

/** a limit check never holds a request longer than this when Redis is slow; the limiter then lets it through */
const COMMAND_TIMEOUT_MS = 1_000;

/** Adds ARGV[1] to KEYS[1]; the first count of a window sets its expiry to ARGV[2] ms. Returns { count, ms left }. */
const COUNT_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {count, left}`;

/** Redis's own clock, so that instances with skewed clocks agree on when a lease ends. */
const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * The slots of KEYS[1] are a sorted set: holder → end of its lease. Drops lapsed leases,
 * then takes (or renews) the slot of ARGV[1] unless ARGV[2] others hold them all. Returns 1 or 0.
 */
const ACQUIRE_SCRIPT = `${NOW_MS}
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1`;

/** Extends (or takes back) the lease of ARGV[1] in KEYS[1] by ARGV[2] ms. */
const RENEW_SCRIPT = `${NOW_MS}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * Counters in Redis, shared by every instance on the same Redis and REDIS_PREFIX.
 * Each check is one script, so concurrent instances never interleave inside it; every key
 * carries the prefix and its own expiry. Every script and command touches one key, so on a
 * cluster each runs on the one node that owns that key's slot (the key's hash tag, see
 * redisNames); a script over several keys would need them under one tag.
 */
export function createRedisLimitStore(options: RedisAddress & { prefix: string }): LimitStore {
  const target = targetOf(options);
  const redis = connectRedis(target, { maxRetriesPerRequest: 1, enableOfflineQueue: true, commandTimeout: COMMAND_TIMEOUT_MS });
  // Failures reach the caller of each command; without a listener ioredis reports them as unhandled.
  redis.on("error", () => {});
  let wasReady = false;
  redis.once("ready", () => (wasReady = true));
  const names = redisNames(options.prefix, target);
  const keyOf = (key: string) => names.of(`limits:${key}`);
  /** Before the first connection a command waits in the offline queue, as at start-up; after an outage it fails at once. */
  const connection = () => {
    if (wasReady && redis.status !== "ready") throw new Error(`Redis is not available (${redis.status})`);
    return redis;
  };

  return {
    kind: "redis",
    async count(key, amount, windowMs): Promise<WindowCount> {
      const [count, left] = (await connection().eval(COUNT_SCRIPT, 1, keyOf(key), amount, windowMs)) as [number, number];
      return { count, resetInMs: left };
    },
    async acquireSlot({ key, holder }, limit, leaseMs) {
      return (await connection().eval(ACQUIRE_SCRIPT, 1, keyOf(key), holder, limit, leaseMs)) === 1;
    },
    async renewSlots(slots, leaseMs) {
      if (slots.length === 0) return;
      // A script per connection slot rather than one pipeline, which a cluster accepts only for
      // keys of one hash slot. All are sent before any answer is awaited: still one round trip.
      const client = connection();
      await Promise.all(slots.map(({ key, holder }) => client.eval(RENEW_SCRIPT, 1, keyOf(key), holder, leaseMs)));
    },
    async releaseSlot({ key, holder }: Slot) {
      await connection().zrem(keyOf(key), holder);
    },
    async close() {
      redis.disconnect();
    },
  };
}
