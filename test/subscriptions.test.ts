import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, TEST_REDIS_URL, type TestApp, uniqueRedisPrefix } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, waitForTask } from "./helpers/fixtures.js";
import { Collector, wsClient } from "./helpers/subscriptions.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp, useTestDatabase } from "./helpers/use-test-app.js";
import { until } from "./helpers/wait.js";

interface TaskView {
  id: string;
  status: string;
  progress: number;
  cost: string;
  error: { code: string; message: string } | null;
}
type Progress = { taskProgress: TaskView };

const VIEW = "id status progress cost error { code message }";
const BY_ID = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { ${VIEW} } }`;
const ALL = /* GraphQL */ `subscription { taskProgress { ${VIEW} } }`;
const VIDEO_TASK = /* GraphQL */ `query($id: ID!) { videoTask(id: $id) { ${VIEW} } }`;
const CANCEL = /* GraphQL */ `mutation($id: ID!) { cancelTask(id: $id) { ${VIEW} } }`;
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
/** prompts containing this stay queued upstream until the test moves them with setJobState */
const HOLD = "[hold]";

const t = useTestApp({
  mock: "openai",
  mockOptions: { script: { queuedPolls: 1, progressSteps: [20, 40, 60, 80] }, scripts: { [HOLD]: { queuedPolls: 1_000_000 } } },
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
});
const { mock } = t;
const clients: { dispose(): unknown }[] = [];

// Before the instance stops (hooks after all run last-registered first): an open subscriber would hold its shutdown.
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

/** a graphql-ws client disposed after the file */
function client(app: TestApp, token?: string | null, onClose?: (code: number) => void) {
  const c = wsClient(app.wsUrl, token, onClose);
  clients.push(c);
  return c;
}

async function userWithCredit(app: TestApp, subject: string, amount = "10") {
  await grantCredit(app, subject, amount);
  return tokenFor(subject);
}

async function createTask(app: TestApp, token: string, prompt: string): Promise<TaskView> {
  const res = await app.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720" } }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.createVideo as TaskView;
}

/** the upstream job of a task, found by its (unique) prompt */
function upstreamIdOf(app: TestApp, prompt: string) {
  return until(
    `an upstream id recorded for "${prompt}"`,
    async () => (await app.app.services.db.task.findFirst({ where: { prompt }, select: { upstreamId: true } }))?.upstreamId,
  );
}

/** Reads a subscription by id until its terminal state; fails if it goes quiet or errs. */
async function untilTerminal(updates: Collector<Progress>, timeoutMs = 10_000) {
  const seen: TaskView[] = [];
  for (;;) {
    const next = await updates.next(timeoutMs);
    expect(next, `the subscription went quiet; seen so far: ${JSON.stringify(seen)}`).not.toBeNull();
    expect(next!.errors).toBeUndefined();
    seen.push(next!.data!.taskProgress);
    if (TERMINAL.has(next!.data!.taskProgress.status)) return seen;
  }
}

/** Everything a collector still has, until it stays quiet for `quietMs`. */
async function drain(updates: Collector<Progress>, quietMs = 600) {
  const rest: TaskView[] = [];
  for (let next = await updates.next(quietMs); next; next = await updates.next(quietMs)) {
    if (next.data) rest.push(next.data.taskProgress);
  }
  return rest;
}

const isNonDecreasing = (values: number[]) => values.every((v, i) => i === 0 || v >= values[i - 1]);

/** Errors a subscription reported, whether as a result with errors or as a graphql-ws error message. */
function errorsOf(updates: Collector<Progress>) {
  const fromResults = updates.results.flatMap((r) => r.errors ?? []);
  const fromError = Array.isArray(updates.error) ? (updates.error as { message: string; extensions?: Record<string, unknown> }[]) : [];
  return [...fromResults, ...fromError];
}

describe("taskProgress with an id, over graphql-ws", () => {
  it("sends the current state at once, then non-decreasing progress, and completes after COMPLETED", async () => {
    const token = await userWithCredit(t, "ws-complete@subs");
    const task = await createTask(t, token, "a lighthouse in a storm");
    const before = (await t.gql(VIDEO_TASK, { id: task.id }, { token })).data!.videoTask as TaskView;

    const updates = new Collector<Progress>(client(t, token), BY_ID, { id: task.id });
    const seen = await untilTerminal(updates);

    // The first message is the state the task was in, not a later change: it is still running.
    expect(seen[0]).toMatchObject({ id: task.id, cost: "0.4" });
    expect(["QUEUED", "PROCESSING"]).toContain(seen[0].status);
    expect(seen[0].progress).toBeGreaterThanOrEqual(before.progress);
    expect(isNonDecreasing(seen.map((s) => s.progress))).toBe(true);
    expect(
      seen.some((s) => s.status === "PROCESSING" && s.progress > 0 && s.progress < 100),
      JSON.stringify(seen),
    ).toBe(true);
    expect(seen.at(-1)).toMatchObject({ id: task.id, status: "COMPLETED", progress: 100, cost: "0.4", error: null });
    expect(await updates.completion(), "a subscription by id completes after the terminal state").toBe(true);
    expect(updates.results).toHaveLength(seen.length);
    expect(updates.error).toBeNull();
  });

  it("sends the state the task is in when subscribing, not the state it was created in, then each change", async () => {
    const token = await userWithCredit(t, "ws-current@subs");
    const prompt = `a slow glacier ${HOLD}`;
    const task = await createTask(t, token, prompt);
    mock.setJobState(await upstreamIdOf(t, prompt), { status: "in_progress", progress: 40 });
    await waitForTask(t, token, task.id, (x) => x.status === "PROCESSING" && x.progress === 40);

    const updates = new Collector<Progress>(client(t, token), BY_ID, { id: task.id });
    const first = await updates.next(3_000);
    expect(first?.errors).toBeUndefined();
    expect(first?.data?.taskProgress).toMatchObject({ id: task.id, status: "PROCESSING", progress: 40, cost: "0.4" });
    // The poller keeps reading the same upstream state: no change, no message.
    expect(await updates.next(700)).toBeNull();

    mock.setJobState(await upstreamIdOf(t, prompt), { progress: 70 });
    expect((await updates.next(5_000))?.data?.taskProgress).toMatchObject({ status: "PROCESSING", progress: 70 });
    mock.setJobState(await upstreamIdOf(t, prompt), { status: "completed" });
    expect((await updates.next(5_000))?.data?.taskProgress).toMatchObject({ status: "COMPLETED", progress: 100 });
    expect(await updates.completion()).toBe(true);
  });

  it("sends one message and completes when the task is already COMPLETED", async () => {
    const token = await userWithCredit(t, "ws-done@subs");
    const task = await createTask(t, token, "a finished painting");
    await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");

    const updates = new Collector<Progress>(client(t, token), BY_ID, { id: task.id });
    const first = await updates.next(3_000);
    expect(first?.data?.taskProgress).toMatchObject({ id: task.id, status: "COMPLETED", progress: 100, cost: "0.4" });
    expect(await updates.completion()).toBe(true);
    expect(updates.results).toHaveLength(1);
    expect(updates.error).toBeNull();
  });

  it("completes after FAILED, with the failure and a zero cost", async () => {
    const subject = "ws-fail@subs";
    const token = await userWithCredit(t, subject);
    const task = await createTask(t, token, "a doomed render [fail]");

    const updates = new Collector<Progress>(client(t, token), BY_ID, { id: task.id });
    const seen = await untilTerminal(updates);
    expect(isNonDecreasing(seen.map((s) => s.progress))).toBe(true);
    expect(seen.at(-1)).toMatchObject({ id: task.id, status: "FAILED", cost: "0" });
    expect(seen.at(-1)!.error?.code).toBeTruthy();
    expect(await updates.completion()).toBe(true);
    expect(updates.results).toHaveLength(seen.length);

    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "10", held: "0" });
  });

  it("delivers CANCELLED with cost 0 to a subscriber when the task is cancelled, then completes", async () => {
    const subject = "ws-cancel@subs";
    const token = await userWithCredit(t, subject);
    const task = await createTask(t, token, `a cancelled voyage ${HOLD}`);

    const updates = new Collector<Progress>(client(t, token), BY_ID, { id: task.id });
    const first = await updates.next(3_000);
    expect(first?.data?.taskProgress).toMatchObject({ id: task.id, status: "QUEUED", cost: "0.4" });

    const cancelled = await t.gql(CANCEL, { id: task.id }, { token });
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelTask).toMatchObject({ status: "CANCELLED", cost: "0" });

    const last = await updates.next(5_000);
    expect(last?.data?.taskProgress).toMatchObject({ id: task.id, status: "CANCELLED", cost: "0" });
    expect(await updates.completion()).toBe(true);
    expect(updates.results).toHaveLength(2);

    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "10", held: "0" });
    expect((await ledgerOf(t, subject)).map((e) => e.kind)).toEqual(["CREDIT", "HOLD", "RELEASE"]);
  });
});

describe("taskProgress without an id", () => {
  it("sends the caller's running tasks at once, then changes of all their tasks, and never another user's", async () => {
    const token = await userWithCredit(t, "ws-all@subs");
    const otherToken = await userWithCredit(t, "ws-all-other@subs");
    const held = await createTask(t, token, `a waiting room ${HOLD}`);

    const updates = new Collector<Progress>(client(t, token), ALL);
    const initial = await updates.next(3_000);
    expect(initial?.errors).toBeUndefined();
    expect(initial?.data?.taskProgress).toMatchObject({ id: held.id, status: "QUEUED", progress: 0 });

    // Two of the caller's tasks and, at the same time, one of another user.
    const [a, b, foreign] = await Promise.all([
      createTask(t, token, "first of two"),
      createTask(t, token, "second of two"),
      createTask(t, otherToken, "somebody else's film"),
    ]);
    const mine = new Set([held.id, a.id, b.id]);
    const seen: TaskView[] = [initial!.data!.taskProgress];
    const completed = new Set<string>();
    while (completed.size < 2) {
      const next = await updates.next(10_000);
      expect(next, `the subscription went quiet; seen so far: ${JSON.stringify(seen)}`).not.toBeNull();
      expect(next!.errors).toBeUndefined();
      const view = next!.data!.taskProgress;
      seen.push(view);
      if (view.status === "COMPLETED") completed.add(view.id);
    }
    expect([...completed].sort()).toEqual([a.id, b.id].sort());
    for (const id of [a.id, b.id]) {
      expect(isNonDecreasing(seen.filter((s) => s.id === id).map((s) => s.progress))).toBe(true);
    }

    // The other user's task runs to its end; none of its events reach this subscriber.
    await waitForTask(t, otherToken, foreign.id, (x) => x.status === "COMPLETED");
    seen.push(...(await drain(updates)));
    expect(seen.map((s) => s.id)).not.toContain(foreign.id);
    expect(seen.every((s) => mine.has(s.id))).toBe(true);
    // A subscription of all tasks does not end when some of them do.
    expect(updates.completed).toBe(false);

    expect((await t.gql(CANCEL, { id: held.id }, { token })).errors).toBeUndefined();
    expect((await updates.until((d) => d.taskProgress.id === held.id, 5_000))?.data?.taskProgress).toMatchObject({
      status: "CANCELLED",
      cost: "0",
    });
    updates.dispose();
  });
});

describe("who may watch what", () => {
  it("answers NOT_FOUND and no data for another user's task id", async () => {
    const ownerToken = await userWithCredit(t, "owner@subs");
    const task = await createTask(t, ownerToken, `a private diary ${HOLD}`);
    const intruderToken = await tokenFor("intruder@subs");

    const updates = new Collector<Progress>(client(t, intruderToken), BY_ID, { id: task.id });
    expect(await updates.completion()).toBe(true);
    expect(updates.results.some((r) => r.data?.taskProgress)).toBe(false);
    const errors = errorsOf(updates);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].extensions?.code).toBe("NOT_FOUND");

    // The same for an id that does not exist at all: nothing tells the two apart.
    const missing = new Collector<Progress>(client(t, intruderToken), BY_ID, { id: "00000000-0000-4000-8000-000000000000" });
    expect(await missing.completion()).toBe(true);
    expect(missing.results.some((r) => r.data?.taskProgress)).toBe(false);
    expect(errorsOf(missing)[0]?.extensions?.code).toBe("NOT_FOUND");

    expect((await t.gql(CANCEL, { id: task.id }, { token: ownerToken })).errors).toBeUndefined();
  });

  const badTokens: [string, () => Promise<string | null>][] = [
    ["no token", async () => null],
    ["an expired token", () => tokenFor("expired@subs", { expiresIn: Math.floor(Date.now() / 1000) - 10 })],
    ["a token signed with another secret", () => tokenFor("forged@subs", { secret: "not-the-server-secret" })],
    ["a malformed token", async () => "not.a.jwt"],
  ];

  it.each(badTokens)("closes the WebSocket with 4403 and sends nothing when connecting with %s", async (_what, makeToken) => {
    const ownerToken = await userWithCredit(t, "ws-auth-owner@subs");
    const task = await createTask(t, ownerToken, `a locked door ${Math.random()}`);
    const token = await makeToken();

    let closeCode: number | null = null;
    const updates = new Collector<Progress>(
      client(t, token, (code) => (closeCode = code)),
      BY_ID,
      { id: task.id },
    );
    expect(await updates.completion(5_000), "the subscription ends when the socket is refused").toBe(true);
    expect(closeCode).toBe(4403);
    expect(updates.results).toHaveLength(0);
    // No user was created for a token the server did not accept.
    expect(await t.app.services.db.user.count({ where: { subject: { in: ["expired@subs", "forged@subs"] } } })).toBe(0);
  });

  it("answers UNAUTHENTICATED over HTTP for a forged or expired token", async () => {
    for (const token of [
      await tokenFor("ws-all@subs", { secret: "not-the-server-secret" }),
      await tokenFor("ws-all@subs", { expiresIn: Math.floor(Date.now() / 1000) - 10 }),
    ]) {
      const res = await t.gql(ME, {}, { token });
      expect(codeOf(res)).toBe("UNAUTHENTICATED");
      expect(res.data?.me ?? null).toBeNull();
    }
  });
});

interface SseFrame {
  event: string;
  data: string;
}

/** POSTs a subscription as GraphQL over SSE and returns the response and its frames, read until the stream ends. */
async function sse(
  app: TestApp,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
  onFrame?: (frame: SseFrame) => void,
  timeoutMs = 15_000,
) {
  const abort = AbortSignal.timeout(timeoutMs);
  const res = await fetch(app.url, {
    method: "POST",
    headers: { accept: "text/event-stream", "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: abort,
  });
  const frames: SseFrame[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame: SseFrame = { event: "message", data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // keep-alive comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") frame.event = value;
        if (field === "data") data.push(value);
      }
      if (block.split("\n").every((line) => line.startsWith(":") || line === "")) continue;
      frame.data = data.join("\n");
      frames.push(frame);
      onFrame?.(frame);
    }
  }
  return { status: res.status, contentType: res.headers.get("content-type"), frames };
}

describe("taskProgress over GraphQL over SSE", () => {
  it("streams the current state first, each change, COMPLETED last, then ends the stream", async () => {
    const token = await userWithCredit(t, "sse@subs");
    const prompt = `a river seen over SSE ${HOLD}`;
    const task = await createTask(t, token, prompt);
    const upstreamId = await upstreamIdOf(t, prompt);
    mock.setJobState(upstreamId, { status: "in_progress", progress: 30 });
    await waitForTask(t, token, task.id, (x) => x.status === "PROCESSING" && x.progress === 30);

    // Each data frame moves the job one step further, so the stream sees every change.
    const steps = [() => mock.setJobState(upstreamId, { progress: 60 }), () => mock.setJobState(upstreamId, { status: "completed" })];
    const stream = await sse(t, BY_ID, { id: task.id }, token, (frame) => {
      if (frame.event === "next") steps.shift()?.();
    });

    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.frames.at(-1)?.event).toBe("complete");
    const next = stream.frames.filter((f) => f.event === "next").map((f) => JSON.parse(f.data) as { data?: Progress; errors?: unknown[] });
    expect(stream.frames.filter((f) => f.event !== "next" && f.event !== "complete")).toEqual([]);
    expect(next.every((r) => r.errors === undefined)).toBe(true);
    const seen = next.map((r) => r.data!.taskProgress);
    expect(seen[0]).toMatchObject({ id: task.id, status: "PROCESSING", progress: 30 });
    expect(seen.map((s) => s.progress)).toEqual([30, 60, 100]);
    expect(seen.at(-1)).toMatchObject({ id: task.id, status: "COMPLETED", progress: 100, cost: "0.4" });
  });

  it("refuses an SSE subscription without a valid token with UNAUTHENTICATED and no data", async () => {
    const token = await userWithCredit(t, "sse-owner@subs");
    const task = await createTask(t, token, `an SSE secret ${HOLD}`);
    for (const bad of [null, await tokenFor("sse-owner@subs", { secret: "not-the-server-secret" })]) {
      const stream = await sse(t, BY_ID, { id: task.id }, bad, undefined, 5_000);
      const results = stream.frames
        .filter((f) => f.event === "next")
        .map((f) => JSON.parse(f.data) as { data?: Progress | null; errors?: { extensions?: { code?: string } }[] });
      expect(results.some((r) => r.data?.taskProgress)).toBe(false);
      expect(results[0]?.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    expect((await t.gql(CANCEL, { id: task.id }, { token })).errors).toBeUndefined();
  });
});

describe("across instances over Redis", () => {
  const shared = useTestDatabase();
  const prefix = uniqueRedisPrefix();
  const otherPrefix = uniqueRedisPrefix();
  let raw: Redis;
  const published: { channel: string; message: string }[] = [];

  beforeAll(async () => {
    // Every channel on this Redis, so that one published outside the prefix would be seen too.
    raw = new Redis(TEST_REDIS_URL);
    raw.on("pmessage", (_pattern: string, channel: string, message: string) => published.push({ channel, message }));
    await raw.psubscribe("*");
  });
  const redis = (role: "api" | "worker", redisPrefix: string) => ({ role, redisUrl: TEST_REDIS_URL, redisPrefix });
  const api = useTestApp({
    database: shared,
    config: redis("api", prefix),
    channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"], mock }],
  });
  const worker = useTestApp({ database: shared, config: redis("worker", prefix) });
  const isolated = useTestApp({ database: shared, config: redis("api", otherPrefix) });

  // Runs before the instances stop (hooks after all run last-registered first).
  afterAll(async () => {
    // An open subscriber would hold each instance's shutdown for its whole grace period.
    for (const c of clients.splice(0)) await c.dispose();
    raw?.disconnect();
  });

  it("delivers the progress a worker instance polls to a subscriber on an API instance, and nothing to another prefix", async () => {
    expect(api.app.poller).toBeNull();
    expect(isolated.app.poller).toBeNull();
    expect(worker.app.poller).not.toBeNull();

    const subject = "redis@subs";
    const token = await userWithCredit(api, subject);

    // The instance on another prefix watches every task of the same user in the same database.
    const parkedPrompt = `parked while watching ${HOLD}`;
    const parked = await createTask(api, token, parkedPrompt);
    const elsewhere = new Collector<Progress>(client(isolated, token), ALL);
    const initial = await elsewhere.next(3_000);
    expect(initial?.data?.taskProgress).toMatchObject({ id: parked.id, status: "QUEUED" });

    const task = await createTask(api, token, "a relay across instances");
    const updates = new Collector<Progress>(client(api, token), BY_ID, { id: task.id });
    const seen = await untilTerminal(updates);
    expect(seen[0].id).toBe(task.id);
    expect(
      seen.some((s) => s.status === "PROCESSING" && s.progress > 0 && s.progress < 100),
      JSON.stringify(seen),
    ).toBe(true);
    expect(isNonDecreasing(seen.map((s) => s.progress))).toBe(true);
    expect(seen.at(-1)).toMatchObject({ id: task.id, status: "COMPLETED", progress: 100, cost: "0.4" });
    expect(await updates.completion()).toBe(true);

    // A cancellation through the API instance is published on its prefix too.
    expect((await api.gql(CANCEL, { id: parked.id }, { token })).errors).toBeUndefined();

    // The other prefix heard nothing of either task beyond its initial state.
    expect(await drain(elsewhere, 1_000)).toEqual([]);
    expect(elsewhere.results).toHaveLength(1);

    // Every message about these tasks travelled on a channel under the prefix.
    const ids = await api.app.services.db.task.findMany({ where: { user: { subject } }, select: { id: true, userId: true } });
    const ours = published.filter((p) =>
      ids.some((row) => p.message.includes(row.id) || p.message.includes(row.userId) || p.channel.includes(row.id)),
    );
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.filter((p) => !p.channel.startsWith(prefix))).toEqual([]);
    expect(ours.some((p) => p.channel.includes("task:"))).toBe(true);
    expect(ours.some((p) => p.channel.includes("user:"))).toBe(true);
    const statuses = ours.map((p) => (JSON.parse(p.message) as { status: string }).status);
    expect(statuses).toContain("PROCESSING");
    expect(statuses).toContain("COMPLETED");
    expect(statuses).toContain("CANCELLED");
  });

  it("reports redis true on /ready when Redis is configured and reachable", async () => {
    for (const app of [api, worker]) {
      const res = await fetch(`${app.origin}/ready`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "ready", database: true, redis: true });
    }
    // Without Redis configured the probe does not claim one.
    const local = (await (await fetch(`${t.origin}/ready`)).json()) as Record<string, unknown>;
    expect(local).toMatchObject({ status: "ready", database: true });
    expect(local).not.toHaveProperty("redis");
  });
});

describe("one change, many subscribers", () => {
  it("reads the changed task once per instance for all subscribers with the same selection", async () => {
    const token = await userWithCredit(t, "crowd@subs");
    const prompt = `a crowd watching ${HOLD}`;
    const task = await createTask(t, token, prompt);
    const row = await t.app.services.db.task.findFirstOrThrow({ where: { prompt } });
    const watchers = Array.from({ length: 5 }, () => new Collector<{ taskProgress: TaskView }>(client(t, token), BY_ID, { id: task.id }));
    for (const w of watchers) expect(await w.next()).not.toBeNull(); // the current state

    const services = t.app.services;
    const taskDelegate = services.db.task;
    const original = taskDelegate.findUniqueOrThrow.bind(taskDelegate);
    let reads = 0;
    (taskDelegate as { findUniqueOrThrow: unknown }).findUniqueOrThrow = (args: Parameters<typeof original>[0]) => {
      reads++;
      return original(args);
    };
    try {
      await services.db.task.update({ where: { id: row.id }, data: { status: "PROCESSING", progress: 42 } });
      await services.pubsub.publish({ taskId: row.id, userId: row.userId, status: "PROCESSING", progress: 42 });
      for (const w of watchers) {
        const frame = await w.until((d) => d.taskProgress.progress === 42);
        expect(frame?.data?.taskProgress).toMatchObject({ status: "PROCESSING", progress: 42 });
      }
      expect(reads).toBe(1);
    } finally {
      (taskDelegate as { findUniqueOrThrow: unknown }).findUniqueOrThrow = original;
    }
  });
});
