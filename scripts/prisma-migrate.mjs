#!/usr/bin/env node
// Offline stand-in for `prisma migrate dev --create-only`, `prisma migrate deploy` and
// `prisma migrate status`. The Prisma 7 CLI needs a native schema-engine binary that it
// downloads from binaries.prisma.sh; this drives Prisma's own schema engine compiled to
// WebAssembly (@prisma/schema-engine-wasm, same engine commit as the installed CLI)
// through a driver adapter instead. Migration folders, migration_lock.toml and the
// `_prisma_migrations` table are the ones the Prisma CLI reads and writes.
//
//   node scripts/prisma-migrate.mjs create <name>  new prisma/migrations/<ts>_<name>/migration.sql
//   node scripts/prisma-migrate.mjs deploy         apply pending migrations to DATABASE_URL
//   node scripts/prisma-migrate.mjs status         migration history diagnostics (JSON)
//
// DATABASE_URL: postgres://... (via @prisma/adapter-pg) or pglite:<dir> / pglite:memory.
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfigFromFile } from "@prisma/config";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as wasmBindings from "@prisma/schema-engine-wasm/schema_engine_bg";

let SchemaEngine;
async function loadSchemaEngine() {
  if (SchemaEngine) return SchemaEngine;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
  const module = new WebAssembly.Module(await readFile(path.join(dir, "schema_engine_bg.wasm")));
  const instance = new WebAssembly.Instance(module, { "./schema_engine_bg.js": wasmBindings });
  wasmBindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  SchemaEngine = wasmBindings.SchemaEngine;
  return SchemaEngine;
}

/** Driver adapter factory for a URL, plus a close() for what it opened. */
export async function openAdapter(url) {
  if (url.startsWith("pglite:")) {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    const dir = url.slice("pglite:".length);
    if (dir !== "memory") await mkdir(dir, { recursive: true });
    const db = new PGlite(dir === "memory" ? "memory://" : dir);
    return { factory: new PrismaPGlite(db), close: () => db.close() };
  }
  const { PrismaPg } = await import("@prisma/adapter-pg");
  return { factory: new PrismaPg({ connectionString: url }), close: async () => {} };
}

async function readSchemaFiles(schemaPath) {
  if ((await stat(schemaPath)).isFile()) return [{ path: schemaPath, content: await readFile(schemaPath, "utf8") }];
  const files = [];
  for (const e of await readdir(schemaPath, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".prisma")) continue;
    const p = path.join(e.parentPath ?? e.path, e.name);
    files.push({ path: p, content: await readFile(p, "utf8") });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

// Same shape the Prisma CLI hands to the engine.
async function readMigrationsList(baseDir, shadowDbInitScript) {
  const lockfile = {
    path: "migration_lock.toml",
    content: await readFile(path.join(baseDir, "migration_lock.toml"), "utf8").catch(() => null),
  };
  const dirs = (await readdir(baseDir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
  const migrationDirectories = [];
  for (const d of dirs) {
    const content = await readFile(path.join(baseDir, d.name, "migration.sql"), "utf8")
      .then((value) => ({ tag: "ok", value }))
      .catch((err) => ({ tag: "error", value: err.message }));
    migrationDirectories.push({ path: d.name, migrationFile: { path: "migration.sql", content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return { baseDir, lockfile, migrationDirectories, shadowDbInitScript };
}

/** Opens the wasm schema engine on an adapter factory, with settings from prisma.config.ts. */
export async function openSchemaEngine(adapterFactory, { configFile, root = process.cwd() } = {}) {
  const { config, error } = await loadConfigFromFile({ configFile, configRoot: root });
  if (error) throw new Error(`Could not load Prisma config: ${error._tag} ${error.error?.message ?? ""}`);
  // Paths in prisma.config.ts are relative to the project root, whatever the cwd.
  const schemaPath = path.resolve(root, config.schema ?? "prisma/schema.prisma");
  const migrationsDir = path.resolve(root, config.migrations?.path ?? path.join(path.dirname(schemaPath), "migrations"));
  const files = await readSchemaFiles(schemaPath);
  const filters = { externalTables: config.tables?.external ?? [], externalEnums: config.enums?.external ?? [] };
  const list = () => readMigrationsList(migrationsDir, config.migrations?.initShadowDb ?? "");
  const Engine = await loadSchemaEngine();
  const log = (line) => process.env.DEBUG_SCHEMA_ENGINE && console.error("[schema-engine]", line);
  const engine = await Engine.new(
    { datamodels: files.map((f) => [f.path, f.content]) },
    log,
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
  return {
    config,
    migrationsDir,
    /** Applies pending migrations; returns their names. */
    async deploy() {
      return (await engine.applyMigrations({ migrationsList: await list(), filters })).appliedMigrationNames;
    },
    /** Like `migrate dev --create-only`: replays the migrations on the adapter's shadow DB and diffs to the schema. */
    async create(name) {
      const migrations = await list();
      const from = migrations.migrationDirectories.length ? { tag: "migrations", ...migrations } : { tag: "empty" };
      const res = await engine.diff({ from, to: { tag: "schemaDatamodel", files }, script: true, exitCode: true, filters });
      if (res.exitCode !== 2) return null; // no difference
      const dirName = `${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${name.replace(/\W+/g, "_")}`;
      await mkdir(path.join(migrationsDir, dirName), { recursive: true });
      await writeFile(path.join(migrationsDir, dirName, "migration.sql"), res.stdout);
      await writeFile(
        path.join(migrationsDir, "migration_lock.toml"),
        '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
      );
      return dirName;
    },
    async status() {
      return engine.diagnoseMigrationHistory({ migrationsList: await list(), optInToShadowDatabase: false, filters });
    },
    close() {
      engine.free();
    },
  };
}

async function main([cmd, name]) {
  if (!["create", "deploy", "status"].includes(cmd) || (cmd === "create" && !name)) {
    throw new Error("usage: prisma-migrate.mjs create <name> | deploy | status");
  }
  const { config } = await loadConfigFromFile({});
  // `create` never touches DATABASE_URL: the history is replayed into throwaway in-memory
  // PGlite databases (@prisma/adapter-pg cannot serve as shadow DB, see notes).
  const url = cmd === "create" ? "pglite:memory" : (process.env.DATABASE_URL ?? config?.datasource?.url);
  if (!url) throw new Error("Set DATABASE_URL or datasource.url in prisma.config.ts");
  const adapter = await openAdapter(url);
  try {
    const se = await openSchemaEngine(adapter.factory);
    if (cmd === "create") {
      const dir = await se.create(name);
      console.log(
        dir ? `Created ${path.relative(process.cwd(), se.migrationsDir)}/${dir}/migration.sql` : "No schema changes: no migration created.",
      );
    } else if (cmd === "deploy") {
      const applied = await se.deploy();
      console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "No pending migrations to apply.");
    } else {
      console.log(JSON.stringify(await se.status(), null, 2));
    }
    se.close();
  } finally {
    await adapter.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err) => {
      console.error(err?.code ? `${err.code}: ${err.message}` : err);
      process.exit(1);
    },
  );
}
