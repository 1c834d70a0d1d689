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
  publicBaseUrl: string;
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
  logLevel: string;
}

export const DEV_JWT_SECRET = "reelay-development-secret-change-me";

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
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
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://${host.includes(":") ? `[${host}]` : host}:${port}`).replace(/\/+$/, ""),
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
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === "test" ? "silent" : "info"),
  };
}

