/**
 * A channel's poll budget (Channel.pollsPerSecond) holds across workers: two worker instances
 * on one database and one Redis prefix, with far more due polls than the budget, never send
 * the provider more than the budget in any second between them, and both keep polling.
 */
import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { TEST_REDIS_URL, uniqueRedisPrefix } from "../helpers/app.js";
import { CREATE_VIDEO } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { timestamps, until } from "../helpers/wait.js";
import type { RecordedRequest } from "../mocks/openai-videos.js";

const BUDGET = 2; // polls per second
const TASKS = 6;
/** how many polls of the budget the test watches: several seconds' worth */
const WATCHED_POLLS = 5 * BUDGET;
const SECOND_MS = 1_000;

const redis = { redisUrl: TEST_REDIS_URL, redisPrefix: uniqueRedisPrefix() };
// Queued for good: every task stays due for polls as long as the test runs.
const api = useTestApp({
  mock: "openai",
  mockOptions: { script: { queuedPolls: Number.MAX_SAFE_INTEGER } },
  config: { ...redis, role: "api", maxActiveTasksPerUser: TASKS },
  channels: [{ name: "budgeted", models: ["sora-2"] }],
});
const workerConfig = { ...redis, role: "worker" as const, pollIntervalMs: 100 };
const first = useTestApp(() => ({ database: api.database, config: workerConfig }));
const second = useTestApp(() => ({ database: api.database, config: workerConfig }));

/** polls the worker made, from its own metrics */
async function pollsBy(app: typeof first) {
  const metric = await app.app.services.metrics.pollSeconds.get();
  return metric.values.filter((v) => v.metricName === "reelay_poll_duration_seconds_count").reduce((sum, v) => sum + v.value, 0);
}

/** the most requests among `times` in any window of `ms` */
function mostWithin(times: number[], ms: number) {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= ms) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe("a channel's poll budget", () => {
  it("keeps two workers together within pollsPerSecond at the provider, in every second, and lets both poll", async () => {
    const patched = await api.gql(
      `mutation { updateChannel(name: "budgeted", patch: { pollsPerSecond: ${BUDGET} }) { pollsPerSecond } }`,
      {},
      { token: api.adminToken },
    );
    expect(patched.data?.updateChannel.pollsPerSecond).toBe(BUDGET);

    const token = await api.userWithCredit("budget@polling", "10");
    const arrivedAt = timestamps(api.mock);
    const ids = new Set<string>();
    for (let i = 0; i < TASKS; i++) {
      const res = await api.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: `budgeted ${i}`, seconds: 4 } }, { token });
      expect(res.errors).toBeUndefined();
      const row = await api.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(res.data!.createVideo.id)! } });
      ids.add(row.upstreamId!);
    }
    const isPoll = (r: RecordedRequest) => r.method === "GET" && ids.has(r.path.split("/")[3] ?? "") && r.path.split("/").length === 4;
    const polls = () => api.mock.requests.filter(isPoll);

    const polledTasks = () => new Set(polls().map((r) => r.path.split("/")[3])).size;
    await until("the watched polls", () => polls().length >= WATCHED_POLLS, 20_000);
    await until("both workers to have polled", async () => (await pollsBy(first)) > 0 && (await pollsBy(second)) > 0, 20_000);
    // Put off, never dropped: every task gets its polls.
    await until("every task to have been polled", () => polledTasks() === TASKS, 20_000);

    expect(mostWithin(polls().map(arrivedAt), SECOND_MS)).toBeLessThanOrEqual(BUDGET);
  });
});
