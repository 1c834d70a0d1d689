import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { ErrorCode, ReelayError } from "../errors.js";
import type { LimitStore, Slot } from "./store.js";

const MINUTE_MS = 60_000;
/** a connection's slot lapses this long after its instance stops renewing it (a crash) */
const SOCKET_LEASE_MS = 60_000;
/** slots are renewed this often, well within their lease */
const SOCKET_RENEW_MS = SOCKET_LEASE_MS / 3;
/**
 * A poll holds its place in its channel's budget this long: the second the budget counts, and
 * a margin for the network, so that the provider, counting arrivals, never sees more in a second.
 */
const POLL_SLOT_MS = 1_100;
/** at most one warning per this long while the store fails */
const STORE_WARNING_INTERVAL_MS = 30_000;

type LimitSettings = Pick<Config, "rateLimitPerMinute" | "rateLimitAnonPerMinute" | "maxSocketsPerUser">;

/**
 * The per-user and per-client limits that need counting across instances. Each check
 * answers null (go ahead) or the RATE_LIMITED error to give the client. When the store
 * fails (Redis down) the request goes ahead and a warning is logged: a limit must never
 * take the API down with it.
 */
export interface RateLimiter {
  /** where the counts live: "redis" (shared by every instance) or "in-process" */
  readonly backend: LimitStore["kind"];
  /** counts `count` mutations of a user against RATE_LIMIT_PER_MINUTE */
  countMutations(userId: string, count: number): Promise<ReelayError | null>;
  /** counts one request without valid credentials against RATE_LIMIT_ANON_PER_MINUTE of its client address */
  countAnonymousRequest(address: string): Promise<ReelayError | null>;
  /** takes one of the user's MAX_SOCKETS_PER_USER connection slots, counted across instances; null when all are taken */
  openSocket(userId: string): Promise<SocketSlot | null>;
  /**
   * Takes one of a channel's `perSecond` provider polls (Channel.pollsPerSecond), counted
   * across instances over any second; false when they are all taken (the poll waits).
   */
  takePollSlot(channelId: string, perSecond: number): Promise<boolean>;
  /** frees every slot this instance holds and closes the store */
  close(): Promise<void>;
}

/** A connection's place among its user's connections; kept alive until released. */
export interface SocketSlot {
  /** frees the slot; safe to call more than once */
  release(): Promise<void>;
}

/** The refusal of a limit: RATE_LIMITED, with `retryAfter` in whole seconds when it is known. */
export function rateLimited(message: string, retryAfterMs: number | null, details: Record<string, unknown> = {}): ReelayError {
  const retryAfter = retryAfterMs === null ? {} : { retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
  return new ReelayError(ErrorCode.RATE_LIMITED, message, { ...retryAfter, ...details });
}

export function createRateLimiter(settings: LimitSettings, store: LimitStore, logger: Logger): RateLimiter {
  const held = new Set<Slot>();
  let lastWarning = 0;
  /** runs a store call; when it fails, warns (now and then) and answers `fallback` */
  async function guarded<T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (Date.now() - lastWarning > STORE_WARNING_INTERVAL_MS) {
        lastWarning = Date.now();
        logger.warn({ err, backend: store.kind }, `rate limits: could not ${what}; letting requests through meanwhile`);
      }
      return fallback;
    }
  }

  async function perMinute(key: string, amount: number, limit: number, message: string) {
    if (limit === 0) return null;
    const window = await guarded("count", () => store.count(key, amount, MINUTE_MS), null);
    return window && window.count > limit ? rateLimited(message, window.resetInMs, { limit }) : null;
  }

  const renewal = setInterval(() => {
    if (held.size > 0) void guarded("renew connection slots", () => store.renewSlots([...held], SOCKET_LEASE_MS), undefined);
  }, SOCKET_RENEW_MS);
  renewal.unref();

  return {
    backend: store.kind,
    countMutations: (userId, count) =>
      perMinute(
        `mutations:${userId}`,
        count,
        settings.rateLimitPerMinute,
        `Too many mutations: at most ${settings.rateLimitPerMinute} a minute`,
      ),
    countAnonymousRequest: (address) =>
      perMinute(
        `anonymous:${address}`,
        1,
        settings.rateLimitAnonPerMinute,
        `Too many requests without credentials from this address: at most ${settings.rateLimitAnonPerMinute} a minute`,
      ),
    async openSocket(userId) {
      const limit = settings.maxSocketsPerUser;
      if (limit === 0) return { release: async () => {} };
      const slot: Slot = { key: `sockets:${userId}`, holder: randomUUID() };
      if (!(await guarded("take a connection slot", () => store.acquireSlot(slot, limit, SOCKET_LEASE_MS), true))) return null;
      held.add(slot);
      return {
        async release() {
          if (!held.delete(slot)) return;
          await guarded("free a connection slot", () => store.releaseSlot(slot), undefined);
        },
      };
    },
    takePollSlot: (channelId, perSecond) =>
      // Each poll is a slot of its own that lapses after a second: at most `perSecond` live at once.
      guarded(
        "count a channel's polls",
        () => store.acquireSlot({ key: `polls:${channelId}`, holder: randomUUID() }, perSecond, POLL_SLOT_MS),
        true,
      ),
    async close() {
      clearInterval(renewal);
      await Promise.all([...held].map((slot) => guarded("free a connection slot", () => store.releaseSlot(slot), undefined)));
      held.clear();
      await store.close();
    },
  };
}
