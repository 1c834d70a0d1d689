/**
 * Redis goes away while two instances (an API and a worker) share it: the API keeps
 * answering from the database, /ready says Redis is down, and when Redis is back the
 * subscriptions resume and each receives the state it missed.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRedisPubSub } from "../../src/pubsub.js";
import { startTestApp, type TestApp, uniqueRedisPrefix } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, upsertChannel, waitForTask } from "../helpers/fixtures.js";
import { type RedisServer, startRedisServer } from "../helpers/processes.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "../mocks/openai-videos.js";

const VIEW = "id status progress";
const BY_ID = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { ${VIEW} } }`;
const ALL = /* GraphQL */ `subscription { taskProgress { ${VIEW} } }`;
type Progress = { taskProgress: { id: string; status: string; progress: number } };

let database: TestDatabase;
let redis: RedisServer;
let mock: MockOpenAIVideos;
let api: TestApp;
let worker: TestApp;

beforeAll(async () => {
  [database, redis, mock] = await Promise.all([createTestDatabase(), startRedisServer(), startMockOpenAIVideos()]);
  const config = { redisUrl: redis.url, redisPrefix: uniqueRedisPrefix() };
  api = await startTestApp({ databaseUrl: database.url, config: { ...config, role: "api" } });
  worker = await startTestApp({ databaseUrl: database.url, config: { ...config, role: "worker" } });
  await upsertChannel(api, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
});

afterAll(async () => {
  await Promise.allSettled([api?.stop(), worker?.stop()]);
  await Promise.allSettled([mock?.close(), redis?.stop()]);
  await database?.drop();
});

const readiness = async (t: TestApp) => {
  const res = await fetch(`${t.origin}/ready`);
  return { status: res.status, body: (await res.json()) as { redis?: boolean; database: boolean } };
};

it("keeps serving through a Redis outage, says so on /ready, and resynchronises subscribers when Redis is back", {
  timeout: 60_000,
}, async () => {
  const subject = "outage@redis";
  const token = await tokenFor(subject);
  await grantCredit(api, subject, "10");
  mock.scriptFor("[long]", { queuedPolls: 1_000_000 }); // the test decides when these jobs move
  const create = async (prompt: string) => {
    const res = await api.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720" } }, { token });
    expect(res.errors).toBeUndefined();
    return res.data!.createVideo.id as string;
  };
  const jobOf = async (prompt: string) =>
    mock.jobs.get((await api.app.services.db.task.findFirstOrThrow({ where: { prompt } })).upstreamId!)!;

  const first = await create("[long] first, watched by id");
  const client = wsClient(api.wsUrl, token);
  const byId = new Collector<Progress>(client, BY_ID, { id: first });
  const all = new Collector<Progress>(client, ALL);
  expect((await byId.until((d) => d.taskProgress.status === "QUEUED"))?.data?.taskProgress.id).toBe(first);
  await all.until((d) => d.taskProgress.id === first);
  // Subscriptions are live across instances: a change made by the worker reaches them.
  const firstJob = await jobOf("[long] first, watched by id");
  mock.setJobState(firstJob.video.id, { status: "in_progress", progress: 30 });
  expect(await byId.until((d) => d.taskProgress.progress === 30)).not.toBeNull();
  expect(await all.until((d) => d.taskProgress.progress === 30)).not.toBeNull();

  await redis.kill();
  await until("/ready to report Redis down", async () => {
    const ready = await readiness(api);
    return ready.status === 503 && ready.body.redis === false && ready.body.database === true;
  });
  expect((await readiness(worker)).body.redis).toBe(false);

  // The API still answers from the database: a query, and a mutation that creates a task.
  expect((await api.gql(ME, {}, { token })).data!.me.subject).toBe(subject);
  const second = await create("[long] second, made during the outage");
  // The worker keeps working: the first task finishes while nobody can be told.
  mock.setJobState(firstJob.video.id, { status: "completed" });
  await waitForTask(api, token, first, (t) => t.status === "COMPLETED", 20_000);
  const secondJob = await jobOf("[long] second, made during the outage");
  mock.setJobState(secondJob.video.id, { status: "in_progress", progress: 60 });
  await waitForTask(api, token, second, (t) => t.progress === 60, 20_000);
  expect(await byId.next(300)).toBeNull(); // nothing can arrive while the bus is down

  await redis.start();
  await until("/ready to report Redis back", async () => (await readiness(api)).status === 200, 15_000);
  // Each subscriber receives the state it missed, read from the database.
  const finished = await byId.until((d) => d.taskProgress.status === "COMPLETED", 10_000);
  expect(finished?.data?.taskProgress).toMatchObject({ id: first, status: "COMPLETED", progress: 100 });
  expect(await byId.completion()).toBe(true);
  expect(await all.until((d) => d.taskProgress.id === first && d.taskProgress.status === "COMPLETED", 10_000)).not.toBeNull();
  expect(await all.until((d) => d.taskProgress.id === second && d.taskProgress.progress === 60, 10_000)).not.toBeNull();

  // And live delivery works again.
  mock.setJobState(secondJob.video.id, { status: "completed" });
  expect(await all.until((d) => d.taskProgress.id === second && d.taskProgress.status === "COMPLETED", 10_000)).not.toBeNull();
  all.dispose();
  await client.dispose();

  // Nothing was charged twice or lost: one hold and one settlement per task.
  const ledger = await ledgerOf(api, subject);
  const kinds = (taskId: string) => ledger.filter((e) => e.taskId === taskId).map((e) => e.kind);
  const rowId = async (prompt: string) => (await api.app.services.db.task.findFirstOrThrow({ where: { prompt } })).id;
  expect(kinds(await rowId("[long] first, watched by id"))).toEqual(["HOLD", "SETTLE"]);
  expect(kinds(await rowId("[long] second, made during the outage"))).toEqual(["HOLD", "SETTLE"]);
  expect((await api.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "9.2", held: "0" });
});

it("drops a change it cannot publish while Redis is down instead of making the caller wait for a reconnection", async () => {
  const bus = createRedisPubSub({ url: redis.url, prefix: uniqueRedisPrefix() });
  try {
    await until("the bus to connect", () => bus.healthy());
    await bus.publish({ taskId: "t", userId: "u", status: "QUEUED", progress: 0 });
    await redis.kill();
    await until("the bus to notice", () => !bus.healthy());
    // Once the publisher's connection is known to be down, a change is not queued until
    // ioredis gives up retrying ("max retries per request"): it is refused at once, for the
    // caller to log. (The publisher may notice a moment after the subscriber does.)
    const refusal = await until("a publish to be refused as unavailable", async () => {
      const error = await bus.publish({ taskId: "t", userId: "u", status: "PROCESSING", progress: 10 }).then(
        () => null,
        (e: Error) => e,
      );
      return error && /Redis is not available/.test(error.message) ? error : null;
    });
    expect(refusal.message).toMatch(/the change is not published/);
  } finally {
    await redis.start();
    await bus.close();
  }
});

it("resynchronises its subscribers when another instance says it could not publish", async () => {
  const prefix = uniqueRedisPrefix();
  const bus = createRedisPubSub({ url: redis.url, prefix });
  const other = new Redis(redis.url);
  try {
    const subscription = await bus.subscribe("task:t");
    const next = subscription[Symbol.asyncIterator]().next();
    // What an instance sends when its publisher is back after it had to drop changes.
    await other.publish(`${prefix}resync`, "");
    expect((await next).value).toEqual({ resync: true });
    subscription.close();
  } finally {
    other.disconnect();
    await bus.close();
  }
});
