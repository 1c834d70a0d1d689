/**
 * Two Reelay instances on one database share a channel's slots: creates on both and both
 * slot queues count and take them under the channel's lock, so together they never run more
 * tasks on it than its maxConcurrency, and every waiting task is submitted in the end.
 */
import { expect, it, onTestFinished } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { createTestDatabase } from "../helpers/database.js";
import { checkMoney } from "../helpers/invariants.js";
import { startMockForTest } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import { created, HELD_JOBS, limitedChannel, submittedPrompts, userWithCredit } from "./helpers.js";

const LIMIT = 2;
const TASKS = 8;
const CONFIG = { rateLimitPerMinute: 1_000, maxActiveTasksPerUser: 0 };
const POSITIONS = /* GraphQL */ `{ tasks(first: 20) { edges { node { id status queuePosition } } } }`;

it("two instances never run more tasks on a channel than its limit, and submit every waiting task", { timeout: 60_000 }, async () => {
  const database = await createTestDatabase();
  const mock = await startMockForTest("openai", HELD_JOBS);
  const a = await startTestApp({ databaseUrl: database.url, config: CONFIG });
  const b = await startTestApp({ databaseUrl: database.url, config: CONFIG });
  onTestFinished(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await database.drop();
  });
  await limitedChannel(a, mock, { name: "shared", maxConcurrency: LIMIT });
  const token = await userWithCredit(a, "shared@queue");

  // All at once, half through each instance.
  const prompts = Array.from({ length: TASKS }, (_, i) => `task ${i + 1}`);
  await Promise.all(prompts.map((prompt, i) => created(i % 2 === 0 ? a : b, token, prompt)));
  expect(submittedPrompts(mock)).toHaveLength(LIMIT);
  const listed = (await a.gql(POSITIONS, {}, { token })).data!.tasks.edges.map((e: { node: { queuePosition: number | null } }) => e.node);
  expect(listed.map((n: { queuePosition: number | null }) => n.queuePosition ?? 0).sort()).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);

  // Finish whatever runs, as it appears, until every task is done; both slot queues take the freed slots.
  const runningNow = () =>
    a.app.services.db.task.count({ where: { status: { in: ["QUEUED", "PROCESSING"] }, waitingSince: null, upstreamId: { not: null } } });
  await until(
    "every task completed",
    async () => {
      expect(await runningNow()).toBeLessThanOrEqual(LIMIT);
      for (const job of mock.jobs.values())
        if (job.video.status === "queued" && !job.pinned) mock.setJobState(job.video.id, { status: "completed" });
      return (await a.app.services.db.task.count({ where: { status: "COMPLETED" } })) === TASKS;
    },
    45_000,
  );
  expect(mock.peakActive()).toBe(LIMIT);
  expect(submittedPrompts(mock).sort()).toEqual([...prompts].sort());
  expect((await checkMoney(database.url)).violations).toEqual([]);
});
