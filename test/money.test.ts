import { decodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import { formatMoney } from "../src/money.js";
import { completeTask, endTask } from "../src/tasks/lifecycle.js";
import { codeOf } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, TASK_FIELDS, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

/** polls answered "queued" by the mock for prompts containing [hold]: the task stays running for the whole file */
const FOREVER = 1_000_000;
const CANCEL_TASK = /* GraphQL */ `mutation($id: ID!) { cancelTask(id: $id) { ${TASK_FIELDS} } }`;
const GRANT = /* GraphQL */ `mutation($s: String!, $a: Money!) { grantCredit(subject: $s, amount: $a) { id subject role balance held } }`;
const STATS = /* GraphQL */ `query { stats { total queued processing completed failed cancelled spent } }`;

const t = useTestApp({
  mock: "openai",
  mockOptions: {
    scripts: { "[hold]": { queuedPolls: FOREVER }, "[reports-4s]": { reportedSeconds: "4" }, "[reports-12s]": { reportedSeconds: "12" } },
  },
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
});
const { mock } = t;

/** The database id of a task from its GraphQL id. */
const dbId = (id: string) => decodeGlobalID(id).id;

async function me(token: string): Promise<{ balance: string; held: string }> {
  const res = await t.gql(ME, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me;
}

async function create(token: string, prompt: string, seconds = 4, model = "sora-2") {
  const res = await t.gql(CREATE_VIDEO, { input: { model, prompt, seconds, size: "1280x720" } }, { token });
  expect(res.errors, `createVideo "${prompt}"`).toBeUndefined();
  return res.data!.createVideo as { id: string; status: string; cost: string };
}

/** A task's ledger rows as { KIND: "amount" }; (task, kind) is unique, so one amount per kind. */
async function taskLedger(id: string): Promise<Record<string, string>> {
  const rows = await t.app.services.db.ledgerEntry.findMany({ where: { taskId: dbId(id) } });
  return Object.fromEntries(rows.map((r) => [r.kind, formatMoney(r.amount)]));
}

/** The mock's job for the task with that (unique) prompt. */
function upstreamJob(prompt: string) {
  const job = [...mock.jobs.values()].find((j) => j.video.prompt === prompt);
  if (!job) throw new Error(`the mock has no job for "${prompt}"`);
  return job;
}

const createsFor = (marker: string) =>
  mock.requests.filter((r) => r.method === "POST" && r.path === "/v1/videos" && String(r.fields.prompt ?? "").includes(marker)).length;

/** Everything that must stay put when a call on a finished task is a no-op. */
async function snapshot(subject: string, token: string, id: string) {
  const task = await t.gql(`query($id: ID!) { videoTask(id: $id) { ${TASK_FIELDS} } }`, { id }, { token });
  const ledger = (await ledgerOf(t, subject)).map((e) => ({
    id: e.id,
    kind: e.kind,
    taskId: e.taskId,
    amount: e.amount,
    balanceAfter: e.balanceAfter,
  }));
  return { me: await me(token), task: task.data!.videoTask, ledger };
}

describe("concurrent task creation", () => {
  it("never overdraws: of 20 simultaneous createVideo calls covered 10 times by the balance, exactly 10 are held and submitted", async () => {
    const subject = "racer@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "4"); // exactly 10 × sora-2 4 s at $0.10/s

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: `race ${i} [hold]`, seconds: 4, size: "1280x720" } }, { token }),
      ),
    );
    const succeeded = results.filter((r) => !r.errors);
    const refused = results.filter((r) => r.errors);
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(10);
    for (const r of refused) expect(codeOf(r)).toBe("INSUFFICIENT_CREDIT");
    for (const r of succeeded) expect(r.data!.createVideo).toMatchObject({ status: "QUEUED", cost: "0.4" });

    expect(await me(token)).toMatchObject({ balance: "0", held: "4" });
    const ledger = await ledgerOf(t, subject);
    const holds = ledger.filter((e) => e.kind === "HOLD");
    expect(holds).toHaveLength(10);
    expect(holds.every((e) => formatMoney(e.amount) === "0.4")).toBe(true);
    expect(ledger.filter((e) => e.kind !== "HOLD").map((e) => e.kind)).toEqual(["CREDIT"]);
    expect(createsFor("race ")).toBe(10);
    // A refused request leaves no task behind.
    const user = await t.app.services.db.user.findUniqueOrThrow({ where: { subject } });
    expect(await t.app.services.db.task.count({ where: { userId: user.id } })).toBe(10);

    // Now the provider finishes every job: each hold is settled in full.
    for (const r of succeeded) mock.setJobState(upstreamJob(r.data!.createVideo.prompt).video.id, { status: "completed" });
    for (const r of succeeded) await waitForTask(t, token, r.data!.createVideo.id, (x) => x.status === "COMPLETED");
    expect(await me(token)).toMatchObject({ balance: "0", held: "0" });
    const stats = await t.gql(STATS, {}, { token });
    expect(stats.data!.stats).toMatchObject({ completed: 10, spent: "4" });
    const settles = (await ledgerOf(t, subject)).filter((e) => e.kind === "SETTLE");
    expect(settles.map((e) => formatMoney(e.amount))).toEqual(Array(10).fill("0.4"));
  });
});

describe("settlement at the price of what the provider reports", () => {
  it("charges $0.40 for an 8 s sora-2 request the provider reports as 4 s and returns the unused $0.40", async () => {
    const subject = "short@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "2");

    const task = await create(token, "a lighthouse at dusk [reports-4s]", 8);
    expect(task.cost).toBe("0.8");
    expect(await me(token)).toMatchObject({ balance: "1.2", held: "0.8" });

    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    expect(done.cost).toBe("0.4");
    expect(await taskLedger(task.id)).toEqual({ HOLD: "0.8", SETTLE: "0.4", RELEASE: "0.4" });
    expect(await me(token)).toMatchObject({ balance: "1.6", held: "0" });
  });

  it("never charges more than the hold when the provider reports more seconds than were asked for", async () => {
    const subject = "long@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "2");

    const task = await create(token, "a waterfall in spring [reports-12s]", 8);
    expect(task.cost).toBe("0.8");
    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    expect(done.cost).toBe("0.8");
    expect(await taskLedger(task.id)).toEqual({ HOLD: "0.8", SETTLE: "0.8" });
    expect(await me(token)).toMatchObject({ balance: "1.2", held: "0" });
  });
});

describe("release in full", () => {
  it("returns the whole hold when the job fails during generation", async () => {
    const subject = "failed@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "1");

    const task = await create(token, "a storm at sea [fail]", 8);
    expect(await me(token)).toMatchObject({ balance: "0.2", held: "0.8" });
    const done = await waitForTask(t, token, task.id, (x) => x.status === "FAILED");
    expect(done.cost).toBe("0");
    expect(done.error).not.toBeNull();
    expect(await taskLedger(task.id)).toEqual({ HOLD: "0.8", RELEASE: "0.8" });
    expect(await me(token)).toMatchObject({ balance: "1", held: "0" });
  });

  it("returns the whole hold when the user cancels a running task", async () => {
    const subject = "cancel@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "1");

    const task = await create(token, "a slow sunrise [hold]", 8);
    expect(await me(token)).toMatchObject({ balance: "0.2", held: "0.8" });
    const res = await t.gql(CANCEL_TASK, { id: task.id }, { token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelTask).toMatchObject({ id: task.id, status: "CANCELLED", cost: "0" });
    expect(await taskLedger(task.id)).toEqual({ HOLD: "0.8", RELEASE: "0.8" });
    expect(await me(token)).toMatchObject({ balance: "1", held: "0" });
  });

  it("returns the whole hold when the provider rejects the request at submission", async () => {
    const subject = "rejected@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "1");

    const task = await create(token, "something forbidden [moderation]", 8);
    expect(task.status).toBe("FAILED");
    expect(task.cost).toBe("0");
    expect(await taskLedger(task.id)).toEqual({ HOLD: "0.8", RELEASE: "0.8" });
    expect(await me(token)).toMatchObject({ balance: "1", held: "0" });
  });
});

describe("each task is settled exactly once", () => {
  it("ignores a repeated completion, a late failure and a cancellation once a task has completed", async () => {
    const subject = "once@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "2");
    const task = await create(token, "a quiet harbour", 8);
    await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const before = await snapshot(subject, token, task.id);
    expect(before.me).toMatchObject({ balance: "1.2", held: "0" });
    expect(before.task).toMatchObject({ status: "COMPLETED", cost: "0.8" });

    const services = t.app.services;
    expect(await completeTask(services, dbId(task.id), { charge: 100_000_000n })).toBeNull();
    expect(await completeTask(services, dbId(task.id), { charge: 800_000_000n })).toBeNull();
    expect(await endTask(services, dbId(task.id), "FAILED", { code: "UPSTREAM_ERROR", message: "late failure" })).toBeNull();
    const cancelled = await t.gql(CANCEL_TASK, { id: task.id }, { token });
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelTask).toEqual(before.task);

    expect(await snapshot(subject, token, task.id)).toEqual(before);
  });

  it("ignores a late completion or a second ending once a task has failed or been cancelled", async () => {
    const subject = "ended@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "2");
    const failed = await create(token, "an ending storm [fail]", 4);
    await waitForTask(t, token, failed.id, (x) => x.status === "FAILED");
    const cancelled = await create(token, "an ending calm [hold]", 4);
    expect((await t.gql(CANCEL_TASK, { id: cancelled.id }, { token })).data!.cancelTask.status).toBe("CANCELLED");

    const services = t.app.services;
    for (const task of [failed, cancelled]) {
      const before = await snapshot(subject, token, task.id);
      expect(before.me).toMatchObject({ balance: "2", held: "0" });
      expect(await completeTask(services, dbId(task.id), { charge: 400_000_000n })).toBeNull();
      expect(await endTask(services, dbId(task.id), "FAILED", { code: "UPSTREAM_ERROR", message: "late failure" })).toBeNull();
      expect(await endTask(services, dbId(task.id), "CANCELLED", null)).toBeNull();
      const again = await t.gql(CANCEL_TASK, { id: task.id }, { token });
      expect(again.data!.cancelTask).toEqual(before.task);
      expect(await snapshot(subject, token, task.id)).toEqual(before);
    }
  });

  it("lets exactly one of a racing completion and cancellation end a running task", async () => {
    const subject = "duel@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "10");
    const tasks: { id: string }[] = [];
    for (let i = 0; i < 10; i++) tasks.push(await create(token, `duel ${i} [hold]`, 8));
    expect(await me(token)).toMatchObject({ balance: "2", held: "8" });

    const services = t.app.services;
    const charge = 800_000_000n; // the full hold, so a completion writes SETTLE alone and a cancellation RELEASE alone
    const outcomes = await Promise.all(
      tasks.map(async (task, i) => {
        const complete = () => completeTask(services, dbId(task.id), { charge });
        const cancel = () => endTask(services, dbId(task.id), "CANCELLED", null);
        // alternate which call starts first
        const [a, b] = i % 2 === 0 ? await Promise.all([complete(), cancel()]) : (await Promise.all([cancel(), complete()])).reverse();
        return { completed: a !== null, cancelled: b !== null };
      }),
    );
    for (const [i, outcome] of outcomes.entries()) {
      expect(Number(outcome.completed) + Number(outcome.cancelled), `task ${i}: exactly one call ends it`).toBe(1);
      const ledger = await taskLedger(tasks[i].id);
      const row = await services.db.task.findUniqueOrThrow({ where: { id: dbId(tasks[i].id) } });
      if (outcome.completed) {
        expect(ledger).toEqual({ HOLD: "0.8", SETTLE: "0.8" });
        expect(row).toMatchObject({ status: "COMPLETED", charged: charge });
      } else {
        expect(ledger).toEqual({ HOLD: "0.8", RELEASE: "0.8" });
        expect(row).toMatchObject({ status: "CANCELLED", charged: 0n });
      }
    }

    const user = await services.db.user.findUniqueOrThrow({ where: { subject } });
    const settled = await services.db.ledgerEntry.aggregate({ where: { userId: user.id, kind: "SETTLE" }, _sum: { amount: true } });
    const settledCount = outcomes.filter((o) => o.completed).length;
    expect(user.held).toBe(0n);
    expect(settled._sum.amount ?? 0n).toBe(BigInt(settledCount) * charge);
    expect(user.balance + user.held + (settled._sum.amount ?? 0n)).toBe(10_000_000_000n);
  });
});

describe("stats", () => {
  it("counts the caller's tasks per status and sums the settled charges as spent", async () => {
    const subject = "stats@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");

    const done4 = await create(token, "stats done 4s", 4);
    const done8 = await create(token, "stats done 8s", 8);
    const failed = await create(token, "stats failed [fail]", 4);
    const cancelled = await create(token, "stats cancelled [hold]", 4);
    const running = await create(token, "stats running [hold]", 12);
    expect((await t.gql(CANCEL_TASK, { id: cancelled.id }, { token })).errors).toBeUndefined();
    await waitForTask(t, token, done4.id, (x) => x.status === "COMPLETED");
    await waitForTask(t, token, done8.id, (x) => x.status === "COMPLETED");
    await waitForTask(t, token, failed.id, (x) => x.status === "FAILED");
    expect((await waitForTask(t, token, running.id, () => true)).status).toBe("QUEUED");

    const res = await t.gql(STATS, {}, { token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.stats).toEqual({ total: 5, queued: 1, processing: 0, completed: 2, failed: 1, cancelled: 1, spent: "1.2" });
    // 5 − 0.4 − 0.8 settled − 1.2 still held for the running 12 s task
    expect(await me(token)).toMatchObject({ balance: "2.6", held: "1.2" });

    // Another user's stats are their own.
    const other = await t.gql(STATS, {}, { token: await tokenFor("stats-nobody@money") });
    expect(other.data!.stats).toEqual({ total: 0, queued: 0, processing: 0, completed: 0, failed: 0, cancelled: 0, spent: "0" });
  });
});

describe("grantCredit and the Money scalar", () => {
  it("takes credit away with a negative amount down to zero and refuses to go below zero, leaving the balance as it was", async () => {
    const subject = "debit@money";
    expect((await grantCredit(t, subject, "1")).balance).toBe("1");
    expect((await grantCredit(t, subject, "-0.4")).balance).toBe("0.6");
    expect((await grantCredit(t, subject, "-0.6")).balance).toBe("0");

    const refused = await t.gql(GRANT, { s: subject, a: "-0.000000001" }, { token: t.adminToken });
    expect(codeOf(refused)).toBe("BAD_USER_INPUT");
    const user = await t.app.services.db.user.findUniqueOrThrow({ where: { subject } });
    expect(user.balance).toBe(0n);
    expect((await ledgerOf(t, subject)).map((e) => [e.kind, formatMoney(e.amount), formatMoney(e.balanceAfter)])).toEqual([
      ["CREDIT", "1", "1"],
      ["DEBIT", "0.4", "0.6"],
      ["DEBIT", "0.6", "0"],
    ]);

    // Below zero from a positive balance is refused just the same.
    await grantCredit(t, subject, "0.5");
    expect(codeOf(await t.gql(GRANT, { s: subject, a: "-0.6" }, { token: t.adminToken }))).toBe("BAD_USER_INPUT");
    expect((await t.app.services.db.user.findUniqueOrThrow({ where: { subject } })).balance).toBe(500_000_000n);
  });

  it("creates a user it has never seen, with the credit and the USER role", async () => {
    const subject = "newcomer@money";
    expect(await t.app.services.db.user.findUnique({ where: { subject } })).toBeNull();
    const res = await t.gql(GRANT, { s: subject, a: "3.25" }, { token: t.adminToken });
    expect(res.errors).toBeUndefined();
    expect(res.data!.grantCredit).toMatchObject({ subject, role: "USER", balance: "3.25", held: "0" });
    expect(await me(await tokenFor(subject))).toMatchObject({ subject, balance: "3.25", held: "0" });
  });

  it("is refused with FORBIDDEN for a caller without the admin role, changing nothing", async () => {
    const subject = "greedy@money";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "1");
    const res = await t.gql(GRANT, { s: subject, a: "100" }, { token });
    expect(codeOf(res)).toBe("FORBIDDEN");
    expect(res.data?.grantCredit ?? null).toBeNull();
    expect(await me(token)).toMatchObject({ balance: "1", held: "0" });
    expect((await ledgerOf(t, subject)).map((e) => e.kind)).toEqual(["CREDIT"]);
  });

  it("accepts decimal strings with up to 9 decimals and refuses more decimals, float literals and non-numbers", async () => {
    const subject = "scalar@money";
    const ok = await t.gql(GRANT, { s: subject, a: "1.5" }, { token: t.adminToken });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.grantCredit.balance).toBe("1.5");
    const nine = await t.gql(GRANT, { s: subject, a: "0.000000001" }, { token: t.adminToken });
    expect(nine.data!.grantCredit.balance).toBe("1.500000001");

    const tooPrecise = await t.gql(GRANT, { s: subject, a: "1.0000000001" }, { token: t.adminToken });
    expect(codeOf(tooPrecise)).toBe("BAD_USER_INPUT");
    const notANumber = await t.gql(GRANT, { s: subject, a: "abc" }, { token: t.adminToken });
    expect(codeOf(notANumber)).toBe("BAD_USER_INPUT");
    const floatVariable = await t.gql(GRANT, { s: subject, a: 1.5 }, { token: t.adminToken });
    expect(codeOf(floatVariable)).toBe("BAD_USER_INPUT");
    const floatLiteral = await t.gql(
      `mutation { grantCredit(subject: "${subject}", amount: 1.5) { balance } }`,
      {},
      { token: t.adminToken },
    );
    expect(floatLiteral.errors?.length).toBeGreaterThan(0);
    expect(floatLiteral.data?.grantCredit ?? null).toBeNull();

    expect((await t.app.services.db.user.findUniqueOrThrow({ where: { subject } })).balance).toBe(1_500_000_001n);
  });

  it("adds decimal amounts exactly: 0.1 + 0.2 is 0.3", async () => {
    const subject = "exact@money";
    await grantCredit(t, subject, "0.1");
    expect((await grantCredit(t, subject, "0.2")).balance).toBe("0.3");
    const many = await Promise.all(Array.from({ length: 7 }, () => grantCredit(t, subject, "0.1")));
    expect(many).toHaveLength(7);
    expect(await me(await tokenFor(subject))).toMatchObject({ balance: "1", held: "0" });
  });
});

describe("the books balance", () => {
  it("holds balance + held + settled = credited − debited, and held = held − settled − released, for every user in the database", async () => {
    // One statement, so the worker's concurrent movements cannot tear the reading.
    const rows = await t.app.services.db.$queryRaw<
      { subject: string; balance: bigint; held: bigint; credit: bigint; debit: bigint; hold: bigint; settle: bigint; release: bigint }[]
    >`
      SELECT u.subject, u.balance, u.held,
        COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'CREDIT'), 0)::bigint AS credit,
        COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'DEBIT'), 0)::bigint AS debit,
        COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'HOLD'), 0)::bigint AS hold,
        COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'SETTLE'), 0)::bigint AS settle,
        COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'RELEASE'), 0)::bigint AS release
      FROM users u LEFT JOIN ledger l ON l."userId" = u.id
      GROUP BY u.id`;
    // every user this file touched, with money that moved
    expect(rows.filter((r) => r.credit > 0n).length).toBeGreaterThanOrEqual(14);
    expect(
      rows.some((r) => r.held > 0n),
      "some tasks are still running",
    ).toBe(true);
    for (const r of rows) {
      expect(r.balance + r.held + r.settle, `${r.subject}: balance + held + settled`).toBe(r.credit - r.debit);
      expect(r.held, `${r.subject}: held`).toBe(r.hold - r.settle - r.release);
      expect(r.balance >= 0n && r.held >= 0n, `${r.subject}: never negative`).toBe(true);
    }
  });
});
