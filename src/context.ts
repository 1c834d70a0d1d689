import type { Logger } from "pino";
import { verifyAuthorization } from "./auth.js";
import type { Config } from "./config.js";
import type { Db } from "./db/index.js";
import type { MediaSigner } from "./http/media.js";
import type { SafeFetchOptions } from "./media/safe-fetch.js";
import type { Metrics } from "./metrics.js";
import type { PubSub } from "./pubsub.js";
import type { MediaStorage } from "./storage/types.js";

/** Long-lived objects one Reelay instance owns; handed to resolvers through the context. */
export interface Services {
  /** names this process in leases and logs */
  instanceId: string;
  config: Config;
  db: Db;
  pubsub: PubSub;
  storage: MediaStorage;
  signer: MediaSigner;
  logger: Logger;
  jwtKey: Uint8Array;
  metrics: Metrics;
  /** how reference image URLs are fetched (tests allow a local HTTPS server) */
  referenceFetch?: Omit<SafeFetchOptions, "maxBytes">;
}

export interface CurrentUser {
  id: string;
  subject: string;
  role: "USER" | "ADMIN";
}

export interface Context {
  services: Services;
  /** resolved once per request (or per WebSocket connection) from the bearer token */
  currentUser: CurrentUser | null;
}

/**
 * The caller from an Authorization header value: null without one, UNAUTHENTICATED when
 * it is bad. A user row is created on first sight of a valid subject; the token's role
 * claim is mirrored so that promotions and demotions take effect with the next token.
 */
export async function resolveUser(services: Services, authorization: string | null | undefined): Promise<CurrentUser | null> {
  const claims = await verifyAuthorization(authorization, services.jwtKey);
  if (!claims) return null;
  // A subject's user row never changes id: once seen with this role, skip the database.
  const cache = knownUsers(services);
  const cacheKey = `${claims.role}\u0000${claims.subject}`;
  const known = cache.get(cacheKey);
  if (known && known.until > Date.now()) return known.user;
  const user = await services.db.user.upsert({
    where: { subject: claims.subject },
    create: { subject: claims.subject, role: claims.role },
    update: {},
    select: { id: true, subject: true, role: true },
  });
  if (user.role !== claims.role) {
    await services.db.user.update({ where: { id: user.id }, data: { role: claims.role } });
  }
  const current: CurrentUser = { id: user.id, subject: user.subject, role: claims.role };
  cache.delete(cacheKey);
  cache.set(cacheKey, { user: current, until: Date.now() + USER_CACHE_TTL_MS });
  if (cache.size > USER_CACHE_SIZE) cache.delete(cache.keys().next().value!); // the least recently resolved
  return current;
}

const USER_CACHE_SIZE = 10_000;
const USER_CACHE_TTL_MS = 5 * 60_000;
const userCaches = new WeakMap<Services, Map<string, { user: CurrentUser; until: number }>>();

function knownUsers(services: Services) {
  let cache = userCaches.get(services);
  if (!cache) {
    cache = new Map();
    userCaches.set(services, cache);
  }
  return cache;
}
