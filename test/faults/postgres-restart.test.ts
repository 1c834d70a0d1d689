/**
 * PostgreSQL restarts under a running Reelay process (its own cluster, so the shared
 * server is never touched): the process stays up, /ready turns false and then true,
 * and the task that was running when the database went away finishes, charged once;
 * so does a streamed task whose stream stays open through the restart. (A process that
 * crashes fails the test: see helpers/processes.ts.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CREATE_VIDEO, grantCredit, ME, upsertChannel, waitForTask } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";
import { type PostgresCluster, type ReelayProcess, startPostgresCluster, startReelay } from "../helpers/processes.js";
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockChatSse, startMockChatSse } from "../mocks/chat-sse.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "../mocks/openai-videos.js";

const STREAMED_MODEL = "sora_video2-landscape";

let cluster: PostgresCluster;
let databaseUrl: string;
let mock: MockOpenAIVideos;
let reseller: MockChatSse;
let reelay: ReelayProcess;
let mediaDir: string;

beforeAll(async () => {
  [cluster, mock, reseller, mediaDir] = await Promise.all([
    startPostgresCluster(),
    startMockOpenAIVideos(),
    startMockChatSse(),
    mkdtemp(path.join(tmpdir(), "reelay-pg-media-")),
  ]);
  databaseUrl = await cluster.createDatabase("reelay");
  reelay = await startReelay({ DATABASE_URL: databaseUrl, MEDIA_DIR: mediaDir, LEASE_MS: "2000" });
  await upsertChannel(reelay, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
  await upsertChannel(reelay, {
    name: "reseller",
    provider: "chat-sse",
    baseUrl: reseller.baseUrl,
    apiKey: reseller.apiKey,
    models: [STREAMED_MODEL],
  });
});

afterAll(async () => {
  await reelay?.kill();
  await Promise.allSettled([mock?.close(), reseller?.close(), cluster?.destroy(), rm(mediaDir, { recursive: true, force: true })]);
});

const readiness = async () => {
  const res = await fetch(`${reelay.origin}/ready`);
  return { status: res.status, body: (await res.json()) as { database: boolean } };
};

it("stays up while PostgreSQL restarts, reports it on /ready, and resumes the work afterwards", async () => {
  const subject = "restart@pg";
  const token = await tokenFor(subject);
  await grantCredit(reelay, subject, "5");
  mock.scriptFor("[held]", { queuedPolls: 1_000_000 });
  const created = await reelay.gql(
    CREATE_VIDEO,
    { input: { model: "sora-2", prompt: "[held] through a restart", seconds: 4, size: "1280x720" } },
    { token },
  );
  expect(created.errors).toBeUndefined();
  const id = created.data!.createVideo.id as string;
  await until("the first poll", () => [...mock.jobs.values()].some((j) => j.polls > 0));

  await cluster.stop();
  await until("/ready to report the database down", async () => {
    const ready = await readiness();
    return ready.status === 503 && ready.body.database === false;
  });
  // Requests get an error, not a hang and not a crash.
  const during = await reelay.gql(ME, {}, { token });
  expect(during.errors?.length).toBeGreaterThan(0);
  // The provider finishes meanwhile; nobody can record it yet.
  const [job] = mock.jobs.values();
  mock.setJobState(job.video.id, { status: "completed" });
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // several poll rounds against a dead database
  expect(reelay.child.alive).toBe(true);

  await cluster.start();
  await until("/ready to report the database back", async () => (await readiness()).status === 200, 20_000);
  const done = await waitForTask(reelay, token, id, (t) => t.status === "COMPLETED", 20_000);
  expect(done).toMatchObject({ status: "COMPLETED", cost: "0.4" });
  // New work goes through as before.
  const after = await reelay.gql(
    CREATE_VIDEO,
    { input: { model: "sora-2", prompt: "after the restart", seconds: 4, size: "1280x720" } },
    { token },
  );
  expect(after.errors).toBeUndefined();
  await waitForTask(reelay, token, after.data!.createVideo.id, (t) => t.status === "COMPLETED", 20_000);
  expect((await reelay.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "4.2", held: "0" });
  expect(await checkMoney(databaseUrl)).toEqual({ violations: [], statuses: { COMPLETED: 2 } });
  // Each lost connection was logged, and the process never stopped.
  expect(reelay.logs().some((l) => l.msg === "claiming due tasks failed" || /database connection/.test(l.msg))).toBe(true);
  expect(reelay.child.alive).toBe(true);
});

it("keeps a streamed task's stream open while PostgreSQL restarts, and completes it, charged once, once the database is back", async () => {
  const subject = "stream-restart@pg";
  const token = await tokenFor(subject);
  await grantCredit(reelay, subject, "1");
  const created = await reelay.gql(
    CREATE_VIDEO,
    { input: { model: STREAMED_MODEL, prompt: "[held] a stream through a restart" } },
    { token },
  );
  expect(created.errors).toBeUndefined();
  const id = created.data!.createVideo.id as string;
  await waitForTask(reelay, token, id, (t) => t.status === "PROCESSING" && t.progress >= 77);

  await cluster.stop();
  await until("/ready to report the database down", async () => (await readiness()).status === 503);
  // The stream goes on reporting progress that cannot be recorded, for longer than any
  // periodic look at the database would wait; the process stays up all along.
  const failedProgressWrites = () => reelay.logs().filter((l) => l.msg === "could not record the stream's progress").length;
  await until("20 progress readings the database could not record", () => {
    expect(reelay.child.alive).toBe(true);
    return failedProgressWrites() >= 20;
  });

  await cluster.start();
  await until("/ready to report the database back", async () => (await readiness()).status === 200, 20_000);
  reseller.releaseHeld();
  const done = await waitForTask(reelay, token, id, (t) => t.status !== "QUEUED" && t.status !== "PROCESSING", 20_000);
  expect(done).toMatchObject({ status: "COMPLETED", progress: 100, cost: "0.1" });
  // The one stream opened went through the restart: none was opened again.
  expect(reseller.requests.filter((r) => JSON.stringify(r.body).includes("a stream through a restart"))).toHaveLength(1);
  expect((await reelay.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "0.9", held: "0" });
  expect((await checkMoney(databaseUrl)).violations).toEqual([]);
  expect(reelay.child.alive).toBe(true);
});
