import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { parseDuration } from "../../src/tasks/deadline.js";
import { codeOf, TEST_REDIS_URL, uniqueRedisPrefix } from "../helpers/app.js";
import { createTestClock } from "../helpers/clock.js";
import { CREATE_VIDEO, ledgerOf, ME, waitForTask } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { startTestAppForTest, useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import { detailsOf, kindsOf } from "./details.js";

const HOUR = 3600_000; // ms
const clock = createTestClock();
const t = useTestApp({
  mock: "openai",
  // a job that stays queued at the provider until the test says otherwise
  mockOptions: { script: { queuedPolls: 1_000_000 } },
  clock,
  config: { redisUrl: TEST_REDIS_URL, redisPrefix: uniqueRedisPrefix(), taskTimeoutMs: HOUR },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});

async function create(subject: string, cancelAfter: unknown, prompt = "a lighthouse at dusk") {
  const token = await t.userWithCredit(subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, cancelAfter } }, { token });
  return { res, token, task: res.data?.createVideo };
}

const rowOf = (id: string) => t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(id)! } });

describe("cancelAfter on createVideo", () => {
  it("accepts ISO-8601 durations and the short form, and keeps the deadline the earlier of it and the server's timeout", async () => {
    const cases: [string, number][] = [
      ["PT10M", 10 * 60_000],
      ["P1D", 24 * HOUR],
      ["PT1H30M", 90 * 60_000],
      ["PT0.5S", 500],
      ["90s", 90_000],
      ["10m", 10 * 60_000],
      ["2h", 2 * HOUR],
      ["1d", 24 * HOUR],
      ["1h30m", 90 * 60_000],
    ];
    for (const [index, [cancelAfter, ms]] of cases.entries()) {
      const before = clock.now();
      const { res, task } = await create(`forms${index}@deadline`, cancelAfter);
      const after = clock.now();
      expect(res.errors, cancelAfter).toBeUndefined();
      const row = await rowOf(task.id);
      expect(row.cancelAt!.getTime(), cancelAfter).toBeGreaterThanOrEqual(before + ms);
      expect(row.cancelAt!.getTime(), cancelAfter).toBeLessThanOrEqual(after + ms);
      // TASK_TIMEOUT_MS is an hour here: a longer cancelAfter leaves the timeout in charge
      expect(row.deadlineAt.getTime(), cancelAfter).toBe(Math.min(row.cancelAt!.getTime(), row.deadlineAt.getTime()));
      expect(row.deadlineAt.getTime(), cancelAfter).toBeLessThanOrEqual(after + Math.min(ms, HOUR));
      expect(row.deadlineAt.getTime(), cancelAfter).toBeGreaterThanOrEqual(before + Math.min(ms, HOUR));
    }
  });

  it("leaves a task without cancelAfter to the server's timeout alone", async () => {
    const { task } = await create("none@deadline", null);
    expect((await rowOf(task.id)).cancelAt).toBeNull();
  });

  it("refuses a malformed, zero, negative or too long cancelAfter with BAD_USER_INPUT naming it, before any hold or upstream call", async () => {
    const token = await t.userWithCredit("refused@deadline", "5");
    const submissions = () => t.mock.requests.filter((r) => r.method === "POST").length;
    const before = submissions();
    for (const cancelAfter of [
      "",
      "10",
      "soon",
      "P",
      "PT",
      "P1DT",
      "P1Y",
      "P1M",
      "10x",
      "-5m",
      "0s",
      "PT0S",
      "P0D",
      "25h",
      "P2D",
      "PT86401S",
    ]) {
      const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "a kite", seconds: 4, cancelAfter } }, { token });
      expect(codeOf(res), cancelAfter).toBe("BAD_USER_INPUT");
      expect(res.errors![0].extensions!.field, cancelAfter).toBe("cancelAfter");
      expect(res.errors![0].message, cancelAfter).toMatch(/cancelAfter/);
    }
    expect(submissions()).toBe(before);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    expect(await t.app.services.db.task.count({ where: { user: { subject: "refused@deadline" } } })).toBe(0);
  });

  it("is taken as cancel_after on POST /v1/videos, and refused there naming cancel_after", async () => {
    const token = await t.userWithCredit("rest@deadline", "5");
    const post = (body: object) =>
      fetch(`${t.origin}/v1/videos`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "sora-2", prompt: "a lighthouse over REST", seconds: "4", ...body }),
      });
    const before = clock.now();
    const created = await post({ cancel_after: "PT10M" });
    expect(created.status).toBe(200);
    const row = await rowOf((await created.json()).id);
    expect(row.cancelAt!.getTime()).toBeGreaterThanOrEqual(before + 10 * 60_000);
    const refused = await post({ cancel_after: "soon" });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toMatchObject({ type: "invalid_request_error", param: "cancel_after" });
  });

  it("caps cancelAfter at MAX_CANCEL_AFTER_MS", async () => {
    const capped = await startTestAppForTest({ maxCancelAfterMs: 30 * 60_000 });
    const token = await tokenFor("capped@deadline");
    const res = await capped.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "a kite", cancelAfter: "PT31M" } }, { token });
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toMatch(/at most 30 min/);
  });
});

describe("a task past its cancelAfter deadline", () => {
  it("is cancelled upstream, ends CANCELLED with DEADLINE_EXCEEDED, and has its hold released once", async () => {
    const subject = "late@deadline";
    const { res, token, task } = await create(subject, "10m", "a glacier calving, slowly");
    expect(res.errors).toBeUndefined();
    const { upstreamId } = await rowOf(task.id);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "4.6", held: "0.4" });

    clock.advance(10 * 60_000); // the deadline passes
    const ended = await waitForTask(t, token, task.id, (x) => x.status === "CANCELLED");
    expect(ended).toMatchObject({ cost: "0", error: { code: "DEADLINE_EXCEEDED" } });
    expect(t.mock.requests.some((r) => r.method === "DELETE" && r.path === `/v1/videos/${upstreamId}`)).toBe(true);
    expect(t.mock.jobs.get(upstreamId!)!.deleted).toBe(true);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    const movements = (await ledgerOf(t, subject)).filter((e) => e.taskId === parseTaskId(task.id)).map((e) => [e.kind, e.amount]);
    expect(movements).toEqual([
      ["HOLD", 400_000_000n],
      ["RELEASE", 400_000_000n],
    ]);

    const details = await detailsOf(t, token, task.id);
    expect(kindsOf(details)).toEqual(expect.arrayContaining(["CREATED", "SUBMITTED", "DEADLINE_EXCEEDED", "REFUNDED"]));
    expect(details.events.find((e) => e.kind === "DEADLINE_EXCEEDED")!.message).toMatch(/cancelAfter deadline/);
    expect(details.billing).toMatchObject({ held: "0.4", settled: "0", refunded: "0.4", quantity: 0 });
  });

  it("is left running before its deadline", async () => {
    const { task } = await create("early@deadline", "1h", "a tide coming in");
    const { upstreamId } = await rowOf(task.id);
    const polls = () => t.mock.jobs.get(upstreamId!)!.polls;
    const seen = polls();
    clock.advance(30 * 60_000); // half the time
    await until("two polls after the jump", () => polls() >= seen + 2);
    const after = await rowOf(task.id);
    expect(after).toMatchObject({ status: "QUEUED", errorCode: null });
    expect(t.mock.jobs.get(upstreamId!)!.deleted).toBe(false);
  });
});

describe("parseDuration", () => {
  it("reads weeks to fractional seconds, case-insensitively, and refuses calendar units", () => {
    expect(parseDuration("P1W")).toBe(7 * 24 * HOUR);
    expect(parseDuration("p1dt2h")).toBe(26 * HOUR);
    expect(parseDuration("PT1.25S")).toBe(1_250);
    expect(parseDuration(" 250ms ")).toBe(250);
    expect(parseDuration("1D")).toBe(24 * HOUR);
    expect(parseDuration("P1Y")).toBeNull();
    expect(parseDuration("P1M")).toBeNull();
    expect(parseDuration("1.5.5h")).toBeNull();
    expect(parseDuration(`${"9".repeat(50)}s`)).toBeNull();
  });
});
