/**
 * Users for admins: users(first, after, search) pages every user by subject with balance, held
 * and spent; createUser, setUserRole and disableUser are audited; nobody else may call them. A
 * disabled user's tokens and API keys are refused on every instance within a second, while the
 * tasks it started finish and settle.
 */
import { describe, expect, it } from "vitest";
import { codeOf, TEST_REDIS_URL, uniqueRedisPrefix } from "./helpers/app.js";
import { connect } from "./helpers/connections.js";
import { CREATE_VIDEO, grantCredit, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";
import { sleep, until } from "./helpers/wait.js";

const redisPrefix = uniqueRedisPrefix();
const a = useTestApp({
  mock: "openai",
  channels: [{ name: "gateway", models: ["sora-2"] }],
  config: { redisUrl: TEST_REDIS_URL, redisPrefix },
});
// a second instance of the same deployment: same database, same Redis prefix
const b = useTestApp(() => ({ config: { redisUrl: TEST_REDIS_URL, redisPrefix, role: "api" as const }, database: a.database }));

const USERS = /* GraphQL */ `
  query($first: Int, $after: String, $search: String) {
    users(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { subject role balance held spent disabledAt } }
    }
  }
`;
const CREATE_USER = /* GraphQL */ `mutation($s: String!, $r: Role!) { createUser(subject: $s, role: $r) { subject role balance } }`;
const SET_ROLE = /* GraphQL */ `mutation($s: String!, $r: Role!) { setUserRole(subject: $s, role: $r) { subject role } }`;
const DISABLE = /* GraphQL */ `mutation($s: String!) { disableUser(subject: $s) { subject disabledAt } }`;
const CREATE_KEY = /* GraphQL */ `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`;
const AUDIT = /* GraphQL */ `query { auditLog(first: 20) { edges { node { action actorSubject targetType target before after } } } }`;
const WHO = /* GraphQL */ `query { me { subject role } }`;

async function asAdmin(query: string, variables: Record<string, unknown> = {}) {
  const res = await a.gql(query, variables, { token: a.adminToken });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

const newestAudit = async () => (await asAdmin(AUDIT)).auditLog.edges[0].node;

describe("users", () => {
  it("pages users by subject, filtered by a case-insensitive part of it, with balance, held and spent", async () => {
    for (const subject of ["list-Carol@users", "list-alice@users", "list-bob@users", "other@users"]) await grantCredit(a, subject, "3");
    const token = await tokenFor("list-alice@users");
    const created = await a.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "a listed fox", seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(created.errors).toBeUndefined();
    await waitForTask(a, token, created.data!.createVideo.id, (task) => task.status === "COMPLETED");

    const first = (await asAdmin(USERS, { first: 2, search: "LIST-" })).users;
    expect(first.totalCount).toBe(3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { subject: "list-Carol@users", role: "USER", balance: "3", held: "0", spent: "0", disabledAt: null },
      { subject: "list-alice@users", role: "USER", balance: "2.6", held: "0", spent: "0.4", disabledAt: null },
    ]);
    const rest = (await asAdmin(USERS, { first: 2, after: first.pageInfo.endCursor, search: "list-" })).users;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(rest.edges.map((e: { node: { subject: string } }) => e.node.subject)).toEqual(["list-bob@users"]);
  });

  it("refuses a search longer than any subject", async () => {
    expect(codeOf(await a.gql(USERS, { search: "x".repeat(256) }, { token: a.adminToken }))).toBe("BAD_USER_INPUT");
  });

  it("is for admins only, like every user mutation", async () => {
    const token = await tokenFor("nosy@users");
    expect(codeOf(await a.gql(USERS, { first: 5 }, { token }))).toBe("FORBIDDEN");
    expect(codeOf(await a.gql(CREATE_USER, { s: "made-by-user@users", r: "ADMIN" }, { token }))).toBe("FORBIDDEN");
    expect(codeOf(await a.gql(SET_ROLE, { s: "nosy@users", r: "ADMIN" }, { token }))).toBe("FORBIDDEN");
    expect(codeOf(await a.gql(DISABLE, { s: "admin@test" }, { token }))).toBe("FORBIDDEN");
    expect(await a.app.services.db.user.count({ where: { subject: "made-by-user@users" } })).toBe(0);
  });
});

describe("createUser and setUserRole", () => {
  it("creates a user with a role, audited, and refuses one that exists with CONFLICT", async () => {
    expect((await asAdmin(CREATE_USER, { s: "made@users", r: "ADMIN" })).createUser).toEqual({
      subject: "made@users",
      role: "ADMIN",
      balance: "0",
    });
    expect(await newestAudit()).toEqual({
      action: "USER_CREATED",
      actorSubject: expect.any(String),
      targetType: "user",
      target: "made@users",
      before: null,
      after: { role: "ADMIN" },
    });
    expect(codeOf(await a.gql(CREATE_USER, { s: "made@users", r: "USER" }, { token: a.adminToken }))).toBe("CONFLICT");
    expect(codeOf(await a.gql(CREATE_USER, { s: "l".repeat(256), r: "USER" }, { token: a.adminToken }))).toBe("BAD_USER_INPUT");
  });

  it("sets a role, audited with the role before and after, and a key of the user acts with it", async () => {
    await asAdmin(CREATE_USER, { s: "promoted@users", r: "USER" });
    const { key } = (await asAdmin(CREATE_KEY, { input: { name: "ci", subject: "promoted@users" } })).createApiKey;
    expect((await asAdmin(SET_ROLE, { s: "promoted@users", r: "ADMIN" })).setUserRole).toEqual({
      subject: "promoted@users",
      role: "ADMIN",
    });
    expect(await newestAudit()).toMatchObject({
      action: "USER_ROLE_SET",
      target: "promoted@users",
      before: { role: "USER" },
      after: { role: "ADMIN" },
    });
    await sleep(600); // past the half second an instance remembers a key
    expect((await b.gql(WHO, {}, { token: key })).data!.me).toEqual({ subject: "promoted@users", role: "ADMIN" });
    expect(codeOf(await a.gql(SET_ROLE, { s: "nobody@users", r: "ADMIN" }, { token: a.adminToken }))).toBe("NOT_FOUND");
  });
});

describe("disableUser", () => {
  it("refuses the user's JWT and API key on another instance within a second, while its running task completes and settles", async () => {
    const subject = "disabled@users";
    const db = a.app.services.db;
    const token = await tokenFor(subject);
    await grantCredit(a, subject, "5");
    const { key } = (await asAdmin(CREATE_KEY, { input: { name: "laptop", subject } })).createApiKey;
    a.mock.scriptFor("a slow fox", { queuedPolls: 8 });
    const created = await a.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "a slow fox", seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(created.errors).toBeUndefined();
    const statusOfTask = async () => (await db.task.findFirstOrThrow({ where: { user: { subject } } })).status;
    // both instances have just accepted the token and the key
    for (const app of [a, b]) for (const bearer of [token, key]) expect((await app.gql(WHO, {}, { token: bearer })).errors).toBeUndefined();

    const open = connect(b.wsUrl, key);
    expect(await open.outcome).toEqual({ open: true });
    await open.dispose();

    const disabled = (await asAdmin(DISABLE, { s: subject })).disableUser;
    const disabledAt = Date.now();
    expect(disabled.disabledAt).not.toBeNull();
    expect(await newestAudit()).toMatchObject({ action: "USER_DISABLED", target: subject, before: { disabledAt: null } });
    expect(await statusOfTask()).not.toBe("COMPLETED");

    await sleep(1_000 - (Date.now() - disabledAt));
    for (const app of [b, a]) {
      for (const bearer of [token, key]) {
        const refused = await app.gql(WHO, {}, { token: bearer });
        expect(codeOf(refused)).toBe("FORBIDDEN");
        expect(refused.errors![0].message).toBe("This user is disabled");
      }
    }
    // over WebSocket too: the connection is refused
    for (const bearer of [token, key]) {
      const connection = connect(b.wsUrl, bearer);
      expect(await connection.outcome).toMatchObject({ open: false, code: 4403 });
      await connection.dispose();
    }
    // a fresh token, even one claiming admin, neither re-enables nor promotes the user
    expect(codeOf(await b.gql(WHO, {}, { token: await tokenFor(subject, { role: "admin" }) }))).toBe("FORBIDDEN");
    const row = await db.user.findUniqueOrThrow({ where: { subject } });
    expect(row.disabledAt).not.toBeNull();
    expect(row.role).toBe("USER");

    await until("the disabled user's task to complete", async () => (await statusOfTask()) === "COMPLETED", 15_000);
    const user = (await asAdmin(USERS, { search: subject })).users.edges[0].node;
    expect(user).toMatchObject({ balance: "4.6", held: "0", spent: "0.4" });
    expect(user.disabledAt).not.toBeNull();
  });
});
