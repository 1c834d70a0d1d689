/**
 * The one place that opens Redis connections: a server (REDIS_URL), a cluster
 * (REDIS_CLUSTER_NODES) or the master a set of Sentinels names (REDIS_SENTINELS and
 * REDIS_MASTER_NAME). Beside a list, REDIS_URL gives the credentials and TLS of the data
 * nodes (`rediss://user:password@any-node`); its host is not used.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisTarget } from "../config.js";

export type RedisClient = Redis | Cluster;

/** Where a store or bus connects: a configured target, or a URL, shorthand for one server. */
export type RedisAddress = { target: RedisTarget } | { url: string };

export const targetOf = (address: RedisAddress): RedisTarget =>
  "target" in address ? address.target : { kind: "server", url: address.url };

/** A cluster reads its slot map this often, so a failover or a resharding is noticed without waiting for a MOVED reply. */
const CLUSTER_SLOTS_REFRESH_MS = 5_000;

/**
 * What REDIS_URL says about every connection beside where to connect: user, password, TLS
 * (rediss:) and database. Empty for a missing URL.
 */
export function nodeOptions(url: string | null): RedisOptions {
  if (!url) return {};
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\/+/, "");
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
    ...(database ? { db: Number(database) } : {}),
  };
}

/**
 * A client for the target with the caller's options on every connection it opens. A
 * Cluster routes each command by its key's slot; a Sentinel client asks the Sentinels for
 * the master at every (re)connection, checks that what it reached is a master, and drops
 * its connection as soon as a Sentinel announces a failover.
 */
export function connectRedis(target: Exclude<RedisTarget, { kind: "cluster" }>, options?: RedisOptions): Redis;
export function connectRedis(target: Extract<RedisTarget, { kind: "cluster" }>, options?: RedisOptions): Cluster;
export function connectRedis(target: RedisTarget, options?: RedisOptions): RedisClient;
export function connectRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  switch (target.kind) {
    case "server":
      return new Redis(target.url, options);
    case "cluster":
      return new Cluster(
        target.nodes.map(({ host, port }) => ({ host, port })),
        {
          redisOptions: { ...nodeOptions(target.url), ...options },
          enableOfflineQueue: options.enableOfflineQueue ?? true,
          lazyConnect: options.lazyConnect ?? false,
          slotsRefreshInterval: CLUSTER_SLOTS_REFRESH_MS,
        },
      );
    case "sentinel": {
      const node = nodeOptions(target.url);
      return new Redis({
        ...node,
        ...options,
        sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
        name: target.masterName,
        role: "master",
        failoverDetector: true,
        // The Sentinels are asked without the data nodes' password; TLS applies to both.
        ...(node.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      });
    }
  }
}

/**
 * Names of keys and channels under REDIS_PREFIX. On a cluster the part after the prefix is
 * a hash tag (`reelay:{task:42}`), so each name hashes by what it names and an operation on
 * one never spans slots; elsewhere names stay as they always were (`reelay:task:42`), so an
 * existing deployment keeps its names.
 */
export interface RedisNames {
  of(name: string): string;
  /** the name a full key or channel stands for; null when it is not under the prefix */
  nameOf(full: string): string | null;
}

export function redisNames(prefix: string, target: RedisTarget): RedisNames {
  if (target.kind !== "cluster") {
    return { of: (name) => prefix + name, nameOf: (full) => (full.startsWith(prefix) ? full.slice(prefix.length) : null) };
  }
  return {
    of: (name) => `${prefix}{${name}}`,
    nameOf: (full) => (full.startsWith(`${prefix}{`) && full.endsWith("}") ? full.slice(prefix.length + 1, -1) : null),
  };
}

/** Where a cluster node named by its key (`host:port`, as in Cluster#slots) listens. */
export function nodeAddress(nodeKey: string): { host: string; port: number } {
  const colon = nodeKey.lastIndexOf(":");
  return { host: nodeKey.slice(0, colon), port: Number(nodeKey.slice(colon + 1)) };
}
