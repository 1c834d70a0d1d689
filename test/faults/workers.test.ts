/**
 * One API instance and three worker processes on one PostgreSQL and their own Redis:
 * the workers share the tasks through leases, no task is polled or downloaded by two
 * of them at once, every task is mirrored and settled exactly once, and the API's
 * subscribers hear of changes the workers made.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { uniqueRedisPrefix } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, upsertChannel } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";
import { type RedisServer, type ReelayProcess, startRedisServer, startReelay } from "../helpers/processes.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "../mocks/openai-videos.js";

const USERS = 6;
const TASKS_PER_USER = 10;
const WORKERS = 3;

let database: TestDatabase;
let redis: RedisServer;
let mock: MockOpenAIVideos;
let mediaDir: string;
let api: ReelayProcess;
let workers: ReelayProcess[] = [];

beforeAll(async () => {
  [database, redis, mock, mediaDir] = await Promise.all([
    createTestDatabase(),
    startRedisServer(),
    startMockOpenAIVideos({ script: { queuedPolls: 1, progressSteps: [30, 60], videoBytes: 48 * 1024 } }),
    mkdtemp(path.join(tmpdir(), "reelay-workers-media-")),
  ]);
  // Every answer takes a while, so two workers on one task would be seen overlapping.
  mock.setLatency(25);
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: uniqueRedisPrefix(),
    MEDIA_DIR: mediaDir,
    POLL_INTERVAL_MS: "100",
    // Long enough that a submission or poll slowed down by a loaded machine never loses its lease:
    // nothing here dies, so no lease has to lapse.
    LEASE_MS: "15000",
    WORKER_CONCURRENCY: "8",
  };
  api = await startReelay({ ...env, ROLE: "api" });
  workers = await Promise.all(Array.from({ length: WORKERS }, () => startReelay({ ...env, ROLE: "worker" })));
  await upsertChannel(api, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
});

afterAll(async () => {
  await Promise.allSettled([api, ...workers].map((p) => p?.kill("SIGTERM")));
  await Promise.allSettled([mock?.close(), redis?.stop(), rm(mediaDir, { recursive: true, force: true })]);
  await database?.drop();
});

const pollsBy = async (worker: ReelayProcess) => {
  const text = await (await fetch(`${worker.origin}/metrics`)).text();
  return Number(/^reelay_poll_duration_seconds_count\{provider="openai"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

it(`shares ${USERS * TASKS_PER_USER} tasks among ${WORKERS} workers without ever working on one task twice at once`, {
  timeout: 120_000,
}, async () => {
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => tokenFor(`user${i}@workers`)));
  await Promise.all(tokens.map((_, i) => grantCredit(api, `user${i}@workers`, "5")));
  const client = wsClient(api.url.replace(/^http/, "ws"), tokens[0]);
  const watching = new Collector<{ taskProgress: { id: string; status: string } }>(client, `subscription { taskProgress { id status } }`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // the subscription is live

  const ids = await Promise.all(
    tokens.flatMap((token, u) =>
      Array.from({ length: TASKS_PER_USER }, async (_, n) => {
        const res = await api.gql(
          CREATE_VIDEO,
          { input: { model: "sora-2", prompt: `user ${u} video ${n}`, seconds: 4, size: "1280x720" } },
          { token },
        );
        expect(res.errors).toBeUndefined();
        return res.data!.createVideo.id as string;
      }),
    ),
  );
  expect(new Set(ids).size).toBe(USERS * TASKS_PER_USER);

  const db = new pg.Client({ connectionString: database.url });
  db.on("error", () => {}); // dropped with the database at the end even if the test fails
  await db.connect();
  try {
    await until(
      "every task to complete",
      async () => Number((await db.query(`SELECT count(*) FROM tasks WHERE status = 'COMPLETED'`)).rows[0].count) === ids.length,
      60_000,
    );
  } finally {
    await db.end();
  }

  // No job was polled or downloaded by two workers at the same moment, and each video was fetched once.
  expect(mock.overlaps).toEqual([]);
  const downloads = mock.requests.filter(
    (r) => r.method === "GET" && r.path.endsWith("/content") && (r.query.variant ?? "video") === "video",
  );
  expect(downloads.length).toBe(ids.length);
  expect(new Set(downloads.map((r) => r.path)).size).toBe(ids.length);
  // The work was spread: every worker polled.
  const polls = await Promise.all(workers.map(pollsBy));
  for (const count of polls) expect(count).toBeGreaterThan(0);
  // Money: one hold and one settlement per task, balances add up.
  expect(await checkMoney(database.url)).toEqual({ violations: [], statuses: { COMPLETED: ids.length } });
  // Changes made by the workers reached a subscriber of the API instance through Redis.
  const mine = new Set(ids.slice(0, TASKS_PER_USER));
  const completed = new Set<string>();
  while (completed.size < mine.size) {
    const next = await watching.next(10_000);
    if (!next) break;
    if (next.data?.taskProgress.status === "COMPLETED") completed.add(next.data.taskProgress.id);
  }
  expect(completed).toEqual(mine);
  watching.dispose();
  await client.dispose();
});

it("on SIGTERM a worker finishes the poll it is making, records it, hands the task back and exits 0; another worker carries on", {
  timeout: 60_000,
}, async () => {
  const token = await tokenFor("user0@workers");
  mock.scriptFor("[drain]", { queuedPolls: 1_000_000 });
  const poll = mock.hold((r, job) => r.method === "GET" && !r.path.endsWith("/content") && Boolean(job?.video.prompt.includes("[drain]")));
  const res = await api.gql(
    CREATE_VIDEO,
    { input: { model: "sora-2", prompt: "[drain] stopping worker", seconds: 4, size: "1280x720" } },
    { token },
  );
  expect(res.errors).toBeUndefined();
  await poll.until(1);

  const db = new pg.Client({ connectionString: database.url });
  db.on("error", () => {}); // dropped with the database at the end even if the test fails
  await db.connect();
  try {
    const row = async () =>
      (await db.query(`SELECT id, status, progress, "leaseOwner", "upstreamId" FROM tasks WHERE prompt = '[drain] stopping worker'`))
        .rows[0];
    const { leaseOwner, upstreamId } = await row();
    const polling = workers.find((w) => leaseOwner?.includes(`:${w.child.process.pid}:`))!;
    expect(polling).toBeDefined();

    polling.child.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(polling.child.alive).toBe(true); // still finishing the poll in flight
    mock.setJobState(upstreamId, { status: "in_progress", progress: 40 });
    poll.release();
    expect(await polling.child.exited).toBe(0);
    // The answer it was waiting for was recorded, and the task was handed back (another
    // worker may already have claimed it: it is due again 100 ms later).
    const after = await row();
    expect(after).toMatchObject({ status: "PROCESSING", progress: 40 });
    expect(after.leaseOwner ?? "").not.toContain(`:${polling.child.process.pid}:`);

    mock.setJobState(upstreamId, { status: "completed" });
    await until("another worker to finish the task", async () => (await row()).status === "COMPLETED", 15_000);
  } finally {
    await db.end();
  }
});
