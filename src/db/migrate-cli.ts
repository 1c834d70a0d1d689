// Offline stand-in for `prisma migrate deploy`, `prisma migrate dev --create-only` and
// `prisma migrate status`, run from the project root:
//
//   npm run db:migrate                 apply pending migrations to DATABASE_URL
//   npm run db:migration -- <name>     new prisma/migrations/<timestamp>_<name>/migration.sql
//   npm run db:status                  migration history diagnostics (JSON)
//
// From a build: node dist/db/migrate-cli.js deploy | create <name> | status.
// DATABASE_URL: postgresql://… (adapter-pg) or pglite:<dir> / pglite:memory; default: prisma.config.ts.
import path from "node:path";
import { loadConfigFromFile } from "@prisma/config";
import { openAdapter, openSchemaEngine, type SchemaEngineSession } from "./migrate.js";

const USAGE = "usage: migrate-cli deploy | create <name> | status";

async function run(command: "create" | "deploy" | "status", name: string | undefined): Promise<void> {
  // `create` never touches DATABASE_URL: the history is replayed into a throwaway in-memory
  // PGlite database (adapter-pg cannot serve as a shadow database: it replays on the main one).
  const url = command === "create" ? "pglite:memory" : (process.env.DATABASE_URL ?? (await loadConfigFromFile({})).config?.datasource?.url);
  if (!url) throw new Error("Set DATABASE_URL or datasource.url in prisma.config.ts");
  const adapter = await openAdapter(url);
  try {
    const engine = await openSchemaEngine(adapter.factory);
    try {
      console.log(await perform(engine, command, name));
    } finally {
      engine.close();
    }
  } finally {
    await adapter.close();
  }
}

/** Runs one command; returns the line to print. */
async function perform(engine: SchemaEngineSession, command: string, name: string | undefined): Promise<string> {
  if (command === "create") {
    const folder = await engine.create(name!);
    return folder
      ? `Created ${path.relative(process.cwd(), engine.migrationsDir)}/${folder}/migration.sql`
      : "No schema changes: no migration created.";
  }
  if (command === "deploy") {
    const applied = await engine.deploy();
    return applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "No pending migrations to apply.";
  }
  return JSON.stringify(await engine.status(), null, 2);
}

const [command, name] = process.argv.slice(2);
if ((command !== "create" && command !== "deploy" && command !== "status") || (command === "create" && !name)) {
  console.error(USAGE);
  process.exit(2);
}
run(command, name).then(
  () => process.exit(0),
  (err: { code?: string; message?: string }) => {
    console.error(err?.code ? `${err.code}: ${err.message}` : err);
    process.exit(1);
  },
);
