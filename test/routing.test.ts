import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { Channel } from "../src/generated/prisma/client.js";
import { parseTaskId } from "../src/schema/tasks.js";
import { order } from "../src/tasks/routing.js";
import { codeOf, type TestApp } from "./helpers/app.js";
import { createTestClock, type TestClock } from "./helpers/clock.js";
import { CREATE_VIDEO, grantCredit, ME, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { startMockForTest, startTestAppForTest } from "./helpers/use-test-app.js";
import { until } from "./helpers/wait.js";
import { type MockOpenAIVideos, type MockOpenAIVideosOptions, mockFailures } from "./mocks/openai-videos.js";

const HEALTH = /* GraphQL */ `{ channels { name weight maxConcurrency runningTasks health { state consecutiveFailures openUntil lastError lastErrorAt } } }`;
/**
 * The circuit opens after two failures in a row and lets a trial through a minute later, a minute
 * that passes when a test advances its clock; a submission is tried twice.
 */
const CIRCUIT = { circuitFailureThreshold: 2, circuitCooldownMs: 60_000, submitAttempts: 2 };

/** An instance for this test, on its own database and clock, with gateways (mock servers, or a closed port) as channels. */
async function scenario(
  channels: {
    name: string;
    priority?: number;
    weight?: number;
    maxConcurrency?: number;
    whenFull?: "QUEUE" | "REFUSE";
    mock?: MockOpenAIVideos;
    closed?: boolean;
  }[],
  clock: TestClock = createTestClock(),
) {
  const t = await startTestAppForTest(CIRCUIT, { clock });
  for (const c of channels) {
    const baseUrl = c.closed ? `http://127.0.0.1:${await closedPort()}` : c.mock!.baseUrl;
    const res = await t.gql(
      `mutation($input: ChannelInput!) { upsertChannel(input: $input) { id } }`,
      {
        input: {
          name: c.name,
          provider: "openai",
          baseUrl,
          apiKey: c.mock?.apiKey ?? "sk-none",
          models: ["sora-2"],
          priority: c.priority ?? 0,
          weight: c.weight ?? 1,
          maxConcurrency: c.maxConcurrency ?? null,
          whenFull: c.whenFull ?? "QUEUE",
        },
      },
      { token: t.adminToken },
    );
    expect(res.errors).toBeUndefined();
  }
  return t;
}

const gateway = (options?: MockOpenAIVideosOptions) => startMockForTest("openai", options);

async function closedPort() {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function create(t: TestApp, subject: string, prompt: string, extra: Record<string, unknown> = {}) {
  const token = await tokenFor(subject);
  await grantCredit(t, subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, ...extra } }, { token });
  return { res, token, task: res.data?.createVideo };
}

const submissions = (mock: MockOpenAIVideos) => mock.requests.filter((r) => r.method === "POST" && r.path === "/v1/videos").length;
const health = async (t: TestApp, name: string) =>
  ((await t.gql(HEALTH, {}, { token: t.adminToken })).data!.channels as any[]).find((c) => c.name === name);

describe("spreading across channels of one priority", () => {
  it("puts each channel first in proportion to its weight", () => {
    // A seeded generator, so the figure is the same on every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const heavy = { id: "h", priority: 0, weight: 3 } as Channel;
    const light = { id: "l", priority: 0, weight: 1 } as Channel;
    const top = { id: "t", priority: 1, weight: 1 } as Channel;
    let heavyFirst = 0;
    for (let i = 0; i < 4_000; i++) {
      const ordered = order([light, heavy, top], random);
      expect(ordered[0]).toBe(top); // priority always wins
      if (ordered[1] === heavy) heavyFirst++;
    }
    expect(heavyFirst / 4_000).toBeGreaterThan(0.72);
    expect(heavyFirst / 4_000).toBeLessThan(0.78);
  });

  it("routes real tasks to both channels, the heavier more often", async () => {
    const heavy = await gateway();
    const light = await gateway();
    const t = await scenario([
      { name: "heavy", weight: 3, mock: heavy },
      { name: "light", weight: 1, mock: light },
    ]);
    // 60 draws at 3:1: the heavier channel gets no more than half of them with a chance of about 3 in 100,000 (40 draws: 6 in 10,000).
    for (let i = 0; i < 60; i++) expect((await create(t, `spread${i}@routing`, `a spread task ${i}`)).res.errors).toBeUndefined();
    expect(submissions(heavy) + submissions(light)).toBe(60);
    expect(submissions(light)).toBeGreaterThan(0);
    expect(submissions(heavy)).toBeGreaterThan(submissions(light));
  });
});

describe("failover", () => {
  for (const [why, failure] of [
    ["a 5xx", mockFailures.serverError()],
    ["a 429", mockFailures.rateLimit(1)],
  ] as const) {
    it(`moves a submission that gets ${why} to the next channel, which then serves its polls and download`, async () => {
      const primary = await gateway();
      const secondary = await gateway();
      const t = await scenario([
        { name: "primary", priority: 10, mock: primary },
        { name: "secondary", priority: 5, mock: secondary },
      ]);
      primary.failNext(1, { method: "POST", path: "/v1/videos" }, failure);
      const { task, token } = await create(t, "failover@routing", "a task that moves");
      expect(task).toMatchObject({ channel: "secondary", status: expect.stringMatching(/QUEUED|PROCESSING/) });
      expect(submissions(primary)).toBe(1); // one try, then the next channel
      const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
      const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
      const media = Buffer.from(await (await fetch(done.videoUrl)).arrayBuffer());
      expect(media.equals(secondary.contentOf(row.upstreamId!))).toBe(true);
      expect(primary.requests.filter((r) => r.method === "GET")).toHaveLength(0);
      expect((await health(t, "primary")).health).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringMatching(/.+/) });
    });
  }

  it("moves past a channel that refuses connections", async () => {
    const secondary = await gateway();
    const t = await scenario([
      { name: "down", priority: 10, closed: true },
      { name: "secondary", priority: 5, mock: secondary },
    ]);
    const { task } = await create(t, "refused@routing", "a task past a dead gateway");
    expect(task.channel).toBe("secondary");
    expect(submissions(secondary)).toBe(1);
  });

  it("does not fail over a request the provider refuses for content, and charges nothing", async () => {
    const primary = await gateway();
    const secondary = await gateway();
    const t = await scenario([
      { name: "primary", priority: 10, mock: primary },
      { name: "secondary", priority: 5, mock: secondary },
    ]);
    const { task, token } = await create(t, "refused-content@routing", "something [moderation]");
    expect(task).toMatchObject({ status: "FAILED", channel: "primary", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(submissions(secondary)).toBe(0);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    expect((await health(t, "primary")).health).toMatchObject({ state: "CLOSED", consecutiveFailures: 0 });
  });

  it("keeps a pinned task on its channel: no failover, the task fails and costs nothing", async () => {
    const primary = await gateway();
    const secondary = await gateway();
    const t = await scenario([
      { name: "primary", priority: 10, mock: primary },
      { name: "secondary", priority: 5, mock: secondary },
    ]);
    primary.failNext(2, { method: "POST", path: "/v1/videos" }, mockFailures.serverError());
    const { task } = await create(t, "pinned@routing", "a pinned task", { channel: "primary" });
    expect(task).toMatchObject({ status: "FAILED", channel: "primary", cost: "0" });
    expect(submissions(primary)).toBe(2); // the full retries on the one channel
    expect(submissions(secondary)).toBe(0);
  });
});

describe("circuit breaker", () => {
  it("takes a failing channel out of rotation, says why, tries it once after the cool-down, and closes on success", async () => {
    const flaky = await gateway();
    const steady = await gateway();
    const clock = createTestClock();
    const t = await scenario(
      [
        { name: "flaky", priority: 10, mock: flaky },
        { name: "steady", priority: 5, mock: steady },
      ],
      clock,
    );
    flaky.failNext(2, { method: "POST", path: "/v1/videos" }, mockFailures.overloaded());
    for (let i = 0; i < 2; i++) expect((await create(t, `trip${i}@routing`, `a tripping task ${i}`)).task.channel).toBe("steady");
    const open = await health(t, "flaky");
    expect(open.health).toMatchObject({ state: "OPEN", consecutiveFailures: 2, lastError: expect.stringMatching(/overloaded/) });
    expect(new Date(open.health.openUntil).getTime()).toBeGreaterThan(clock.now());

    const before = submissions(flaky);
    expect((await create(t, "skipped@routing", "a task while open")).task.channel).toBe("steady");
    expect(submissions(flaky)).toBe(before); // not even tried

    clock.advance(CIRCUIT.circuitCooldownMs); // the open circuit's cool-down ends
    expect((await health(t, "flaky")).health.state).toBe("HALF_OPEN");
    expect((await create(t, "trial@routing", "the trial task")).task.channel).toBe("flaky");
    expect((await health(t, "flaky")).health).toMatchObject({ state: "CLOSED", consecutiveFailures: 0, openUntil: null });
  });

  it("lets an admin put a channel back into rotation at once", async () => {
    const flaky = await gateway();
    const steady = await gateway();
    const t = await scenario([
      { name: "flaky", priority: 10, mock: flaky },
      { name: "steady", priority: 5, mock: steady },
    ]);
    flaky.failNext(2, { method: "POST", path: "/v1/videos" }, mockFailures.serverError());
    for (let i = 0; i < 2; i++) await create(t, `trip-reset${i}@routing`, `a tripping task ${i}`);
    expect((await health(t, "flaky")).health.state).toBe("OPEN");
    const reset = await t.gql(
      `mutation { resetChannelHealth(name: "flaky") { name health { state consecutiveFailures } } }`,
      {},
      { token: t.adminToken },
    );
    expect(reset.data!.resetChannelHealth.health).toEqual({ state: "CLOSED", consecutiveFailures: 0 });
    expect(
      codeOf(await t.gql(`mutation { resetChannelHealth(name: "flaky") { name } }`, {}, { token: await tokenFor("nobody@routing") })),
    ).toBe("FORBIDDEN");
    expect((await create(t, "after-reset@routing", "a task after the reset")).task.channel).toBe("flaky");
  });
});

describe("per-channel concurrency", () => {
  it("skips a channel at its limit, and refuses with RATE_LIMITED, charging nothing, when every channel is full and refuses", async () => {
    const small = await gateway({ script: { queuedPolls: 10_000 } });
    const spare = await gateway({ script: { queuedPolls: 10_000 } });
    const t = await scenario([
      { name: "small", priority: 10, maxConcurrency: 1, whenFull: "REFUSE", mock: small },
      { name: "spare", priority: 5, maxConcurrency: 1, whenFull: "REFUSE", mock: spare },
    ]);
    expect((await create(t, "one@routing", "the first task")).task.channel).toBe("small");
    expect((await create(t, "two@routing", "the second task")).task.channel).toBe("spare");
    const { res, token } = await create(t, "three@routing", "the third task");
    expect(codeOf(res)).toBe("RATE_LIMITED");
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    const listed = await health(t, "small");
    expect(listed).toMatchObject({ maxConcurrency: 1, runningTasks: 1 });
    await until("nothing more submitted", () => submissions(small) + submissions(spare) === 2);
  });

  it("refuses bad weights and limits in upsertChannel", async () => {
    const t = await scenario([]);
    for (const input of [{ weight: 0 }, { weight: 5_000 }, { maxConcurrency: 0 }]) {
      const res = await t.gql(
        `mutation($input: ChannelInput!) { upsertChannel(input: $input) { id } }`,
        { input: { name: "bad", provider: "openai", baseUrl: "https://gw.example", apiKey: "k", models: ["sora-2"], ...input } },
        { token: t.adminToken },
      );
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
    }
  });
});
