import { mkdir, readdir } from "node:fs/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { MIGRATIONS_DIR, PRISMA_CONFIG_FILE, PROJECT_ROOT } from "./paths.js";
import { seedFromTemplate, type TemplateUse } from "./template.js";

export type Db = PrismaClient;
export { Prisma } from "../generated/prisma/client.js";

/** pg_advisory_lock key that serialises migrations across instances starting at once */
export const MIGRATION_LOCK_KEY = 7_316_530_201;
const POOL_SIZE = 10;
/** a connection attempt that hangs (a black-holed network) fails after this, so /ready and queries answer */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * A burst of creates holds every pooled connection for a moment: a transaction waits up
 * to maxWait for one (Prisma's default of 2 s fails a busy instance's creates) and may run
 * for `timeout` once it has it.
 */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 }; // ms

export interface Database {
  db: PrismaClient;
  kind: "postgres" | "pglite";
  /** what opening a `pglite:<dir>` did with the template it was offered (see template.ts); null otherwise */
  template: TemplateUse | null;
  /** applies pending migrations; returns the names applied */
  migrate(): Promise<string[]>;
  /** true when a trivial query succeeds */
  ping(): Promise<boolean>;
  /** statements sent to the database so far (PostgreSQL only; null embedded) */
  statements(): number | null;
  /** hears of lost server connections (PostgreSQL restarting); the pool opens new ones as queries need them */
  onConnectionLost(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

/** How to open a database. */
export interface OpenOptions {
  /** a template directory (template.ts) that a `pglite:<dir>` not created yet is copied from; none: created empty */
  template?: string;
  /**
   * the same PostgreSQL without a pooler in between, for migrations: their session advisory lock
   * and the schema engine's session need one server connection throughout, which a
   * transaction-pooling PgBouncer at `url` does not give; `url` when absent or null
   */
  directUrl?: string | null;
}

/**
 * Opens `postgresql://…` through adapter-pg, or `pglite:<dir>` / `pglite:memory` embedded.
 * A lost server connection (PostgreSQL restarting) is reported to `onConnectionLost`
 * listeners and the pool opens new ones as queries need them; the process stays up.
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  if (url.startsWith("pglite:")) return openPglite(url.slice("pglite:".length), options.template);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`DATABASE_URL must be postgresql://… or pglite:<dir>, got "${url}"`);
  const lostListeners = new Set<(err: Error) => void>();
  const lost = (err: Error) => {
    for (const listener of lostListeners) listener(err);
  };
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  let statements = 0;
  // Counted on every pooled connection, so /metrics and the benchmarks see what each piece of work costs.
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
  });
  // No statementNameGenerator: every statement is an unnamed one, which a transaction-pooling PgBouncer passes through.
  const adapter = new PrismaPg(pool, { onPoolError: lost, onConnectionError: lost, disposeExternalPool: true });
  const db = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
  return {
    db,
    kind: "postgres",
    template: null,
    migrate: () =>
      withAdvisoryLock(options.directUrl ?? url, async () => {
        if (await allApplied(db)) return [];
        // A pool of our own, so the engine's connection is closed when it is done.
        const pool = new pg.Pool({ connectionString: options.directUrl ?? url, max: 1 });
        try {
          return await applyMigrations(new PrismaPg(pool));
        } finally {
          await pool.end();
        }
      }),
    ping: () => ping(db),
    statements: () => statements,
    onConnectionLost: (listener) => void lostListeners.add(listener),
    close: () => db.$disconnect(),
  };
}

async function openPglite(dir: string, templateDir: string | undefined): Promise<Database> {
  const [{ PGlite }, { PrismaPGlite }, template] = await Promise.all([
    import("@electric-sql/pglite"),
    import("pglite-prisma-adapter"),
    templateDir && dir !== "memory" ? seedFromTemplate(dir, templateDir) : null,
  ]);
  if (dir !== "memory") await mkdir(dir, { recursive: true }); // PGlite does not create it
  const pglite = new PGlite(dir === "memory" ? "memory://" : dir);
  const db = new PrismaClient({ adapter: new PrismaPGlite(pglite), transactionOptions: TRANSACTION_OPTIONS });
  return {
    db,
    kind: "pglite",
    template,
    migrate: async () => ((await allApplied(db)) ? [] : applyMigrations(new PrismaPGlite(pglite))),
    ping: () => ping(db),
    statements: () => null,
    onConnectionLost: () => {}, // in-process: there is no connection to lose
    close: async () => {
      await db.$disconnect();
      await pglite.close(); // an open PGlite keeps the process alive
    },
  };
}

async function ping(db: PrismaClient): Promise<boolean> {
  try {
    await db.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}

/** Cheap start-up path: skip the schema engine when every migration folder is recorded as finished. */
async function allApplied(db: PrismaClient): Promise<boolean> {
  const wanted = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  try {
    const rows = await db.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
    const applied = new Set(rows.map((r) => r.migration_name));
    return wanted.every((name) => applied.has(name));
  } catch {
    return false; // no _prisma_migrations table yet
  }
}

async function applyMigrations(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  // Loaded only when a migration is pending: the schema engine and Prisma's config loader are slow to import.
  const { openSchemaEngine } = await import("./migrate.js");
  const engine = await openSchemaEngine(adapterFactory, { configFile: PRISMA_CONFIG_FILE, root: PROJECT_ROOT });
  try {
    return await engine.deploy();
  } finally {
    engine.close();
  }
}

async function withAdvisoryLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    return await fn();
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
