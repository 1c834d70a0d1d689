import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** the folder of package.json, whether this runs from src/ (tsx) or from a build under dist/ */
export const PROJECT_ROOT = projectRoot(path.dirname(fileURLToPath(import.meta.url)));
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/migrations");
export const PRISMA_CONFIG_FILE = path.join(PROJECT_ROOT, "prisma.config.ts");

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
