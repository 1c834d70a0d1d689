/**
 * The embedded database's template: a PGlite data directory created and migrated once at
 * install (`npm run -s db:template`, run by postinstall) and copied into a `pglite:<dir>`
 * that does not exist yet when the server first starts on it. That start then skips
 * creating a PostgreSQL cluster (initdb, in WebAssembly) and applying every migration,
 * which together take most of a first start.
 *
 * A template carries a key made of the PGlite version and every migration file; one made
 * for other migrations or another PGlite is not used. The server still runs `migrate()`
 * after the copy, which finds nothing pending: correctness never rests on the template.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { MIGRATIONS_DIR, PRISMA_CONFIG_FILE, PROJECT_ROOT } from "./paths.js";

/** where postinstall keeps the template: a reinstall replaces node_modules, and the template with it */
export const PGLITE_TEMPLATE_DIR = path.join(PROJECT_ROOT, "node_modules/.cache/reelay/pglite-template");
const STAMP_FILE = "template.json";
const DATA_SUBDIR = "data";
/** part of the key: changes when the template's layout does */
const TEMPLATE_FORMAT = 1;

/** What `<template>/template.json` records beside the data directory. */
interface Stamp {
  key: string;
  pglite: string;
  /** the migrations applied to the template, by folder name */
  migrations: string[];
}

/** What a start did with the template. */
export type TemplateUse =
  /** copied into the new directory */
  | { outcome: "copied" }
  /** not needed: the directory already holds a database */
  | { outcome: "existing" }
  /** none built (postinstall did not run, or failed) */
  | { outcome: "missing" }
  /** made for other migrations or another PGlite */
  | { outcome: "stale" }
  | { outcome: "failed"; error: string };

/** The key a template must carry to be used: the PGlite version and the migration files' names and contents. */
export async function templateKey(migrationsDir = MIGRATIONS_DIR): Promise<string> {
  const hash = createHash("sha256").update(`reelay pglite template ${TEMPLATE_FORMAT}\0pglite ${pgliteVersion()}\0`);
  const entries = (await readdir(migrationsDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const file = entry.isDirectory() ? path.join(migrationsDir, entry.name, "migration.sql") : path.join(migrationsDir, entry.name);
    hash
      .update(`${entry.name}\0`)
      .update(await readFile(file))
      .update("\0");
  }
  return hash.digest("hex");
}

/**
 * Creates and migrates the template for the current migrations unless it exists already;
 * returns whether it built one. It is built aside and renamed into place, so a start never
 * copies half a template.
 */
export async function buildPgliteTemplate({
  templateDir = PGLITE_TEMPLATE_DIR,
  migrationsDir = MIGRATIONS_DIR,
}: {
  templateDir?: string;
  migrationsDir?: string;
} = {}): Promise<boolean> {
  const key = await templateKey(migrationsDir);
  if ((await readStamp(templateDir))?.key === key) return false;
  const staging = beside(templateDir);
  try {
    const migrations = await createMigrated(path.join(staging, DATA_SUBDIR), migrationsDir);
    const stamp: Stamp = { key, pglite: pgliteVersion(), migrations };
    await writeFile(path.join(staging, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
    await rm(templateDir, { recursive: true, force: true });
    await rename(staging, templateDir);
    return true;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Copies the template into `dir` when `dir` does not exist yet (or is empty) and the
 * template was made for the current migrations. A directory with anything in it is never
 * touched. Never throws: a template that cannot be used leaves `dir` as it was.
 */
export async function seedFromTemplate(dir: string, templateDir = PGLITE_TEMPLATE_DIR): Promise<TemplateUse> {
  try {
    if (!(await isMissingOrEmpty(dir))) return { outcome: "existing" };
    const stamp = await readStamp(templateDir);
    if (!stamp) return { outcome: "missing" };
    const key = await templateKey();
    if (stamp.key !== key) return { outcome: "stale" };
    return await copyInto(dir, templateDir, key);
  } catch (err) {
    return { outcome: "failed", error: (err as Error).message };
  }
}

async function copyInto(dir: string, templateDir: string, key: string): Promise<TemplateUse> {
  // Copied aside and renamed into place: an interrupted copy never leaves half a database at `dir`.
  const staging = beside(dir);
  try {
    await copyTree(templateDir, staging);
    // The stamp that came with the data decides, should a reinstall have replaced the template meanwhile.
    if ((await readStamp(staging))?.key !== key) return { outcome: "stale" };
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    await rename(path.join(staging, DATA_SUBDIR), dir);
    return { outcome: "copied" };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function createMigrated(dir: string, migrationsDir: string): Promise<string[]> {
  // The same runner as a start's migrate(), so the template's _prisma_migrations rows are the ones a start would write.
  const { openAdapter, openSchemaEngine } = await import("./migrate.js");
  const adapter = await openAdapter(`pglite:${dir}`);
  try {
    const engine = await openSchemaEngine(adapter.factory, { configFile: PRISMA_CONFIG_FILE, root: PROJECT_ROOT, migrationsDir });
    try {
      return await engine.deploy();
    } finally {
      engine.close();
    }
  } finally {
    await adapter.close();
  }
}

/**
 * Copies a directory tree with its files in parallel: a new cluster is about a thousand
 * small files, which fs.cp copies one after another, in more than twice the time.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) => {
      const [source, target] = [path.join(from, entry.name), path.join(to, entry.name)];
      return entry.isDirectory() ? copyTree(source, target) : copyFile(source, target);
    }),
  );
}

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw err;
  }
}

/** The template's stamp; null when there is none or it cannot be read (a template to ignore). */
async function readStamp(templateDir: string): Promise<Stamp | null> {
  try {
    const stamp = JSON.parse(await readFile(path.join(templateDir, STAMP_FILE), "utf8")) as Partial<Stamp>;
    return typeof stamp.key === "string" ? (stamp as Stamp) : null;
  } catch {
    return null;
  }
}

/** A name beside `target` on the same file system, so a rename can put it into place. */
const beside = (target: string) => `${target}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;

function pgliteVersion(): string {
  // PGlite's package exports leave out its package.json: find it above the entry point.
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  for (let dir = path.dirname(entry); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const manifest = createRequire(import.meta.url)(path.join(dir, "package.json")) as { name?: string; version?: string };
      if (manifest.name === "@electric-sql/pglite" && manifest.version) return manifest.version;
    } catch {
      // no package.json at this level
    }
  }
  throw new Error("cannot find @electric-sql/pglite's version");
}
