/**
 * The console's build for the tests that serve it: web/dist is built again whenever a source
 * (web/, or the client package it imports) is newer than it, so no test runs against a stale
 * build. Test files that start at once share one build through a lock directory.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CONSOLE_DIST_DIR } from "../../src/http/console.js";
import { sleep } from "../helpers/wait.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCES = ["web/src", "web/public", "web/index.html", "web/vite.config.ts", "client/dist"].map((p) => path.join(ROOT, p));
const LOCK = path.join(tmpdir(), `reelay-web-build-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}.lock`);
/** a lock older than this belongs to a build that died */
const STALE_LOCK_MS = 120_000;
const BUILD_TIMEOUT_MS = 90_000;

async function newestMtime(target: string): Promise<number> {
  const info = await stat(target).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(target, { recursive: true });
  const times = await Promise.all(entries.map((e) => stat(path.join(target, e)).then((s) => s.mtimeMs)));
  return Math.max(info.mtimeMs, ...times);
}

async function isFresh(): Promise<boolean> {
  const built = await stat(path.join(CONSOLE_DIST_DIR, "index.html")).catch(() => null);
  if (!built) return false;
  const sources = await Promise.all(SOURCES.map(newestMtime));
  return Math.max(...sources) <= built.mtimeMs;
}

/** Builds web/dist unless it is newer than every source; waits for a build another test file started. */
export async function ensureConsoleBuilt(): Promise<void> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    if (await isFresh()) return;
    const locked = await mkdir(LOCK).then(
      () => true,
      () => false,
    );
    if (locked) {
      try {
        if (!(await isFresh())) {
          await run(path.join(ROOT, "node_modules/.bin/vite"), ["build", "--config", "web/vite.config.ts"], {
            cwd: ROOT,
            timeout: BUILD_TIMEOUT_MS,
          });
        }
        return;
      } finally {
        await rm(LOCK, { recursive: true, force: true });
      }
    }
    const lock = await stat(LOCK).catch(() => null);
    if (lock && Date.now() - lock.mtimeMs > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error("timed out waiting for another test file's build of the console");
    await sleep(200);
  }
}
