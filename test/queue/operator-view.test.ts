/**
 * The operator's view: queue depth per channel and state, the oldest running tasks, the
 * stalled ones, and per-channel outcomes with p50/p95 generation time over the last hour and
 * day, for admins only. Over tasks seeded with known times.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/generated/prisma/client.js";
import { codeOf } from "../helpers/app.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";

// No worker: the seeded tasks stay as they were written.
const t = useTestApp({ config: { role: "api" } });

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const QUEUE_DEPTH = /* GraphQL */ `{ queueDepth { channel state count oldestCreatedAt } }`;
const OLDEST = /* GraphQL */ `query($first: Int) { oldestRunningTasks(first: $first) { prompt status queuePosition } }`;
const STALLED = /* GraphQL */ `query($s: Int) { stalledTasks(olderThanSeconds: $s) { prompt status progress } }`;
const STATS = /* GraphQL */ `query($w: StatsWindow!) {
  channelStats(window: $w) { channel completed failed cancelled successRate p50Seconds p95Seconds }
}`;

/** now, when the tasks were seeded; every seeded time is relative to it */
let now: number;
const ago = (ms: number) => new Date(now - ms);

beforeAll(async () => {
  const { db } = t.app.services;
  now = Date.now();
  const user = await db.user.create({ data: { subject: "seeded@operator" } });
  const channel = (name: string, priority: number) =>
    db.channel.create({ data: { name, provider: "openai", baseUrl: "https://gw.example", apiKey: "x", models: ["sora-2"], priority } });
  const alpha = await channel("alpha", 10);
  await channel("beta", 0);
  const task = (prompt: string, data: Partial<Prisma.TaskUncheckedCreateInput>) =>
    db.task.create({
      data: { userId: user.id, channelId: alpha.id, provider: "openai", model: "sora-2", prompt, deadlineAt: ago(-HOUR), ...data },
    });

  // ended: four completed in the last hour (10, 20, 30 and 40 s from submission, after a 5-minute wait), one
  // failed, one cancelled; one completed two hours ago (100 s); one two days ago (1000 s), outside both windows
  for (const seconds of [10, 20, 30, 40]) {
    const completedAt = ago(30 * MINUTE);
    const submittedAt = new Date(completedAt.getTime() - seconds * SECOND);
    await task(`done in ${seconds}s`, {
      status: "COMPLETED",
      createdAt: new Date(submittedAt.getTime() - 5 * MINUTE),
      submittedAt,
      completedAt,
    });
  }
  await task("failed", { status: "FAILED", createdAt: ago(20 * MINUTE), completedAt: ago(10 * MINUTE) });
  await task("cancelled", { status: "CANCELLED", createdAt: ago(10 * MINUTE), completedAt: ago(5 * MINUTE) });
  await task("done in 100s", {
    status: "COMPLETED",
    createdAt: ago(3 * HOUR),
    submittedAt: ago(2 * HOUR + 100 * SECOND),
    completedAt: ago(2 * HOUR),
  });
  await task("done in 1000s", {
    status: "COMPLETED",
    createdAt: ago(49 * HOUR),
    submittedAt: ago(48 * HOUR + 1000 * SECOND),
    completedAt: ago(48 * HOUR),
  });

  // running: two waiting for a slot (the oldest tasks of all), one queued at the provider, three processing
  await task("waiting 1", { createdAt: ago(90 * MINUTE), waitingSince: ago(90 * MINUTE) });
  await task("waiting 2", { createdAt: ago(80 * MINUTE), waitingSince: ago(80 * MINUTE) });
  const submitted = { upstreamId: "up", createdAt: ago(40 * MINUTE) };
  await task("queued upstream", { ...submitted, submittedAt: ago(2 * MINUTE), createdAt: ago(3 * MINUTE) });
  await task("stuck 20 min", {
    ...submitted,
    status: "PROCESSING",
    progress: 40,
    submittedAt: ago(39 * MINUTE),
    progressedAt: ago(20 * MINUTE),
  });
  await task("moving", { ...submitted, status: "PROCESSING", progress: 70, createdAt: ago(50 * MINUTE), progressedAt: ago(MINUTE) });
  await task("never moved", { ...submitted, status: "PROCESSING", createdAt: ago(60 * MINUTE), submittedAt: ago(30 * MINUTE) });
});

const admin = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { token: t.adminToken });

describe("the operator view", () => {
  it("counts every channel's running tasks by state, those waiting for a slot apart, zeros included", async () => {
    const res = await admin(QUEUE_DEPTH);
    expect(res.errors).toBeUndefined();
    expect(res.data!.queueDepth).toEqual([
      { channel: "alpha", state: "WAITING", count: 2, oldestCreatedAt: ago(90 * MINUTE).toISOString() },
      { channel: "alpha", state: "QUEUED", count: 1, oldestCreatedAt: ago(3 * MINUTE).toISOString() },
      { channel: "alpha", state: "PROCESSING", count: 3, oldestCreatedAt: ago(60 * MINUTE).toISOString() },
      { channel: "beta", state: "WAITING", count: 0, oldestCreatedAt: null },
      { channel: "beta", state: "QUEUED", count: 0, oldestCreatedAt: null },
      { channel: "beta", state: "PROCESSING", count: 0, oldestCreatedAt: null },
    ]);
  });

  it("lists the oldest submitted running tasks first, leaving out those that wait for a slot", async () => {
    const res = await admin(OLDEST, { first: 2 });
    expect(res.data!.oldestRunningTasks).toEqual([
      { prompt: "never moved", status: "PROCESSING", queuePosition: null },
      { prompt: "moving", status: "PROCESSING", queuePosition: null },
    ]);
    expect((await admin(OLDEST)).data!.oldestRunningTasks).toHaveLength(4);
  });

  it("lists the running tasks whose provider reading has not moved for the time asked, longest unmoved first", async () => {
    const res = await admin(STALLED, { s: 600 });
    expect(res.data!.stalledTasks).toEqual([
      { prompt: "never moved", status: "PROCESSING", progress: 0 },
      { prompt: "stuck 20 min", status: "PROCESSING", progress: 40 },
    ]);
    expect((await admin(STALLED, { s: 3 * 3600 })).data!.stalledTasks).toEqual([]);
  });

  it("gives each channel's outcomes, success rate and p50/p95 generation time over the last hour and day", async () => {
    const hour = (await admin(STATS, { w: "HOUR" })).data!.channelStats;
    expect(hour).toEqual([
      {
        channel: "alpha",
        completed: 4,
        failed: 1,
        cancelled: 1,
        successRate: 0.8,
        p50Seconds: expect.any(Number),
        p95Seconds: expect.any(Number),
      },
      { channel: "beta", completed: 0, failed: 0, cancelled: 0, successRate: null, p50Seconds: null, p95Seconds: null },
    ]);
    // percentile_cont interpolates: over 10, 20, 30, 40 s the median is 25 s and the 95th percentile 38.5 s
    expect(hour[0].p50Seconds).toBeCloseTo(25, 6);
    expect(hour[0].p95Seconds).toBeCloseTo(38.5, 6);

    const [day] = (await admin(STATS, { w: "DAY" })).data!.channelStats;
    expect(day).toMatchObject({ channel: "alpha", completed: 5, failed: 1, cancelled: 1 });
    expect(day.successRate).toBeCloseTo(5 / 6, 6);
    expect(day.p50Seconds).toBeCloseTo(30, 6);
    expect(day.p95Seconds).toBeCloseTo(88, 6);
  });

  it("is refused with FORBIDDEN to users", async () => {
    const token = await tokenFor("curious@operator");
    for (const [query, variables] of [
      [QUEUE_DEPTH, {}],
      [OLDEST, {}],
      [STALLED, {}],
      [STATS, { w: "DAY" }],
    ] as const) {
      const res = await t.gql(query, variables, { token });
      expect(codeOf(res)).toBe("FORBIDDEN");
      expect(res.data).toBeNull();
    }
  });
});
