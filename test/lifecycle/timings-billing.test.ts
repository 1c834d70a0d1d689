import { describe, expect, it } from "vitest";
import { formatMoney } from "../../src/money.js";
import { parseTaskId } from "../../src/schema/tasks.js";
import { TEST_REDIS_URL, type TestApp, uniqueRedisPrefix } from "../helpers/app.js";
import { CREATE_VIDEO, ledgerOf, waitForTask } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { detailsOf, type TaskDetails } from "./details.js";

const redis = () => ({ redisUrl: TEST_REDIS_URL, redisPrefix: uniqueRedisPrefix() });

async function runToEnd(
  t: Pick<TestApp, "gql" | "adminToken"> & { userWithCredit(s: string, c: string): Promise<string> },
  subject: string,
  input: Record<string, unknown>,
) {
  const token = await t.userWithCredit(subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input }, { token });
  expect(res.errors).toBeUndefined();
  const task = res.data!.createVideo;
  const running = await detailsOf(t, token, task.id);
  await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
  return { token, id: task.id as string, running, done: await detailsOf(t, token, task.id) };
}

/** The ledger rows GraphQL lists for the task are the ones the database holds for it. */
async function expectLedgerListed(t: TestApp, subject: string, id: string, details: TaskDetails) {
  const rows = (await ledgerOf(t, subject)).filter((e) => e.taskId === parseTaskId(id));
  expect(details.billing.ledger.map((e) => [e.kind, e.amount])).toEqual(rows.map((e) => [e.kind, formatMoney(e.amount)]));
  for (const entry of details.billing.ledger) expect(entry.task?.id).toBe(id);
}

describe("a task priced per second", () => {
  const t = useTestApp({
    mock: "openai",
    // the provider makes 3 seconds of the 4 the model defaults to
    mockOptions: { script: { queuedPolls: 1, progressSteps: [50] }, scripts: { "three seconds": { reportedSeconds: "3" } } },
    config: redis(),
    channels: [{ name: "gateway", models: ["sora-2"] }],
  });

  it("settles the seconds the provider made, not the default the user left out, and returns the rest of the hold", async () => {
    const { running, done, id } = await runToEnd(t, "seconds@billing", { model: "sora-2", prompt: "three seconds of rain" });
    expect(running.billing).toMatchObject({ unit: "SECOND", quantity: 4, unitPrice: "0.1", held: "0.4", settled: null, refunded: null });
    expect(running.billing.ledger.map((e) => e.kind)).toEqual(["HOLD"]);
    expect(done.seconds).toBe(3);
    expect(done.billing).toEqual({
      unit: "SECOND",
      quantity: 3,
      unitPrice: "0.1",
      held: "0.4",
      settled: "0.3",
      refunded: "0.1",
      ledger: [
        { kind: "HOLD", amount: "0.4", note: null, task: { id } },
        { kind: "SETTLE", amount: "0.3", note: null, task: { id } },
        { kind: "RELEASE", amount: "0.1", note: "unused part of the hold", task: { id } },
      ],
    });
    await expectLedgerListed(t, "seconds@billing", id, done);
    expect(done.events.find((e) => e.kind === "SETTLED")!.message).toBe("Settled 0.3 for 3 seconds at 0.1 per second");
    expect(done.events.find((e) => e.kind === "REFUNDED")!.message).toBe("Returned 0.1 of the 0.4 held");
  });

  it("answers a selection of billing without its ledger, and of events without a column", async () => {
    const { token, id } = await runToEnd(t, "narrow@billing", { model: "sora-2", prompt: "a narrow look", seconds: 4 });
    const res = await t.gql(`query($id: ID!) { videoTask(id: $id) { billing { settled } events { __typename } } }`, { id }, { token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.videoTask.billing).toEqual({ settled: "0.4" });
    expect(res.data!.videoTask.events.length).toBeGreaterThan(3);
  });

  it("reports where the time went once the task is done, and nothing it has not reached before", async () => {
    const { running, done, id } = await runToEnd(t, "timings@billing", { model: "sora-2", prompt: "a slow sunrise", seconds: 4 });
    expect(running.timings).toMatchObject({ running: null, mirroring: null, total: null });
    const { queued, running: generating, mirroring, total } = done.timings;
    for (const value of [queued, generating, mirroring, total]) {
      expect(value).not.toBeNull();
      expect(value).toBeGreaterThanOrEqual(0);
    }
    expect(queued!).toBeLessThanOrEqual(total!);
    expect(generating!).toBeLessThanOrEqual(total!);
    expect(queued! + generating! + mirroring!).toBeLessThanOrEqual(total! + 0.002); // each rounded to the millisecond
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(id)! } });
    expect(total).toBeCloseTo((row.completedAt!.getTime() - row.createdAt.getTime()) / 1000, 3);
    // a poll interval of 100 ms: the task was queued for a poll at least, and ran for another
    expect(queued!).toBeGreaterThan(0.05);
    expect(generating!).toBeGreaterThan(0.05);
  });
});

describe("a task priced per image", () => {
  const t = useTestApp({ mock: "gemini", config: redis(), channels: [{ name: "images", models: ["gemini-2.5-flash-image"] }] });

  it("settles one image at its price and returns nothing", async () => {
    const { done, id } = await runToEnd(t, "image@billing", { model: "gemini-2.5-flash-image", prompt: "a watercolour fox" });
    expect(done.billing).toMatchObject({ unit: "IMAGE", quantity: 1, unitPrice: "0.039", held: "0.039", settled: "0.039", refunded: "0" });
    expect(done.billing.ledger.map((e) => e.kind)).toEqual(["HOLD", "SETTLE"]);
    await expectLedgerListed(t, "image@billing", id, done);
    expect(done.timings.total).not.toBeNull();
  });
});

describe("a task priced per token", () => {
  const MODEL = "seedance-1-0-pro-250528";
  const t = useTestApp({ mock: "seedance", config: redis(), channels: [{ name: "ark", models: [MODEL] }] });

  it("settles the tokens the provider reports, fewer than the hold covered, and returns the rest", async () => {
    const { running, done, id } = await runToEnd(t, "tokens@billing", {
      model: MODEL,
      prompt: "a koi pond",
      seconds: 5,
      size: "1920x1080",
    });
    // 1920 × 1080 × 24 fps × 5 s / 1024 tokens held at 2,500 nanos each
    expect(running.billing).toMatchObject({ unit: "TOKEN", quantity: 243_000, unitPrice: "0.0000025", held: "0.6075" });
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(id)! } });
    const reported = t.mock.tokensOf(row.upstreamId!);
    expect(reported).toBeLessThan(243_000);
    const settled = BigInt(reported) * 2_500n;
    expect(done.billing).toMatchObject({
      unit: "TOKEN",
      quantity: reported,
      held: "0.6075",
      settled: formatMoney(settled),
      refunded: formatMoney(607_500_000n - settled),
    });
    expect(done.billing.ledger.map((e) => e.kind)).toEqual(["HOLD", "SETTLE", "RELEASE"]);
    await expectLedgerListed(t, "tokens@billing", id, done);
  });
});
