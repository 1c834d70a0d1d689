import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { beforeAll, describe, expect, it } from "vitest";
import { parseTaskId } from "../src/schema/tasks.js";
import { codeOf } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, TASK_FIELDS, upsertChannel, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { useMock, useTestApp } from "./helpers/use-test-app.js";
import { expectNothingWithin, timestamps } from "./helpers/wait.js";
import type { MockOpenAIVideos, RecordedRequest } from "./mocks/openai-videos.js";

const REMIX = /* GraphQL */ `mutation($input: RemixVideoInput!) { remixVideo(input: $input) { ${TASK_FIELDS} } }`;
const CANCEL = /* GraphQL */ `mutation($id: ID!) { cancelTask(id: $id) { ${TASK_FIELDS} } }`;

const t = useTestApp({
  mock: "openai",
  mockOptions: {
    apiKey: "sk-first-gateway-key-1111",
    scripts: {
      "[slow]": { queuedPolls: 10_000 },
      "[running]": { queuedPolls: 0, progressSteps: Array.from({ length: 500 }, (_, i) => 10 + Math.floor(i / 10)) },
    },
  },
  channels: [{ name: "first", models: ["sora-2", "sora-2-pro"], priority: 0 }],
});
/** the channel "first" (priority 0) */
const mock1 = t.mock;
/** the channel "second", added later with a higher priority and another key */
const mock2 = useMock("openai", { apiKey: "sk-second-gateway-key-2222" });
/** the channel "third": highest priority, disabled */
const mock3 = useMock("openai", { apiKey: "sk-third-gateway-key-3333" });
let arrival: (r: RecordedRequest) => number;

beforeAll(() => {
  arrival = timestamps(mock1);
});

/** A task on the channel "first" (pinned, so the channels other tests add do not matter). */
async function create(token: string, prompt: string, extra: Record<string, unknown> = {}) {
  const res = await t.gql(
    CREATE_VIDEO,
    { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720", channel: "first", ...extra } },
    { token },
  );
  expect(res.errors).toBeUndefined();
  const task = res.data!.createVideo;
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
  return { task, rowId: row.id, upstreamId: row.upstreamId! };
}

const me = async (token: string) => (await t.gql(ME, {}, { token })).data!.me;
const taskCount = () => t.app.services.db.task.count();
const requestsTo = (mock: MockOpenAIVideos, method: string, path: string) =>
  mock.requests.filter((r) => r.method === method && r.path === path);

describe("remixVideo", () => {
  it("runs on the original task's channel and key even after a higher-priority channel for the model is added, and is charged like the original", async () => {
    const subject = "remixer@remix";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const original = await create(token, "a koi pond at dawn");
    const done = await waitForTask(t, token, original.task.id, (x) => x.status === "COMPLETED");
    expect(done.cost).toBe("0.4");

    await upsertChannel(t, {
      name: "second",
      baseUrl: mock2.baseUrl,
      apiKey: mock2.apiKey,
      models: ["sora-2", "sora-2-pro"],
      priority: 10,
    });
    const res = await t.gql(REMIX, { input: { videoId: original.task.id, prompt: "the same pond at night" } }, { token });
    expect(res.errors).toBeUndefined();
    const remix = res.data!.remixVideo;
    expect(remix).toMatchObject({
      channel: "first",
      provider: "openai",
      model: "sora-2",
      seconds: 4,
      size: "1280x720",
      prompt: "the same pond at night",
      remixedFrom: { id: original.task.id },
      cost: "0.4",
    });
    expect(remix.id).not.toBe(original.task.id);

    const calls = requestsTo(mock1, "POST", `/v1/videos/${original.upstreamId}/remix`);
    expect(calls).toHaveLength(1);
    expect(calls[0].fields).toEqual({ prompt: "the same pond at night" });
    expect(calls[0].headers.authorization).toBe(`Bearer ${mock1.apiKey}`);

    const finished = await waitForTask(t, token, remix.id, (x) => x.status === "COMPLETED");
    expect(finished).toMatchObject({ status: "COMPLETED", channel: "first", cost: "0.4", remixedFrom: { id: original.task.id } });
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(remix.id)! } });
    expect(mock1.jobs.get(row.upstreamId!)!.video.remixed_from_video_id).toBe(original.upstreamId);
    const media = await fetch(finished.videoUrl);
    expect(Buffer.from(await media.arrayBuffer()).equals(mock1.contentOf(row.upstreamId!))).toBe(true);
    expect(mock2.requests, "the higher-priority channel was never called").toHaveLength(0);

    expect(await me(token)).toMatchObject({ balance: "4.2", held: "0" });
    const ledger = await ledgerOf(t, subject);
    const ofTask = (id: string) => ledger.filter((e) => e.taskId === id).map((e) => [e.kind, e.amount]);
    expect(ofTask(row.id)).toEqual(ofTask(original.rowId));
    expect(ofTask(row.id)).toEqual([
      ["HOLD", 400_000_000n],
      ["SETTLE", 400_000_000n],
    ]);
  });

  it("refuses to remix a task that has not completed with CONFLICT and charges nothing", async () => {
    const subject = "early@remix";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const running = await create(token, "[slow] a windmill");
    const before = { me: await me(token), ledger: (await ledgerOf(t, subject)).length, tasks: await taskCount() };

    const res = await t.gql(REMIX, { input: { videoId: running.task.id, prompt: "a windmill in a storm" } }, { token });
    expect(codeOf(res)).toBe("CONFLICT");
    expect(res.data?.remixVideo ?? null).toBeNull();
    expect(await me(token)).toEqual(before.me);
    expect((await ledgerOf(t, subject)).length).toBe(before.ledger);
    expect(await taskCount()).toBe(before.tasks);
    expect(requestsTo(mock1, "POST", `/v1/videos/${running.upstreamId}/remix`)).toHaveLength(0);

    expect((await t.gql(CANCEL, { id: running.task.id }, { token })).data!.cancelTask.status).toBe("CANCELLED");
  });

  it("refuses to remix a FAILED task with CONFLICT and charges nothing", async () => {
    const subject = "failed@remix";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const failed = await create(token, "[fail] a volcano");
    await waitForTask(t, token, failed.task.id, (x) => x.status === "FAILED");
    const before = { me: await me(token), ledger: (await ledgerOf(t, subject)).length, tasks: await taskCount() };
    expect(before.me).toMatchObject({ balance: "5", held: "0" });

    const res = await t.gql(REMIX, { input: { videoId: failed.task.id, prompt: "a calmer volcano" } }, { token });
    expect(codeOf(res)).toBe("CONFLICT");
    expect(await me(token)).toEqual(before.me);
    expect((await ledgerOf(t, subject)).length).toBe(before.ledger);
    expect(await taskCount()).toBe(before.tasks);
    expect(requestsTo(mock1, "POST", `/v1/videos/${failed.upstreamId}/remix`)).toHaveLength(0);
  });

  it("answers NOT_FOUND for another user's task and for ids that name no task, charging nothing", async () => {
    const owner = await tokenFor("owner@remix");
    await grantCredit(t, "owner@remix", "5");
    const original = await create(owner, "a lantern festival");
    await waitForTask(t, owner, original.task.id, (x) => x.status === "COMPLETED");

    const subject = "stranger@remix";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const before = { me: await me(token), ledger: (await ledgerOf(t, subject)).length, tasks: await taskCount() };
    for (const videoId of [original.task.id, original.rowId, "not-an-id", randomUUID(), encodeGlobalID("Channel", randomUUID())]) {
      const res = await t.gql(REMIX, { input: { videoId, prompt: "my own take" } }, { token });
      expect(codeOf(res), videoId).toBe("NOT_FOUND");
    }
    expect(await me(token)).toEqual(before.me);
    expect((await ledgerOf(t, subject)).length).toBe(before.ledger);
    expect(await taskCount()).toBe(before.tasks);
    expect(requestsTo(mock1, "POST", `/v1/videos/${original.upstreamId}/remix`)).toHaveLength(0);
  });
});

describe("cancelTask", () => {
  it.each([
    ["QUEUED", "[slow] a snail race"],
    ["PROCESSING", "[running] a slow sunrise"],
  ])("cancels a %s task: CANCELLED, cost 0, hold released, upstream job deleted, never polled again", async (state, prompt) => {
    const subject = `cancel-${state.toLowerCase()}@cancel`;
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const { task, rowId, upstreamId } = await create(token, prompt);
    await waitForTask(t, token, task.id, (x) => x.status === state && (state === "QUEUED" || x.progress > 0));
    expect(await me(token)).toMatchObject({ balance: "4.6", held: "0.4" });

    const res = await t.gql(CANCEL, { id: task.id }, { token });
    const cancelledAt = Date.now();
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelTask).toMatchObject({ id: task.id, status: "CANCELLED", cost: "0", videoUrl: null });
    expect(await me(token)).toMatchObject({ balance: "5", held: "0" });
    expect((await ledgerOf(t, subject)).filter((e) => e.taskId === rowId).map((e) => e.kind)).toEqual(["HOLD", "RELEASE"]);
    const deletes = requestsTo(mock1, "DELETE", `/v1/videos/${upstreamId}`);
    expect(deletes).toHaveLength(1);
    expect(deletes[0].headers.authorization).toBe(`Bearer ${mock1.apiKey}`);

    // A poll that had already started when the cancellation committed may still arrive just after it.
    const polledLate = () => requestsTo(mock1, "GET", `/v1/videos/${upstreamId}`).filter((r) => arrival(r) > cancelledAt + 150);
    await expectNothingWithin(1_000, "a poll after the cancellation", () => polledLate().length > 0);
    const late = polledLate();
    expect(late, "polls after the cancellation").toHaveLength(0);
    const after = await waitForTask(t, token, task.id, () => true);
    expect(after).toMatchObject({ status: "CANCELLED", cost: "0" });
    expect(await me(token)).toMatchObject({ balance: "5", held: "0" });
  });

  it("returns a terminal task unchanged, without calling the provider or moving money", async () => {
    const subject = "terminal@cancel";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const completed = await create(token, "a finished painting");
    const failed = await create(token, "[fail] a broken vase");
    const done = await waitForTask(t, token, completed.task.id, (x) => x.status === "COMPLETED");
    const dead = await waitForTask(t, token, failed.task.id, (x) => x.status === "FAILED");
    const before = { me: await me(token), ledger: await ledgerOf(t, subject) };

    for (const [original, { upstreamId }] of [
      [done, completed],
      [dead, failed],
    ] as const) {
      const res = await t.gql(CANCEL, { id: original.id }, { token });
      expect(res.errors).toBeUndefined();
      const { updatedAt, ...rest } = res.data!.cancelTask;
      const { updatedAt: originalUpdatedAt, ...expected } = original;
      expect(rest).toEqual({ ...expected, videoUrl: rest.videoUrl, thumbnailUrl: rest.thumbnailUrl });
      expect(updatedAt).toBe(originalUpdatedAt);
      expect(Boolean(rest.videoUrl)).toBe(Boolean(original.videoUrl));
      expect(requestsTo(mock1, "DELETE", `/v1/videos/${upstreamId}`)).toHaveLength(0);
    }
    expect(await me(token)).toEqual(before.me);
    expect(await ledgerOf(t, subject)).toEqual(before.ledger);
  });

  it("answers NOT_FOUND for another user's task and leaves that task running", async () => {
    const owner = await tokenFor("owner@cancel");
    await grantCredit(t, "owner@cancel", "5");
    const { task, upstreamId } = await create(owner, "[slow] someone else's clock tower");
    const stranger = await tokenFor("stranger@cancel");

    for (const id of [task.id, parseTaskId(task.id)!]) {
      const res = await t.gql(CANCEL, { id }, { token: stranger });
      expect(codeOf(res)).toBe("NOT_FOUND");
    }
    await expectNothingWithin(200, "the stranger's cancellation reached the provider", () =>
      requestsTo(mock1, "DELETE", `/v1/videos/${upstreamId}`).some(Boolean),
    );
    expect((await waitForTask(t, owner, task.id, () => true)).status).toBe("QUEUED");
    expect(await me(owner)).toMatchObject({ balance: "4.6", held: "0.4" });
    expect(requestsTo(mock1, "DELETE", `/v1/videos/${upstreamId}`)).toHaveLength(0);

    expect((await t.gql(CANCEL, { id: task.id }, { token: owner })).data!.cancelTask.status).toBe("CANCELLED");
  });

  it("answers NOT_FOUND for ids that name no task", async () => {
    const token = await tokenFor("garbage@cancel");
    for (const id of [
      "garbage",
      "",
      "VmlkZW9UYXNrOm5vcGU=",
      randomUUID(),
      encodeGlobalID("VideoTask", randomUUID()),
      encodeGlobalID("Channel", randomUUID()),
    ]) {
      const res = await t.gql(CANCEL, { id }, { token });
      expect(codeOf(res), JSON.stringify(id)).toBe("NOT_FOUND");
    }
  });
});

describe("routing", () => {
  it("sends new tasks to the highest-priority enabled channel and never to a disabled one", async () => {
    const subject = "router@routing";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    await upsertChannel(t, {
      name: "second",
      baseUrl: mock2.baseUrl,
      apiKey: mock2.apiKey,
      models: ["sora-2", "sora-2-pro"],
      priority: 10,
    });
    await upsertChannel(t, {
      name: "third",
      baseUrl: mock3.baseUrl,
      apiKey: mock3.apiKey,
      models: ["sora-2", "sora-2-pro"],
      priority: 100,
      enabled: false,
    });

    const routed = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "routed to the best channel", seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(routed.errors).toBeUndefined();
    expect(routed.data!.createVideo.channel).toBe("second");
    const done = await waitForTask(t, token, routed.data!.createVideo.id, (x) => x.status === "COMPLETED");
    expect(done.channel).toBe("second");
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(done.id)! } });
    expect(mock2.jobs.has(row.upstreamId!)).toBe(true);
    expect(requestsTo(mock2, "POST", "/v1/videos")[0].headers.authorization).toBe(`Bearer ${mock2.apiKey}`);
    expect(mock1.requests.some((r) => r.path.includes(row.upstreamId!))).toBe(false);

    // pinning the disabled channel is refused, before any hold
    const before = { me: await me(token), tasks: await taskCount() };
    const pinned = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "pinned to a disabled channel", seconds: 4, size: "1280x720", channel: "third" } },
      { token },
    );
    expect(codeOf(pinned)).toBe("NO_CHANNEL");
    expect(await me(token)).toEqual(before.me);
    expect(await taskCount()).toBe(before.tasks);

    // with the best enabled channel disabled too, the next best takes over
    await upsertChannel(t, {
      name: "second",
      baseUrl: mock2.baseUrl,
      apiKey: mock2.apiKey,
      models: ["sora-2", "sora-2-pro"],
      priority: 10,
      enabled: false,
    });
    const fallback = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "routed past two disabled channels", seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(fallback.errors).toBeUndefined();
    expect(fallback.data!.createVideo.channel).toBe("first");
    await waitForTask(t, token, fallback.data!.createVideo.id, (x) => x.status === "COMPLETED");
    expect(mock3.requests, "the disabled channel was never called").toHaveLength(0);

    // a model that only disabled channels serve
    await upsertChannel(t, { name: "first", baseUrl: mock1.baseUrl, apiKey: mock1.apiKey, models: ["sora-2"], priority: 0 });
    const noPro = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2-pro", prompt: "no channel left", seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(codeOf(noPro)).toBe("NO_CHANNEL");
    expect(await me(token)).toMatchObject({ balance: "4.2", held: "0" });
    expect(mock3.requests).toHaveLength(0);
  });
});
