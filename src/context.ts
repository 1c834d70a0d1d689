import type { Logger } from "pino";
import { API_KEY_PREFIX, type KnownApiKeys, resolveApiKey } from "./api-keys.js";
import { bearerToken, type TokenVerifier } from "./auth.js";
import type { ChannelKeys } from "./channels/secret-box.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Database, Db } from "./db/index.js";
import type { Role } from "./generated/prisma/enums.js";
import type { CallbackSigner } from "./http/callback-urls.js";
import type { MediaSigner } from "./http/media.js";
import type { SafeFetchOptions } from "./media/safe-fetch.js";
import type { Metrics } from "./metrics.js";
import type { PubSub } from "./pubsub.js";
import type { RateLimiter } from "./rate-limits/limiter.js";
import type { MediaStorage } from "./storage/types.js";
import { userDisabled } from "./users.js";

/**
 * Long-lived objects one Reelay instance owns (built by `createServices`); handed to
 * resolvers through the context. Its caches live here rather than in module scope, so
 * two instances in one process (tests, benchmarks) never share them.
 */
export interface Services {
  /** names this process in leases and logs */
  instanceId: string;
  /** frozen: nothing changes it after start */
  config: Config;
  db: Db;
  /** the connection behind `db`: its kind, a readiness ping, statement counts */
  database: Database;
  pubsub: PubSub;
  storage: MediaStorage;
  signer: MediaSigner;
  /** makes and checks the URLs providers that push call back at (PROVIDER_CALLBACKS) */
  callbacks: CallbackSigner;
  /** how clients reach this instance; known once the server listens */
  publicBaseUrl: PublicBaseUrl;
  logger: Logger;
  /** the time every time-based rule reads (deadlines, leases, back-offs, cool-downs, retention) */
  clock: Clock;
  /** seals channel keys for the database and opens them for the adaptors (ENCRYPTION_KEY, ENCRYPTION_KEY_PREVIOUS) */
  channelKeys: ChannelKeys;
  /** checks bearer tokens (JWT_SECRET or the stored secret, JWT_JWKS_URL), remembering the ones it accepted */
  tokens: TokenVerifier;
  /** users resolved from a token in the last moment (under a second), by role and subject */
  knownUsers: KnownUsers;
  /** API keys found valid in the last moment (under a second), by hash */
  knownApiKeys: KnownApiKeys;
  /** task reads shared by the subscribers of one change (see the taskProgress subscription) */
  sharedTaskReads: SharedReads;
  metrics: Metrics;
  /** per-user and per-client limits, counted in Redis when configured, else in process */
  limits: RateLimiter;
  /** how reference image URLs are fetched (tests allow a local HTTPS server) */
  referenceFetch?: Omit<SafeFetchOptions, "maxBytes">;
  /** closes what the services own (rate limits, pub/sub, database); safe to call more than once */
  close(): Promise<void>;
}

/** The origin clients reach this instance at, for the links it hands out (media URLs). */
export interface PublicBaseUrl {
  /** PUBLIC_BASE_URL, else http://HOST:PORT of the listening server; throws before the server listens */
  get(): string;
  /** the server listens on `port`: fixes the URL unless PUBLIC_BASE_URL did; returns it */
  listening(port: number): string;
}

export type KnownUsers = Map<string, { user: CurrentUser; until: number }>;
export type SharedReads = Map<string, { row: Promise<unknown>; until: number }>;

export interface CurrentUser {
  id: string;
  subject: string;
  role: Role;
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
 * A personal API key (`Bearer sk-rl-…`) stands for its user, with the role the database gives them.
 * A disabled user's token or key is refused (FORBIDDEN).
 */
export async function resolveUser(services: Services, authorization: string | null | undefined): Promise<CurrentUser | null> {
  const token = bearerToken(authorization);
  if (token?.startsWith(API_KEY_PREFIX)) return resolveApiKey(services, token);
  const claims = await services.tokens.verify(authorization);
  if (!claims) return null;
  // Remembered briefly, so that disabling a user reaches every instance within USER_CACHE_TTL_MS.
  const cache = services.knownUsers;
  const cacheKey = `${claims.role}\u0000${claims.subject}`;
  const known = cache.get(cacheKey);
  if (known && known.until > Date.now()) return known.user;
  // the create leaves an existing row alone: a disabled user stays disabled whatever its token says
  const user = await services.db.user.upsert({
    where: { subject: claims.subject },
    create: { subject: claims.subject, role: claims.role },
    update: {},
    select: { id: true, subject: true, role: true, disabledAt: true },
  });
  if (user.disabledAt) throw userDisabled();
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
const USER_CACHE_TTL_MS = 500;
