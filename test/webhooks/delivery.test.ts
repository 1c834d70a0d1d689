/**
 * Webhooks end to end on one instance: tasks run against the mock provider and their events
 * are POSTed to a receiver on 127.0.0.1 (hence allowPrivateNetworks), signed as Standard
 * Webhooks with the user's secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAIVideoOf } from "../../src/rest/video-object.js";
import { CREATE_VIDEO } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import { type Receiver, startReceiver, verifyWith } from "./receiver.js";

const WEBHOOK_CONFIG = { allowPrivateNetworks: true, webhookRetryBaseMs: 20, webhookRetryMaxMs: 100 };

const WEBHOOK_SECRET = /* GraphQL */ `query { me { id webhookSecret } }`;
const DELIVERIES = /* GraphQL */ `
  query($id: ID!) {
    videoTask(id: $id) {
      id status webhookUrl webhookEvents
      webhookDeliveries { id event attempts lastStatus lastError nextAttemptAt deliveredAt gaveUpAt createdAt }
    }
  }`;

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());

const rowId = (globalId: string) =>
  Buffer.from(globalId, "base64")
    .toString("utf8")
    .replace(/^VideoTask:/, "");

type App = ReturnType<typeof useTestApp<"openai">>;

async function createWithWebhook(app: App, token: string, input: Record<string, unknown>) {
  const res = await app.gql(CREATE_VIDEO, { input: { model: "sora-2", seconds: 4, size: "1280x720", ...input } }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.createVideo as { id: string; status: string };
}

async function secretOf(app: App, token: string): Promise<string> {
  const res = await app.gql(WEBHOOK_SECRET, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me.webhookSecret;
}

async function deliveriesOf(app: App, token: string, id: string) {
  const res = await app.gql(DELIVERIES, { id }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.videoTask;
}

/** Waits until every delivery of the task is delivered or given up, the last one being `event`. */
function settled(app: App, token: string, id: string, event: string) {
  return until(
    `the task's ${event} delivery to be settled`,
    async () => {
      const task = await deliveriesOf(app, token, id);
      const deliveries = task?.webhookDeliveries ?? [];
      const done = deliveries.length > 0 && deliveries.every((d: any) => d.deliveredAt || d.gaveUpAt);
      return done && deliveries[0].event === event && task;
    },
    20_000,
  );
}

describe("a task's events", () => {
  const app = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 1, progressSteps: [25, 50, 75] } },
    channels: [{ name: "gateway", models: ["sora-2"] }],
    config: WEBHOOK_CONFIG,
  });

  it("arrive in order (started, progress, completed), each the task as REST shows it, signed with the user's secret", async () => {
    const token = await app.userWithCredit("order@webhooks", "10");
    const secret = await secretOf(app, token);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const task = await createWithWebhook(app, token, { prompt: "in order", webhookUrl: `${receiver.origin}/order` });
    await settled(app, token, task.id, "COMPLETED");

    const received = receiver.at("/order");
    const events = received.map((r) => r.event);
    expect(events[0]).toBe("started");
    expect(events.at(-1)).toBe("completed");
    expect(events.slice(1, -1).every((e) => e === "progress")).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const delivery of received) {
      expect(delivery.method).toBe("POST");
      expect(delivery.headers["content-type"]).toBe("application/json");
      expect(delivery.headers["user-agent"]).toBe("Reelay-Webhooks");
      expect(delivery.id).toMatch(/^msg_/);
      expect(() => verifyWith(secret, delivery)).not.toThrow();
    }
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length); // one message per event
    const progress = received.map((r) => r.json.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(received.slice(0, -1).every((r) => r.json.status === "in_progress")).toBe(true);

    const row = await app.app.services.db.task.findUniqueOrThrow({ where: { id: rowId(task.id) } });
    expect(received.at(-1)!.json).toEqual(openAIVideoOf(row));
    expect(received.at(-1)!.json).toMatchObject({ status: "completed", progress: 100, id: row.id });

    // Each delivery is listed on the task, newest first, delivered at the first attempt.
    const listed = (await deliveriesOf(app, token, task.id)).webhookDeliveries;
    expect(listed.map((d: any) => d.id)).toEqual(received.map((r) => r.id).reverse());
    for (const d of listed) expect(d).toMatchObject({ attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, gaveUpAt: null });
  });

  it("are filtered: a webhook for COMPLETED alone is sent nothing else", async () => {
    const token = await app.userWithCredit("filter@webhooks", "10");
    const task = await createWithWebhook(app, token, {
      prompt: "filtered",
      webhookUrl: `${receiver.origin}/filter`,
      webhookEvents: ["COMPLETED"],
    });
    const seen = await settled(app, token, task.id, "COMPLETED");
    expect(seen.webhookEvents).toEqual(["COMPLETED"]);
    expect(seen.webhookDeliveries.map((d: any) => d.event)).toEqual(["COMPLETED"]);
    expect(receiver.at("/filter").map((r) => r.event)).toEqual(["completed"]);
  });

  it("are sent for a failed task and for a cancelled one", async () => {
    const token = await app.userWithCredit("ends@webhooks", "10");
    const ends = ["FAILED", "CANCELLED"];
    const failed = await createWithWebhook(app, token, {
      prompt: "[fail] ends",
      webhookUrl: `${receiver.origin}/failed`,
      webhookEvents: ends,
    });
    app.mock.scriptFor("[slow]", { queuedPolls: 10_000 });
    const slow = await createWithWebhook(app, token, {
      prompt: "[slow] ends",
      webhookUrl: `${receiver.origin}/cancelled`,
      webhookEvents: ends,
    });
    const cancel = await app.gql(`mutation($id: ID!) { cancelTask(id: $id) { status } }`, { id: slow.id }, { token });
    expect(cancel.data?.cancelTask.status).toBe("CANCELLED");

    await settled(app, token, failed.id, "FAILED");
    await settled(app, token, slow.id, "CANCELLED");
    const [failure] = receiver.at("/failed");
    expect(receiver.at("/failed")).toHaveLength(1);
    expect(failure).toMatchObject({ event: "failed", json: { status: "failed", error: { code: expect.any(String) } } });
    const [cancellation] = receiver.at("/cancelled");
    expect(receiver.at("/cancelled")).toHaveLength(1);
    expect(cancellation).toMatchObject({ event: "cancelled", json: { status: "failed", error: { code: "cancelled" } } });
  });

  it("are retried with the same webhook-id and body until the receiver answers 2xx", async () => {
    const token = await app.userWithCredit("retry@webhooks", "10");
    const secret = await secretOf(app, token);
    receiver.answer("/retry", 500, 500, 200);
    const task = await createWithWebhook(app, token, {
      prompt: "retried",
      webhookUrl: `${receiver.origin}/retry`,
      webhookEvents: ["COMPLETED"],
    });
    const seen = await settled(app, token, task.id, "COMPLETED");

    const attempts = receiver.at("/retry");
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.id)).size).toBe(1);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    for (const attempt of attempts) expect(() => verifyWith(secret, attempt)).not.toThrow();
    const [delivery] = seen.webhookDeliveries;
    expect(delivery).toMatchObject({ id: attempts[0]!.id, attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null });
    expect(delivery.deliveredAt).not.toBeNull();
  });

  it("stay in order when one is retried: the later events wait for it", async () => {
    const token = await app.userWithCredit("ordered-retry@webhooks", "10");
    receiver.answer("/ordered-retry", 500, 500);
    const task = await createWithWebhook(app, token, { prompt: "ordered retry", webhookUrl: `${receiver.origin}/ordered-retry` });
    await settled(app, token, task.id, "COMPLETED");
    const events = receiver.at("/ordered-retry").map((r) => r.event);
    expect(events.slice(0, 3)).toEqual(["started", "started", "started"]);
    expect(events.at(-1)).toBe("completed");
    expect(events.slice(3, -1).every((e) => e === "progress")).toBe(true);
  });

  it("keep being retried while the receiver fails, with the failure shown on the task", async () => {
    const token = await app.userWithCredit("failing@webhooks", "10");
    receiver.answer("/failing", ...Array(1_000).fill(503));
    const task = await createWithWebhook(app, token, {
      prompt: "failing receiver",
      webhookUrl: `${receiver.origin}/failing`,
      webhookEvents: ["COMPLETED"],
    });
    await receiver.waitFor("/failing", 2);
    const [delivery] = (await deliveriesOf(app, token, task.id)).webhookDeliveries;
    expect(delivery).toMatchObject({ event: "COMPLETED", lastStatus: 503, deliveredAt: null, gaveUpAt: null });
    expect(delivery.attempts).toBeGreaterThanOrEqual(2);
    expect(delivery.lastError).toContain("HTTP 503");
    expect(delivery.nextAttemptAt).not.toBeNull();
  });
});

describe("progress events", () => {
  const steps = Array.from({ length: 60 }, (_, i) => i + 1);
  const app = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 1, progressSteps: steps } },
    channels: [{ name: "gateway", models: ["sora-2"] }],
    // polled every 20 ms: many more progress readings than a webhook may carry
    config: { ...WEBHOOK_CONFIG, pollIntervalMs: 20 },
  });

  it("are sent at most once per 500 ms per task, and the task's end is always sent after them", async () => {
    const token = await app.userWithCredit("progress@webhooks", "10");
    const task = await createWithWebhook(app, token, { prompt: "progressing", webhookUrl: `${receiver.origin}/progress` });
    await settled(app, token, task.id, "COMPLETED");
    const received = receiver.at("/progress");
    expect(received.at(-1)!.event).toBe("completed");
    const progress = received.filter((r) => r.event === "progress");
    // the provider reported 60 readings; coalesced, far fewer went out, each newer than the last
    expect(progress.length).toBeLessThan(steps.length);
    const values = progress.map((r) => r.json.progress);
    expect(new Set(values).size).toBe(values.length);
    expect([...values].sort((a, b) => a - b)).toEqual(values);

    // The worker's own record: each progress attempt started at least 500 ms after the one before.
    const rows = await app.app.services.db.webhookDelivery.findMany({
      where: { taskId: rowId(task.id), event: "progress" },
      orderBy: { seq: "asc" },
    });
    expect(rows).toHaveLength(progress.length);
    // 60 polls at least 20 ms apart last over a second: more than one progress event was due
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.lastAttemptAt!.getTime() - rows[i - 1]!.lastAttemptAt!.getTime()).toBeGreaterThanOrEqual(500);
    }
  });
});

describe("the signing secret", () => {
  const app = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 0, progressSteps: [] } },
    channels: [{ name: "gateway", models: ["sora-2"] }],
    config: WEBHOOK_CONFIG,
  });

  it("is the user's own, kept encrypted, and the same on every read", async () => {
    const token = await app.userWithCredit("secret@webhooks", "1");
    const first = await secretOf(app, token);
    expect(await secretOf(app, token)).toBe(first);
    const other = await secretOf(app, await app.userWithCredit("second-user@webhooks", "1"));
    expect(other).not.toBe(first);
    const row = await app.app.services.db.user.findUniqueOrThrow({ where: { subject: "secret@webhooks" } });
    expect(row.webhookSecret).toMatch(/^enc:v1:/);
    expect(row.webhookSecret).not.toContain(first.slice("whsec_".length));
    // an admin listing users is not shown anyone's secret
    const listed = await app.gql(
      `query { users(search: "secret@webhooks") { edges { node { subject webhookSecret } } } }`,
      {},
      {
        token: app.adminToken,
      },
    );
    expect(listed.data!.users.edges.map((e: any) => e.node)).toEqual([{ subject: "secret@webhooks", webhookSecret: null }]);
  });

  it("rotates: deliveries then verify with the new secret, and with the old one during the grace period", async () => {
    const token = await app.userWithCredit("rotate@webhooks", "10");
    const old = await secretOf(app, token);
    const rotated = await app.gql(`mutation { rotateWebhookSecret }`, {}, { token });
    expect(rotated.errors).toBeUndefined();
    const fresh = rotated.data!.rotateWebhookSecret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    expect(await secretOf(app, token)).toBe(fresh);

    const task = await createWithWebhook(app, token, {
      prompt: "after rotation",
      webhookUrl: `${receiver.origin}/rotated`,
      webhookEvents: ["COMPLETED"],
    });
    await settled(app, token, task.id, "COMPLETED");
    const [delivery] = receiver.at("/rotated");
    expect(delivery!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => verifyWith(fresh, delivery!)).not.toThrow();
    expect(() => verifyWith(old, delivery!)).not.toThrow();
    const stranger = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    expect(() => verifyWith(stranger, delivery!)).toThrow();
  });
});

describe("deliveries", () => {
  const app = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 0, progressSteps: [] } },
    channels: [{ name: "gateway", models: ["sora-2"] }],
    config: WEBHOOK_CONFIG,
  });

  it("are seen by the task's owner and an admin, never by another user", async () => {
    const owner = await app.userWithCredit("owner@webhooks", "10");
    const task = await createWithWebhook(app, owner, {
      prompt: "private deliveries",
      webhookUrl: `${receiver.origin}/private`,
      webhookEvents: ["COMPLETED"],
    });
    const seen = await settled(app, owner, task.id, "COMPLETED");
    expect(seen.webhookDeliveries).toHaveLength(1);

    const stranger = await tokenFor("stranger@webhooks");
    expect((await app.gql(DELIVERIES, { id: task.id }, { token: stranger })).data?.videoTask).toBeNull();
    const node = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on VideoTask { webhookDeliveries { id } } } }`,
      { id: task.id },
      {
        token: stranger,
      },
    );
    expect(node.data?.node).toBeNull();
    const asAdmin = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on VideoTask { webhookDeliveries { id } } } }`,
      { id: task.id },
      {
        token: app.adminToken,
      },
    );
    expect(asAdmin.data?.node.webhookDeliveries).toEqual([{ id: seen.webhookDeliveries[0].id }]);
  });

  it("follow a remix that names a webhook of its own", async () => {
    const token = await app.userWithCredit("remix@webhooks", "10");
    const original = await createWithWebhook(app, token, { prompt: "to be remixed" });
    await until("the original to complete", async () => {
      const res = await app.gql(`query($id: ID!) { videoTask(id: $id) { status } }`, { id: original.id }, { token });
      return res.data?.videoTask.status === "COMPLETED";
    });
    const remix = await app.gql(
      `mutation($input: RemixVideoInput!) { remixVideo(input: $input) { id } }`,
      { input: { videoId: original.id, prompt: "remixed", webhookUrl: `${receiver.origin}/remix`, webhookEvents: ["COMPLETED"] } },
      { token },
    );
    expect(remix.errors).toBeUndefined();
    await settled(app, token, remix.data!.remixVideo.id, "COMPLETED");
    expect(receiver.at("/remix").map((r) => [r.event, r.json.remixed_from_video_id])).toEqual([["completed", rowId(original.id)]]);
  });
});
