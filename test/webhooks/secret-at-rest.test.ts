/**
 * Webhook signing secrets at rest: sealed under ENCRYPTION_KEY like channel keys (the user
 * reads them back, so they cannot be hashed), and re-sealed under a new key by
 * `npm run keys:rotate`, after which an instance with the new key alone still reads them.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { keyIdOf } from "../../src/channels/secret-box.js";
import type { Config } from "../../src/config.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { dumpDatabase, queryRows } from "../helpers/database-dump.js";
import { tokenFor } from "../helpers/tokens.js";

const run = promisify(execFile);
const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(32);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

async function withApp<T>(keys: Pick<Config, "encryptionKey" | "encryptionKeyPrevious">, use: (t: TestApp) => Promise<T>): Promise<T> {
  const t = await startTestApp({ databaseUrl: database.url, config: { ...keys, role: "api" } });
  try {
    return await use(t);
  } finally {
    await t.stop();
  }
}

const secretOf = async (t: TestApp, token: string) =>
  (await t.gql(`query { me { webhookSecret } }`, {}, { token })).data!.me.webhookSecret as string;
const storedSecrets = () =>
  queryRows<{ webhookSecret: string | null; webhookSecretPrevious: string | null }>(
    database.url,
    `SELECT "webhookSecret", "webhookSecretPrevious" FROM users WHERE subject = 'at-rest@webhooks'`,
  );

it("keeps webhook secrets sealed, and keys:rotate re-seals them so the new key alone opens them", { timeout: 60_000 }, async () => {
  const token = await tokenFor("at-rest@webhooks");
  const { previous, current } = await withApp({ encryptionKey: OLD_KEY, encryptionKeyPrevious: null }, async (t) => {
    const before = await secretOf(t, token);
    const rotated = (await t.gql(`mutation { rotateWebhookSecret }`, {}, { token })).data!.rotateWebhookSecret as string;
    return { previous: before, current: rotated };
  });
  const [sealed] = await storedSecrets();
  expect(sealed!.webhookSecret).toMatch(new RegExp(`^enc:v1:${keyIdOf(OLD_KEY)}:`));
  expect(sealed!.webhookSecretPrevious).toMatch(new RegExp(`^enc:v1:${keyIdOf(OLD_KEY)}:`));
  const dump = await dumpDatabase(database.url);
  for (const secret of [previous, current]) expect(dump).not.toContain(secret.slice("whsec_".length));

  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    ENCRYPTION_KEY: NEW_KEY.toString("base64"),
    ENCRYPTION_KEY_PREVIOUS: OLD_KEY.toString("base64"),
  };
  const { stdout } = await run("npm", ["run", "-s", "keys:rotate"], { env });
  expect(stdout).toContain(`1 user(s)' webhook signing secrets re-encrypted under key ${keyIdOf(NEW_KEY)}`);
  const [resealed] = await storedSecrets();
  expect(resealed!.webhookSecret).toMatch(new RegExp(`^enc:v1:${keyIdOf(NEW_KEY)}:`));
  expect(resealed!.webhookSecretPrevious).toMatch(new RegExp(`^enc:v1:${keyIdOf(NEW_KEY)}:`));
  expect((await run("npm", ["run", "-s", "keys:rotate"], { env })).stdout).toContain("0 user(s)' webhook signing secrets re-encrypted");

  await withApp({ encryptionKey: NEW_KEY, encryptionKeyPrevious: null }, async (t) => {
    expect(await secretOf(t, token)).toBe(current);
  });
});
