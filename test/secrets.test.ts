/**
 * Secrets nobody configured are random, kept in the data directory with mode 0600, and
 * shared by every process that uses that directory: the server and `npm run token`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { loadOrCreateSecret, loadSecrets, secretsDirectory } from "../src/secrets.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { startReelay } from "./helpers/processes.js";
import { tokenFor } from "./helpers/tokens.js";

const run = promisify(execFile);
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "reelay-secrets-"));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe("configuration of secrets and tokens", () => {
  it("refuses NODE_ENV=production without JWT_SECRET or JWT_JWKS_URL, naming both", () => {
    // Production also needs ENCRYPTION_KEY (test/channel-keys.test.ts); given here, only the token rule is left.
    const production = { NODE_ENV: "production", ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    expect(() => loadConfig({ ...production })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, JWT_SECRET: "" })).toThrow(/JWT_SECRET .* or JWT_JWKS_URL/);
    expect(loadConfig({ ...production, JWT_SECRET: "s" }).jwtSecret).toBe("s");
    expect(loadConfig({ ...production, JWT_JWKS_URL: "https://id.example/jwks" })).toMatchObject({
      jwtSecret: null,
      jwtJwksUrl: "https://id.example/jwks",
    });
  });

  it("reads the issuer, the audiences and the media signing secret, and refuses a JWKS URL that is not http(s)", () => {
    expect(
      loadConfig({ JWT_ISSUER: "https://id.example", JWT_AUDIENCE: "reelay, reelay-staging", MEDIA_SIGNING_SECRET: "m" }),
    ).toMatchObject({
      jwtIssuer: "https://id.example",
      jwtAudience: ["reelay", "reelay-staging"],
      mediaSigningSecret: "m",
    });
    expect(loadConfig({})).toMatchObject({ jwtSecret: null, jwtIssuer: null, jwtAudience: [], mediaSigningSecret: null });
    expect(() => loadConfig({ JWT_JWKS_URL: "file:///etc/keys.json" })).toThrow(/JWT_JWKS_URL/);
  });

  it("keeps the embedded database, local media and generated secrets under DATA_DIR (./.data by default)", () => {
    expect(loadConfig({})).toMatchObject({ dataDir: "./.data", databaseUrl: "pglite:./.data/pglite", mediaDir: "./.data/media" });
    expect(loadConfig({ DATA_DIR: "/var/lib/reelay/" })).toMatchObject({
      dataDir: "/var/lib/reelay",
      databaseUrl: "pglite:/var/lib/reelay/pglite",
      mediaDir: "/var/lib/reelay/media",
    });
    expect(secretsDirectory("/var/lib/reelay")).toBe("/var/lib/reelay/secrets");
  });
});

describe("loadOrCreateSecret", () => {
  it("creates a random secret of the asked size on first use, readable by the owner only, and returns the same one after", async () => {
    const secret = await loadOrCreateSecret(dataDir, "first-use", 32);
    expect(Buffer.from(secret, "base64")).toHaveLength(32);
    const file = path.join(secretsDirectory(dataDir), "first-use");
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(secretsDirectory(dataDir))).toBe(0o700);
    expect(await loadOrCreateSecret(dataDir, "first-use", 32)).toBe(secret);
    expect(await loadOrCreateSecret(dataDir, "another", 32)).not.toBe(secret);
  });

  it("gives every one of many concurrent first uses the same secret", async () => {
    const secrets = await Promise.all(Array.from({ length: 20 }, () => loadOrCreateSecret(dataDir, "raced", 32)));
    expect(new Set(secrets).size).toBe(1);
    expect((await readFile(path.join(secretsDirectory(dataDir), "raced"), "utf8")).trim()).toBe(secrets[0]);
  });

  it("refuses an empty secret file rather than replacing what it signed or encrypted", async () => {
    await writeFile(path.join(secretsDirectory(dataDir), "emptied"), "", { mode: 0o600 });
    await expect(loadOrCreateSecret(dataDir, "emptied", 32)).rejects.toThrow(/is empty/);
  });

  it("takes group and world access away from a secret file that has it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "reelay-loose-"));
    try {
      await mkdir(secretsDirectory(dir), { recursive: true });
      const file = path.join(secretsDirectory(dir), "loose");
      await writeFile(file, "c2VjcmV0\n");
      await chmod(file, 0o644);
      expect(await loadOrCreateSecret(dir, "loose", 32)).toBe("c2VjcmV0");
      expect(await modeOf(file)).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("loadSecrets", () => {
  it("signs media with a secret of its own, never the token secret, whether both are stored or the token secret is set", async () => {
    const stored = await loadSecrets({ dataDir, jwtSecret: null, jwtJwksUrl: null, mediaSigningSecret: null });
    expect(stored.jwtSecret).not.toBeNull();
    expect(stored.mediaSigningSecret).not.toBe(stored.jwtSecret);
    expect(stored.storedIn.map((f) => path.basename(f))).toEqual(["jwt-secret", "media-signing-secret"]);
    const configured = await loadSecrets({ dataDir, jwtSecret: "set-by-env", jwtJwksUrl: null, mediaSigningSecret: null });
    expect(configured).toMatchObject({ jwtSecret: "set-by-env", mediaSigningSecret: stored.mediaSigningSecret });
  });

  it("keeps no token secret when only a JWKS verifies tokens", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "reelay-jwks-"));
    try {
      const secrets = await loadSecrets({ dataDir: dir, jwtSecret: null, jwtJwksUrl: "https://id.example/jwks", mediaSigningSecret: "m" });
      expect(secrets).toEqual({ jwtSecret: null, mediaSigningSecret: "m", storedIn: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run token and the server", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it("share the secret generated for their data directory: the server accepts the token, and no other", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "reelay-shared-"));
    const env = { NODE_ENV: "development", JWT_SECRET: "", MEDIA_SIGNING_SECRET: "", DATA_DIR: dir };
    try {
      // Before the server ever ran: the command creates the secret, and the server later finds it.
      const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/dev-token.ts", "ops@secrets", "--admin"], {
        env: { ...process.env, ...env },
      });
      const token = stdout.trim();
      const jwtFile = path.join(secretsDirectory(dir), "jwt-secret");
      expect(await modeOf(jwtFile)).toBe(0o600);

      const server = await startReelay({ ...env, DATABASE_URL: database.url, MEDIA_DIR: path.join(dir, "media") });
      try {
        const me = await server.gql(`{ me { subject role } }`, {}, { token });
        expect(me.data).toEqual({ me: { subject: "ops@secrets", role: "ADMIN" } });
        const forged = await server.gql(
          `{ me { subject } }`,
          {},
          { token: await tokenFor("ops@secrets", { role: "admin", secret: "reelay-development-secret-change-me" }) },
        );
        expect(forged.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
        const started = server.logs().find((line) => line.files);
        expect(started?.files).toEqual([jwtFile, path.join(secretsDirectory(dir), "media-signing-secret")]);
        const [jwtSecret, mediaSecret] = await Promise.all(started!.files.map((f: string) => readFile(f, "utf8")));
        expect(mediaSecret).not.toBe(jwtSecret);
      } finally {
        await server.kill();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
