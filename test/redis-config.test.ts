/**
 * Where Redis is: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS with REDIS_MASTER_NAME,
 * parsed and checked at start; the names of keys and channels on each; and the slot a name
 * hashes to, as Redis Cluster computes it.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, redisConfigured, redisTarget } from "../src/config.js";
import { nodeOptions, redisNames } from "../src/redis/connection.js";
import { slotOf } from "../src/redis/slots.js";

describe("Redis settings", () => {
  it("reads a cluster's nodes and a Sentinel set's addresses as host:port lists, IPv6 in brackets", () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-2.internal:7001,[::1]:7002" }).redisClusterNodes).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-2.internal", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    const sentinel = loadConfig({ REDIS_SENTINELS: "s1:26379,s2:26379", REDIS_MASTER_NAME: "reelay" });
    expect(redisTarget(sentinel)).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26379 },
      ],
      masterName: "reelay",
      url: null,
    });
  });

  it("refuses an entry that is not host:port, naming the variable and the entry", () => {
    for (const bad of ["redis-1", "redis-1:", ":6379", "redis-1:0", "redis-1:65536", "::1:6379", "[::1]", "a b:1", "redis-1:6379:1"]) {
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ REDIS_SENTINELS: bad, REDIS_MASTER_NAME: "m" }), bad).toThrow(
        new RegExp(`REDIS_SENTINELS entries must be host:port .*got "${bad.replace(/[[\]]/g, "\\$&")}"`),
      );
    }
  });

  it("refuses a cluster and Sentinels at once, and Sentinels without the master's name or a name without them", () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "a:1", REDIS_SENTINELS: "b:2", REDIS_MASTER_NAME: "m" })).toThrow(
      /REDIS_CLUSTER_NODES and REDIS_SENTINELS .* set one of them, not both/,
    );
    expect(() => loadConfig({ REDIS_SENTINELS: "b:2" })).toThrow(/REDIS_SENTINELS needs REDIS_MASTER_NAME/);
    expect(() => loadConfig({ REDIS_MASTER_NAME: "m" })).toThrow(/REDIS_MASTER_NAME .* set REDIS_SENTINELS too/);
    expect(() => loadConfig({ REDIS_URL: "redis://a:6379", REDIS_MASTER_NAME: "m" })).toThrow(ConfigError);
  });

  it("takes only credentials and TLS from REDIS_URL beside a list, and refuses a database other than 0 on a cluster", () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: "a:7000", REDIS_URL: "rediss://reelay:s%40cret@a:7000" });
    expect(redisTarget(config)).toMatchObject({ kind: "cluster", url: "rediss://reelay:s%40cret@a:7000" });
    expect(nodeOptions(config.redisUrl)).toEqual({ username: "reelay", password: "s@cret", tls: {} });
    expect(nodeOptions("redis://:pw@m/2")).toEqual({ password: "pw", db: 2 });
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "a:7000", REDIS_URL: "redis://a:7000/3" })).toThrow(/only database 0/);
    expect(() => loadConfig({ REDIS_SENTINELS: "s:26379", REDIS_MASTER_NAME: "m", REDIS_URL: "https://x" })).toThrow(
      /redis:\/\/ or rediss:\/\//,
    );
    // The message never repeats the URL, which may hold a password.
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "a:7000", REDIS_URL: "redis://:hunter2@a/9" })).toThrow(/^(?!.*hunter2)/);
  });

  it("refuses a prefix with a brace on a cluster, where it would put every name on one node", () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "a:7000", REDIS_PREFIX: "{reelay}:" })).toThrow(/REDIS_PREFIX must not contain/);
    expect(loadConfig({ REDIS_URL: "redis://a:6379", REDIS_PREFIX: "{reelay}:" }).redisPrefix).toBe("{reelay}:");
  });

  it("counts any of the three as Redis configured, and none as in-process", () => {
    expect(redisConfigured(loadConfig({}))).toBe(false);
    expect(redisConfigured(loadConfig({ REDIS_URL: "redis://a:6379" }))).toBe(true);
    expect(redisConfigured(loadConfig({ REDIS_CLUSTER_NODES: "a:7000" }))).toBe(true);
    expect(redisConfigured(loadConfig({ REDIS_SENTINELS: "s:26379", REDIS_MASTER_NAME: "m" }))).toBe(true);
  });
});

describe("names on Redis", () => {
  it("wraps what follows the prefix in a hash tag on a cluster only, so existing deployments keep their names", () => {
    const cluster = redisNames("reelay:", { kind: "cluster", nodes: [{ host: "a", port: 1 }], url: null });
    expect(cluster.of("task:42")).toBe("reelay:{task:42}");
    expect(cluster.nameOf("reelay:{task:42}")).toBe("task:42");
    expect(cluster.nameOf("reelay:task:42")).toBeNull();
    expect(cluster.nameOf("other:{task:42}")).toBeNull();
    const server = redisNames("reelay:", { kind: "server", url: "redis://a" });
    expect(server.of("task:42")).toBe("reelay:task:42");
    expect(server.nameOf("reelay:task:42")).toBe("task:42");
    expect(server.nameOf("other:task:42")).toBeNull();
  });

  it("hashes a name to the slot Redis Cluster gives it (CLUSTER KEYSLOT), by its hash tag when it has one", () => {
    expect(slotOf("123456789")).toBe(12739); // CRC16/XMODEM's check value 0x31c3
    expect(slotOf("foo")).toBe(12182);
    expect(slotOf("{user1000}.following")).toBe(slotOf("{user1000}.followers"));
    expect(slotOf("{user1000}.following")).toBe(slotOf("user1000"));
    expect(slotOf("foo{}{bar}")).toBe(8363); // an empty tag: the whole name
    expect(slotOf("foo{{bar}}zap")).toBe(4015); // the tag is "{bar"
    expect(slotOf("reelay:{task:42}")).toBe(13986);
  });
});
