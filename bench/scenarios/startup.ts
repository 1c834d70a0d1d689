import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPgliteTemplate } from "../../src/db/template.js";
import { BENCH_JWT_SECRET, scratchDatabase } from "../lib/env.js";
import { freePort } from "../lib/ports.js";
import type { Figure } from "../lib/report.js";

const GOAL_S = 3;

/** `npm <script>` until /ready answers 200, in seconds; the process is stopped afterwards. */
async function timeToReady(env: Record<string, string>, script = "start"): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn("npm", ["run", script, "--silent"], {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: "warn", JWT_SECRET: BENCH_JWT_SECRET },
    stdio: "ignore",
    detached: true,
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return (performance.now() - started) / 1000;
      if (performance.now() - started > 60_000) throw new Error("not ready within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGTERM"); // npm and the server under it
    await exited;
  }
}

export async function startup(): Promise<Figure[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "reelay-bench-pglite-"));
  const database = await scratchDatabase();
  try {
    const mediaDir = path.join(dir, "media");
    const embedded = { DATABASE_URL: `pglite:${path.join(dir, "pglite")}`, MEDIA_DIR: mediaDir };
    // As after an install: postinstall makes the embedded database's template (not timed; nothing to do when current).
    await buildPgliteTemplate();
    const fresh = await timeToReady(embedded); // a new data directory, copied from the template
    const again = await timeToReady(embedded);
    const postgres = await timeToReady({ DATABASE_URL: database.url, MEDIA_DIR: mediaDir });
    // Compiled ahead of time (npm run build, not timed): no TypeScript at start.
    await new Promise<void>((resolve, reject) =>
      spawn("npm", ["run", "build", "--silent"], { stdio: "inherit" }).once("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}`)),
      ),
    );
    const builtEmbedded = await timeToReady(embedded, "start:built");
    const builtPostgres = await timeToReady({ DATABASE_URL: database.url, MEDIA_DIR: mediaDir }, "start:built");
    const row = (figure: string, value: number): Figure => ({
      scenario: "startup",
      figure,
      value,
      unit: "s",
      bound: { label: "goal", value: GOAL_S, unit: "s" },
      ratio: GOAL_S / value,
      goal: `≤ ${GOAL_S} s`,
      met: value <= GOAL_S,
    });
    return [
      row("npm start → /ready, embedded, first start (new data directory)", fresh),
      row("npm start → /ready, embedded, existing data", again),
      row("npm start → /ready, PostgreSQL", postgres),
      row("npm run start:built → /ready, embedded, existing data", builtEmbedded),
      row("npm run start:built → /ready, PostgreSQL", builtPostgres),
    ];
  } finally {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
