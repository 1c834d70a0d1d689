export type Role = "all" | "api" | "worker";

/** Everything Reelay reads from the environment, parsed once. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  redisPrefix: string;
  jwtSecret: string;
  /** true when JWT_SECRET was not set and the development secret is in use */
  jwtSecretIsDefault: boolean;
  /** how clients reach this server (media URLs); null: http://HOST:PORT of the port it listens on */
  publicBaseUrl: string | null;
  pollIntervalMs: number;
  role: Role;
  mediaDir: string;
  /** how long a signed media URL stays valid */
  mediaUrlTtlSeconds: number;
  /** a task still running after this long is failed with TIMEOUT */
  taskTimeoutMs: number;
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

export const DEV_JWT_SECRET = "reelay-development-secret-change-me";

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
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
  if (!["all", "api", "worker"].includes(role)) throw new Error(`ROLE must be all, api or worker, got "${role}"`);
  const jwtSecret = env.JWT_SECRET || DEV_JWT_SECRET;
  return {
    port,
    host,
    databaseUrl: env.DATABASE_URL || "pglite:./.data/pglite",
    redisUrl: env.REDIS_URL || null,
    redisPrefix: env.REDIS_PREFIX ?? "reelay:",
    jwtSecret,
    jwtSecretIsDefault: !env.JWT_SECRET,
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, "") : null,
    pollIntervalMs: int(env, "POLL_INTERVAL_MS", 5_000),
    role,
    mediaDir: env.MEDIA_DIR || "./.data/media",
    mediaUrlTtlSeconds: int(env, "MEDIA_URL_TTL_SECONDS", 24 * 3600),
    taskTimeoutMs: int(env, "TASK_TIMEOUT_MS", 60 * 60_000),
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
  };
}

function positiveDays(raw: string): number {
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0) throw new Error(`MEDIA_RETENTION_DAYS must be a positive number of days, got "${raw}"`);
  return Math.round(days * 24 * 3600_000);
}
