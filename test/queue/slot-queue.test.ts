/**
 * Reelay's queue for channel slots: a task that finds every channel for its model at its
 * maxConcurrency is accepted with its hold taken and waits (QUEUED, queuePosition N), and is
 * submitted in order as slots free, its place streamed on taskProgress. Against the real
 * server, PostgreSQL and the mock OpenAI-protocol gateway, whose jobs stay queued until a test
 * finishes them.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { codeOf } from "../helpers/app.js";
import { createTestClock } from "../helpers/clock.js";
import { ME } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { startMockForTest, startTestAppForTest } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import {
  CANCEL,
  create,
  created,
  finish,
  HELD_JOBS,
  limitedChannel,
  PROGRESS,
  submittedPrompts,
  taskOf,
  userWithCredit,
} from "./helpers.js";

const CONFIG = { rateLimitPerMinute: 1_000 };

async function scenario(options: { config?: Parameters<typeof startTestAppForTest>[0]; clock?: ReturnType<typeof createTestClock> } = {}) {
  const mock = await startMockForTest("openai", HELD_JOBS);
  const t = await startTestAppForTest({ ...CONFIG, ...options.config }, { clock: options.clock });
  return { t, mock };
}

function watch(t: { wsUrl: string }, token: string, id: string) {
  const client = wsClient(t.wsUrl, token);
  const collector = new Collector(client, PROGRESS, { id });
  onTestFinished(async () => {
    collector.dispose();
    await client.dispose();
  });
  return collector;
}

describe("a full channel", () => {
  it("accepts the tasks it cannot take yet, tells each its place and submits them in order as slots free", async () => {
    const { t, mock } = await scenario();
    await limitedChannel(t, mock, { name: "one-slot", maxConcurrency: 1 });
    const token = await userWithCredit(t, "fifo@queue");

    const first = await created(t, token, "first in line");
    const second = await created(t, token, "second in line");
    const third = await created(t, token, "third in line");
    expect(first).toMatchObject({ status: "QUEUED", queuePosition: null, channel: "one-slot", cost: "0.4" });
    expect(second).toMatchObject({ status: "QUEUED", queuePosition: 1, channel: "one-slot", cost: "0.4" });
    expect(third).toMatchObject({ status: "QUEUED", queuePosition: 2, channel: "one-slot", cost: "0.4" });
    expect(submittedPrompts(mock)).toEqual(["first in line"]);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "8.8", held: "1.2" });

    const progress = watch(t, token, third.id);
    expect((await progress.next())?.data?.taskProgress).toMatchObject({ status: "QUEUED", queuePosition: 2 });

    finish(mock, "first in line");
    expect(await progress.until((d) => d.taskProgress.queuePosition === 1)).not.toBeNull();
    await until("the second task submitted", () => submittedPrompts(mock).length === 2);
    expect(await taskOf(t, token, second.id)).toMatchObject({ status: "QUEUED", queuePosition: null });

    finish(mock, "second in line");
    expect(await progress.until((d) => d.taskProgress.queuePosition === null)).not.toBeNull();
    await until("the third task submitted", () => submittedPrompts(mock).length === 3);
    expect(submittedPrompts(mock)).toEqual(["first in line", "second in line", "third in line"]);

    finish(mock, "third in line");
    expect(await progress.until((d) => d.taskProgress.status === "COMPLETED")).not.toBeNull();
    expect(mock.peakActive()).toBe(1);
    expect((await checkMoney(t.app.services.config.databaseUrl)).violations).toEqual([]);
  });

  it("refuses with RATE_LIMITED, charging nothing, when the channel says REFUSE, and queues again once it says QUEUE", async () => {
    const { t, mock } = await scenario();
    expect(await limitedChannel(t, mock, { name: "refusing", maxConcurrency: 1, whenFull: "REFUSE" })).toMatchObject({
      whenFull: "REFUSE",
    });
    const token = await userWithCredit(t, "refused@queue");
    await created(t, token, "takes the only slot");

    const refused = await create(t, token, "finds it full");
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "9.6", held: "0.4" });
    expect(await t.app.services.db.task.count({ where: { prompt: "finds it full" } })).toBe(0);

    const patched = await t.gql(
      `mutation { updateChannel(name: "refusing", patch: { whenFull: QUEUE }) { whenFull } }`,
      {},
      { token: t.adminToken },
    );
    expect(patched.data!.updateChannel).toEqual({ whenFull: "QUEUE" });
    expect(await created(t, token, "waits this time")).toMatchObject({ status: "QUEUED", queuePosition: 1 });
    expect(submittedPrompts(mock)).toEqual(["takes the only slot"]);
  });

  it("counts waiting tasks against MAX_ACTIVE_TASKS_PER_USER, so one user's queue is bounded", async () => {
    const { t, mock } = await scenario({ config: { maxActiveTasksPerUser: 2 } });
    await limitedChannel(t, mock, { name: "bounded", maxConcurrency: 1 });
    const token = await userWithCredit(t, "bounded@queue");
    await created(t, token, "running");
    expect(await created(t, token, "waiting")).toMatchObject({ queuePosition: 1 });

    const over = await create(t, token, "one too many");
    expect(codeOf(over)).toBe("RATE_LIMITED");
    expect(over.errors![0].extensions).toMatchObject({ limit: 2 });
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ held: "0.8" });
  });
});

describe("a waiting task", () => {
  it("is cancelled without any request upstream, its hold released, and the task behind it moves up", async () => {
    const { t, mock } = await scenario();
    await limitedChannel(t, mock, { name: "cancel-slot", maxConcurrency: 1 });
    const token = await userWithCredit(t, "cancel@queue");
    await created(t, token, "holds the slot");
    const leaving = await created(t, token, "leaves the queue");
    const staying = await created(t, token, "stays in the queue");
    const progress = watch(t, token, staying.id);
    expect((await progress.next())?.data?.taskProgress).toMatchObject({ queuePosition: 2 });

    const cancelled = await t.gql(CANCEL, { id: leaving.id }, { token });
    expect(cancelled.data!.cancelTask).toMatchObject({ status: "CANCELLED", cost: "0", queuePosition: null });
    expect(await progress.until((d) => d.taskProgress.queuePosition === 1)).not.toBeNull();
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "9.2", held: "0.8" });
    const ledger = await t.app.services.db.ledgerEntry.findMany({
      where: { taskId: parseTaskId(leaving.id)! },
      orderBy: { createdAt: "asc" },
    });
    expect(ledger.map((e) => [e.kind, e.amount])).toEqual([
      ["HOLD", 400_000_000n],
      ["RELEASE", 400_000_000n],
    ]);
    expect(submittedPrompts(mock)).toEqual(["holds the slot"]);
    expect(mock.requests.filter((r) => r.method === "DELETE")).toEqual([]);

    finish(mock, "holds the slot");
    await until("the task behind it submitted", () => submittedPrompts(mock).length === 2);
    expect(submittedPrompts(mock)).toEqual(["holds the slot", "stays in the queue"]);
    expect((await checkMoney(t.app.services.config.databaseUrl)).violations).toEqual([]);
  });

  it("that reaches its deadline before a slot frees fails with TIMEOUT, its hold released, and is never submitted", async () => {
    const clock = createTestClock();
    const { t, mock } = await scenario({ clock, config: { taskTimeoutMs: 60_000 } });
    await limitedChannel(t, mock, { name: "slow-slot", maxConcurrency: 1 });
    const token = await userWithCredit(t, "deadline@queue");
    await created(t, token, "never finishes");
    const late = await created(t, token, "waits too long");

    clock.advance(61_000);
    await until("the waiting task ended", async () => (await taskOf(t, token, late.id)).status === "FAILED");
    expect(await taskOf(t, token, late.id)).toMatchObject({ cost: "0", queuePosition: null, error: { code: "TIMEOUT" } });
    await until("every hold released", async () => (await t.gql(ME, {}, { token })).data!.me.held === "0");
    expect(submittedPrompts(mock)).toEqual(["never finishes"]);
    expect((await checkMoney(t.app.services.config.databaseUrl)).violations).toEqual([]);
  });

  it("that passes its cancelAfter before a slot frees is CANCELLED with DEADLINE_EXCEEDED, its hold released", async () => {
    const clock = createTestClock();
    const { t, mock } = await scenario({ clock });
    await limitedChannel(t, mock, { name: "busy-slot", maxConcurrency: 1 });
    const token = await userWithCredit(t, "cancel-after@queue");
    await created(t, token, "keeps the slot");
    const impatient = await created(t, token, "gives up after 30 s", { cancelAfter: "30s" });
    const patient = await created(t, token, "waits on");
    expect(await taskOf(t, token, patient.id)).toMatchObject({ queuePosition: 2 });

    clock.advance(31_000);
    await until("the impatient task ended", async () => (await taskOf(t, token, impatient.id)).status === "CANCELLED");
    expect(await taskOf(t, token, impatient.id)).toMatchObject({ cost: "0", error: { code: "DEADLINE_EXCEEDED" } });
    expect(await taskOf(t, token, patient.id)).toMatchObject({ status: "QUEUED", queuePosition: 1 });
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ held: "0.8" });
    expect(submittedPrompts(mock)).toEqual(["keeps the slot"]);
  });
});
