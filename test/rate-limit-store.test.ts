/**
 * The two backends of the rate limits, held to one contract: fixed-window counters and
 * leased slots behave the same in Redis (shared by every instance) and in process (the
 * embedded default). Then the limiter over a Redis that cannot be reached: it lets
 * requests through and says so, rather than taking the API down.
 */
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createRateLimiter } from "../src/rate-limits/limiter.js";
import { createMemoryLimitStore } from "../src/rate-limits/memory-store.js";
import { createRedisLimitStore } from "../src/rate-limits/redis-store.js";
import type { LimitStore } from "../src/rate-limits/store.js";
import { TEST_REDIS_URL, uniqueRedisPrefix } from "./helpers/app.js";
import { freePort } from "./helpers/processes.js";
import { sleep } from "./helpers/wait.js";

const stores: LimitStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

const backends: { name: string; create(prefix: string): LimitStore }[] = [
  { name: "in-process", create: () => createMemoryLimitStore() },
  { name: "redis", create: (prefix) => createRedisLimitStore({ url: TEST_REDIS_URL, prefix }) },
];

for (const backend of backends) {
  describe(`the ${backend.name} limit store`, () => {
    const prefix = uniqueRedisPrefix();
    const store = backend.create(prefix);
    stores.push(store);

    it("counts within a window, reports the time left in it, and keeps keys apart", async () => {
      expect(store.kind).toBe(backend.name);
      const first = await store.count("window:a", 1, 10_000);
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(9_000);
      expect(first.resetInMs).toBeLessThanOrEqual(10_000);
      expect((await store.count("window:a", 2, 10_000)).count).toBe(3);
      expect((await store.count("window:b", 1, 10_000)).count).toBe(1);
    });

    it("starts again from zero once the window has ended, and the window does not move with later counts", async () => {
      await store.count("window:short", 1, 300);
      await sleep(150);
      const later = await store.count("window:short", 1, 300);
      expect(later.count).toBe(2);
      expect(later.resetInMs).toBeLessThanOrEqual(150);
      await sleep(later.resetInMs + 50);
      expect((await store.count("window:short", 1, 300)).count).toBe(1);
    });

    it("hands out at most `limit` slots; a holder taking its own slot again renews it, a release frees it", async () => {
      const slot = (holder: string) => ({ key: "slots:full", holder });
      expect(await store.acquireSlot(slot("a"), 2, 10_000)).toBe(true);
      expect(await store.acquireSlot(slot("b"), 2, 10_000)).toBe(true);
      expect(await store.acquireSlot(slot("c"), 2, 10_000)).toBe(false);
      expect(await store.acquireSlot(slot("a"), 2, 10_000)).toBe(true);
      expect(await store.acquireSlot({ key: "slots:other", holder: "c" }, 2, 10_000)).toBe(true);
      await store.releaseSlot(slot("a"));
      expect(await store.acquireSlot(slot("c"), 2, 10_000)).toBe(true);
      expect(await store.acquireSlot(slot("d"), 2, 10_000)).toBe(false);
    });

    it("frees a slot whose lease lapsed, and keeps one that is renewed", async () => {
      const kept = { key: "slots:leased", holder: "kept" };
      const lapsed = { key: "slots:leased", holder: "lapsed" };
      expect(await store.acquireSlot(kept, 2, 600)).toBe(true);
      expect(await store.acquireSlot(lapsed, 2, 600)).toBe(true);
      for (let i = 0; i < 3; i++) {
        await sleep(250);
        await store.renewSlots([kept], 600);
      }
      // "lapsed" was not renewed for 750 ms: its slot is free; "kept" still holds one
      expect(await store.acquireSlot({ key: "slots:leased", holder: "new" }, 2, 600)).toBe(true);
      expect(await store.acquireSlot({ key: "slots:leased", holder: "newer" }, 2, 600)).toBe(false);
    });

    it("takes a lapsed slot back on renewal, whatever the limit: the connection it stands for is still open", async () => {
      const first = { key: "slots:renewed", holder: "first" };
      expect(await store.acquireSlot(first, 1, 100)).toBe(true);
      await sleep(150);
      expect(await store.acquireSlot({ key: "slots:renewed", holder: "second" }, 1, 10_000)).toBe(true);
      await store.renewSlots([first], 10_000);
      expect(await store.acquireSlot({ key: "slots:renewed", holder: "third" }, 3, 10_000)).toBe(true);
      expect(await store.acquireSlot({ key: "slots:renewed", holder: "fourth" }, 3, 10_000)).toBe(false);
    });

    if (backend.name === "redis") {
      it("is shared by every store on the same prefix, and only by them", async () => {
        const twin = backend.create(prefix);
        const stranger = backend.create(uniqueRedisPrefix());
        stores.push(twin, stranger);
        await store.count("shared", 1, 10_000);
        expect((await twin.count("shared", 1, 10_000)).count).toBe(2);
        expect((await stranger.count("shared", 1, 10_000)).count).toBe(1);
        expect(await store.acquireSlot({ key: "shared-slots", holder: "a" }, 1, 10_000)).toBe(true);
        expect(await twin.acquireSlot({ key: "shared-slots", holder: "b" }, 1, 10_000)).toBe(false);
        expect(await stranger.acquireSlot({ key: "shared-slots", holder: "b" }, 1, 10_000)).toBe(true);
      });

      it("keeps every key under the prefix, each with an expiry", async () => {
        await store.count("expiring", 1, 10_000);
        await store.acquireSlot({ key: "expiring-slots", holder: "a" }, 1, 10_000);
        const redis = new Redis(TEST_REDIS_URL);
        try {
          const keys = await redis.keys(`${prefix}*`);
          expect(keys.length).toBeGreaterThan(0);
          for (const key of keys) expect(key.startsWith(`${prefix}limits:`)).toBe(true);
          for (const key of [`${prefix}limits:expiring`, `${prefix}limits:expiring-slots`]) {
            const ttl = await redis.pttl(key);
            expect(ttl).toBeGreaterThan(0);
            expect(ttl).toBeLessThanOrEqual(10_000);
          }
        } finally {
          redis.disconnect();
        }
      });
    }
  });
}

describe("the limiter when Redis cannot be reached", () => {
  it("lets requests and connections through and logs a warning, instead of refusing everything", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const store = createRedisLimitStore({ url: `redis://127.0.0.1:${await freePort()}`, prefix: uniqueRedisPrefix() });
    const limiter = createRateLimiter({ rateLimitPerMinute: 1, rateLimitAnonPerMinute: 1, maxSocketsPerUser: 1 }, store, logger);
    try {
      expect(await limiter.countMutations("someone", 5)).toBeNull();
      expect(await limiter.countAnonymousRequest("192.0.2.1")).toBeNull();
      const slot = await limiter.openSocket("someone");
      expect(slot).not.toBeNull();
      await slot!.release();
      expect(lines.some((line) => /rate limits: could not/.test(line))).toBe(true);
    } finally {
      await limiter.close();
    }
  });
});
