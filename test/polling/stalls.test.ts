/**
 * Stall detection against the mock gateway: a processing job whose progress stops gets one
 * harder check (a poll past any cache) after STALL_AFTER_MS, and fails as STALLED with its
 * hold released once STALL_GRACE_MS more pass without a change. A job that moves again, and
 * a job waiting in the provider's queue, are left to run. The test clock stands in for the wait.
 */
import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { createTestClock } from "../helpers/clock.js";
import { CREATE_VIDEO, ledgerOf, ME } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { expectNothingWithin, until } from "../helpers/wait.js";
import type { RecordedRequest } from "../mocks/openai-videos.js";

const STALL_AFTER_MS = 10 * 60_000;
const STALL_GRACE_MS = 60_000;

const clock = createTestClock();
const t = useTestApp({
  mock: "openai",
  clock,
  config: { stallAfterMs: STALL_AFTER_MS, stallGraceMs: STALL_GRACE_MS },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});

const rowOf = (id: string) => t.app.services.db.task.findUniqueOrThrow({ where: { id } });
const isHarderCheck = (upstreamId: string) => (r: RecordedRequest) =>
  r.method === "GET" && r.path === `/v1/videos/${upstreamId}` && r.headers["cache-control"] === "no-cache";
const stallEvents = (taskId: string) =>
  t.app.services.db.taskEvent.findMany({ where: { taskId, kind: "STALLED" }, orderBy: { at: "asc" } });

async function createStalled(subject: string, prompt: string) {
  const token = await tokenFor(subject);
  await t.userWithCredit(subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4 } }, { token });
  expect(res.errors).toBeUndefined();
  const id = parseTaskId(res.data!.createVideo.id)!;
  const row = await until("the job to report progress", async () => {
    const r = await rowOf(id);
    return r.status === "PROCESSING" && r.progress === 40 && r.progressedAt ? r : null;
  });
  return { id, upstreamId: row.upstreamId!, token };
}

describe("a job whose progress stops", () => {
  it("is checked once past any cache, then fails as STALLED with its hold released exactly once", async () => {
    t.mock.scriptFor("[stall]", { queuedPolls: 0, progressSteps: [40], stall: true });
    const { id, upstreamId, token } = await createStalled("stalled@polling", "[stall] a kite in still air");
    expect(t.mock.requests.filter(isHarderCheck(upstreamId))).toHaveLength(0);

    clock.advance(STALL_AFTER_MS);
    const checked = await until("the harder check", async () => {
      const row = await rowOf(id);
      return row.stallCheckAt && row.leaseOwner === null ? row : null;
    });
    expect(checked.status).toBe("PROCESSING");
    expect(t.mock.requests.filter(isHarderCheck(upstreamId))).toHaveLength(1);
    expect(await stallEvents(id)).toHaveLength(1);

    clock.advance(STALL_GRACE_MS);
    const failed = await until("the stalled task to fail", async () => {
      const row = await rowOf(id);
      return row.status === "FAILED" ? row : null;
    });
    expect(failed).toMatchObject({ errorCode: "STALLED", leaseOwner: null });
    expect(failed.errorMessage).toMatch(/no progress/i);
    expect(t.mock.requests.filter(isHarderCheck(upstreamId))).toHaveLength(1);
    const kinds = (await ledgerOf(t, "stalled@polling")).filter((e) => e.taskId === id).map((e) => e.kind);
    expect(kinds).toEqual(["HOLD", "RELEASE"]);
    const me = await t.gql(ME, {}, { token });
    expect(me.data!.me).toMatchObject({ balance: "5", held: "0" });
    expect((await stallEvents(id)).length).toBeGreaterThanOrEqual(2);
  });

  it("goes on running when its progress moves again within the grace after the check", async () => {
    t.mock.scriptFor("[recover]", { queuedPolls: 0, progressSteps: [40], stall: true });
    const { id, upstreamId } = await createStalled("recovers@polling", "[recover] a kite waiting for wind");
    clock.advance(STALL_AFTER_MS);
    await until("the harder check", async () => (await rowOf(id)).stallCheckAt !== null);

    t.mock.setJobState(upstreamId, { status: "in_progress", progress: 70 });
    const moved = await until("the new progress", async () => {
      const row = await rowOf(id);
      return row.progress === 70 && row.leaseOwner === null ? row : null;
    });
    expect(moved.stallCheckAt).toBeNull();

    clock.advance(STALL_GRACE_MS);
    await expectNothingWithin(1_000, "the moving task failed", async () => (await rowOf(id)).status !== "PROCESSING");
    t.mock.setJobState(upstreamId, { status: "completed" });
    await until("completion", async () => (await rowOf(id)).status === "COMPLETED");
  });
});

describe("a job waiting in the provider's queue", () => {
  it("is never taken for a stall, however long it waits", async () => {
    t.mock.scriptFor("[long queue]", { queuedPolls: Number.MAX_SAFE_INTEGER });
    const token = await tokenFor("queued@polling");
    await t.userWithCredit("queued@polling", "5");
    const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "[long queue] a ferry at dawn", seconds: 4 } }, { token });
    const id = parseTaskId(res.data!.createVideo.id)!;
    const upstreamId = (await rowOf(id)).upstreamId!;
    await until("a poll", async () => (await rowOf(id)).lastPolledAt !== null);

    clock.advance(3 * STALL_AFTER_MS);
    const polls = () => t.mock.requests.filter((r) => r.method === "GET" && r.path === `/v1/videos/${upstreamId}`).length;
    const before = polls();
    await until("polls after the clock moved", () => polls() >= before + 2);
    await expectNothingWithin(500, "a queued task was checked for a stall", () => t.mock.requests.some(isHarderCheck(upstreamId)));
    expect((await rowOf(id)).status).toBe("QUEUED");
  });
});
