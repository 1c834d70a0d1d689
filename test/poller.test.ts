import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { hold } from "../src/billing/ledger.js";
import { UpstreamError } from "../src/providers/errors.js";
import { openaiAdaptor } from "../src/providers/openai.js";
import { parseTaskId } from "../src/schema/tasks.js";
import { createPoller, type Poller } from "../src/worker/poller.js";
import type { TestApp } from "./helpers/app.js";
import { createTestClock } from "./helpers/clock.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, TASK_FIELDS, upsertChannel, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { useMock, useStarted, useTestApp } from "./helpers/use-test-app.js";
import { expectNothingWithin, sleep, timestamps, until } from "./helpers/wait.js";
import { type MockOpenAIVideos, mockFailures, openAIError, type RecordedRequest, type VideoStatus } from "./mocks/openai-videos.js";

// ---------------------------------------------------------------------------------------------
// helpers of this file
// ---------------------------------------------------------------------------------------------

const pollsOf = (mock: MockOpenAIVideos, upstreamId: string) =>
  mock.requests.filter((r) => r.method === "GET" && r.path === `/v1/videos/${upstreamId}`);

/** A reverse proxy in front of a mock that records when each request started and finished, optionally delaying answers. */
interface ProxyEntry {
  method: string;
  path: string;
  start: number;
  end: number | null;
}
async function startRecordingProxy(target: string, delay: (method: string, path: string) => number = () => 0) {
  const log: ProxyEntry[] = [];
  const server: Server = createServer((req, res) => {
    const entry: ProxyEntry = { method: req.method ?? "GET", path: req.url ?? "/", start: Date.now(), end: null };
    log.push(entry);
    res.on("close", () => (entry.end = Date.now()));
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      setTimeout(
        () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
        delay(entry.method, new URL(entry.path, "http://x").pathname),
      );
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const taskQuery = `query($id: ID!) { videoTask(id: $id) { ${TASK_FIELDS} } }`;

async function create(t: TestApp, token: string, input: Record<string, unknown>) {
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", seconds: 4, size: "1280x720", ...input } }, { token });
  expect(res.errors).toBeUndefined();
  const task = res.data!.createVideo;
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
  expect(row.upstreamId).toBeTruthy();
  return { task, rowId: row.id, upstreamId: row.upstreamId! };
}

const rowOf = (t: TestApp, id: string) => t.app.services.db.task.findUniqueOrThrow({ where: { id } });

// ---------------------------------------------------------------------------------------------
// the main instance: default test config (pollIntervalMs 100, maxPollBackoffMs 1000), on a test clock
// ---------------------------------------------------------------------------------------------

const clock = createTestClock();
const t = useTestApp({
  mock: "openai",
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
  clock,
  // The lease race below runs 30 tasks of one user at once.
  config: { maxActiveTasksPerUser: 30 },
});
const { mock } = t;
/** when a request reached the mock, on the instance's clock */
let arrival: (r: RecordedRequest) => number;

beforeAll(() => {
  arrival = timestamps(mock, clock);
});

describe("status mapping and progress", () => {
  it("never lets stored progress decrease when the provider reports a lower value than before", async () => {
    const subject = "dip@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    mock.scriptFor("[dip]", { queuedPolls: 1, progressSteps: [30, 20, 60] });
    const { rowId } = await create(t, token, { prompt: "[dip] a wave" });

    const seen: number[] = [];
    await until("completion", async () => {
      const row = await rowOf(t, rowId);
      if (seen.at(-1) !== row.progress) seen.push(row.progress);
      return row.status === "COMPLETED";
    });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen).toContain(30);
    expect(seen).toContain(60);
    expect(seen).not.toContain(20);
    expect(seen.at(-1)).toBe(100);
  });

  it("keeps the higher progress across several polls that report a lower one, and follows gateways' status words", async () => {
    const subject = "words@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    mock.scriptFor("[pinned]", { queuedPolls: 10_000 });
    const { task, rowId, upstreamId } = await create(t, token, { prompt: "[pinned] a gull" });
    const pollsAfter = async (n: number) => {
      const from = pollsOf(mock, upstreamId).length;
      await until(`${n} more polls`, () => pollsOf(mock, upstreamId).length >= from + n);
    };

    // new-api's "pending" is still queued
    mock.setJobState(upstreamId, { status: "pending" as VideoStatus, progress: 0 });
    await pollsAfter(2);
    expect(await rowOf(t, rowId)).toMatchObject({ status: "QUEUED", progress: 0 });

    // "processing" is running
    mock.setJobState(upstreamId, { status: "processing" as VideoStatus, progress: 30 });
    await until("PROCESSING 30", async () => {
      const row = await rowOf(t, rowId);
      return row.status === "PROCESSING" && row.progress === 30;
    });

    // a lower reading is ignored, however often it is repeated
    mock.setJobState(upstreamId, { progress: 20 });
    await pollsAfter(3);
    expect(await rowOf(t, rowId)).toMatchObject({ status: "PROCESSING", progress: 30 });
    expect((await t.gql(taskQuery, { id: task.id }, { token })).data!.videoTask).toMatchObject({ status: "PROCESSING", progress: 30 });

    // an unknown word keeps the task running (and progress still counts)
    mock.setJobState(upstreamId, { status: "rendering" as VideoStatus, progress: 60 });
    await until("progress 60", async () => (await rowOf(t, rowId)).progress === 60);
    await pollsAfter(3);
    expect(await rowOf(t, rowId)).toMatchObject({ status: "PROCESSING", progress: 60, errorCode: null });

    mock.setJobState(upstreamId, { status: "completed" });
    const done = await waitForTask(t, token, task.id, (x) => x.status !== "PROCESSING");
    expect(done).toMatchObject({ status: "COMPLETED", progress: 100, cost: "0.4" });
  });

  it("reads every status word gateways use (adaptor against a local server)", async () => {
    const words: Record<string, string> = {};
    const server = createServer((req, res) => {
      const id = decodeURIComponent(req.url!.split("/").pop()!);
      const auth = req.headers.authorization;
      const body =
        auth === "Bearer sk-words"
          ? { id, status: words[id], progress: 42, seconds: "8" }
          : openAIError("bad key", "invalid_request_error", "invalid_api_key");
      res.writeHead(auth === "Bearer sk-words" ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const channel = {
      id: "c",
      name: "words",
      provider: "openai",
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      apiKey: "sk-words",
    };
    const expected: Record<string, string> = {
      queued: "QUEUED",
      pending: "QUEUED",
      submitted: "QUEUED",
      not_start: "QUEUED",
      in_progress: "PROCESSING",
      processing: "PROCESSING",
      running: "PROCESSING",
      completed: "COMPLETED",
      succeeded: "COMPLETED",
      success: "COMPLETED",
      SUCCEEDED: "COMPLETED",
      failed: "FAILED",
      failure: "FAILED",
      error: "FAILED",
      cancelled: "CANCELLED",
      canceled: "CANCELLED",
      // unknown words: still running, never failed
      rendering: "PROCESSING",
      "": "PROCESSING",
    };
    try {
      for (const [word, status] of Object.entries(expected)) {
        const id = `video_${word || "empty"}`;
        words[id] = word;
        const snapshot = await openaiAdaptor.poll({ channel, task: { upstreamId: id, state: null, model: "sora-2" } });
        expect(snapshot.status, `status word "${word}"`).toBe(status);
        if (status === "COMPLETED") expect(snapshot).toMatchObject({ progress: 100, usage: { seconds: 8 } });
        if (status === "QUEUED" || status === "PROCESSING") expect(snapshot.progress).toBe(42);
        if (status === "FAILED") expect(snapshot.error?.code).toBeTruthy();
      }
      const refused = await openaiAdaptor
        .poll({ channel: { ...channel, apiKey: "sk-wrong" }, task: { upstreamId: "video_x", state: null, model: "sora-2" } })
        .catch((err) => err);
      expect(refused).toBeInstanceOf(UpstreamError);
      expect(refused.kind).toBe("unavailable");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("upstream errors while polling", () => {
  it("backs off on 429 (honouring Retry-After) and 500s, counts the errors, resets the count and still completes", async () => {
    const subject = "backoff@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    mock.scriptFor("[backoff]", { queuedPolls: 2, progressSteps: [50] });
    const { task, rowId, upstreamId } = await create(t, token, { prompt: "[backoff] rain" });
    const path = new RegExp(`^/v1/videos/${upstreamId}$`);
    const installedAt = mock.requests.length;
    mock.failNext(1, { method: "GET", path }, mockFailures.rateLimit(1));
    mock.failNext(2, { method: "GET", path }, mockFailures.serverError());

    const errorCounts: number[] = [];
    const sample = async () => {
      const row = await rowOf(t, rowId);
      if (errorCounts.at(-1) !== row.pollErrors) errorCounts.push(row.pollErrors);
      return row;
    };
    // Each failed poll puts the next one off; the clock moves to it instead of the test waiting.
    for (const errors of [1, 2, 3]) {
      const backingOff = await until(`failed poll ${errors} to be rescheduled`, async () => {
        const row = await sample();
        return row.pollErrors === errors && row.leaseOwner === null ? row : null;
      });
      clock.advanceTo(backingOff.nextPollAt);
    }
    await until("completion", async () => (await sample()).status === "COMPLETED", 15_000);
    expect(Math.max(...errorCounts)).toBe(3);
    expect(errorCounts.indexOf(3)).toBeGreaterThan(errorCounts.indexOf(2));
    expect(errorCounts.indexOf(2)).toBeGreaterThan(errorCounts.indexOf(1));
    expect(errorCounts.slice(errorCounts.indexOf(3))).toContain(0);
    expect((await rowOf(t, rowId)).pollErrors, "a successful poll resets the error count").toBe(0);

    const { pollIntervalMs, maxPollBackoffMs } = t.app.services.config;
    const backoff = (errors: number) => Math.min(maxPollBackoffMs, pollIntervalMs * 2 ** errors);
    const polls = mock.requests.slice(installedAt).filter((r) => r.method === "GET" && path.test(r.path));
    expect(polls.length).toBeGreaterThanOrEqual(4);
    const waits = [Math.max(backoff(1), 1_000), backoff(2), backoff(3)];
    for (let i = 0; i < waits.length; i++) {
      const gap = arrival(polls[i + 1]) - arrival(polls[i]); // on the instance's clock
      expect(gap, `gap after failed poll ${i + 1}`).toBeGreaterThanOrEqual(waits[i]);
    }

    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    expect(done.cost).toBe("0.4");
    expect((await ledgerOf(t, subject)).filter((e) => e.taskId === rowId).map((e) => e.kind)).toEqual(["HOLD", "SETTLE"]);
  });

  it("fails the task and releases its hold when the provider no longer knows the job (404 on poll)", async () => {
    const subject = "lost@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    mock.scriptFor("[lost]", { queuedPolls: 10_000 });
    const { task, rowId, upstreamId } = await create(t, token, { prompt: "[lost] a kite" });
    mock.failNext(
      1,
      { method: "GET", path: new RegExp(`^/v1/videos/${upstreamId}$`) },
      { status: 404, body: openAIError(`Video with id '${upstreamId}' not found.`, "invalid_request_error", "video_not_found", "id") },
    );

    const failed = await waitForTask(t, token, task.id, (x) => x.status !== "QUEUED" && x.status !== "PROCESSING");
    expect(failed).toMatchObject({ status: "FAILED", cost: "0", error: { code: "UPSTREAM_ERROR" } });
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    expect((await ledgerOf(t, subject)).filter((e) => e.taskId === rowId).map((e) => e.kind)).toEqual(["HOLD", "RELEASE"]);
  });

  it("fails a task whose submitter stopped before recording an upstream id once its lease lapses, and releases its hold", async () => {
    const subject = "orphan@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const { db } = t.app.services;
    const user = await db.user.findUniqueOrThrow({ where: { subject } });
    const channel = await db.channel.findUniqueOrThrow({ where: { name: "gateway" } });
    const amount = 400_000_000n; // 4 s of sora-2
    // What createVideo writes before it calls the provider: the row, its hold, and the submitter's lease.
    const insert = (leaseUntil: Date, prompt: string) =>
      db.$transaction(async (tx) => {
        const row = await tx.task.create({
          data: {
            userId: user.id,
            channelId: channel.id,
            provider: "openai",
            model: "sora-2",
            prompt,
            seconds: 4,
            size: "1280x720",
            status: "QUEUED",
            upstreamId: null,
            holdAmount: amount,
            priceUnit: "SECOND",
            unitPrice: 100_000_000n,
            deadlineAt: new Date(clock.now() + 3_600_000),
            leaseOwner: "submit:another-instance",
            leaseUntil,
          },
        });
        await hold(tx, user.id, row.id, amount);
        return row.id;
      });
    const stale = await insert(new Date(clock.now() - 1_000), "submitter died");
    // A submission still in flight (its lease is being renewed) must be left alone.
    const fresh = await insert(new Date(clock.now() + 60_000), "submission in flight");

    const failed = await waitForTask(t, token, stale, (x) => x.status !== "QUEUED");
    expect(failed).toMatchObject({ status: "FAILED", cost: "0", error: { code: "UPSTREAM_ERROR" } });
    // Several poll rounds leave it alone.
    await expectNothingWithin(500, "the task whose submission is in flight was failed or claimed", async () => {
      const row = await rowOf(t, fresh);
      return row.status !== "QUEUED" || row.leaseOwner !== "submit:another-instance";
    });
    expect((await rowOf(t, fresh)).status).toBe("QUEUED");
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "4.6", held: "0.4" });
    expect((await ledgerOf(t, subject)).filter((e) => e.taskId === stale).map((e) => e.kind)).toEqual(["HOLD", "RELEASE"]);

    const cancelled = await t.gql(`mutation($id: ID!) { cancelTask(id: $id) { status } }`, { id: fresh }, { token });
    expect(cancelled.data?.cancelTask.status).toBe("CANCELLED");
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
  });
});

describe("completion", () => {
  it("does not complete or charge a task whose download failed, and completes it with the right bytes on a later poll", async () => {
    const subject = "download@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const { task, rowId, upstreamId } = await create(t, token, { prompt: "a lighthouse, download fails once" });
    const content = new RegExp(`^/v1/videos/${upstreamId}/content$`);
    mock.failNext(1, { method: "GET", path: content }, mockFailures.serverError());
    const downloads = () => mock.requests.filter((r) => r.method === "GET" && content.test(r.path) && r.query.variant === "video");

    await until("the failing download", () => downloads().length >= 1);
    const row = await rowOf(t, rowId);
    const ledger = await ledgerOf(t, subject);
    const me = (await t.gql(ME, {}, { token })).data!.me;
    expect(downloads().length, "the observation above was made before the retry").toBe(1);
    expect(row.status).not.toBe("COMPLETED");
    expect(row.videoKey).toBeNull();
    expect(ledger.filter((e) => e.taskId === rowId).map((e) => e.kind)).toEqual(["HOLD"]);
    expect(me).toMatchObject({ balance: "4.6", held: "0.4" });

    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    expect(downloads().length).toBe(2);
    const media = await fetch(done.videoUrl);
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer()).equals(mock.contentOf(upstreamId))).toBe(true);
    expect(done.cost).toBe("0.4");
    const kinds = (await ledgerOf(t, subject)).filter((e) => e.taskId === rowId).map((e) => e.kind);
    expect(kinds).toEqual(["HOLD", "SETTLE"]);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "4.6", held: "0" });
  });
});

describe("leases", () => {
  it("never lets two workers on one database process the same task at the same time", async () => {
    const subject = "race@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "20");
    const proxy = await startRecordingProxy(mock.baseUrl, (method) => (method === "GET" ? 20 : 0));
    await upsertChannel(t, { name: "raced", baseUrl: proxy.baseUrl, apiKey: mock.apiKey, models: ["sora-2"], priority: -1 });
    const pollers: Poller[] = [
      createPoller(t.app.services, { workerId: "racer-a" }),
      createPoller(t.app.services, { workerId: "racer-b" }),
    ];
    for (const p of pollers) p.start();
    const owners = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await t.app.services.db.task.findMany({
          where: { channel: { name: "raced" }, leaseOwner: { not: null } },
          select: { leaseOwner: true },
        });
        for (const r of rows) owners.add(r.leaseOwner!);
        await sleep(5);
      }
    })();
    try {
      const created = await Promise.all(Array.from({ length: 30 }, (_, i) => create(t, token, { prompt: `race ${i}`, channel: "raced" })));
      const ids = created.map((c) => c.rowId);
      await until(
        "all 30 tasks to complete",
        async () => (await t.app.services.db.task.count({ where: { id: { in: ids }, status: "COMPLETED" } })) === 30,
        25_000,
      );
      sampling = false;
      await sampler;

      expect(owners.size, `the workers seen holding leases: ${[...owners].join(", ")}`).toBeGreaterThanOrEqual(2);
      for (const { upstreamId } of created) {
        const polls = proxy.log
          .filter((e) => e.method === "GET" && e.path === `/v1/videos/${upstreamId}`)
          .sort((a, b) => a.start - b.start);
        expect(polls.length).toBeGreaterThan(1);
        for (let i = 1; i < polls.length; i++) {
          expect(polls[i].start, `poll ${i + 1} of ${upstreamId} started before poll ${i} finished`).toBeGreaterThanOrEqual(
            polls[i - 1].end!,
          );
        }
        const downloads = proxy.log.filter((e) => e.method === "GET" && e.path === `/v1/videos/${upstreamId}/content?variant=video`);
        expect(downloads, `video downloads of ${upstreamId}`).toHaveLength(1);
      }
      const settles = await t.app.services.db.ledgerEntry.groupBy({
        by: ["taskId"],
        where: { taskId: { in: ids }, kind: "SETTLE" },
        _count: { _all: true },
      });
      expect(settles).toHaveLength(30);
      expect(settles.every((s) => s._count._all === 1)).toBe(true);
      expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "8", held: "0" });
    } finally {
      sampling = false;
      await sampler;
      await Promise.all(pollers.map((p) => p.close()));
      await proxy.close();
    }
  });

  it("leaves a task alone while another worker's lease is live and takes it over once that lease lapses", async () => {
    const subject = "dead@poller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    mock.scriptFor("[orphaned lease]", { queuedPolls: 10_000 });
    const { task, rowId, upstreamId } = await create(t, token, { prompt: "[orphaned lease] a harbour" });
    await until("a first poll", () => pollsOf(mock, upstreamId).length >= 1);

    // Another worker takes the task between two polls, so none of this worker's is in flight, and dies holding it.
    const leaseUntil = clock.now() + t.app.services.config.leaseMs;
    await until("the task taken between two polls", async () => {
      const { count } = await t.app.services.db.task.updateMany({
        where: { id: rowId, leaseOwner: null },
        data: { leaseOwner: "dead", leaseUntil: new Date(leaseUntil) },
      });
      return count === 1;
    });
    const settled = clock.now();
    mock.setJobState(upstreamId, { status: "completed" });
    // Several poll rounds leave it alone.
    await expectNothingWithin(500, "a poll while the dead worker's lease was live", () =>
      pollsOf(mock, upstreamId).some((r) => arrival(r) > settled),
    );
    clock.advanceTo(leaseUntil); // the dead worker's lease lapses

    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    expect(done.cost).toBe("0.4");
    const during = pollsOf(mock, upstreamId).filter((r) => arrival(r) > settled && arrival(r) < leaseUntil);
    expect(during, "polls while the dead worker's lease was live").toHaveLength(0);
    const after = pollsOf(mock, upstreamId).filter((r) => arrival(r) >= leaseUntil);
    expect(after.length).toBeGreaterThanOrEqual(1);
    const row = await rowOf(t, rowId);
    expect(row).toMatchObject({ leaseOwner: null, leaseUntil: null });
    expect(row.completedAt!.getTime()).toBeGreaterThanOrEqual(leaseUntil);
  });
});

// ---------------------------------------------------------------------------------------------
// instances with their own database: a short task timeout; an API-only one for a hand-driven poller
// ---------------------------------------------------------------------------------------------

describe("deadline", () => {
  /** a deadline that only the test's clock reaches */
  const TASK_TIMEOUT_MS = 20_000;
  const clock2 = createTestClock();
  const t2 = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 10_000 } },
    // A backoff ceiling far beyond the deadline: the deadline must still be kept.
    config: { taskTimeoutMs: TASK_TIMEOUT_MS, maxPollBackoffMs: 60_000 },
    channels: [{ name: "slow", models: ["sora-2"] }],
    clock: clock2,
  });
  const mock2 = t2.mock;

  it("fails a task that outlives its deadline with TIMEOUT, releases its hold and stops the upstream job", async () => {
    const subject = "timeout@poller";
    const token = await tokenFor(subject);
    await grantCredit(t2, subject, "5");
    const { task, rowId, upstreamId } = await create(t2, token, { prompt: "a glacier, forever" });
    const started = clock2.now();
    await until("a few polls while it runs", () => pollsOf(mock2, upstreamId).length >= 3);
    const running = await rowOf(t2, rowId);
    expect(running.status, "still running before its deadline").toMatch(/^(QUEUED|PROCESSING)$/);
    clock2.advanceTo(running.deadlineAt); // the deadline passes

    const failed = await waitForTask(t2, token, task.id, (x) => x.status !== "QUEUED" && x.status !== "PROCESSING", 10_000);
    const ended = await rowOf(t2, rowId);
    expect(ended.deadlineAt.getTime() - started).toBeGreaterThanOrEqual(TASK_TIMEOUT_MS - 1_000);
    expect(ended.completedAt!.getTime(), "failed at its deadline, not before").toBeGreaterThanOrEqual(ended.deadlineAt.getTime());
    expect(failed).toMatchObject({ status: "FAILED", cost: "0", error: { code: "TIMEOUT" } });
    expect(pollsOf(mock2, upstreamId).length, "it was polled while it ran").toBeGreaterThan(0);
    expect((await t2.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    expect((await ledgerOf(t2, subject)).filter((e) => e.taskId === rowId).map((e) => e.kind)).toEqual(["HOLD", "RELEASE"]);
    await until(
      "the upstream DELETE",
      () => mock2.requests.some((r) => r.method === "DELETE" && r.path === `/v1/videos/${upstreamId}`),
      3_000,
    );
    expect(mock2.jobs.get(upstreamId)!.deleted).toBe(true);
  });
  it("keeps the deadline while backing off from a failing provider, even when the provider asks to wait longer", async () => {
    const subject = "timeout-backoff@poller";
    const token = await tokenFor(subject);
    await grantCredit(t2, subject, "5");
    const { task, rowId, upstreamId } = await create(t2, token, { prompt: "a glacier behind a failing gateway" });
    // The gateway asks for 30 s between attempts; the task has less than 20 s left.
    mock2.failNext(1_000, { method: "GET", path: `/v1/videos/${upstreamId}` }, mockFailures.rateLimit(30));
    const backingOff = await until("a failed poll to be rescheduled", async () => {
      const row = await rowOf(t2, rowId);
      return row.pollErrors >= 1 && row.leaseOwner === null ? row : null;
    });
    expect(backingOff.nextPollAt.getTime(), "the next poll comes by the deadline").toBeLessThanOrEqual(backingOff.deadlineAt.getTime());
    clock2.advanceTo(backingOff.deadlineAt); // the deadline passes

    const failed = await waitForTask(t2, token, task.id, (x) => x.status === "FAILED", 10_000);
    expect(failed).toMatchObject({ cost: "0", error: { code: "TIMEOUT" } });
    expect((await t2.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
  });
});

describe("closing a poller", () => {
  const mock3 = useMock("openai", { script: { queuedPolls: 0, progressSteps: [40, 80] } });
  // polls take 400 ms, so one is reliably in flight when the poller is closed
  const proxy = useStarted(
    () => startRecordingProxy(mock3.baseUrl, (method, path) => (method === "GET" && /^\/v1\/videos\/[^/]+$/.test(path) ? 400 : 0)),
    (proxy) => proxy.close(),
  );
  const t3 = useTestApp(() => ({
    config: { role: "api" },
    channels: [{ name: "slow-polls", models: ["sora-2"], mock: { baseUrl: proxy.baseUrl, apiKey: mock3.apiKey } }],
  }));
  beforeAll(() => {
    expect(t3.app.poller).toBeNull();
  });

  it("waits for in-flight work to finish and hands every lease back", async () => {
    const subject = "close@poller";
    const token = await tokenFor(subject);
    await grantCredit(t3, subject, "5");
    const { rowId, upstreamId } = await create(t3, token, { prompt: "a meadow at dusk" });
    const poller = createPoller(t3.app.services, { workerId: "closing-worker" });
    try {
      await until("the poller to claim the task", async () => (await poller.tick()) === 1, 5_000);
      const poll = await until("the poll in flight", () =>
        proxy.log.find((e) => e.method === "GET" && e.path === `/v1/videos/${upstreamId}`),
      );
      expect((await rowOf(t3, rowId)).leaseOwner).toBe("closing-worker");
      expect(poll.end).toBeNull();

      await poller.close();
      const closedAt = Date.now();
      expect(poll.end, "the in-flight poll was allowed to finish").not.toBeNull();
      expect(poll.end!).toBeLessThanOrEqual(closedAt);
      expect(poll.end! - poll.start).toBeGreaterThanOrEqual(400);
      // the work it was doing was completed, not thrown away or counted as an upstream error
      expect(await rowOf(t3, rowId)).toMatchObject({
        status: "PROCESSING",
        progress: 40,
        pollErrors: 0,
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(await t3.app.services.db.task.count({ where: { leaseOwner: "closing-worker" } })).toBe(0);
    } finally {
      await poller.close();
    }
  });

  it("hands leases back at once when closed with force", async () => {
    const subject = "force@poller";
    const token = await tokenFor(subject);
    await grantCredit(t3, subject, "5");
    const { upstreamId } = await create(t3, token, { prompt: "a river at noon" });
    const poller = createPoller(t3.app.services, { workerId: "forced-worker" });
    const poll = await until(
      "the poller to claim the task and poll it",
      async () => {
        await poller.tick();
        return proxy.log.find((e) => e.method === "GET" && e.path === `/v1/videos/${upstreamId}`);
      },
      5_000,
    );
    expect(poll.end).toBeNull();
    await poller.close(true);
    expect(await t3.app.services.db.task.count({ where: { leaseOwner: "forced-worker" } })).toBe(0);
    await until("the abandoned poll to end", () => poll.end !== null);
    const leased = () => t3.app.services.db.task.count({ where: { leaseOwner: { not: null } } });
    await expectNothingWithin(500, "the abandoned poll took a lease back", async () => (await leased()) > 0);
    expect(await leased()).toBe(0);
  });
});

describe("polling rhythm", () => {
  // Real time: the rhythm itself is measured. A database of its own, so no other instance's interval applies;
  // the interval's bounds pinned to the base, so that it stays fixed (test/polling covers the adaptive one).
  const t4 = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 10_000 } },
    config: { pollIntervalMs: 400, pollMinIntervalMs: 400, pollMaxIntervalMs: 400 },
    channels: [{ name: "slow-gateway", models: ["sora-2"] }],
  });

  it("polls a task one interval after its previous poll was due, not one interval after a slow answer came back", async () => {
    const slow = t4.mock;
    const arrivedAt = timestamps(slow);
    slow.setLatency(150);
    const token = await t4.userWithCredit("rhythm@poller", "5");
    const { upstreamId } = await create(t4, token, { prompt: "a metronome" });
    await until("six polls", () => pollsOf(slow, upstreamId).length >= 6, 15_000);
    const times = pollsOf(slow, upstreamId).map(arrivedAt);
    const gaps = times.slice(1).map((at, i) => at - times[i]);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    // Scheduling from the answer would make every gap interval + latency (≥ 550 ms).
    expect(mean).toBeLessThan(480);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200); // never faster than half an interval
  });
});
