/**
 * SIGKILL at the points where a crash could lose a task or charge someone wrongly:
 * between the provider accepting a job and the write that records it, mid-poll,
 * mid-download and mid-settlement. Background tasks run through all of it. After the
 * last worker is done, every task has ended (or was resumed and finished), none was
 * settled twice, stored videos are whole, and balance = credits − settled − held.
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
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockJob, type MockOpenAIVideos, type RecordedRequest, startMockOpenAIVideos } from "../mocks/openai-videos.js";

const BACKGROUND_TASKS = 12;
const PER_ROUND = 3;

let database: TestDatabase;
let redis: RedisServer;
let mock: MockOpenAIVideos;
let mediaDir: string;
let env: Record<string, string>;
let api: ReelayProcess;
const started: ReelayProcess[] = [];
let db: pg.Client;

beforeAll(async () => {
  [database, redis, mock, mediaDir] = await Promise.all([
    createTestDatabase(),
    startRedisServer(),
    startMockOpenAIVideos({ script: { queuedPolls: 2, progressSteps: [10, 20, 30, 40, 50, 60, 70, 80, 90], videoBytes: 64 * 1024 } }),
    mkdtemp(path.join(tmpdir(), "reelay-crash-media-")),
  ]);
  mock.scriptFor("[download]", { queuedPolls: 0, progressSteps: [50], videoBytes: 512 * 1024 });
  mock.scriptFor("[settle]", { queuedPolls: 0, progressSteps: [] });
  mock.scriptFor("[poll]", { queuedPolls: 0, progressSteps: [50] });
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: uniqueRedisPrefix(),
    MEDIA_DIR: mediaDir,
    POLL_INTERVAL_MS: "200",
    LEASE_MS: "1500",
  };
  api = await start("api");
  await upsertChannel(api, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
  db = new pg.Client({ connectionString: database.url });
  db.on("error", () => {}); // dropped with the database at the end even if the test fails
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await Promise.allSettled(started.map((p) => p.kill()));
  await Promise.allSettled([mock?.close(), redis?.stop(), rm(mediaDir, { recursive: true, force: true })]);
  await database?.drop();
});

async function start(role: "api" | "worker") {
  const process = await startReelay({ ...env, ROLE: role });
  started.push(process);
  return process;
}

const forRound = (round: string) => (_request: RecordedRequest, job: MockJob | undefined) => Boolean(job?.video.prompt.includes(round));
const isPoll = (r: RecordedRequest) => r.method === "GET" && !r.path.endsWith("/content");
const isVideoDownload = (r: RecordedRequest) =>
  r.method === "GET" && r.path.endsWith("/content") && (r.query.variant ?? "video") === "video";

const globalId = (rowId: string) => Buffer.from(`VideoTask:${rowId}`).toString("base64");

async function rowsLike(prompt: string) {
  return (
    await db.query(`SELECT id, status, "upstreamId", "errorCode", charged FROM tasks WHERE prompt LIKE $1 ORDER BY prompt`, [`%${prompt}%`])
  ).rows;
}

it("loses no task and charges no one wrongly when processes are killed at any point", { timeout: 150_000 }, async () => {
  const subjects = ["alice@crash", "bob@crash"];
  const tokens = await Promise.all(subjects.map((s) => tokenFor(s)));
  await Promise.all(subjects.map((s) => grantCredit(api, s, "10")));
  const create = (n: number, prompt: string, target = api, idempotencyKey?: string) =>
    target.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720", idempotencyKey } },
      { token: tokens[n % 2] },
    );
  const createAll = async (prompt: string) => {
    const results = await Promise.all(Array.from({ length: PER_ROUND }, (_, i) => create(i, `${prompt} ${i}`)));
    for (const res of results) expect(res.errors).toBeUndefined();
  };

  // Background tasks, created before the first crash and running through all of them.
  await Promise.all(Array.from({ length: BACKGROUND_TASKS }, (_, i) => create(i, `background ${i}`)));

  // 1. The create window: the provider has accepted the jobs, the instance dies before recording them.
  const creates = mock.hold((r, job) => r.method === "POST" && forRound("[create]")(r, job), { count: PER_ROUND });
  const submitter = await start("api");
  const inFlight = Array.from({ length: PER_ROUND }, (_, i) =>
    create(0, `[create] ${i}`, submitter, `create-window-${i}`).catch((err: Error) => err),
  );
  await creates.until(PER_ROUND);
  await submitter.kill();
  creates.release();
  for (const outcome of await Promise.all(inFlight)) expect(outcome).toBeInstanceOf(Error); // the client saw the connection drop
  // The user can see the tasks (QUEUED, held) and a retry with the same key finds the same task.
  const windowRows = await rowsLike("[create]");
  expect(windowRows.map((r) => [r.status, r.upstreamId])).toEqual(Array(PER_ROUND).fill(["QUEUED", null]));
  const retried = await create(0, "[create] 0", api, "create-window-0");
  expect(retried.data?.createVideo).toMatchObject({ id: globalId(windowRows[0].id), status: "QUEUED" });

  let worker = await start("worker");
  // Once the dead submitter's lease lapses, its tasks fail with the hold released.
  await until("the orphaned submissions to fail", async () => (await rowsLike("[create]")).every((r) => r.status === "FAILED"), 30_000);
  expect((await rowsLike("[create]")).map((r) => [r.errorCode, r.charged])).toEqual(Array(PER_ROUND).fill(["UPSTREAM_ERROR", "0"]));

  // 2. Mid-poll: the worker dies while the provider is answering.
  const polls = mock.hold((r, job) => isPoll(r) && forRound("[poll]")(r, job), { count: PER_ROUND });
  await createAll("[poll]");
  await polls.until(PER_ROUND);
  await worker.kill();
  polls.release();
  worker = await start("worker");

  // 3. Mid-download: the worker dies with part of each video received.
  const downloads = mock.hold((r, job) => isVideoDownload(r) && forRound("[download]")(r, job), {
    count: PER_ROUND,
    afterBytes: 64 * 1024,
  });
  await createAll("[download]");
  await downloads.until(PER_ROUND);
  await worker.kill();
  downloads.release();
  worker = await start("worker");

  // 4. Mid-settlement: the worker dies inside the transaction that completes and charges.
  await createAll("[settle]");
  const lock = new pg.Client({ connectionString: database.url });
  lock.on("error", () => {});
  await lock.connect();
  try {
    await lock.query("BEGIN");
    await lock.query("LOCK TABLE ledger IN EXCLUSIVE MODE"); // reads go on; the settlement's ledger insert waits
    const settleIds = (await rowsLike("[settle]")).map((r) => r.id);
    // Their rows are locked by the open transactions that marked them COMPLETED, which wait
    // for the ledger (one per user; the user's other settlements wait for its balance row).
    const underWay = async () => {
      await db.query("BEGIN");
      const free = (await db.query(`SELECT id FROM tasks WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED`, [settleIds])).rowCount;
      await db.query("ROLLBACK");
      const waiting = (
        await db.query(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO%ledger%'`)
      ).rows[0].count;
      return free === 0 && Number(waiting) > 0;
    };
    await until(
      "the settlements to be under way",
      async () => {
        if (!(await underWay())) return false;
        await new Promise((r) => setTimeout(r, 200));
        return underWay();
      },
      30_000,
    );
    await worker.kill();
  } finally {
    await lock.query("COMMIT");
    await lock.end();
  }
  // Once their connections are gone, the killed transactions have rolled back: not completed, not charged.
  await until(
    "the killed worker's connections to close",
    async () =>
      Number(
        (
          await db.query(
            `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND (state = 'idle in transaction' OR wait_event_type = 'Lock')`,
          )
        ).rows[0].count,
      ) === 0,
    10_000,
  );
  expect((await rowsLike("[settle]")).map((r) => r.status)).toEqual(Array(PER_ROUND).fill("QUEUED"));
  expect(
    (
      await db.query(
        `SELECT count(*) FROM ledger l JOIN tasks t ON t.id = l."taskId" WHERE t.prompt LIKE '[settle]%' AND l.kind = 'SETTLE'`,
      )
    ).rows[0].count,
  ).toBe("0");

  // A worker takes everything over once the dead one's leases lapse.
  worker = await start("worker");
  await until(
    "every task to end",
    async () => Number((await db.query(`SELECT count(*) FROM tasks WHERE status IN ('QUEUED', 'PROCESSING')`)).rows[0].count) === 0,
    60_000,
  );

  const total = BACKGROUND_TASKS + 4 * PER_ROUND;
  expect(await checkMoney(database.url)).toEqual({ violations: [], statuses: { COMPLETED: total - PER_ROUND, FAILED: PER_ROUND } });
  // The interrupted downloads were fetched again in full: the stored videos are whole.
  for (const row of await rowsLike("[download]")) {
    const read = (token: string) => api.gql(`query($id: ID!) { videoTask(id: $id) { videoUrl } }`, { id: globalId(row.id) }, { token });
    const url = (await read(tokens[0])).data?.videoTask?.videoUrl ?? (await read(tokens[1])).data!.videoTask.videoUrl;
    const stored = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(stored.equals(mock.contentOf(row.upstreamId))).toBe(true);
  }
  // The workers that came after took the dead ones' leases over.
  const takeovers = await (await fetch(`${worker.origin}/metrics`)).text();
  expect(Number(/^reelay_leases_taken_over_total (\d+)/m.exec(takeovers)?.[1])).toBeGreaterThan(0);
});
