import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase } from "../../src/db/index.js";

export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
export const BENCH_JWT_SECRET = "reelay-bench-secret";

/** A fresh, migrated PostgreSQL database for one scenario; dropped by `drop()`. */
export async function scratchDatabase() {
  const name = `reelay_bench_${randomBytes(5).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase(url.toString());
  await database.migrate();
  await database.close();
  return {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const redisPrefix = () => `reelay-bench:${randomBytes(4).toString("hex")}:`;
