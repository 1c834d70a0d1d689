import { ENCRYPTION_KEY_BYTES } from "./channels/secret-box.js";

export type Role = "all" | "api" | "worker";

/** Everything Reelay reads from the environment, parsed once. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  /** one Redis server (REDIS_URL); beside a cluster or Sentinel, only its credentials and TLS are read */
  redisUrl: string | null;
  /** a Redis Cluster's seed nodes (REDIS_CLUSTER_NODES); empty: no cluster */
  redisClusterNodes: readonly RedisNode[];
  /** the Sentinels that name the master (REDIS_SENTINELS); empty: no Sentinel */
  redisSentinels: readonly RedisNode[];
  /** the master the Sentinels watch (REDIS_MASTER_NAME) */
  redisMasterName: string | null;
  redisPrefix: string;
  /** where Reelay keeps its own files: the embedded database, local media and generated secrets (DATA_DIR) */
  dataDir: string;
  /** HS256 secret for bearer tokens (JWT_SECRET); null: a random one kept in dataDir, unless a JWKS verifies tokens */
  jwtSecret: string | null;
  /** the identity provider's key set (JWT_JWKS_URL): tokens signed with its asymmetric keys are accepted */
  jwtJwksUrl: string | null;
  /** the `iss` every token must carry (JWT_ISSUER); null: not checked */
  jwtIssuer: string | null;
  /** audiences a token's `aud` must name one of (JWT_AUDIENCE, comma-separated); empty: not checked */
  jwtAudience: readonly string[];
  /**
   * the claim that carries a token's role (JWT_ROLE_CLAIM): an exact claim name
   * (`https://example.com/role`) or a dotted path (`realm_access.roles`); "admin" in it makes an admin
   */
  jwtRoleClaim: string;
  /** key for signing media URLs (MEDIA_SIGNING_SECRET); null: a random one kept in dataDir */
  mediaSigningSecret: string | null;
  /** yoga's GraphiQL page on a browser GET of /graphql (GRAPHIQL) */
  graphiql: boolean;
  /** whether __schema and __type may be queried (INTROSPECTION) */
  introspection: boolean;
  /** bearer token /metrics requires (METRICS_TOKEN); null: /metrics is open */
  metricsToken: string | null;
  /** origins browsers may call the API from (CORS_ORIGINS): a list, "*" for any; empty: same-origin only */
  corsOrigins: "*" | readonly string[];
  /** seals channel keys at rest (ENCRYPTION_KEY, 32 bytes); null: a random key kept in dataDir (refused in production) */
  encryptionKey: Buffer | null;
  /** the key before the last rotation (ENCRYPTION_KEY_PREVIOUS): still opens the rows `npm run keys:rotate` has not re-sealed */
  encryptionKeyPrevious: Buffer | null;
  /** how clients reach this server (media URLs); null: http://HOST:PORT of the port it listens on */
  publicBaseUrl: string | null;
  pollIntervalMs: number;
  /** the shortest delay the adaptive poll interval takes (POLL_MIN_INTERVAL_MS); null: a quarter of pollIntervalMs */
  pollMinIntervalMs: number | null;
  /** the longest delay the adaptive poll interval takes (POLL_MAX_INTERVAL_MS); null: six times pollIntervalMs */
  pollMaxIntervalMs: number | null;
  /** a processing task whose reported progress has not moved for this long is checked once more, then failed STALLED (STALL_AFTER_MS); 0 = never */
  stallAfterMs: number;
  /** how long after that check a still unmoved task fails (STALL_GRACE_MS) */
  stallGraceMs: number;
  /** a read of a running task last polled longer ago than this polls it first (FRESH_READ_AFTER_MS); 0 = never */
  freshReadAfterMs: number;
  /** providers that can push (Kling) are given a callback URL on this server (PROVIDER_CALLBACKS); default: on when PUBLIC_BASE_URL is set */
  providerCallbacks: boolean;
  role: Role;
  mediaDir: string;
  /** how long a signed media URL stays valid */
  mediaUrlTtlSeconds: number;
  /** a task still running after this long is failed with TIMEOUT */
  taskTimeoutMs: number;
  /** the longest deadline a user may set with createVideo's cancelAfter (MAX_CANCEL_AFTER_MS) */
  maxCancelAfterMs: number;
  /** largest reference image accepted, in bytes */
  maxReferenceImageBytes: number;
  /** attempts for a submission the provider answers with 429/5xx */
  submitAttempts: number;
  /** first backoff between submission attempts; doubles each time */
  submitBackoffMs: number;
  /** largest delay between polls of one task after repeated errors */
  maxPollBackoffMs: number;
  /** tasks one worker polls at the same time */
  workerConcurrency: number;
  /** how long a claim on a task (a worker's poll, an instance's submission) lasts unless renewed; a dead holder's work is taken over after this */
  leaseMs: number;
  logLevel: string;
  /** S3-compatible storage for mirrored media; null = local disk under mediaDir */
  s3: S3Config | null;
  /** stored media is deleted this long after completion; null = kept */
  mediaRetentionMs: number | null;
  /** how often the worker looks for media to mirror again or to expire */
  mediaSweepIntervalMs: number;
  /** first delay before mirroring again after a storage failure; doubles each time */
  mirrorRetryBaseMs: number;
  /** longest delay between mirror attempts */
  mirrorRetryMaxMs: number;
  /**
   * ALLOW_PRIVATE_NETWORKS, development and tests only: URLs no admin configured (reference
   * images, providers' result links off the channel's origin) may reach loopback and private
   * addresses, and result links plain http. Metadata and link-local addresses stay refused.
   */
  allowPrivateNetworks: boolean;
  /** submissions failing in a row that take a channel out of rotation */
  circuitFailureThreshold: number;
  /** how long a tripped channel stays out before one trial submission */
  circuitCooldownMs: number;
  /** mutations one user may run per minute, over every transport; 0 = no limit */
  rateLimitPerMinute: number;
  /** tasks one user may have QUEUED or PROCESSING at once; 0 = no limit */
  maxActiveTasksPerUser: number;
  /** requests without valid credentials one client address may send per minute; 0 = no limit */
  rateLimitAnonPerMinute: number;
  /** take the client address from the left-most X-Forwarded-For entry (only behind a proxy that sets it) */
  trustProxy: boolean;
  /** WebSocket connections one user may hold open at once, across instances; 0 = no limit */
  maxSocketsPerUser: number;
  /** live subscriptions on one WebSocket connection; 0 = no limit */
  maxSubscriptionsPerSocket: number;
  /** how long a webhook delivery is retried before it is given up (WEBHOOK_RETRY_FOR_MS) */
  webhookRetryForMs: number;
  /** the delay after a webhook's first failed attempt; each later one waits four times longer (WEBHOOK_RETRY_BASE_MS) */
  webhookRetryBaseMs: number;
  /** the longest delay between two attempts of one webhook delivery (WEBHOOK_RETRY_MAX_MS) */
  webhookRetryMaxMs: number;
  /** how long one webhook attempt may take, connecting included, before it counts as failed (WEBHOOK_TIMEOUT_MS) */
  webhookTimeoutMs: number;
}

export interface S3Config {
  bucket: string;
  endpoint: string | null;
  region: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  forcePathStyle: boolean;
  publicBaseUrl: string | null;
}

/** A setting that keeps Reelay from starting; main.ts prints its message alone. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One entry of REDIS_CLUSTER_NODES or REDIS_SENTINELS. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server, a cluster, or the master a set of Sentinels names. */
export type RedisTarget =
  | { kind: "server"; url: string }
  /** `url`: REDIS_URL, read only for its credentials and TLS */
  | { kind: "cluster"; nodes: readonly RedisNode[]; url: string | null }
  | { kind: "sentinel"; sentinels: readonly RedisNode[]; masterName: string; url: string | null };

type RedisSettings = Pick<Config, "redisUrl" | "redisClusterNodes" | "redisSentinels" | "redisMasterName" | "redisPrefix">;

/**
 * The Redis the settings name, or null (in-process pub/sub and limits). The one place that
 * decides, so that everything asking "is Redis configured?" agrees.
 */
export function redisTarget(config: RedisSettings): RedisTarget | null {
  const { redisUrl: url, redisClusterNodes: nodes, redisSentinels: sentinels, redisMasterName: masterName } = config;
  if (nodes.length && sentinels.length) {
    throw new ConfigError("REDIS_CLUSTER_NODES and REDIS_SENTINELS are two ways to reach Redis: set one of them, not both");
  }
  if (masterName && !sentinels.length) throw new ConfigError("REDIS_MASTER_NAME names a master for Sentinel: set REDIS_SENTINELS too");
  if (sentinels.length && !masterName) {
    throw new ConfigError("REDIS_SENTINELS needs REDIS_MASTER_NAME, the name the Sentinels monitor the master under");
  }
  if (nodes.length) return { kind: "cluster", nodes, url };
  if (sentinels.length && masterName) return { kind: "sentinel", sentinels, masterName, url };
  return url ? { kind: "server", url } : null;
}

/** Whether pub/sub and limits go through Redis (any of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS). */
export const redisConfigured = (config: RedisSettings): boolean => redisTarget(config) !== null;

function redisSettings(env: NodeJS.ProcessEnv): RedisSettings {
  const settings: RedisSettings = {
    redisUrl: env.REDIS_URL || null,
    redisClusterNodes: redisNodes(env, "REDIS_CLUSTER_NODES"),
    redisSentinels: redisNodes(env, "REDIS_SENTINELS"),
    redisMasterName: env.REDIS_MASTER_NAME?.trim() || null,
    redisPrefix: env.REDIS_PREFIX ?? "reelay:",
  };
  const target = redisTarget(settings);
  // A brace in the prefix would become every name's hash tag and put all of them on one node.
  if (target?.kind === "cluster" && /[{}]/.test(settings.redisPrefix)) {
    throw new ConfigError(`REDIS_PREFIX must not contain { or } on a Redis Cluster, got "${settings.redisPrefix}"`);
  }
  if (!settings.redisUrl || target?.kind === "server") return settings;
  // Beside a cluster or Sentinel, REDIS_URL only carries what the lists cannot: credentials and TLS.
  const url = URL.canParse(settings.redisUrl) ? new URL(settings.redisUrl) : null;
  if (url?.protocol !== "redis:" && url?.protocol !== "rediss:") {
    throw new ConfigError(
      "REDIS_URL beside REDIS_CLUSTER_NODES or REDIS_SENTINELS must be a redis:// or rediss:// URL: it gives their credentials and TLS",
    );
  }
  if (target?.kind === "cluster" && !["", "/", "/0"].includes(url.pathname)) {
    throw new ConfigError(`REDIS_URL names database ${url.pathname.slice(1)}, but a Redis Cluster has only database 0`);
  }
  return settings;
}

/**
 * REDIS_CLUSTER_NODES / REDIS_SENTINELS: comma-separated host:port, an IPv6 address in
 * brackets ([::1]:26379).
 */
function redisNodes(env: NodeJS.ProcessEnv, name: string): RedisNode[] {
  return commaList(env[name]).map((item) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(item);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      throw new ConfigError(`${name} entries must be host:port (an IPv6 address in brackets, e.g. [::1]:6379), got "${item}"`);
    }
    return { host: match[1] ?? match[2]!, port };
  });
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** A non-negative integer, or null when unset (the caller derives its default from other settings). */
function optionalInt(env: NodeJS.ProcessEnv, name: string): number | null {
  return env[name] === undefined || env[name] === "" ? null : int(env, name, 0);
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function s3Config(env: NodeJS.ProcessEnv): S3Config | null {
  if (!env.S3_BUCKET) return null;
  return {
    bucket: env.S3_BUCKET,
    endpoint: env.S3_ENDPOINT || null,
    region: env.S3_REGION || "auto",
    accessKeyId: env.S3_ACCESS_KEY_ID || null,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY || null,
    // A custom endpoint (R2, MinIO) is addressed by path unless told otherwise.
    forcePathStyle: bool(env, "S3_FORCE_PATH_STYLE", Boolean(env.S3_ENDPOINT)),
    publicBaseUrl: env.S3_PUBLIC_BASE_URL ? env.S3_PUBLIC_BASE_URL.replace(/\/+$/, "") : null,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, "PORT", 4000);
  const host = env.HOST || "127.0.0.1";
  const role = (env.ROLE || "all") as Role;
  if (!["all", "api", "worker"].includes(role)) throw new ConfigError(`ROLE must be all, api or worker, got "${role}"`);
  const dataDir = (env.DATA_DIR || "./.data").replace(/(.)\/+$/, "$1");
  const jwtSecret = env.JWT_SECRET || null;
  const jwtJwksUrl = env.JWT_JWKS_URL ? httpUrl(env, "JWT_JWKS_URL") : null;
  // Tokens minted with a secret nobody chose are worthless in production: every instance would have its own.
  if (env.NODE_ENV === "production" && !jwtSecret && !jwtJwksUrl) {
    throw new ConfigError(
      "NODE_ENV=production needs JWT_SECRET (an HS256 secret shared with whoever issues tokens) or JWT_JWKS_URL (your identity provider's keys); refusing to start without one",
    );
  }
  const databaseUrl = env.DATABASE_URL || `pglite:${dataDir}/pglite`;
  const encryptionKey = base64Key(env, "ENCRYPTION_KEY");
  // A key generated on one machine leaves every other instance unable to read the channels.
  if (env.NODE_ENV === "production" && !encryptionKey) {
    throw new ConfigError(
      "NODE_ENV=production needs ENCRYPTION_KEY (32 random bytes in base64, e.g. from `openssl rand -base64 32`) to encrypt channel keys at rest; refusing to start without one",
    );
  }
  return {
    port,
    host,
    databaseUrl,
    ...redisSettings(env),
    dataDir,
    encryptionKey,
    encryptionKeyPrevious: base64Key(env, "ENCRYPTION_KEY_PREVIOUS"),
    jwtSecret,
    jwtJwksUrl,
    jwtIssuer: env.JWT_ISSUER || null,
    jwtAudience: commaList(env.JWT_AUDIENCE),
    jwtRoleClaim: roleClaim(env),
    mediaSigningSecret: env.MEDIA_SIGNING_SECRET || null,
    graphiql: bool(env, "GRAPHIQL", true),
    introspection: bool(env, "INTROSPECTION", true),
    metricsToken: env.METRICS_TOKEN || null,
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, "") : null,
    pollIntervalMs: int(env, "POLL_INTERVAL_MS", 5_000),
    pollMinIntervalMs: optionalInt(env, "POLL_MIN_INTERVAL_MS"),
    pollMaxIntervalMs: optionalInt(env, "POLL_MAX_INTERVAL_MS"),
    stallAfterMs: int(env, "STALL_AFTER_MS", 15 * 60_000),
    stallGraceMs: int(env, "STALL_GRACE_MS", 60_000),
    freshReadAfterMs: int(env, "FRESH_READ_AFTER_MS", 15_000),
    providerCallbacks: bool(env, "PROVIDER_CALLBACKS", Boolean(env.PUBLIC_BASE_URL)),
    role,
    mediaDir: env.MEDIA_DIR || `${dataDir}/media`,
    mediaUrlTtlSeconds: int(env, "MEDIA_URL_TTL_SECONDS", 24 * 3600),
    taskTimeoutMs: int(env, "TASK_TIMEOUT_MS", 60 * 60_000),
    maxCancelAfterMs: Math.max(1_000, int(env, "MAX_CANCEL_AFTER_MS", 24 * 3600_000)),
    maxReferenceImageBytes: int(env, "MAX_REFERENCE_IMAGE_BYTES", 10 * 1024 * 1024),
    submitAttempts: Math.max(1, int(env, "SUBMIT_ATTEMPTS", 4)),
    submitBackoffMs: int(env, "SUBMIT_BACKOFF_MS", 500),
    maxPollBackoffMs: int(env, "MAX_POLL_BACKOFF_MS", 5 * 60_000),
    workerConcurrency: Math.max(1, int(env, "WORKER_CONCURRENCY", 16)),
    leaseMs: Math.max(300, int(env, "LEASE_MS", 60_000)),
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === "test" ? "silent" : "info"),
    s3: s3Config(env),
    mediaRetentionMs: env.MEDIA_RETENTION_DAYS ? positiveDays(env.MEDIA_RETENTION_DAYS) : null,
    mediaSweepIntervalMs: int(env, "MEDIA_SWEEP_INTERVAL_MS", 30_000),
    mirrorRetryBaseMs: int(env, "MIRROR_RETRY_BASE_MS", 30_000),
    mirrorRetryMaxMs: int(env, "MIRROR_RETRY_MAX_MS", 30 * 60_000),
    allowPrivateNetworks: bool(env, "ALLOW_PRIVATE_NETWORKS", false),
    circuitFailureThreshold: Math.max(1, int(env, "CIRCUIT_FAILURE_THRESHOLD", 5)),
    circuitCooldownMs: int(env, "CIRCUIT_COOLDOWN_MS", 60_000),
    rateLimitPerMinute: int(env, "RATE_LIMIT_PER_MINUTE", 60),
    maxActiveTasksPerUser: int(env, "MAX_ACTIVE_TASKS_PER_USER", 10),
    rateLimitAnonPerMinute: int(env, "RATE_LIMIT_ANON_PER_MINUTE", 120),
    trustProxy: bool(env, "TRUST_PROXY", false),
    maxSocketsPerUser: int(env, "MAX_SOCKETS_PER_USER", 10),
    maxSubscriptionsPerSocket: int(env, "MAX_SUBSCRIPTIONS_PER_SOCKET", 50),
    webhookRetryForMs: int(env, "WEBHOOK_RETRY_FOR_MS", 24 * 3600_000),
    webhookRetryBaseMs: int(env, "WEBHOOK_RETRY_BASE_MS", 5_000),
    webhookRetryMaxMs: int(env, "WEBHOOK_RETRY_MAX_MS", 3600_000),
    webhookTimeoutMs: Math.max(100, int(env, "WEBHOOK_TIMEOUT_MS", 10_000)),
  };
}

function positiveDays(raw: string): number {
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0) throw new ConfigError(`MEDIA_RETENTION_DAYS must be a positive number of days, got "${raw}"`);
  return Math.round(days * 24 * 3600_000);
}

const commaList = (raw: string | undefined): string[] =>
  (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

function httpUrl(env: NodeJS.ProcessEnv, name: string): string {
  const raw = env[name] ?? "";
  const url = URL.canParse(raw) ? new URL(raw) : null;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return url.href;
}

/** longest JWT_ROLE_CLAIM: room for a namespaced claim (`https://…/role`), short enough to echo in an error */
const MAX_ROLE_CLAIM_LENGTH = 200;

/** JWT_ROLE_CLAIM: a claim name or a dotted path to one; `role` when unset. */
function roleClaim(env: NodeJS.ProcessEnv): string {
  const raw = env.JWT_ROLE_CLAIM;
  if (raw === undefined || raw === "") return "role";
  // no blanks or control characters, and no empty step in a path (`realm_access.`, `a..b`): a typo, never a claim
  const acceptable = raw.length <= MAX_ROLE_CLAIM_LENGTH && /^[^\s\p{Cc}]+$/u.test(raw) && !raw.split(".").includes("");
  if (!acceptable) {
    const shown = raw.length > MAX_ROLE_CLAIM_LENGTH ? `${raw.slice(0, 40)}… (${raw.length} characters)` : raw;
    throw new ConfigError(
      `JWT_ROLE_CLAIM must be a claim name such as role or https://example.com/role, or a dotted path such as realm_access.roles (at most ${MAX_ROLE_CLAIM_LENGTH} characters, no spaces), got "${shown}"`,
    );
  }
  return raw;
}

/** CORS_ORIGINS: "*" or a list of origins (scheme://host[:port], as browsers send them in Origin). */
function corsOrigins(raw: string | undefined): "*" | string[] {
  const items = commaList(raw);
  if (items.includes("*")) {
    if (items.length > 1) throw new ConfigError(`CORS_ORIGINS is either "*" or a list of origins, got "${raw}"`);
    return "*";
  }
  return items.map((item) => {
    const origin = URL.canParse(item) ? new URL(item).origin : "null";
    if (origin === "null" || origin !== item.replace(/\/+$/, "")) {
      throw new ConfigError(`CORS_ORIGINS entries must be origins such as https://app.example.com, got "${item}"`);
    }
    return origin;
  });
}

/** A 32-byte key given in base64 (or base64url); null when unset. The message never repeats the value. */
function base64Key(env: NodeJS.ProcessEnv, name: string): Buffer | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)
    ? Buffer.from(raw, raw.includes("-") || raw.includes("_") ? "base64url" : "base64")
    : null;
  if (key?.length !== ENCRYPTION_KEY_BYTES) {
    throw new ConfigError(
      `${name} must be ${ENCRYPTION_KEY_BYTES} bytes in base64 (e.g. from \`openssl rand -base64 32\`), got ${key ? `${key.length} bytes` : "something that is not base64"}`,
    );
  }
  return key;
}
