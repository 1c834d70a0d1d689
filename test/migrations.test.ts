import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/index.js";
import { ADMIN_URL, databaseUrl } from "./setup/global-setup.js";

const empty = `reelay_empty_${process.pid}_${Date.now()}`;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

afterAll(() => admin(`DROP DATABASE IF EXISTS "${empty}" WITH (FORCE)`));

describe("migrations at start", () => {
  it("apply every checked-in migration to an empty PostgreSQL database once, and nothing the second time", async () => {
    await admin(`CREATE DATABASE "${empty}"`);
    const first = await openDatabase(databaseUrl(empty));
    const applied = await first.migrate();
    expect(applied.length).toBeGreaterThan(0);
    const rows = await first.db.$queryRaw<{ migration_name: string; finished_at: Date | null }[]>`
      SELECT migration_name, finished_at FROM _prisma_migrations`;
    expect(rows.map((r) => r.migration_name).sort()).toEqual([...applied].sort());
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    await first.close();

    const second = await openDatabase(databaseUrl(empty));
    expect(await second.migrate()).toEqual([]);
    // The schema is usable: the balance CHECK from the migration is in force.
    await expect(second.db.user.create({ data: { subject: "negative", balance: -1n } })).rejects.toThrow();
    await second.close();
  });

  it("serialise when two instances start at once against one database", async () => {
    const name = `${empty}_race`;
    await admin(`CREATE DATABASE "${name}"`);
    try {
      const [a, b] = await Promise.all([openDatabase(databaseUrl(name)), openDatabase(databaseUrl(name))]);
      const [appliedA, appliedB] = await Promise.all([a.migrate(), b.migrate()]);
      // Exactly one of them applied the migrations; the other found nothing to do.
      expect([appliedA.length > 0, appliedB.length > 0].filter(Boolean)).toHaveLength(1);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it("work on the embedded PGlite database in a directory, which is created if missing", async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), "reelay-pglite-")), "nested", "db");
    try {
      const database = await openDatabase(`pglite:${dir}`);
      expect((await database.migrate()).length).toBeGreaterThan(0);
      expect(await database.ping()).toBe(true);
      await database.close();
      const reopened = await openDatabase(`pglite:${dir}`);
      expect(await reopened.migrate()).toEqual([]);
      await reopened.close();
    } finally {
      await rm(path.dirname(path.dirname(dir)), { recursive: true, force: true });
    }
  });
});
