/**
 * Polls made now instead of on the schedule: an admin's refreshTask, and fresh on read (a
 * videoTask read of a running task whose last poll is old). The poll interval is long, so
 * every poll the mock sees here is one of those. Two instances share one database and one
 * clock: a refresh is made once, whichever instance and however many readers ask for it.
 */
import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { createTestClock } from "../helpers/clock.js";
import { CREATE_VIDEO } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { expectNothingWithin, until } from "../helpers/wait.js";
import type { RecordedRequest } from "../mocks/openai-videos.js";

const POLL_INTERVAL_MS = 10 * 60_000;
const FRESH_READ_AFTER_MS = 30_000;
const READERS = 10;

const clock = createTestClock();
const config = { pollIntervalMs: POLL_INTERVAL_MS, freshReadAfterMs: FRESH_READ_AFTER_MS };
const t = useTestApp({
  mock: "openai",
  clock,
  config,
  mockOptions: { script: { queuedPolls: 0, progressSteps: [30, 60, 90] } },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});
const other = useTestApp(() => ({ database: t.database, clock, config }));

const READ = `query($id: ID!) { videoTask(id: $id) { id status progress lastPolledAt } }`;
const REFRESH = `mutation($id: ID!) { refreshTask(id: $id) { id status progress lastPolledAt } }`;

async function createTask(subject: string) {
  const token = await t.userWithCredit(subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: `a lighthouse for ${subject}`, seconds: 4 } }, { token });
  expect(res.errors).toBeUndefined();
  const id = res.data!.createVideo.id as string;
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(id)! } });
  const isPoll = (r: RecordedRequest) => r.method === "GET" && r.path === `/v1/videos/${row.upstreamId}`;
  return { id, token, polls: () => t.mock.requests.filter(isPoll).length };
}

describe("refreshTask", () => {
  it("polls the provider at once for an admin and answers with what it said", async () => {
    const { id, polls } = await createTask("refreshed@polling");
    expect(polls()).toBe(0);
    const res = await t.gql(REFRESH, { id }, { token: t.adminToken });
    expect(res.errors).toBeUndefined();
    expect(res.data!.refreshTask).toMatchObject({ id, status: "PROCESSING", progress: 30 });
    expect(res.data!.refreshTask.lastPolledAt).not.toBeNull();
    expect(polls()).toBe(1);
  });

  it("is FORBIDDEN to a user, even for their own task, and polls nothing", async () => {
    const { id, token, polls } = await createTask("not-admin@polling");
    const res = await t.gql(REFRESH, { id }, { token });
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(polls()).toBe(0);
  });

  it("answers NOT_FOUND for an unknown task", async () => {
    const res = await t.gql(REFRESH, { id: "00000000-0000-4000-8000-000000000000" }, { token: t.adminToken });
    expect(res.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("fresh on read", () => {
  it("polls a task whose last poll is old exactly once for ten concurrent readers on two instances", async () => {
    const { id, token, polls } = await createTask("fresh@polling");
    clock.advance(FRESH_READ_AFTER_MS + 1_000);
    t.mock.setLatency(200); // the readers' refreshes would overlap at the provider if there were several
    try {
      const reads = await Promise.all(Array.from({ length: READERS }, (_, i) => (i % 2 === 0 ? t : other).gql(READ, { id }, { token })));
      for (const read of reads) expect(read.errors).toBeUndefined();
      expect(polls()).toBe(1);
      expect(reads.some((read) => read.data!.videoTask.progress === 30)).toBe(true);
    } finally {
      t.mock.setLatency(0);
    }
    const again = await other.gql(READ, { id }, { token });
    expect(again.data!.videoTask).toMatchObject({ progress: 30 });
    expect(polls()).toBe(1);
  });

  it("leaves a task polled recently alone", async () => {
    const { id, token, polls } = await createTask("recent@polling");
    await t.gql(REFRESH, { id }, { token: t.adminToken });
    clock.advance(FRESH_READ_AFTER_MS / 2);
    await t.gql(READ, { id }, { token });
    await expectNothingWithin(300, "a read polled a task polled moments ago", () => polls() > 1);
  });

  it("answers with the stored state when the provider is slow, and the poll lands for a later read", async () => {
    const { id, token, polls } = await createTask("slow@polling");
    const held = t.mock.hold((r) => r.method === "GET" && r.path.startsWith("/v1/videos/") && !r.path.endsWith("/content"));
    clock.advance(FRESH_READ_AFTER_MS + 1_000);
    const read = await t.gql(READ, { id }, { token });
    expect(read.data!.videoTask).toMatchObject({ status: "QUEUED", progress: 0, lastPolledAt: null });
    await held.until(1);
    held.release();
    await until("the held poll to land", async () => (await t.gql(READ, { id }, { token })).data!.videoTask.progress === 30);
    expect(polls()).toBe(1);
  });
});
