import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../src/db/index.js";
import { MIGRATIONS_DIR } from "../src/db/paths.js";
import { buildPgliteTemplate } from "../src/db/template.js";
import { startTestApp } from "./helpers/app.js";
import { grantCredit, ME } from "./helpers/fixtures.js";
import { startReelay } from "./helpers/processes.js";
import { tokenFor } from "./helpers/tokens.js";
import { useStarted } from "./helpers/use-test-app.js";

// Each template is a new PGlite cluster with every migration: several seconds in WebAssembly.
const TEMPLATE_TIMEOUT = 120_000; // ms

const scratch = useStarted(
  async () => ({ dir: await mkdtemp(path.join(tmpdir(), "reelay-template-")) }),
  ({ dir }) => rm(dir, { recursive: true, force: true }),
);

const migrationFolders = async () =>
  (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

const migrationRows = (db: Db) =>
  db.$queryRaw<{ migration_name: string; finished_at: Date }[]>`
    SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;

/** The server in this process on a data directory, its database opened as npm start opens it: with a template offered. */
function startOn(dataDir: string, template: string) {
  const databaseUrl = `pglite:${path.join(dataDir, "pglite")}`;
  return startTestApp({
    databaseUrl,
    database: openDatabase(databaseUrl, { template }),
    config: { dataDir, mediaDir: path.join(dataDir, "media") },
  });
}

describe("the embedded database's template", () => {
  it(
    "gives a new data directory every migration already applied, and the server answers on it",
    async () => {
      const template = path.join(scratch.dir, "current");
      expect(await buildPgliteTemplate({ templateDir: template })).toBe(true);
      expect(await buildPgliteTemplate({ templateDir: template })).toBe(false); // already made for these migrations
      const startedAt = new Date();
      const t = await startOn(path.join(scratch.dir, "fresh"), template);
      try {
        expect(t.app.services.database.template).toEqual({ outcome: "copied" });
        const rows = await migrationRows(t.app.services.db);
        expect(rows.map((r) => r.migration_name)).toEqual(await migrationFolders());
        // Applied when the template was made, not by this start.
        expect(rows.every((r) => r.finished_at < startedAt)).toBe(true);
        const token = await tokenFor("template@user");
        expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ subject: "template@user", balance: "0" });
      } finally {
        await t.stop();
      }
    },
    TEMPLATE_TIMEOUT,
  );

  it(
    "is not used when it was made for other migrations: the server creates and migrates the database itself",
    async () => {
      const older = path.join(scratch.dir, "older-migrations");
      const folders = await migrationFolders();
      await cp(MIGRATIONS_DIR, older, { recursive: true });
      await rm(path.join(older, folders.at(-1)!), { recursive: true });
      const template = path.join(scratch.dir, "stale");
      await buildPgliteTemplate({ templateDir: template, migrationsDir: older });
      const startedAt = new Date();
      const t = await startOn(path.join(scratch.dir, "not-from-stale"), template);
      try {
        expect(t.app.services.database.template).toEqual({ outcome: "stale" });
        const rows = await migrationRows(t.app.services.db);
        expect(rows.map((r) => r.migration_name)).toEqual(folders);
        expect(rows.every((r) => r.finished_at >= startedAt)).toBe(true);
      } finally {
        await t.stop();
      }
    },
    TEMPLATE_TIMEOUT,
  );

  it(
    "never overwrites a data directory that holds a database",
    async () => {
      const template = path.join(scratch.dir, "current");
      await buildPgliteTemplate({ templateDir: template });
      const dataDir = path.join(scratch.dir, "kept");
      let t = await startOn(dataDir, template);
      try {
        await grantCredit(t, "kept@user", "3");
      } finally {
        await t.stop();
      }
      t = await startOn(dataDir, template);
      try {
        expect(t.app.services.database.template).toEqual({ outcome: "existing" });
        const token = await tokenFor("kept@user");
        expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ subject: "kept@user", balance: "3" });
      } finally {
        await t.stop();
      }
    },
    TEMPLATE_TIMEOUT,
  );

  it(
    "is what npm start creates a new embedded database from",
    async () => {
      await buildPgliteTemplate(); // the one postinstall makes; nothing to do when it is current
      const dataDir = path.join(scratch.dir, "npm-start");
      const databaseUrl = `pglite:${path.join(dataDir, "pglite")}`;
      const startedAt = new Date();
      const reelay = await startReelay({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, MEDIA_DIR: path.join(dataDir, "media") });
      try {
        const token = await tokenFor("npm-start@user");
        expect((await reelay.gql(ME, {}, { token })).data!.me).toMatchObject({ subject: "npm-start@user" });
        expect(reelay.logs().map((line) => line.msg)).toContain("created the embedded database from the template made at install");
      } finally {
        await reelay.kill("SIGTERM");
      }
      const database = await openDatabase(databaseUrl);
      try {
        const rows = await migrationRows(database.db);
        expect(rows.map((r) => r.migration_name)).toEqual(await migrationFolders());
        expect(rows.every((r) => r.finished_at < startedAt)).toBe(true);
      } finally {
        await database.close();
      }
    },
    TEMPLATE_TIMEOUT,
  );
});
