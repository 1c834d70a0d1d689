/**
 * MAX_ACTIVE_TASKS_PER_USER: tasks QUEUED or PROCESSING per user. The check runs in the
 * transaction that writes the task and its hold, so concurrent creates cannot pass it
 * together; a cheap check of credit and the limit runs before a reference image is fetched.
 * A refused create leaves no task, no hold and no upstream job.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, type GraphQLResponse, startTestApp, type TestApp } from "./helpers/app.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, upsertChannel } from "./helpers/fixtures.js";
import { type ImageServer, startImageServer } from "./helpers/image-server.js";
import { tinyPng } from "./helpers/images.js";
import { checkMoney } from "./helpers/invariants.js";
import { tokenFor } from "./helpers/tokens.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "./mocks/openai-videos.js";

const ACTIVE_LIMIT = 10;
/** prompts containing this stay queued upstream, so their tasks keep running */
const HOLD = "[hold]";
const CANCEL = /* GraphQL */ `mutation($id: ID!) { cancelTask(id: $id) { id status } }`;

let database: TestDatabase;
let mock: MockOpenAIVideos;
let images: ImageServer;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  mock = await startMockOpenAIVideos();
  mock.scriptFor(HOLD, { queuedPolls: 1_000_000 });
  images = await startImageServer(tinyPng());
  t = await startTestApp({
    databaseUrl: database.url,
    config: { maxActiveTasksPerUser: ACTIVE_LIMIT, rateLimitPerMinute: 1_000 },
    referenceFetch: { allowPrivateAddresses: true, ca: images.ca },
  });
  await upsertChannel(t, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
});

afterAll(async () => {
  await t?.stop();
  await images?.close();
  await mock?.close();
  await database?.drop();
});

const createsFor = (prefix: string) =>
  mock.requests.filter((r) => r.method === "POST" && r.path === "/v1/videos" && String(r.fields.prompt).startsWith(prefix)).length;

function create(app: TestApp, token: string, prompt: string, extra: Record<string, unknown> = {}) {
  return app.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720", ...extra } }, { token });
}

function expectTooManyTasks(res: GraphQLResponse, limit: number) {
  expect(codeOf(res)).toBe("RATE_LIMITED");
  expect(res.errors![0].extensions).toMatchObject({ limit, retryAfter: expect.any(Number) });
  expect(res.errors![0].extensions!.retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.errors![0].message).toMatch(/tasks in progress/);
}

describe("tasks in progress per user (MAX_ACTIVE_TASKS_PER_USER)", () => {
  it("lets exactly 10 of 20 creates sent at once run; the other 10 are RATE_LIMITED and move no money", async () => {
    const subject = "crowd@active";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "100");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => create(t, token, `crowd ${i} ${HOLD}`)));

    const accepted = results.filter((r) => !r.errors);
    const refused = results.filter((r) => r.errors);
    expect(accepted).toHaveLength(ACTIVE_LIMIT);
    expect(refused).toHaveLength(20 - ACTIVE_LIMIT);
    for (const r of refused) expectTooManyTasks(r, ACTIVE_LIMIT);

    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "96", held: "4" });
    const ledger = await ledgerOf(t, subject);
    expect(ledger.map((e) => e.kind).sort()).toEqual(["CREDIT", ...Array(ACTIVE_LIMIT).fill("HOLD")].sort());
    const user = await t.app.services.db.user.findUniqueOrThrow({ where: { subject } });
    expect(await t.app.services.db.task.count({ where: { userId: user.id } })).toBe(ACTIVE_LIMIT);
    expect(createsFor("crowd ")).toBe(ACTIVE_LIMIT);

    // A place frees when a task ends, and only one.
    const cancelled = await t.gql(CANCEL, { id: accepted[0].data!.createVideo.id }, { token });
    expect(cancelled.data!.cancelTask.status).toBe("CANCELLED");
    expect((await create(t, token, `crowd again ${HOLD}`)).errors).toBeUndefined();
    expectTooManyTasks(await create(t, token, `crowd once more ${HOLD}`), ACTIVE_LIMIT);
    expect(await checkMoney(database.url)).toMatchObject({ violations: [] });
  });

  it("checks the limit and the credit before it fetches a reference image", async () => {
    const busy = await tokenFor("busy@active");
    await grantCredit(t, "busy@active", "10");
    for (let i = 0; i < ACTIVE_LIMIT; i++) expect((await create(t, busy, `busy ${i} ${HOLD}`)).errors).toBeUndefined();
    const reference = { inputReferenceUrl: `${images.origin}/frame.png` };

    expectTooManyTasks(await create(t, busy, `busy with a frame ${HOLD}`, reference), ACTIVE_LIMIT);
    const poor = await tokenFor("poor@active");
    await grantCredit(t, "poor@active", "0.1");
    expect(codeOf(await create(t, poor, `poor with a frame ${HOLD}`, reference))).toBe("INSUFFICIENT_CREDIT");
    expect(images.connections()).toBe(0);

    // The same request from a user with room and credit does fetch it.
    const able = await tokenFor("able@active");
    await grantCredit(t, "able@active", "1");
    expect((await create(t, able, `able with a frame ${HOLD}`, reference)).errors).toBeUndefined();
    expect(images.connections()).toBe(1);
    expect(await checkMoney(database.url)).toMatchObject({ violations: [] });
  });
});

describe("on the embedded default (PGlite, no Redis)", () => {
  it("counts tasks in progress and mutations in process, with the same refusals", async () => {
    const embedded = await startTestApp({ databaseUrl: "pglite:memory", config: { maxActiveTasksPerUser: 2, rateLimitPerMinute: 5 } });
    try {
      expect(embedded.app.services.limits.backend).toBe("in-process");
      await upsertChannel(embedded, { name: "local", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
      const token = await tokenFor("embedded@active");
      await grantCredit(embedded, "embedded@active", "10");
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => create(embedded, token, `embedded ${i} ${HOLD}`)));
      expect(results.filter((r) => !r.errors)).toHaveLength(2);
      for (const r of results.filter((r) => r.errors)) expectTooManyTasks(r, 2);
      expect((await embedded.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "9.2", held: "0.8" });

      // Four mutations so far: the fifth runs, the sixth is over RATE_LIMIT_PER_MINUTE.
      expect(codeOf(await embedded.gql(CANCEL, { id: "nothing" }, { token }))).toBe("NOT_FOUND");
      const refused = await embedded.gql(CANCEL, { id: "nothing" }, { token });
      expect(codeOf(refused)).toBe("RATE_LIMITED");
      expect(refused.errors![0].extensions).toMatchObject({ limit: 5 });
      expect(refused.errors![0].extensions!.retryAfter).toBeGreaterThan(1);
    } finally {
      await embedded.stop();
    }
  });
});
