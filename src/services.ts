import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Logger, pino } from "pino";
import { createTokenVerifier, secretKey } from "./auth.js";
import { loadChannelKeys } from "./channels/key-store.js";
import { channelsWithUnknownKeys, resealChannelKeys } from "./channels/reseal.js";
import type { ChannelKeys } from "./channels/secret-box.js";
import { type Clock, systemClock } from "./clock.js";
import { type Config, redisTarget } from "./config.js";
import type { PublicBaseUrl, Services } from "./context.js";
import { type Database, openDatabase } from "./db/index.js";
import type { TemplateUse } from "./db/template.js";
import { createCallbackSigner } from "./http/callback-urls.js";
import { createMediaSigner } from "./http/media.js";
import { createMetrics } from "./metrics.js";
import { createLocalPubSub, createRedisPubSub } from "./pubsub.js";
import { createRateLimiter } from "./rate-limits/limiter.js";
import { createMemoryLimitStore } from "./rate-limits/memory-store.js";
import { createRedisLimitStore } from "./rate-limits/redis-store.js";
import { loadSecrets } from "./secrets.js";
import { createLocalStorage } from "./storage/local.js";

export type { Services } from "./context.js";

/** What `createServices` takes besides the configuration. */
export interface ServicesOptions {
  /** the database, already being opened (see main.ts); opened from config.databaseUrl otherwise */
  database?: Promise<Database>;
  /** where logs go; JSON lines on stdout at config.logLevel otherwise */
  logger?: Logger;
  /** fields added to every line of the default logger (the id of the request being handled) */
  logFields?: () => object;
  referenceFetch?: Services["referenceFetch"];
  /** the time the app's rules read; the machine's own otherwise (tests move time with one of their own) */
  clock?: Clock;
}

/**
 * Everything one Reelay instance keeps for its lifetime: the database (opened and
 * migrated), pub/sub, media storage and signer, metrics, logger, token verifier and the
 * caches. `close()` releases what it opened.
 */
export async function createServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  const logger =
    options.logger ?? pino({ level: config.logLevel, base: { service: "reelay", role: config.role }, mixin: options.logFields });
  const secrets = await loadSecrets(config);
  if (secrets.storedIn.length) {
    logger.info({ files: secrets.storedIn }, "using random secrets kept in the data directory for what the environment does not set");
  }
  if (config.allowPrivateNetworks) {
    logger.warn(
      "ALLOW_PRIVATE_NETWORKS is on: URLs from users and providers may reach loopback and private addresses of this network. For development and tests only; never in production.",
    );
  }
  const database = await (options.database ?? openDatabase(config.databaseUrl));
  try {
    database.onConnectionLost((err) => logger.warn({ err: err.message }, "lost a database connection; new ones are opened as needed"));
    logTemplateUse(logger, database.template);
    const applied = await database.migrate();
    if (applied.length) logger.info({ applied }, "applied database migrations");
    const channelKeys = await sealChannelKeysAtRest(config, database, logger);
    // The AWS SDK takes a while to load: only when object storage is configured.
    const storage = config.s3 ? (await import("./storage/s3.js")).createS3Storage(config.s3) : createLocalStorage(config.mediaDir);
    const redis = redisTarget(config);
    const pubsub = redis ? createRedisPubSub({ target: redis, prefix: config.redisPrefix }) : createLocalPubSub();
    const limits = createRateLimiter(
      config,
      redis ? createRedisLimitStore({ target: redis, prefix: config.redisPrefix }) : createMemoryLimitStore(),
      logger,
    );
    const publicBaseUrl = createPublicBaseUrl(config);
    let closing: Promise<void> | null = null;
    return {
      instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      config,
      db: database.db,
      database,
      pubsub,
      storage,
      signer: createMediaSigner(secrets.mediaSigningSecret, publicBaseUrl.get, config.mediaUrlTtlSeconds),
      callbacks: createCallbackSigner(secrets.mediaSigningSecret, config, publicBaseUrl.get),
      publicBaseUrl,
      logger,
      clock: options.clock ?? systemClock,
      channelKeys,
      tokens: createTokenVerifier({
        secret: secrets.jwtSecret === null ? null : secretKey(secrets.jwtSecret),
        jwksUrl: config.jwtJwksUrl,
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        roleClaim: config.jwtRoleClaim,
      }),
      knownUsers: new Map(),
      knownApiKeys: new Map(),
      sharedTaskReads: new Map(),
      metrics: createMetrics(database.db, () => database.statements()),
      limits,
      referenceFetch: options.referenceFetch,
      close() {
        closing ??= runInOrder(logger, "shutdown", [
          ["close rate limits", () => limits.close()],
          ["close pub/sub", () => pubsub.close()],
          ["close the database", () => database.close()],
        ]);
        return closing;
      },
    };
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}

/** Says how a new embedded database came to be, so that a slow first start explains itself. */
function logTemplateUse(logger: Logger, use: TemplateUse | null): void {
  const creating = "creating the embedded database and applying every migration, which takes several seconds";
  const remedy = "npm install or npm run db:template makes one";
  switch (use?.outcome) {
    case "copied":
      logger.info("created the embedded database from the template made at install");
      break;
    case "missing":
      logger.info(`${creating}: no template was made at install (${remedy})`);
      break;
    case "stale":
      logger.info(`${creating}: the template made at install is for other migrations (${remedy})`);
      break;
    case "failed":
      logger.warn({ err: use.error }, `could not copy the embedded database's template; ${creating}`);
      break;
  }
}

/**
 * The key ring for channel keys, once every key still kept in clear (a row from before keys
 * were encrypted) is sealed: from here on the database holds none in clear.
 */
async function sealChannelKeysAtRest(config: Config, database: Database, logger: Logger): Promise<ChannelKeys> {
  const { keys, storedIn } = await loadChannelKeys(config);
  if (storedIn) {
    logger.warn(
      { file: storedIn },
      "ENCRYPTION_KEY is not set: channel keys are encrypted under a generated key kept in the data directory. Back that file up, or set ENCRYPTION_KEY (required in production).",
    );
  }
  const { resealed } = await resealChannelKeys(database.db, keys, "clear");
  if (resealed.length) logger.info({ channels: resealed, keyId: keys.currentKeyId }, "encrypted channel keys that were kept in clear");
  const unknown = await channelsWithUnknownKeys(database.db, keys);
  if (unknown.length) {
    logger.error(
      { channels: unknown, keyIds: keys.keyIds },
      "these channels' keys are sealed under neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS: their tasks fail until the key that sealed them is configured",
    );
  }
  return keys;
}

/** `http://HOST:PORT`, with an IPv6 host in brackets. */
export const httpOrigin = (host: string, port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

/** PUBLIC_BASE_URL when set; else fixed once, from the port the server listens on (PORT=0 picks any). */
function createPublicBaseUrl(config: Config): PublicBaseUrl {
  let value = config.publicBaseUrl;
  return {
    get() {
      if (value === null) throw new Error("The public base URL is known once the server listens");
      return value;
    },
    listening(port) {
      value ??= httpOrigin(config.host, port);
      return value;
    },
  };
}

/** Runs each step in turn, whatever happened to the ones before; a failure is logged as "<context>: could not <step>". */
export async function runInOrder(logger: Logger, context: string, steps: [string, () => Promise<unknown>][]): Promise<void> {
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (err) {
      logger.warn({ err }, `${context}: could not ${what}`);
    }
  }
}
