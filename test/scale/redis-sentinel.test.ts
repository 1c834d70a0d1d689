/**
 * Two instances on Redis through Sentinel (one master, one replica, three Sentinels that
 * the file starts itself). Through a master failover while tasks run (a SENTINEL FAILOVER,
 * then the new master's death), no task is lost, every subscriber ends with each task's
 * final state (live, or by the re-read that follows a reconnection), nothing is charged
 * twice, and both instances carry on against the new master.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, startTestApp, type TestApp, uniqueRedisPrefix } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, waitForTask } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "../mocks/openai-videos.js";
import { missingRedisEngines, redisCli, type SentinelEngine, startedAll, startSentinelSet, warnSkipped } from "./redis-engines.js";

const BY_ID = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { id status progress } }`;
const ALL = /* GraphQL */ `subscription { taskProgress { id status progress } }`;
const CANCEL_NOTHING = /* GraphQL */ `mutation { cancelTask(id: "no-such-task") { id } }`;
type Progress = { taskProgress: { id: string; status: string; progress: number } };
const LONG = "[long]"; // the test decides when these jobs move
const TASKS = 6;

const missing = missingRedisEngines();
if (missing) warnSkipped("the Redis Sentinel tests (test/scale/redis-sentinel.test.ts)", missing);

describe.skipIf(missing !== null)("two instances on Redis through Sentinel", () => {
  const prefix = uniqueRedisPrefix();
  let sentinel: SentinelEngine;
  let database: TestDatabase;
  let mock: MockOpenAIVideos;
  let api: TestApp;
  let worker: TestApp;

  beforeAll(async () => {
    await startedAll([
      startSentinelSet().then((started) => (sentinel = started)),
      createTestDatabase().then((created) => (database = created)),
      startMockOpenAIVideos().then((started) => (mock = started)),
    ]);
    mock.scriptFor(LONG, { queuedPolls: 1_000_000 });
    const config = {
      redisUrl: null,
      redisSentinels: sentinel.sentinels,
      redisMasterName: sentinel.masterName,
      redisPrefix: prefix,
    };
    api = await startTestApp({ databaseUrl: database.url, config: { ...config, role: "api" } });
    worker = await startTestApp({ databaseUrl: database.url, config: { ...config, role: "worker" } });
    const channel = { name: "gateway", provider: "openai", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] };
    const res = await api.gql(
      `mutation($input: ChannelInput!) { upsertChannel(input: $input) { id } }`,
      { input: channel },
      { token: api.adminToken },
    );
    expect(res.errors).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([api?.stop(), worker?.stop()]);
    await Promise.allSettled([mock?.close(), sentinel?.stop()]);
    await database?.drop();
  });

  const ready = async (t: TestApp) => (await fetch(`${t.origin}/ready`)).status === 200;

  /** `count` tasks of a new user whose jobs wait for the test, each watched by a subscriber, and one subscriber on all of them. */
  async function watchedTasks(subject: string, count: number) {
    const token = await tokenFor(subject);
    await grantCredit(api, subject, "20");
    const tasks: { id: string; rowId: string; jobId: string }[] = [];
    for (let i = 0; i < count; i++) {
      const prompt = `${LONG} ${subject} task ${i}`;
      const res = await api.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720" } }, { token });
      expect(res.errors).toBeUndefined();
      const row = await until(`task ${i} to be submitted`, () =>
        api.app.services.db.task.findFirst({ where: { prompt, upstreamId: { not: null } } }),
      );
      tasks.push({ id: res.data!.createVideo.id, rowId: row.id, jobId: mock.jobs.get(row.upstreamId!)!.video.id });
    }
    const client = wsClient(api.wsUrl, token);
    const byId = tasks.map((task) => new Collector<Progress>(client, BY_ID, { id: task.id }));
    const all = new Collector<Progress>(client, ALL);
    for (const watcher of byId) expect(await watcher.until((d) => d.taskProgress.status === "QUEUED")).not.toBeNull();
    return {
      token,
      tasks,
      byId,
      all,
      async dispose() {
        all.dispose();
        for (const watcher of byId) watcher.dispose();
        await client.dispose();
      },
    };
  }

  /**
   * Every task completes; every subscriber ends with its task's final state and the one on
   * all of them with every task's; one hold and one settlement per task; both instances ready.
   */
  async function expectAllFinished(subject: string, watched: Awaited<ReturnType<typeof watchedTasks>>) {
    const { token, tasks, byId, all } = watched;
    for (const task of tasks) await waitForTask(api, token, task.id, (t) => t.status === "COMPLETED", 20_000);
    for (const [i, watcher] of byId.entries()) {
      const final = await watcher.until((d) => d.taskProgress.status === "COMPLETED", 15_000);
      expect(final?.data?.taskProgress, `the subscriber of task ${i}`).toMatchObject({ id: tasks[i]!.id, progress: 100 });
    }
    const finished = new Set<string>();
    await all.until((d) => {
      if (d.taskProgress.status === "COMPLETED") finished.add(d.taskProgress.id);
      return finished.size === tasks.length;
    }, 15_000);
    expect([...finished].sort()).toEqual(tasks.map((t) => t.id).sort());
    const ledger = await ledgerOf(api, subject);
    for (const task of tasks) expect(ledger.filter((e) => e.taskId === task.rowId).map((e) => e.kind)).toEqual(["HOLD", "SETTLE"]);
    expect((await checkMoney(database.url)).violations).toEqual([]);
    await until("both instances to be ready", async () => (await ready(api)) && (await ready(worker)), 15_000);
  }

  /** Both instances subscribe and count their limits on the master at `port`. */
  async function expectOnMaster(port: number, token: string) {
    await until(`both instances to be subscribed on ${port}`, async () => {
      const [, count] = (await redisCli(port, "PUBSUB", "NUMSUB", `${prefix}resync`)).split("\n");
      return Number(count) === 2;
    });
    expect(codeOf(await api.gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
    expect(await redisCli(port, "--scan", "--pattern", `${prefix}limits:*`)).not.toBe("");
  }

  it("carries on through a SENTINEL FAILOVER while tasks run: no task or event lost, nothing charged twice", {
    timeout: 60_000,
  }, async () => {
    const subject = "sentinel@failover";
    const watched = await watchedTasks(subject, TASKS);
    const { tasks, byId } = watched;
    try {
      mock.setJobState(tasks[0]!.jobId, { status: "in_progress", progress: 30 });
      expect(await byId[0]!.until((d) => d.taskProgress.progress === 30)).not.toBeNull();
      // The tasks move on while the master changes: some finish during the failover, the rest after it.
      const before = await sentinel.masterPort();
      const failover = sentinel.failover();
      for (const task of tasks.slice(0, TASKS / 2)) mock.setJobState(task.jobId, { status: "completed" });
      for (const task of tasks.slice(TASKS / 2)) mock.setJobState(task.jobId, { status: "in_progress", progress: 60 });
      const after = await failover;
      expect(after).not.toBe(before);
      for (const task of tasks.slice(TASKS / 2)) mock.setJobState(task.jobId, { status: "completed" });
      await expectAllFinished(subject, watched);
      await expectOnMaster(after, watched.token);
    } finally {
      await watched.dispose();
    }
  });

  it("recovers from the master's death: what changed while no master was reachable reaches every subscriber once a replica is promoted", {
    timeout: 60_000,
  }, async () => {
    const subject = "sentinel@outage";
    const watched = await watchedTasks(subject, TASKS);
    const { tasks, byId } = watched;
    try {
      const dead = await sentinel.masterPort();
      const next = sentinel.dataPorts.find((port) => port !== dead)!;
      await sentinel.kill(dead);
      await until("both instances to see Redis gone", async () => !(await ready(api)) && !(await ready(worker)));
      // The worker goes on from the database: half the tasks finish, the rest move, and nobody can be told.
      for (const task of tasks.slice(0, TASKS / 2)) mock.setJobState(task.jobId, { status: "completed" });
      for (const task of tasks.slice(TASKS / 2)) mock.setJobState(task.jobId, { status: "in_progress", progress: 50 });
      for (const task of tasks.slice(0, TASKS / 2)) await waitForTask(api, watched.token, task.id, (t) => t.status === "COMPLETED", 20_000);

      await sentinel.promoted(next);
      // Re-read after the reconnection: each subscriber gets the state it missed.
      for (let i = TASKS / 2; i < TASKS; i++) {
        expect(await byId[i]!.until((d) => d.taskProgress.progress === 50, 15_000), `the subscriber of task ${i}`).not.toBeNull();
      }
      for (const task of tasks.slice(TASKS / 2)) mock.setJobState(task.jobId, { status: "completed" });
      await expectAllFinished(subject, watched);
      await expectOnMaster(next, watched.token);
    } finally {
      await watched.dispose();
    }
  });
});
