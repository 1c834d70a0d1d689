import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApp } from "./helpers/app.js";
import { startReelay } from "./helpers/processes.js";
import { TEST_JWT_SECRET } from "./helpers/tokens.js";
import { useTestDatabase } from "./helpers/use-test-app.js";
import { until } from "./helpers/wait.js";
import { ADMIN_URL, databaseUrl } from "./setup/global-setup.js";

const database = useTestDatabase();

describe("roles", () => {
  it("ROLE=worker answers the probes but serves no GraphQL, WebSocket or media", async () => {
    const t = await startTestApp({ databaseUrl: database.url, config: { role: "worker" } });
    try {
      expect(t.app.poller).not.toBeNull();
      expect((await fetch(`${t.origin}/health`)).status).toBe(200);
      expect((await fetch(`${t.origin}/ready`)).status).toBe(200);
      const gql = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"query":"{ __typename }"}',
      });
      expect(gql.status).toBe(404);
      const ws = new WebSocket(t.wsUrl, "graphql-transport-ws");
      const [err] = await once(ws, "error");
      expect(String(err)).toMatch(/404/);
    } finally {
      await t.stop();
    }
  });

  it("ROLE=api serves but runs no poller", async () => {
    const t = await startTestApp({ databaseUrl: database.url, config: { role: "api" } });
    try {
      expect(t.app.poller).toBeNull();
      const res = await t.gql("{ __typename }");
      expect(res.data).toEqual({ __typename: "Query" });
    } finally {
      await t.stop();
    }
  });
});

describe("npm start", () => {
  it("serves on PostgreSQL, reports ready, and exits 0 soon after SIGTERM", async () => {
    const mediaDir = await mkdtemp(path.join(tmpdir(), "reelay-process-"));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        DATABASE_URL: database.url,
        JWT_SECRET: TEST_JWT_SECRET,
        MEDIA_DIR: mediaDir,
        LOG_LEVEL: "debug",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    try {
      const ready = await until(
        "the process to report ready",
        () =>
          fetch(`http://127.0.0.1:${port}/ready`).then(
            (r) => r.status === 200,
            () => false,
          ),
        15_000,
      ).catch(() => false);
      expect(ready, output).toBe(true);
      // Logs are structured JSON lines.
      const listening = output
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === "reelay is listening");
      expect(listening).toMatchObject({ port, database: "postgres", pubsub: "in-process" });

      // A request's id is echoed (or made up) and carried by every line logged while it is handled.
      const traced = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "trace-4f2a" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(traced.headers.get("x-request-id")).toBe("trace-4f2a");
      const minted = await fetch(`http://127.0.0.1:${port}/health`, { headers: { "x-request-id": "not a valid id!" } });
      expect(minted.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      // Complete lines only: the last one may still be being written.
      const linesOf = (requestId: string) =>
        output
          .split("\n")
          .slice(0, -1)
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l))
          .filter((l) => l.requestId === requestId);
      await until("the traced request's log lines", () => linesOf("trace-4f2a").length > 0, 5_000).catch(() => false);
      expect(linesOf("trace-4f2a").length).toBeGreaterThan(0);

      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = (await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(["timeout"]), 15_000))])) as [
        number | string,
      ];
      expect(code).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await rm(mediaDir, { recursive: true, force: true });
    }
  });
});

describe("npm run build", () => {
  it("compiles to JavaScript that starts without tsx or scripts/, migrates an empty database and serves", {
    timeout: 120_000,
  }, async () => {
    // What a deployment ships: the build, package.json, the Prisma schema, config and
    // migrations, and the installed packages; no sources, no scripts/.
    const app = await mkdtemp(path.join(tmpdir(), "reelay-dist-"));
    await Promise.all([
      cp("package.json", path.join(app, "package.json")),
      cp("prisma.config.ts", path.join(app, "prisma.config.ts")),
      cp("prisma", path.join(app, "prisma"), { recursive: true }),
      symlink(await realpath("node_modules"), path.join(app, "node_modules"), "dir"),
    ]);
    // `npm run build`'s compiler and config, into that folder.
    const tsc = spawn(
      process.execPath,
      ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--outDir", path.join(app, "dist")],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    tsc.stdout.on("data", (d) => (output += d));
    tsc.stderr.on("data", (d) => (output += d));
    const mediaDir = await mkdtemp(path.join(tmpdir(), "reelay-built-"));
    const empty = `reelay_built_${randomBytes(6).toString("hex")}`;
    await adminQuery(`CREATE DATABASE "${empty}"`);
    try {
      expect((await once(tsc, "exit"))[0], output).toBe(0);
      expect(existsSync(path.join(app, "scripts"))).toBe(false);
      const built = await startReelay({ DATABASE_URL: databaseUrl(empty), MEDIA_DIR: mediaDir, LOG_LEVEL: "warn" }, ["dist/main.js"], app);
      try {
        const res = await fetch(built.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ __typename }" }),
        });
        expect(await res.json()).toEqual({ data: { __typename: "Query" } });
        // Every checked-in migration was applied at start, by the built code alone.
        const folders = (await readdir("prisma/migrations", { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
        const applied = await adminQuery(
          "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
          empty,
        );
        expect(applied.map((row) => row.migration_name)).toEqual(folders.sort());
        built.child.process.kill("SIGTERM");
        expect(await built.child.exited).toBe(0);
      } finally {
        await built.kill();
      }
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${empty}" WITH (FORCE)`);
      await rm(app, { recursive: true, force: true });
      await rm(mediaDir, { recursive: true, force: true });
    }
  });
});

/** Runs one statement as the PostgreSQL admin, on `database` or the admin database. */
async function adminQuery(sql: string, database?: string): Promise<Record<string, any>[]> {
  const client = new pg.Client({ connectionString: database ? databaseUrl(database) : ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
