/**
 * Two instances on a Redis Cluster of three masters that the file starts itself: task
 * events cross instances on sharded channels (SPUBLISH / SSUBSCRIBE), each on the node that
 * owns its hash tag's slot; limits are counted in hash-tagged keys and shared, and connection
 * slots on several nodes renew in one call; and a node that restarts under live subscriptions
 * has them re-subscribed and re-read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisLimitStore } from "../../src/rate-limits/redis-store.js";
import { slotOf } from "../../src/redis/slots.js";
import { codeOf, startTestApp, type TestApp, uniqueRedisPrefix } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, waitForTask } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "../mocks/openai-videos.js";
import { missingRedisEngines, type RedisClusterEngine, redisCli, startedAll, startRedisCluster, warnSkipped } from "./redis-engines.js";

const BY_ID = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { id status progress } }`;
const ALL = /* GraphQL */ `subscription { taskProgress { id status progress } }`;
const CANCEL_NOTHING = /* GraphQL */ `mutation { cancelTask(id: "no-such-task") { id } }`;
type Progress = { taskProgress: { id: string; status: string; progress: number } };
const LONG = "[long]"; // the test decides when these jobs move
const MUTATIONS_PER_MINUTE = 5;

const missing = missingRedisEngines();
if (missing) warnSkipped("the Redis Cluster tests (test/scale/redis-cluster.test.ts)", missing);

describe.skipIf(missing !== null)("two instances on a Redis Cluster", () => {
  const prefix = uniqueRedisPrefix();
  let cluster: RedisClusterEngine;
  let database: TestDatabase;
  let mock: MockOpenAIVideos;
  let api: TestApp;
  let poller: TestApp;

  beforeAll(async () => {
    await startedAll([
      startRedisCluster(3).then((started) => (cluster = started)),
      createTestDatabase().then((created) => (database = created)),
      startMockOpenAIVideos().then((started) => (mock = started)),
    ]);
    mock.scriptFor(LONG, { queuedPolls: 1_000_000 });
    const config = {
      redisUrl: null,
      redisClusterNodes: cluster.nodes,
      redisPrefix: prefix,
      rateLimitPerMinute: MUTATIONS_PER_MINUTE,
    };
    // One serves only the API; the other polls (and serves the API too, for the shared limit).
    api = await startTestApp({ databaseUrl: database.url, config: { ...config, role: "api" } });
    poller = await startTestApp({ databaseUrl: database.url, config: { ...config, role: "all" } });
    const channel = { name: "gateway", provider: "openai", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] };
    const res = await api.gql(
      `mutation($input: ChannelInput!) { upsertChannel(input: $input) { id } }`,
      { input: channel },
      { token: api.adminToken },
    );
    expect(res.errors).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([api?.stop(), poller?.stop()]);
    await Promise.allSettled([mock?.close(), cluster?.stop()]);
    await database?.drop();
  });

  /** A task whose job waits for the test, created by `subject` on the API instance. */
  async function startTask(subject: string, prompt: string) {
    const token = await tokenFor(subject);
    await grantCredit(api, subject, "10");
    const res = await api.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: `${LONG} ${prompt}`, seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(res.errors).toBeUndefined();
    const row = await api.app.services.db.task.findFirstOrThrow({ where: { prompt: `${LONG} ${prompt}` } });
    const job = await until("the job to be submitted", async () => {
      const submitted = await api.app.services.db.task.findUniqueOrThrow({ where: { id: row.id } });
      return submitted.upstreamId ? mock.jobs.get(submitted.upstreamId) : null;
    });
    return { token, id: res.data!.createVideo.id as string, row, jobId: job.video.id };
  }

  it("carries a task's progress from the polling instance to subscribers on the other, on sharded channels of the nodes that own them", {
    timeout: 60_000,
  }, async () => {
    const task = await startTask("cluster@events", "watched across instances");
    const client = wsClient(api.wsUrl, task.token);
    const byId = new Collector<Progress>(client, BY_ID, { id: task.id });
    const all = new Collector<Progress>(client, ALL);
    try {
      await byId.until((d) => d.taskProgress.status === "QUEUED");
      mock.setJobState(task.jobId, { status: "in_progress", progress: 40 });
      expect(await byId.until((d) => d.taskProgress.progress === 40)).not.toBeNull();
      expect(await all.until((d) => d.taskProgress.progress === 40)).not.toBeNull();

      // Every channel is a sharded one, served by the node that owns its hash tag's slot, and
      // Reelay computes that slot as Redis does.
      const channels = [`${prefix}{task:${task.row.id}}`, `${prefix}{user:${task.row.userId}}`, `${prefix}{resync}`];
      for (const channel of channels) {
        const owner = await cluster.ownerOf(channel);
        expect(await cluster.shardChannels(owner, channel), channel).toEqual([channel]);
        expect(slotOf(channel)).toBe(Number(await redisCli(owner, "CLUSTER", "KEYSLOT", channel)));
      }
      // Nothing on the plain bus, which a cluster broadcasts to every node.
      for (const port of cluster.ports) expect(await redisCli(port, "PUBSUB", "CHANNELS", `${prefix}*`)).toBe("");

      mock.setJobState(task.jobId, { status: "completed" });
      expect((await byId.until((d) => d.taskProgress.status === "COMPLETED"))?.data?.taskProgress).toMatchObject({ progress: 100 });
      expect(await all.until((d) => d.taskProgress.status === "COMPLETED")).not.toBeNull();
      expect((await ledgerOf(api, "cluster@events")).filter((e) => e.taskId === task.row.id).map((e) => e.kind)).toEqual([
        "HOLD",
        "SETTLE",
      ]);
    } finally {
      all.dispose();
      byId.dispose();
      await client.dispose();
    }
  });

  it("counts a user's mutations on both instances together, in hash-tagged keys", async () => {
    const token = await tokenFor("cluster@limits");
    const [first, second] = [api, poller];
    for (let i = 0; i < MUTATIONS_PER_MINUTE; i++) {
      expect(codeOf(await (i % 2 ? second : first).gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
    }
    const refused = await second.gql(CANCEL_NOTHING, {}, { token });
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.errors![0].extensions!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(codeOf(await first.gql(CANCEL_NOTHING, {}, { token }))).toBe("RATE_LIMITED");

    // Every key under the prefix, on whichever node holds it, is a hash-tagged one of the limits.
    const keys = (await Promise.all(cluster.ports.map((port) => redisCli(port, "--scan", "--pattern", `${prefix}*`))))
      .flatMap((out) => out.split("\n"))
      .filter(Boolean);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\{limits:[^{}]+\\}$`));
  });

  it("takes and renews connection slots whose keys live on different nodes, one script per key", async () => {
    const store = createRedisLimitStore({ target: { kind: "cluster", nodes: cluster.nodes, url: null }, prefix });
    try {
      const slots = Array.from({ length: 12 }, (_, i) => ({ key: `sockets:renewed-${i}`, holder: "instance-1" }));
      const owners = await Promise.all(slots.map((slot) => cluster.ownerOf(`${prefix}{limits:${slot.key}}`)));
      expect(new Set(owners).size).toBeGreaterThan(1);
      for (const slot of slots) expect(await store.acquireSlot(slot, 1, 1_000)).toBe(true);
      await store.renewSlots(slots, 60_000);
      for (const [i, slot] of slots.entries()) {
        expect(Number(await redisCli(owners[i]!, "PTTL", `${prefix}{limits:${slot.key}}`))).toBeGreaterThan(1_000);
      }
    } finally {
      await store.close();
    }
  });

  it("follows a channel whose slot moves to another node, and its subscribers re-read what they missed meanwhile", {
    timeout: 60_000,
  }, async () => {
    const task = await startTask("cluster@resharding", "watched through a slot move");
    const client = wsClient(api.wsUrl, task.token);
    const byId = new Collector<Progress>(client, BY_ID, { id: task.id });
    try {
      await byId.until((d) => d.taskProgress.status === "QUEUED");
      const channel = `${prefix}{task:${task.row.id}}`;
      const from = await cluster.ownerOf(channel);
      // The old owner ends the subscription to a slot it no longer serves (SUNSUBSCRIBE from the server).
      const to = await cluster.moveSlotOf(channel);
      mock.setJobState(task.jobId, { status: "in_progress", progress: 55 });
      expect(await byId.until((d) => d.taskProgress.progress === 55, 15_000)).not.toBeNull();
      await until("the channel to be served by its new node", async () => (await cluster.shardChannels(to, channel)).length === 1);
      expect(await cluster.shardChannels(from, channel)).toEqual([]);

      mock.setJobState(task.jobId, { status: "completed" });
      expect(await byId.until((d) => d.taskProgress.status === "COMPLETED", 15_000)).not.toBeNull();
    } finally {
      byId.dispose();
      await client.dispose();
    }
  });

  it("re-subscribes on a node that restarts, and its subscribers re-read what changed while it was down", { timeout: 60_000 }, async () => {
    const task = await startTask("cluster@restart", "watched through a node restart");
    const client = wsClient(api.wsUrl, task.token);
    const byId = new Collector<Progress>(client, BY_ID, { id: task.id });
    try {
      await byId.until((d) => d.taskProgress.status === "QUEUED");
      const owner = await cluster.ownerOf(`${prefix}{task:${task.row.id}}`);
      await cluster.kill(owner);
      await until("/ready to report Redis down on the API instance", async () => (await fetch(`${api.origin}/ready`)).status === 503);

      // The poller keeps working; the change cannot reach the subscriber while the node is down.
      mock.setJobState(task.jobId, { status: "in_progress", progress: 70 });
      await waitForTask(api, task.token, task.id, (t) => t.progress === 70, 20_000);

      await cluster.restart(owner);
      expect(await byId.until((d) => d.taskProgress.progress === 70, 20_000)).not.toBeNull();
      await until("/ready to report Redis back", async () => (await fetch(`${api.origin}/ready`)).status === 200, 15_000);

      // And live delivery works again through the re-subscribed channel.
      mock.setJobState(task.jobId, { status: "completed" });
      expect(await byId.until((d) => d.taskProgress.status === "COMPLETED", 15_000)).not.toBeNull();
    } finally {
      byId.dispose();
      await client.dispose();
    }
    expect((await checkMoney(database.url)).violations).toEqual([]);
  });
});
