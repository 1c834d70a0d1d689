// A production start with no way to verify tokens must not serve at all.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { freePort, startReelay } from "../helpers/processes.js";

let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), "reelay-production-"));
});

afterAll(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("a production start", () => {
  it("without JWT_SECRET or JWT_JWKS_URL exits non-zero at once, says why, serves nothing and writes no secret", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        ...process.env,
        NODE_ENV: "production",
        JWT_SECRET: "",
        JWT_JWKS_URL: "",
        PORT: String(port),
        DATABASE_URL: database.url,
        DATA_DIR: dataDir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timeout = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code] = await once(child, "exit");
    clearTimeout(timeout);
    expect(code, output).toBe(1);
    expect(output).toMatch(/^reelay cannot start: NODE_ENV=production needs JWT_SECRET .* or JWT_JWKS_URL/m);
    expect(output).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("with only JWT_JWKS_URL starts and serves, keeping no token secret", async () => {
    const server = await startReelay({
      JWT_SECRET: "",
      JWT_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      MEDIA_DIR: path.join(dataDir, "media"),
    });
    try {
      expect((await server.gql(`{ __typename }`)).data).toEqual({ __typename: "Query" });
      expect(await readdir(path.join(dataDir, "secrets"))).toEqual(["media-signing-secret"]);
    } finally {
      await server.kill();
    }
  });
});
