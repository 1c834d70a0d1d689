/**
 * Limits hold across instances: two servers on one Redis prefix count a user's mutations,
 * an address's requests without credentials and a user's connections together; tasks in
 * progress are counted in the shared database. Two servers without Redis count alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../src/config.js";
import { codeOf, startTestApp, TEST_REDIS_URL, type TestApp, uniqueRedisPrefix } from "./helpers/app.js";
import { connectionPool, signedInOn } from "./helpers/connections.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { CREATE_VIDEO, grantCredit, ME, upsertChannel } from "./helpers/fixtures.js";
import { checkMoney } from "./helpers/invariants.js";
import { tokenFor } from "./helpers/tokens.js";
import { until } from "./helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "./mocks/openai-videos.js";

const CANCEL_NOTHING = /* GraphQL */ `mutation { cancelTask(id: "no-such-task") { id } }`;
const HOLD = "[hold]";
const LIMITS: Partial<Config> = {
  role: "api",
  rateLimitPerMinute: 3,
  rateLimitAnonPerMinute: 2,
  maxSocketsPerUser: 2,
  maxActiveTasksPerUser: 5,
};

let database: TestDatabase;
let mock: MockOpenAIVideos;
const redisPrefix = uniqueRedisPrefix();
let a: TestApp;
let b: TestApp;
const sockets = connectionPool();

beforeAll(async () => {
  database = await createTestDatabase();
  mock = await startMockOpenAIVideos();
  mock.scriptFor(HOLD, { queuedPolls: 1_000_000 });
  [a, b] = await Promise.all(
    [0, 1].map(() => startTestApp({ databaseUrl: database.url, config: { ...LIMITS, redisUrl: TEST_REDIS_URL, redisPrefix } })),
  );
  await upsertChannel(a, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
});

afterAll(async () => {
  await sockets.closeAll();
  await a?.stop();
  await b?.stop();
  await mock?.close();
  await database?.drop();
});

const open = (app: TestApp, token: string) => sockets.open(app, token);

const signedIn = (subject: string) => signedInOn(a, subject);

describe("two instances on one Redis prefix", () => {
  it("count a user's mutations together", async () => {
    expect(a.app.services.limits.backend).toBe("redis");
    const token = await tokenFor("shared@limits");
    expect(codeOf(await a.gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
    expect(codeOf(await b.gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
    expect(codeOf(await a.gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
    const refused = await b.gql(CANCEL_NOTHING, {}, { token });
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.errors![0].extensions!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(codeOf(await a.gql(CANCEL_NOTHING, {}, { token }))).toBe("RATE_LIMITED");
  });

  it("count an address's requests without credentials together", async () => {
    const anonymous = (app: TestApp) =>
      fetch(app.url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
    expect((await anonymous(a)).status).toBe(200);
    expect((await anonymous(b)).status).toBe(200);
    expect((await anonymous(a)).status).toBe(429);
    expect((await anonymous(b)).status).toBe(429);
  });

  it("count a user's connections together, and free one when it closes on the other instance", async () => {
    const token = await signedIn("connected@limits");
    expect(await open(a, token).outcome).toEqual({ open: true });
    const onB = open(b, token);
    expect(await onB.outcome).toEqual({ open: true });
    expect(await open(a, token).outcome).toEqual({ open: false, code: 4429, reason: "Too many connections" });
    expect(await open(b, token).outcome).toMatchObject({ open: false, code: 4429 });

    await onB.dispose();
    await until("a connection to be admitted after one closed on the other instance", async () => (await open(a, token).outcome).open);
    expect(await open(b, token).outcome).toMatchObject({ open: false, code: 4429 });
  });

  it("free the connections of an instance that stops", async () => {
    const token = await signedIn("stopping@limits");
    const stopping = await startTestApp({ databaseUrl: database.url, config: { ...LIMITS, redisUrl: TEST_REDIS_URL, redisPrefix } });
    try {
      expect(await open(stopping, token).outcome).toEqual({ open: true });
      expect(await open(stopping, token).outcome).toEqual({ open: true });
      expect(await open(a, token).outcome).toMatchObject({ open: false, code: 4429 });
    } finally {
      await stopping.stop();
    }
    expect(await open(a, token).outcome).toEqual({ open: true });
    expect(await open(a, token).outcome).toEqual({ open: true });
  });

  it("let no more than MAX_ACTIVE_TASKS_PER_USER of a user's tasks run when creates arrive at both at once", async () => {
    // An admin's mutations are not counted per minute, so only the task limit (5) applies.
    const token = a.adminToken;
    await grantCredit(a, "admin@test", "10");
    const input = (i: number) => ({ input: { model: "sora-2", prompt: `split ${i} ${HOLD}`, seconds: 4, size: "1280x720" } });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).gql(CREATE_VIDEO, input(i), { token })));
    expect(results.filter((r) => !r.errors)).toHaveLength(5);
    for (const r of results.filter((r) => r.errors)) expect(codeOf(r)).toBe("RATE_LIMITED");
    expect((await a.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "8", held: "2" });
    expect(await checkMoney(database.url)).toMatchObject({ violations: [] });
  });
});

describe("two instances without Redis", () => {
  it("count on their own, in process", async () => {
    const [c, d] = await Promise.all([0, 1].map(() => startTestApp({ databaseUrl: database.url, config: { ...LIMITS, redisUrl: null } })));
    try {
      expect(c.app.services.limits.backend).toBe("in-process");
      const token = await tokenFor("alone@limits");
      for (const app of [c, d]) {
        for (let i = 0; i < 3; i++) expect(codeOf(await app.gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
      }
      expect(codeOf(await c.gql(CANCEL_NOTHING, {}, { token }))).toBe("RATE_LIMITED");
    } finally {
      await Promise.all([c.stop(), d.stop()]);
    }
  });
});
