import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { recordTaskEvent, TASK_EVENT_LIMIT } from "../../src/tasks/events.js";
import { TEST_REDIS_URL, uniqueRedisPrefix } from "../helpers/app.js";
import { createTestClock } from "../helpers/clock.js";
import { CREATE_VIDEO, grantCredit, upsertChannel, waitForTask } from "../helpers/fixtures.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { startMockForTest, startTestAppForTest, useMock, useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import { mockFailures } from "../mocks/openai-videos.js";
import { detailsOf, kindsOf, type TaskEventView } from "./details.js";

const LEAKY_WORDS = "worker gpu-7.internal.example.net crashed; key sk-live-abcdef1234567890";

const secondary = useMock("openai");
const t = useTestApp(() => ({
  mock: "openai",
  mockOptions: {
    script: { queuedPolls: 1, progressSteps: [30, 60, 90] },
    scripts: { "[leak]": { outcome: "failed", failure: { code: "internal_error", message: LEAKY_WORDS } } },
  },
  config: { redisUrl: TEST_REDIS_URL, redisPrefix: uniqueRedisPrefix(), submitAttempts: 3 },
  channels: [
    { name: "primary", models: ["sora-2"], priority: 10 },
    { name: "secondary", models: ["sora-2"], priority: 5, mock: secondary },
  ],
}));

async function create(subject: string, prompt: string, extra: Record<string, unknown> = {}) {
  const token = await t.userWithCredit(subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, ...extra } }, { token });
  expect(res.errors).toBeUndefined();
  return { token, task: res.data!.createVideo };
}

const find = (events: TaskEventView[], kind: string) => events.find((e) => e.kind === kind);

describe("a task's event log", () => {
  it("tells a normal task's story in order: created, submitted to its channel, started, mirrored, completed and settled", async () => {
    const { token, task } = await create("story@events", "a red fox in snow", { channel: "primary" });
    await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const { events } = await detailsOf(t, token, task.id);
    expect(kindsOf({ events })).toEqual([
      "CREATED",
      "SUBMITTED",
      "PROVIDER_STATUS", // started at 30%
      "PROGRESS", // past 50%
      "PROGRESS", // past 75%, and not on every poll
      "COMPLETED",
      "MIRRORED",
      "SETTLED",
    ]);
    expect(find(events, "CREATED")!.message).toBe("Created; 0.4 held at 0.1 per second");
    expect(find(events, "SUBMITTED")!.message).toBe('Submitted to channel "primary"');
    expect(find(events, "COMPLETED")!.message).toBe("Completed: 4 seconds");
    expect(find(events, "SETTLED")!.message).toBe("Settled 0.4 for 4 seconds at 0.1 per second");
    const times = events.map((e) => new Date(e.at).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("records a retry after a 429 with the channel and the wait", async () => {
    t.mock.failNext(1, { method: "POST", path: "/v1/videos" }, mockFailures.rateLimit(0));
    const { token, task } = await create("retry@events", "a heron waiting", { channel: "primary" });
    const { events } = await detailsOf(t, token, task.id);
    expect(kindsOf({ events }).slice(0, 3)).toEqual(["CREATED", "RETRIED", "SUBMITTED"]);
    expect(find(events, "RETRIED")!.message).toMatch(
      /^Channel "primary" answered with rate limiting \(HTTP 429\); retrying in \d+\.\d s \(attempt 2 of 3\)$/,
    );
  });

  it("records a failover from one channel to the next, and why", async () => {
    t.mock.failNext(1, { method: "POST", path: "/v1/videos" }, mockFailures.serverError());
    const { token, task } = await create("failover@events", "a ferry crossing");
    expect(task.channel).toBe("secondary");
    const { events } = await detailsOf(t, token, task.id);
    expect(kindsOf({ events }).slice(0, 3)).toEqual(["CREATED", "FAILED_OVER", "SUBMITTED"]);
    expect(find(events, "FAILED_OVER")!.message).toBe(
      'Failed over from channel "primary" after a server error (HTTP 500) to channel "secondary"',
    );
    expect(find(events, "SUBMITTED")!.message).toBe('Submitted to channel "secondary"');
  });

  it("says why a task failed in Reelay's words, never the provider's raw text, and that its hold went back", async () => {
    const { token, task } = await create("leak@events", "a storm [leak]", { channel: "primary" });
    const failed = await waitForTask(t, token, task.id, (x) => x.status === "FAILED");
    const { events } = await detailsOf(t, token, task.id);
    expect(kindsOf({ events }).slice(-2)).toEqual(["FAILED", "REFUNDED"]);
    expect(find(events, "FAILED")!.message).toBe(`Failed: ${failed.error.message}`);
    expect(find(events, "REFUNDED")!.message).toBe("Released the 0.4 held");
    for (const e of events) expect(e.message).not.toMatch(/gpu-7|internal\.example|sk-live/);
    // the raw words are kept for admins
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
    expect(row.upstreamError).toContain("gpu-7");
  });

  it("records a user's cancellation, with whether the provider stopped its job", async () => {
    t.mock.scriptFor("[long]", { queuedPolls: 1_000_000 });
    const { token, task } = await create("cancel@events", "a long night [long]", { channel: "primary" });
    const res = await t.gql(`mutation($id: ID!) { cancelTask(id: $id) { status } }`, { id: task.id }, { token });
    expect(res.data!.cancelTask.status).toBe("CANCELLED");
    const { events } = await detailsOf(t, token, task.id);
    expect(kindsOf({ events }).slice(-3)).toEqual(["CANCELLED", "REFUNDED", "CANCELLED"]);
    expect(events.at(-3)!.message).toBe("Cancelled at the owner's request");
    expect(events.at(-1)!.message).toBe("The provider's job was stopped");
  });

  it("returns the `last` most recent entries, oldest first", async () => {
    const { token, task } = await create("window@events", "a quiet harbour", { channel: "primary" });
    await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const all = await detailsOf(t, token, task.id);
    const window = await detailsOf(t, token, task.id, 2);
    expect(window.events).toEqual(all.events.slice(-2));
    expect((await detailsOf(t, token, task.id, 0)).events).toEqual([]);
  });

  it(`keeps at most ${TASK_EVENT_LIMIT} entries per task and folds repeated provider readings into one`, async () => {
    const { token, task } = await create("bounded@events", "a slow glacier", { channel: "primary" });
    await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const id = parseTaskId(task.id)!;
    const db = t.app.services.db;
    for (let i = 0; i < 5; i++) await recordTaskEvent(db, id, "PROVIDER_STATUS", "The provider reports the job queued");
    const folded = (await detailsOf(t, token, task.id)).events.at(-1)!;
    expect(folded).toMatchObject({ kind: "PROVIDER_STATUS", count: 5 });
    for (let i = 0; i < TASK_EVENT_LIMIT + 20; i++) await recordTaskEvent(db, id, "CALLBACK", `callback ${i}`);
    expect(await db.taskEvent.count({ where: { taskId: id } })).toBe(TASK_EVENT_LIMIT);
    const kept = (await detailsOf(t, token, task.id, TASK_EVENT_LIMIT)).events;
    expect(kept).toHaveLength(TASK_EVENT_LIMIT);
    expect(kept.at(-1)!.message).toBe(`callback ${TASK_EVENT_LIMIT + 19}`);
    expect(kept[0].message).toBe("callback 20");
  });
});

describe("events on taskProgress", () => {
  const WATCH_ONE = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { id status events { kind message } } }`;
  const WATCH_ALL = /* GraphQL */ `subscription { taskProgress { id status events { kind message } } }`;

  it("reach a subscriber of the task as they happen, up to its settlement", async () => {
    const { token, task } = await create("watch@events", "a kite over dunes", { channel: "primary" });
    const client = wsClient(t.wsUrl, token);
    try {
      const updates = new Collector<{ taskProgress: { status: string; events: { kind: string }[] } }>(client, WATCH_ONE, { id: task.id });
      await updates.done;
      const last = updates.results.at(-1)!.data!.taskProgress;
      expect(last.status).toBe("COMPLETED");
      expect(last.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["SUBMITTED", "COMPLETED", "MIRRORED", "SETTLED"]));
      // each emission saw at least as many events as the one before
      const counts = updates.results.map((r) => r.data!.taskProgress.events.length);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    } finally {
      await client.dispose();
    }
  });

  it("reach a subscriber of all their tasks when a retry changes nothing else", async () => {
    const token = await t.userWithCredit("watch-all@events", "5");
    const client = wsClient(t.wsUrl, token);
    try {
      // a running task first: once the subscription sends it, the subscription is live
      t.mock.scriptFor("[long]", { queuedPolls: 1_000_000 });
      const running = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "a long wait [long]", seconds: 4 } }, { token });
      const updates = new Collector<{ taskProgress: { id: string; status: string; events: { kind: string }[] } }>(client, WATCH_ALL);
      expect(await updates.until((d) => d.taskProgress.id === running.data!.createVideo.id)).not.toBeNull();
      t.mock.failNext(1, { method: "POST", path: "/v1/videos" }, mockFailures.rateLimit(1));
      const res = await t.gql(
        CREATE_VIDEO,
        { input: { model: "sora-2", prompt: "a patient heron", seconds: 4, channel: "primary" } },
        { token },
      );
      expect(res.errors).toBeUndefined();
      const retried = await updates.until(
        (d) =>
          d.taskProgress.status === "QUEUED" &&
          d.taskProgress.events.some((e) => e.kind === "RETRIED") &&
          !d.taskProgress.events.some((e) => e.kind === "SUBMITTED"),
      );
      expect(retried?.data?.taskProgress.id).toBe(res.data!.createVideo.id);
    } finally {
      await client.dispose();
    }
  });
});

describe("mirroring in the event log", () => {
  it("records a failed store, each retry, and the mirror that lands", async () => {
    const mock = await startMockForTest("openai", { script: { queuedPolls: 0, progressSteps: [] } });
    const mediaDir = await mkdtemp(path.join(tmpdir(), "reelay-events-media-"));
    // a file where the media folder goes: every store fails until it is removed
    await writeFile(path.join(mediaDir, "media"), "in the way");
    const clock = createTestClock();
    const app = await startTestAppForTest({ mediaDir, mirrorRetryBaseMs: 60_000, mirrorRetryMaxMs: 60_000 }, { clock });
    await upsertChannel(app, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
    await grantCredit(app, "mirror@events", "5");
    const token = await tokenFor("mirror@events");
    const res = await app.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "a heron in fog", seconds: 4 } }, { token });
    const { id } = res.data!.createVideo;
    await waitForTask(app, token, id, (x) => x.status === "COMPLETED");
    expect(kindsOf(await detailsOf(app, token, id))).toContain("MIRROR_RETRY");

    clock.advance(60_000); // the first retry is due, and fails again
    await until(
      "a second failed store",
      async () => (await detailsOf(app, token, id)).events.filter((e) => e.kind === "MIRROR_RETRY").length >= 2,
    );
    await rm(path.join(mediaDir, "media"));
    clock.advance(60_000); // the next retry is due, and lands
    const details = await until("the mirror to land", async () => {
      const d = await detailsOf(app, token, id);
      return d.events.at(-1)?.kind === "MIRRORED" ? d : null;
    });
    expect(kindsOf(details).filter((k) => k.startsWith("MIRROR"))).toEqual(["MIRROR_RETRY", "MIRROR_RETRY", "MIRRORED"]);
    expect(details.events.find((e) => e.kind === "MIRROR_RETRY" && /again/.test(e.message))!.message).toMatch(
      /^Storing the media failed again \(retry 1\); next try in 60 s$/,
    );
    expect(details.events.at(-1)!.message).toBe("The media was copied into Reelay's storage on retry 2");
    expect(details.timings.mirroring).toBeGreaterThanOrEqual(120);
    await rm(mediaDir, { recursive: true, force: true });
  });
});
