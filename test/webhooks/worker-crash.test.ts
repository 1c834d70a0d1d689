/**
 * The outbox survives a crash: a worker SIGKILLed while a delivery is on the wire (the
 * receiver holds the request open) leaves a lease that lapses, and a new worker sends the
 * same message, with the same webhook-id and body, until the receiver takes it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { uniqueRedisPrefix } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, upsertChannel } from "../helpers/fixtures.js";
import { type ReelayProcess, startReelay } from "../helpers/processes.js";
import { tokenFor } from "../helpers/tokens.js";
import { until } from "../helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "../mocks/openai-videos.js";
import { type Receiver, startReceiver, verifyWith } from "./receiver.js";

let database: TestDatabase;
let mock: MockOpenAIVideos;
let receiver: Receiver;
let env: Record<string, string>;
const started: ReelayProcess[] = [];

beforeAll(async () => {
  [database, mock, receiver] = await Promise.all([
    createTestDatabase(),
    startMockOpenAIVideos({ script: { queuedPolls: 0, progressSteps: [] } }),
    startReceiver(),
  ]);
  env = {
    DATABASE_URL: database.url,
    REDIS_PREFIX: uniqueRedisPrefix(),
    ALLOW_PRIVATE_NETWORKS: "true",
    POLL_INTERVAL_MS: "100",
    LEASE_MS: "1500",
    // longer than the lease: the held attempt is still waiting when the lease lapses
    WEBHOOK_TIMEOUT_MS: "20000",
    WEBHOOK_RETRY_BASE_MS: "50",
  };
});

afterAll(async () => {
  await Promise.allSettled(started.map((p) => p.kill()));
  await Promise.allSettled([mock?.close(), receiver?.close()]);
  await database?.drop();
});

async function start(role: "api" | "worker") {
  const process = await startReelay({ ...env, ROLE: role });
  started.push(process);
  return process;
}

it("delivers a webhook whose worker was killed mid-delivery, once a new worker starts", { timeout: 90_000 }, async () => {
  const api = await start("api");
  await upsertChannel(api, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
  await grantCredit(api, "crash@webhooks", "10");
  const token = await tokenFor("crash@webhooks");
  const secret = (await api.gql(`query { me { webhookSecret } }`, {}, { token })).data!.me.webhookSecret as string;
  let worker = await start("worker");

  receiver.answer("/crash", "hold");
  const created = await api.gql(
    CREATE_VIDEO,
    {
      input: {
        model: "sora-2",
        prompt: "delivered across a crash",
        seconds: 4,
        size: "1280x720",
        webhookUrl: `${receiver.origin}/crash`,
        webhookEvents: ["COMPLETED"],
      },
    },
    { token },
  );
  expect(created.errors).toBeUndefined();
  const [held] = await receiver.waitFor("/crash", 1, 30_000);
  await worker.kill("SIGKILL");
  receiver.releaseHeld(); // the killed worker's connection is gone; nobody reads this answer

  worker = await start("worker");
  const [, delivered] = await receiver.waitFor("/crash", 2, 30_000);
  expect(delivered!.id).toBe(held!.id);
  expect(delivered!.body).toBe(held!.body);
  expect(() => verifyWith(secret, delivered!)).not.toThrow();

  const seen = await until(
    "the delivery to be recorded as delivered",
    async () => {
      const res = await api.gql(
        `query($id: ID!) { videoTask(id: $id) { webhookDeliveries { id attempts lastStatus deliveredAt } } }`,
        { id: created.data!.createVideo.id },
        { token },
      );
      const [d] = res.data?.videoTask.webhookDeliveries ?? [];
      return d?.deliveredAt && d;
    },
    30_000,
  );
  expect(seen).toMatchObject({ id: held!.id, attempts: 2, lastStatus: 200 });
  expect(receiver.at("/crash")).toHaveLength(2);
  expect(worker.logs().some((l) => l.msg === "took over webhook deliveries whose lease had lapsed")).toBe(true);
});
