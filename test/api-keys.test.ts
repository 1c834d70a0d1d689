/**
 * Personal API keys: made once and shown once, kept only as a hash, accepted wherever a JWT
 * is (HTTP, WebSocket, SSE) with their user's role, and refused on every instance within a
 * second of being revoked or expiring. `npm run apikey` bootstraps a fresh install.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { hashApiKey, MAX_ACTIVE_API_KEYS } from "../src/api-keys.js";
import { codeOf, startTestApp, TEST_REDIS_URL, type TestApp, uniqueRedisPrefix } from "./helpers/app.js";
import { postOverSse } from "./helpers/sse.js";
import { Collector, wsClient } from "./helpers/subscriptions.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";
import { sleep } from "./helpers/wait.js";
import { ADMIN_URL, databaseUrl } from "./setup/global-setup.js";

const run = promisify(execFile);

const CREATE_KEY = /* GraphQL */ `
  mutation ($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { key apiKey { id name hint createdAt lastUsedAt expiresAt revokedAt } }
  }
`;
const REVOKE_KEY = /* GraphQL */ `mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;
const MY_KEYS = /* GraphQL */ `query { me { apiKeys { id name hint createdAt lastUsedAt expiresAt revokedAt } } }`;
const WHO = /* GraphQL */ `query { me { subject role } }`;
const AUDIT = /* GraphQL */ `query { auditLog(first: 50) { edges { node { action actorSubject target after } } } }`;
/** an admin-only field, to tell an admin's key from a user's */
const ADMIN_ONLY = /* GraphQL */ `query { auditLog(first: 1) { totalCount } }`;

const redisPrefix = uniqueRedisPrefix();
const shared = { redisUrl: TEST_REDIS_URL, redisPrefix, role: "api" as const };
const a = useTestApp({ config: shared });
// a second instance of the same deployment: same database, same Redis prefix
const b = useTestApp(() => ({ config: shared, database: a.database }));

async function createKey(app: TestApp, token: string, input: Record<string, unknown>) {
  const res = await app.gql(CREATE_KEY, { input }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.createApiKey as { key: string; apiKey: { id: string; hint: string; lastUsedAt: string | null } };
}

/** `query { me }` over a graphql-ws connection authenticated with `token`: its data, or the code the socket closed with. */
async function overWebSocket(app: TestApp, token: string): Promise<{ data?: unknown; closeCode: number | null }> {
  let closeCode: number | null = null;
  const client = wsClient(app.wsUrl, token, (code) => (closeCode = code));
  try {
    const results = new Collector(client, WHO);
    const first = await results.next(5_000);
    await results.completion(5_000);
    return { data: first?.data, closeCode };
  } finally {
    await client.dispose();
  }
}

describe("a personal API key", () => {
  it("is shown once as sk-rl- and 32+ base62 characters, and acts as its user over HTTP, WebSocket and SSE", async () => {
    const token = await tokenFor("keys-owner@keys");
    const { key, apiKey } = await createKey(a, token, { name: "laptop" });
    expect(key).toMatch(/^sk-rl-[0-9A-Za-z]{32,}$/);
    expect(apiKey.hint).toBe(`sk-rl-…${key.slice(-4)}`);

    const me = { subject: "keys-owner@keys", role: "USER" };
    expect((await a.gql(WHO, {}, { token: key })).data).toEqual({ me });
    expect(await overWebSocket(a, key)).toEqual({ data: { me }, closeCode: null });
    expect((await postOverSse(a.url, WHO, {}, key)).data).toEqual({ me });

    // Listed with its hint and last use, never with the key itself.
    const listed = await a.gql(MY_KEYS, {}, { token: key });
    expect(listed.data!.me.apiKeys).toEqual([
      expect.objectContaining({ id: apiKey.id, name: "laptop", hint: apiKey.hint, revokedAt: null }),
    ]);
    expect(listed.data!.me.apiKeys[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(key);
  });

  it("is stored only as its SHA-256 hash: no column of the database holds the key", async () => {
    const { key, apiKey } = await createKey(a, await tokenFor("keys-stored@keys"), { name: "stored" });
    const rows = await a.app.services.db.$queryRaw<Record<string, unknown>[]>`SELECT * FROM api_keys WHERE id = ${apiKey.id}::uuid`;
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).toBe(hashApiKey(key));
    const secret = key.slice("sk-rl-".length);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it("writes lastUsedAt at most once a minute, however many requests the key makes", async () => {
    const { key } = await createKey(a, await tokenFor("keys-used@keys"), { name: "busy" });
    await a.gql(WHO, {}, { token: key });
    const first = (await a.gql(MY_KEYS, {}, { token: key })).data!.me.apiKeys[0].lastUsedAt;
    expect(first).not.toBeNull();
    await sleep(1_100); // past the cache: the key is read again from the database
    await a.gql(WHO, {}, { token: key });
    expect((await a.gql(MY_KEYS, {}, { token: key })).data!.me.apiKeys[0].lastUsedAt).toBe(first);
  });

  it("has its user's role in the database: a user's key is refused admin fields, an admin's key is not", async () => {
    const user = await createKey(a, await tokenFor("keys-role@keys"), { name: "user" });
    expect(codeOf(await a.gql(ADMIN_ONLY, {}, { token: user.key }))).toBe("FORBIDDEN");
    const admin = await createKey(a, a.adminToken, { name: "admin" });
    expect((await a.gql(ADMIN_ONLY, {}, { token: admin.key })).errors).toBeUndefined();
  });

  it("is refused on another instance within a second of being revoked, over HTTP and WebSocket", async () => {
    const token = await tokenFor("keys-revoked@keys");
    const { key, apiKey } = await createKey(a, token, { name: "to revoke" });
    // both instances have just accepted it
    expect((await b.gql(WHO, {}, { token: key })).errors).toBeUndefined();
    expect((await a.gql(WHO, {}, { token: key })).errors).toBeUndefined();

    const revoked = await a.gql(REVOKE_KEY, { id: apiKey.id }, { token: key });
    expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();
    const revokedAt = Date.now();
    await sleep(1_000 - (Date.now() - revokedAt));
    expect(codeOf(await b.gql(WHO, {}, { token: key }))).toBe("UNAUTHENTICATED");
    expect(codeOf(await a.gql(WHO, {}, { token: key }))).toBe("UNAUTHENTICATED");
    expect(await overWebSocket(b, key)).toEqual({ data: undefined, closeCode: 4403 });
    // the JWT of the same user is unaffected
    expect((await b.gql(WHO, {}, { token })).errors).toBeUndefined();
  });

  it("is refused once it has expired", async () => {
    const token = await tokenFor("keys-expiring@keys");
    const { key } = await createKey(a, token, { name: "short-lived", expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect((await a.gql(WHO, {}, { token: key })).errors).toBeUndefined();
    await sleep(2_200); // its expiry, plus the half second an instance may remember a valid key
    const refused = await a.gql(WHO, {}, { token: key });
    expect(codeOf(refused)).toBe("UNAUTHENTICATED");
    expect(refused.errors![0].message).toMatch(/expired/);
    expect(codeOf(await b.gql(WHO, {}, { token: key }))).toBe("UNAUTHENTICATED");
  });

  it("refuses a key that was never made, without creating anything", async () => {
    const forged = `sk-rl-${"A".repeat(40)}`;
    expect(codeOf(await a.gql(WHO, {}, { token: forged }))).toBe("UNAUTHENTICATED");
    expect(await overWebSocket(a, forged)).toEqual({ data: undefined, closeCode: 4403 });
  });
});

describe("making and revoking keys", () => {
  it("refuses a user making a key for someone else (FORBIDDEN)", async () => {
    const token = await tokenFor("keys-sneaky@keys");
    const res = await a.gql(CREATE_KEY, { input: { name: "theirs", subject: "keys-victim@keys" } }, { token });
    expect(codeOf(res)).toBe("FORBIDDEN");
    expect(await a.app.services.db.user.count({ where: { subject: "keys-victim@keys" } })).toBe(0);
  });

  it("lets an admin make a key for another user, creating the user, and audits it", async () => {
    const { key } = await createKey(a, a.adminToken, { name: "for ci", subject: "keys-ci@keys" });
    expect((await a.gql(WHO, {}, { token: key })).data).toEqual({ me: { subject: "keys-ci@keys", role: "USER" } });
    const audit = (await a.gql(AUDIT, {}, { token: a.adminToken })).data!.auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "API_KEY_CREATED", actorSubject: "admin@test", target: "keys-ci@keys" }),
    );
    expect(JSON.stringify(audit)).not.toContain(key);
  });

  it("lets a user revoke only their own keys; an admin revokes anyone's, audited", async () => {
    const owner = await tokenFor("keys-mine@keys");
    const { key, apiKey } = await createKey(a, owner, { name: "mine" });
    const other = await tokenFor("keys-other@keys");
    expect(codeOf(await a.gql(REVOKE_KEY, { id: apiKey.id }, { token: other }))).toBe("NOT_FOUND");
    expect(codeOf(await a.gql(REVOKE_KEY, { id: "not-a-uuid" }, { token: other }))).toBe("NOT_FOUND");
    expect((await a.gql(WHO, {}, { token: key })).errors).toBeUndefined();

    expect((await a.gql(REVOKE_KEY, { id: apiKey.id }, { token: a.adminToken })).errors).toBeUndefined();
    const audit = (await a.gql(AUDIT, {}, { token: a.adminToken })).data!.auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "API_KEY_REVOKED", actorSubject: "admin@test", target: "keys-mine@keys" }),
    );
  });

  it("bounds the name, the expiry and the number of active keys", async () => {
    const token = await tokenFor("keys-bounded@keys");
    const refused = async (input: Record<string, unknown>) => codeOf(await a.gql(CREATE_KEY, { input }, { token }));
    expect(await refused({ name: "x".repeat(101) })).toBe("BAD_USER_INPUT");
    expect(await refused({ name: "  " })).toBe("BAD_USER_INPUT");
    expect(await refused({ name: "past", expiresAt: new Date(Date.now() - 1_000).toISOString() })).toBe("BAD_USER_INPUT");

    await createKey(a, token, { name: "first" });
    const user = await a.app.services.db.user.findUniqueOrThrow({ where: { subject: "keys-bounded@keys" } });
    await a.app.services.db.apiKey.createMany({
      data: Array.from({ length: MAX_ACTIVE_API_KEYS - 1 }, (_, i) => ({
        userId: user.id,
        name: `filler ${i}`,
        hash: randomBytes(32).toString("hex"),
        hint: "sk-rl-…fill",
      })),
    });
    expect(await refused({ name: "one too many" })).toBe("CONFLICT");
  });
});

describe("npm run apikey", () => {
  it("bootstraps a fresh install: migrates an empty database and prints only an admin's key", async () => {
    const name = `reelay_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    let app: TestApp | undefined;
    try {
      const url = databaseUrl(name);
      const { stdout } = await run("npm", ["run", "-s", "apikey", "--", "ops@fresh", "--admin"], {
        env: { ...process.env, DATABASE_URL: url },
      });
      expect(stdout).toMatch(/^sk-rl-[0-9A-Za-z]{32,}\n$/);
      app = await startTestApp({ databaseUrl: url });
      const key = stdout.trim();
      expect((await app.gql(WHO, {}, { token: key })).data).toEqual({ me: { subject: "ops@fresh", role: "ADMIN" } });
      expect((await app.gql(ADMIN_ONLY, {}, { token: key })).errors).toBeUndefined();
    } finally {
      await app?.stop();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
