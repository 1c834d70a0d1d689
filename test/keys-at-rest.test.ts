/**
 * Channel keys at rest, on PostgreSQL: what the rows hold after an admin saves a channel,
 * after start-up finds a key an older version kept in clear, and after a rotation to a new
 * ENCRYPTION_KEY with `npm run keys:rotate`; and that tasks reach the provider with the
 * right key all along (the mock answers 401 to any other).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannelKeys, keyIdOf } from "../src/channels/secret-box.js";
import type { Config } from "../src/config.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { dumpDatabase, queryRows } from "./helpers/database-dump.js";
import { CREATE_VIDEO, grantCredit, upsertChannel, waitForTask } from "./helpers/fixtures.js";
import { startReelay } from "./helpers/processes.js";
import { tokenFor } from "./helpers/tokens.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "./mocks/openai-videos.js";

const run = promisify(execFile);

const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(32);
const LEGACY_API_KEY = "sk-legacy-kept-in-clear-0042";
const PINO_ERROR = 50; // pino's number for the error level
const FAST = { queuedPolls: 0, progressSteps: [50], videoBytes: 1024 };

let database: TestDatabase;
let gateway: MockOpenAIVideos;
let legacy: MockOpenAIVideos;

beforeAll(async () => {
  database = await createTestDatabase();
  gateway = await startMockOpenAIVideos({ script: FAST });
  legacy = await startMockOpenAIVideos({ apiKey: LEGACY_API_KEY, script: FAST });
});

afterAll(async () => {
  await gateway?.close();
  await legacy?.close();
  await database?.drop();
});

/** An instance on this file's database, encrypting with `keys`, stopped when `use` returns. */
async function withApp(keys: Pick<Config, "encryptionKey" | "encryptionKeyPrevious">, use: (t: TestApp) => Promise<void>) {
  const t = await startTestApp({ databaseUrl: database.url, config: keys });
  try {
    await use(t);
  } finally {
    await t.stop();
  }
}

const storedKeys = () => queryRows<{ name: string; apiKey: string }>(database.url, `SELECT name, "apiKey" FROM channels ORDER BY name`);

/** Every channel key in clear that this file uses: none may ever be in the database. */
const CLEAR_KEYS = () => [gateway.apiKey, LEGACY_API_KEY];

async function expectNoClearKeyInTheDatabase() {
  const dump = await dumpDatabase(database.url);
  expect(dump).toContain("-- channels"); // the dump did read the tables
  for (const key of CLEAR_KEYS()) expect(dump).not.toContain(key);
}

/** A task on `channel` runs to COMPLETED: the adaptor got the key in clear, or the mock would refuse it. */
async function expectTaskCompletes(t: TestApp, channel: string) {
  const subject = `runner-${randomBytes(4).toString("hex")}@keys`;
  await grantCredit(t, subject, "5");
  const token = await tokenFor(subject);
  const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: `on ${channel}`, seconds: 4, channel } }, { token });
  expect(created.errors).toBeUndefined();
  const task = await waitForTask(t, token, created.data!.createVideo.id, (x) => x.status !== "QUEUED" && x.status !== "PROCESSING");
  expect(task).toMatchObject({ status: "COMPLETED", channel });
}

async function rotateKeys(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run("npm", ["run", "-s", "keys:rotate"], {
      env: { ...process.env, DATABASE_URL: database.url, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const base64 = (key: Buffer) => key.toString("base64");

describe("channel keys at rest", () => {
  it("upsertChannel stores the key sealed under ENCRYPTION_KEY, and the adaptor still gets it in clear", async () => {
    await withApp({ encryptionKey: OLD_KEY, encryptionKeyPrevious: null }, async (t) => {
      const saved = await upsertChannel(t, { name: "gateway", baseUrl: gateway.baseUrl, apiKey: gateway.apiKey, models: ["sora-2"] });
      expect(saved.apiKeyHint).toBe(`sk-...${gateway.apiKey.slice(-4)}`);
      const [row] = await storedKeys();
      expect(row.apiKey.startsWith(`enc:v1:${keyIdOf(OLD_KEY)}:`)).toBe(true);
      await expectNoClearKeyInTheDatabase();
      await expectTaskCompletes(t, "gateway");
      expect(gateway.requests.every((r) => r.headers.authorization === `Bearer ${gateway.apiKey}`)).toBe(true);
    });
  });

  it("a key an older version kept in clear is sealed when an instance starts, and its tasks still run", async () => {
    await queryRows(
      database.url,
      `INSERT INTO channels (id, name, provider, "baseUrl", "apiKey", models, "updatedAt") VALUES (gen_random_uuid(), 'legacy', 'openai', $1, $2, '{sora-2}', now())`,
      [legacy.baseUrl, LEGACY_API_KEY],
    );
    await withApp({ encryptionKey: OLD_KEY, encryptionKeyPrevious: null }, async (t) => {
      const rows = await storedKeys();
      expect(rows.map((r) => r.name)).toEqual(["gateway", "legacy"]);
      for (const row of rows) expect(row.apiKey.startsWith(`enc:v1:${keyIdOf(OLD_KEY)}:`), row.name).toBe(true);
      await expectNoClearKeyInTheDatabase();
      await expectTaskCompletes(t, "legacy");
      const list = await t.gql(`{ channels { name apiKeyHint } }`, {}, { token: t.adminToken });
      expect(list.data!.channels).toContainEqual({ name: "legacy", apiKeyHint: `sk-...${LEGACY_API_KEY.slice(-4)}` });
    });
  });

  it("after a rotation, ENCRYPTION_KEY_PREVIOUS opens the rows the old key sealed while new ones are sealed under the new key", async () => {
    await withApp({ encryptionKey: NEW_KEY, encryptionKeyPrevious: OLD_KEY }, async (t) => {
      // start-up seals only keys kept in clear: instances still running with the old key alone can read every row
      for (const row of await storedKeys()) expect(row.apiKey.startsWith(`enc:v1:${keyIdOf(OLD_KEY)}:`), row.name).toBe(true);
      await expectTaskCompletes(t, "gateway");
      await upsertChannel(t, { name: "fresh", baseUrl: gateway.baseUrl, apiKey: gateway.apiKey, models: ["sora-2"] });
      const fresh = (await storedKeys()).find((r) => r.name === "fresh")!;
      expect(fresh.apiKey.startsWith(`enc:v1:${keyIdOf(NEW_KEY)}:`)).toBe(true);
    });
  });

  it("npm run keys:rotate seals every row under the new key, once: a second run has nothing to do", async () => {
    const env = { ENCRYPTION_KEY: base64(NEW_KEY), ENCRYPTION_KEY_PREVIOUS: base64(OLD_KEY) };
    const first = await rotateKeys(env);
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`2 channel key(s) re-encrypted under key ${keyIdOf(NEW_KEY)}`);
    for (const row of await storedKeys()) expect(row.apiKey.startsWith(`enc:v1:${keyIdOf(NEW_KEY)}:`), row.name).toBe(true);
    await expectNoClearKeyInTheDatabase();

    const before = await storedKeys();
    const second = await rotateKeys(env);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain("0 channel key(s) re-encrypted");
    expect(await storedKeys()).toEqual(before);
  });

  it("once rotated, instances run with the new key alone: every channel's tasks reach the provider", async () => {
    await withApp({ encryptionKey: NEW_KEY, encryptionKeyPrevious: null }, async (t) => {
      await expectTaskCompletes(t, "gateway");
      await expectTaskCompletes(t, "legacy");
      await expectTaskCompletes(t, "fresh");
      const log = await t.gql(
        `{ auditLog(first: 10) { edges { node { action actor { id } actorSubject target before after } } } }`,
        {},
        { token: t.adminToken },
      );
      const rotations = log.data!.auditLog.edges.map((e: any) => e.node).filter((n: any) => n.action === "CHANNEL_KEY_ROTATED");
      expect(rotations.map((n: any) => n.target).sort()).toEqual(["gateway", "legacy"]);
      for (const entry of rotations) {
        expect(entry).toMatchObject({
          actor: null,
          actorSubject: null,
          before: { keyId: keyIdOf(OLD_KEY) },
          after: { keyId: keyIdOf(NEW_KEY) },
        });
      }
    });
  });

  it("keys:rotate leaves a key sealed under neither configured key as it is, names its channel and exits non-zero", async () => {
    const stranger = createChannelKeys(randomBytes(32)).seal("sk-sealed-elsewhere-0001");
    await queryRows(
      database.url,
      `INSERT INTO channels (id, name, provider, "baseUrl", "apiKey", models, "updatedAt") VALUES (gen_random_uuid(), 'stranger', 'openai', $1, $2, '{sora-2}', now())`,
      [gateway.baseUrl, stranger],
    );
    try {
      const result = await rotateKeys({ ENCRYPTION_KEY: base64(NEW_KEY), ENCRYPTION_KEY_PREVIOUS: base64(OLD_KEY) });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS and were left as they are: stranger");
      expect((await storedKeys()).find((r) => r.name === "stranger")!.apiKey).toBe(stranger);

      // an instance starts all the same, and says which channels cannot reach their provider
      const lines: { level: number; msg: string; channels?: string[] }[] = [];
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const t = await startTestApp({ databaseUrl: database.url, config: { encryptionKey: NEW_KEY, encryptionKeyPrevious: null }, logger });
      await t.stop();
      const error = lines.find((line) => line.level === PINO_ERROR);
      expect(error).toMatchObject({ channels: ["stranger"], msg: expect.stringContaining("sealed under neither ENCRYPTION_KEY") });
    } finally {
      await queryRows(database.url, `DELETE FROM channels WHERE name = 'stranger'`);
    }
  });

  it("a production start without ENCRYPTION_KEY refuses, saying why", async () => {
    await expect(startReelay({ DATABASE_URL: database.url, ENCRYPTION_KEY: "" })).rejects.toThrow(
      /reelay exited early:[\s\S]*NODE_ENV=production needs ENCRYPTION_KEY/,
    );
  });
});
