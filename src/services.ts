import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Logger, pino } from "pino";
import { createTokenVerifier, secretKey } from "./auth.js";
import type { Config } from "./config.js";
import type { PublicBaseUrl, Services } from "./context.js";
import { type Database, openDatabase } from "./db/index.js";
import { createMediaSigner } from "./http/media.js";
import { createMetrics } from "./metrics.js";
import { createLocalPubSub, createRedisPubSub } from "./pubsub.js";
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
}

/**
 * Everything one Reelay instance keeps for its lifetime: the database (opened and
 * migrated), pub/sub, media storage and signer, metrics, logger, token key and the
 * caches. `close()` releases what it opened.
 */
export async function createServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  const logger =
    options.logger ?? pino({ level: config.logLevel, base: { service: "reelay", role: config.role }, mixin: options.logFields });
  if (config.jwtSecretIsDefault) {
    logger.warn("JWT_SECRET is not set: using the public development secret. Anyone can mint tokens. Set JWT_SECRET in production.");
  }
  if (config.allowPrivateNetworks) {
    logger.warn(
      "ALLOW_PRIVATE_NETWORKS is on: URLs from users and providers may reach loopback and private addresses of this network. For development and tests only; never in production.",
    );
  }
  const database = await (options.database ?? openDatabase(config.databaseUrl));
  try {
    database.onConnectionLost((err) => logger.warn({ err: err.message }, "lost a database connection; new ones are opened as needed"));
    const applied = await database.migrate();
    if (applied.length) logger.info({ applied }, "applied database migrations");
    // The AWS SDK takes a while to load: only when object storage is configured.
    const storage = config.s3 ? (await import("./storage/s3.js")).createS3Storage(config.s3) : createLocalStorage(config.mediaDir);
    const pubsub = config.redisUrl ? createRedisPubSub({ url: config.redisUrl, prefix: config.redisPrefix }) : createLocalPubSub();
    const publicBaseUrl = createPublicBaseUrl(config);
    const jwtKey = secretKey(config.jwtSecret);
    let closing: Promise<void> | null = null;
    return {
      instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      config,
      db: database.db,
      database,
      pubsub,
      storage,
      signer: createMediaSigner(config.jwtSecret, publicBaseUrl.get, config.mediaUrlTtlSeconds),
      publicBaseUrl,
      logger,
      jwtKey,
      tokens: createTokenVerifier(jwtKey),
      knownUsers: new Map(),
      sharedTaskReads: new Map(),
      metrics: createMetrics(database.db, () => database.statements()),
      referenceFetch: options.referenceFetch,
      close() {
        closing ??= runInOrder(logger, "shutdown", [
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
