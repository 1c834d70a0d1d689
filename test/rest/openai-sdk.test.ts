/**
 * The OpenAI Videos protocol, driven by the official `openai` npm package with a personal
 * API key: create (with an uploaded first frame), retrieve, download with Range, remix,
 * paged list, delete, and each refusal as the SDK's own error class with OpenAI's body.
 * Tasks made here are GraphQL's tasks and the other way round.
 */
import { createHash } from "node:crypto";
import OpenAI, { toFile } from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, waitForTask } from "../helpers/fixtures.js";
import { tinyPng, withAllByteValues } from "../helpers/images.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { type TestAppFixture, useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import type { MockOpenAIVideos } from "../mocks/openai-videos.js";

const PNG = withAllByteValues(tinyPng());
const VIDEO_BYTES = 96 * 1024;
/** small, so crossing it is cheap */
const MAX_REFERENCE_BYTES = 32 * 1024;
/** prompts with this stay queued upstream, so their tasks keep running */
const HOLD = "[hold]";
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const CREATE_KEY = /* GraphQL */ `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`;
const VIDEO_TASK = /* GraphQL */ `query ($id: ID!) { videoTask(id: $id) { id status prompt seconds size videoUrl remixedFrom { id } } }`;

/** A user with `credit` and a personal API key, and an SDK client on that key. */
async function keyedUser(t: TestAppFixture<unknown>, subject: string, credit: string) {
  const token = await tokenFor(subject);
  if (credit === "0") await t.gql(ME, {}, { token });
  else await grantCredit(t, subject, credit);
  const res = await t.gql(CREATE_KEY, { input: { name: "sdk" } }, { token });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const key = res.data!.createApiKey.key as string;
  return { subject, token, key, client: sdkFor(t, key) };
}

const sdkFor = (t: { origin: string }, apiKey: string) => new OpenAI({ apiKey, baseURL: `${t.origin}/v1`, maxRetries: 0 });

/** Polls retrieve until the job is completed (or failed); bounded. */
async function untilFinished(client: OpenAI, id: string) {
  return until(
    `video ${id} to finish`,
    async () => {
      const video = await client.videos.retrieve(id);
      return video.status === "completed" || video.status === "failed" ? video : null;
    },
    15_000,
  );
}

/** The error a call rejects with, for assertions on its class, status and body. */
async function rejection(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "the call was expected to fail").toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

const upstreamIdOf = async (t: TestAppFixture<MockOpenAIVideos>, id: string) =>
  (await t.app.services.db.task.findUniqueOrThrow({ where: { id } })).upstreamId!;

describe("the OpenAI SDK against Reelay", () => {
  const t = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 0, progressSteps: [50], videoBytes: VIDEO_BYTES } },
    config: { maxReferenceImageBytes: MAX_REFERENCE_BYTES },
    channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
  });
  let owner: Awaited<ReturnType<typeof keyedUser>>;
  /** the completed video the download, remix and delete tests read */
  let finished: OpenAI.Videos.Video;

  beforeAll(async () => {
    t.mock.scriptFor(HOLD, { queuedPolls: 1_000_000 });
    owner = await keyedUser(t, "owner@rest-sdk", "20");
  });

  it("creates a video with an input_reference file: the provider gets the exact bytes, and the answer is OpenAI's Video", async () => {
    const prompt = "a lighthouse at dusk, from the first frame";
    const before = Math.floor(Date.now() / 1000);
    const video = await owner.client.videos.create({
      model: "sora-2",
      prompt,
      seconds: "4",
      size: "1280x720",
      input_reference: await toFile(PNG, "frame.png", { type: "image/png" }),
    });
    expect(video).toMatchObject({ object: "video", model: "sora-2", prompt, seconds: "4", size: "1280x720", error: null });
    expect(["queued", "in_progress"]).toContain(video.status);
    expect(video.created_at).toBeGreaterThanOrEqual(before);
    expect(video.created_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const sent = t.mock.requests.find((r) => r.method === "POST" && r.path === "/v1/videos" && r.fields.prompt === prompt);
    expect(sent?.file?.sha256, "the provider received the uploaded frame byte for byte").toBe(sha256(PNG));

    finished = await untilFinished(owner.client, video.id);
    expect(finished).toMatchObject({ id: video.id, status: "completed", progress: 100, seconds: "4" });
    expect(finished.completed_at).toBeGreaterThanOrEqual(video.created_at);
  });

  it("is the same task over GraphQL: readable by its id, and watchable to the end", async () => {
    const res = await t.gql(VIDEO_TASK, { id: finished.id }, { token: owner.token });
    expect(res.data!.videoTask).toMatchObject({ status: "COMPLETED", prompt: finished.prompt, seconds: 4, size: "1280x720" });

    const video = await owner.client.videos.create({ model: "sora-2", prompt: "a kite over dunes", seconds: "4" });
    const client = wsClient(t.wsUrl, owner.token);
    try {
      const watch = new Collector(client, "subscription ($id: ID!) { taskProgress(id: $id) { status progress } }", { id: video.id });
      expect(await watch.until((d) => d.taskProgress.status === "COMPLETED", 15_000)).not.toBeNull();
      expect(await watch.completion(5_000)).toBe(true);
    } finally {
      await client.dispose();
    }
  });

  it("reads a task created over GraphQL with retrieve, by its bare id or its GraphQL id", async () => {
    const created = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "made over graphql", seconds: 8 } },
      { token: owner.token },
    );
    expect(created.errors).toBeUndefined();
    const globalId = created.data!.createVideo.id as string;
    const id = parseTaskId(globalId)!;
    const video = await owner.client.videos.retrieve(id);
    expect(video).toMatchObject({ id, object: "video", prompt: "made over graphql", seconds: "8" });
    expect((await owner.client.videos.retrieve(globalId)).id).toBe(id);
    await waitForTask(t, owner.token, globalId, (task) => task.status === "COMPLETED");
  });

  it("downloads the video and its thumbnail with the bytes the provider made", async () => {
    const upstreamId = await upstreamIdOf(t, finished.id);
    const video = await owner.client.videos.downloadContent(finished.id, { variant: "video" });
    expect(video.headers.get("content-type")).toBe("video/mp4");
    expect(sha256(Buffer.from(await video.arrayBuffer()))).toBe(sha256(t.mock.contentOf(upstreamId, "video")));
    const thumbnail = await owner.client.videos.downloadContent(finished.id, { variant: "thumbnail" });
    expect(sha256(Buffer.from(await thumbnail.arrayBuffer()))).toBe(sha256(t.mock.contentOf(upstreamId, "thumbnail")));
  });

  it("answers a repeated create with the same Idempotency-Key with the first task, charged and submitted once", async () => {
    const user = await keyedUser(t, "retrier@rest-sdk", "5");
    const prompt = `once only ${HOLD}`;
    const headers = { "Idempotency-Key": "create-once-1" };
    const first = await user.client.videos.create({ model: "sora-2", prompt }, { headers });
    const again = await user.client.videos.create({ model: "sora-2", prompt }, { headers });
    expect(again.id).toBe(first.id);
    expect(t.mock.requests.filter((r) => r.method === "POST" && r.fields.prompt === prompt)).toHaveLength(1);
    expect((await t.gql(ME, {}, { token: user.token })).data!.me).toMatchObject({ held: "0.4" });
    await user.client.videos.delete(first.id);
  });

  it("answers a Range request for the content with 206 and exactly that slice", async () => {
    const expected = t.mock.contentOf(await upstreamIdOf(t, finished.id), "video");
    const res = await fetch(`${t.origin}/v1/videos/${finished.id}/content?variant=video`, {
      headers: { authorization: `Bearer ${owner.key}`, range: "bytes=1000-1999" },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 1000-1999/${VIDEO_BYTES}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(expected.subarray(1000, 2000))).toBe(true);
  });

  it("answers content of a video still running with 409, and an unknown variant with 400 naming it", async () => {
    const running = await owner.client.videos.create({ model: "sora-2", prompt: `still running ${HOLD}` });
    const conflict = await rejection(owner.client.videos.downloadContent(running.id));
    expect(conflict.status).toBe(409);
    const bad = await rejection(owner.client.videos.downloadContent(finished.id, { variant: "spritesheet" }));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.param).toBe("variant");
    await owner.client.videos.delete(running.id);
  });

  it("remixes a completed video into a new job that names its source, on the provider's remix endpoint", async () => {
    const remix = await owner.client.videos.remix(finished.id, { prompt: "the same, at night" });
    expect(remix).toMatchObject({ object: "video", remixed_from_video_id: finished.id, prompt: "the same, at night", seconds: "4" });
    expect(remix.id).not.toBe(finished.id);
    const upstreamId = await upstreamIdOf(t, finished.id);
    expect(t.mock.requests.some((r) => r.method === "POST" && r.path === `/v1/videos/${upstreamId}/remix`)).toBe(true);
    const res = await t.gql(VIDEO_TASK, { id: remix.id }, { token: owner.token });
    expect(parseTaskId(res.data!.videoTask.remixedFrom.id)).toBe(finished.id);
    await untilFinished(owner.client, remix.id);
  });

  it("lists every task exactly once across pages of two with the SDK's auto-pagination, newest first, and oldest first with order=asc", async () => {
    const lister = await keyedUser(t, "lister@rest-sdk", "20");
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await lister.client.videos.create({ model: "sora-2", prompt: `list ${i} ${HOLD}` })).id);

    const first = await lister.client.videos.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.last_id).toBe(first.data[1].id);

    const seen: string[] = [];
    for await (const video of lister.client.videos.list({ limit: 2 })) seen.push(video.id);
    expect(seen).toEqual([...made].reverse());
    const ascending: string[] = [];
    for await (const video of lister.client.videos.list({ limit: 2, order: "asc" })) ascending.push(video.id);
    expect(ascending).toEqual(made);

    const bad = await rejection(lister.client.videos.list({ limit: 2, after: "00000000-0000-0000-0000-000000000000" }));
    expect([bad.status, bad.param]).toEqual([400, "after"]);
    for (const id of made) await lister.client.videos.delete(id);
  });

  it("deletes a running video by cancelling it, with its hold released", async () => {
    const user = await keyedUser(t, "canceller@rest-sdk", "5");
    const running = await user.client.videos.create({ model: "sora-2", prompt: `to cancel ${HOLD}`, seconds: "8" });
    expect((await t.gql(ME, {}, { token: user.token })).data!.me).toMatchObject({ held: "0.8" });
    expect(await user.client.videos.delete(running.id)).toEqual({ id: running.id, object: "video.deleted", deleted: true });
    expect((await t.gql(ME, {}, { token: user.token })).data!.me).toMatchObject({ balance: "5", held: "0" });
    expect(await user.client.videos.retrieve(running.id)).toMatchObject({ status: "failed", error: { code: "cancelled" } });
  });

  it("deletes a finished video's stored media and keeps the task and its ledger", async () => {
    const user = await keyedUser(t, "deleter@rest-sdk", "5");
    const video = await untilFinished(user.client, (await user.client.videos.create({ model: "sora-2", prompt: "to delete" })).id);
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: video.id } });
    expect(await t.app.services.storage.head(row.videoKey!)).not.toBeNull();
    const ledger = (await ledgerOf(t, user.subject)).map((e) => `${e.kind}:${e.amount}`);

    expect(await user.client.videos.delete(video.id)).toEqual({ id: video.id, object: "video.deleted", deleted: true });
    expect(await t.app.services.storage.head(row.videoKey!), "the stored video is gone").toBeNull();
    expect(await t.app.services.storage.head(row.thumbnailKey!), "the stored thumbnail is gone").toBeNull();
    expect((await rejection(user.client.videos.downloadContent(video.id))).status).toBe(404);
    const after = await user.client.videos.retrieve(video.id);
    expect(after).toMatchObject({ status: "completed" });
    expect(after.expires_at).not.toBeNull();
    expect((await t.gql(VIDEO_TASK, { id: video.id }, { token: user.token })).data!.videoTask.videoUrl).toBeNull();
    expect(
      (await ledgerOf(t, user.subject)).map((e) => `${e.kind}:${e.amount}`),
      "the ledger is left as it was",
    ).toEqual(ledger);
    // Deleting again changes nothing.
    expect((await user.client.videos.delete(video.id)).deleted).toBe(true);
  });

  it("lists the models an enabled channel serves, in OpenAI's shape", async () => {
    const ids: string[] = [];
    for await (const model of owner.client.models.list()) {
      expect(model).toMatchObject({ object: "model", owned_by: "openai" });
      ids.push(model.id);
    }
    expect(ids.sort()).toEqual(["sora-2", "sora-2-pro"]);
    expect(await owner.client.models.retrieve("sora-2")).toMatchObject({ id: "sora-2", object: "model" });
    expect((await rejection(owner.client.models.retrieve("veo-3.0-generate-001"))).status).toBe(404);
  });

  it("refuses a user without credit with 402 insufficient_quota as an APIError, before any provider call", async () => {
    const broke = await keyedUser(t, "broke@rest-sdk", "0");
    const creates = t.mock.requests.length;
    const err = await rejection(broke.client.videos.create({ model: "sora-2", prompt: "no money" }));
    expect(err.status).toBe(402);
    expect(err.error).toEqual({ message: expect.any(String), type: "insufficient_quota", param: null, code: "insufficient_quota" });
    expect(t.mock.requests.length, "nothing reached the provider").toBe(creates);
    expect(await t.app.services.db.task.count({ where: { user: { subject: broke.subject } } })).toBe(0);
  });

  it("answers 401 AuthenticationError without a key and with a wrong one", async () => {
    const anonymous = new OpenAI({ apiKey: "unused", baseURL: `${t.origin}/v1`, maxRetries: 0, defaultHeaders: { Authorization: null } });
    const missing = await rejection(anonymous.videos.list());
    expect(missing).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(missing.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    const wrong = await rejection(sdkFor(t, "sk-rl-notARealKeyAtAll0000000000000000000").videos.retrieve(finished.id));
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("answers 404 NotFoundError for another user's video, whatever the operation", async () => {
    const other = await keyedUser(t, "other@rest-sdk", "5");
    for (const call of [
      () => other.client.videos.retrieve(finished.id),
      () => other.client.videos.downloadContent(finished.id),
      () => other.client.videos.remix(finished.id, { prompt: "not mine" }),
      () => other.client.videos.delete(finished.id),
    ]) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err.error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
    }
    expect((await owner.client.videos.retrieve(finished.id)).status, "the owner's video is untouched").toBe("completed");
  });

  it("answers 400 BadRequestError naming the field for seconds and sizes the model does not make", async () => {
    const seconds = await rejection(owner.client.videos.create({ model: "sora-2", prompt: "five", seconds: "5" as never }));
    expect(seconds).toBeInstanceOf(OpenAI.BadRequestError);
    expect(seconds.error).toMatchObject({ type: "invalid_request_error", param: "seconds" });
    expect(seconds.message).toMatch(/4, 8, 12/);
    const size = await rejection(owner.client.videos.create({ model: "sora-2", prompt: "big", size: "1792x1024" }));
    expect(size.param).toBe("size");
    const prompt = await rejection(owner.client.videos.create({ model: "sora-2" } as never));
    expect([prompt.param, prompt.code]).toEqual(["prompt", "missing_required_parameter"]);
  });

  it("answers 413 in OpenAI's format for a reference image or a JSON body over the limit", async () => {
    const tooBig = Buffer.alloc(MAX_REFERENCE_BYTES + 2048, 0x5a);
    PNG.copy(tooBig);
    const file = await rejection(
      owner.client.videos.create({ model: "sora-2", prompt: "huge", input_reference: await toFile(tooBig, "big.png") }),
    );
    expect([file.status, file.code]).toEqual([413, "payload_too_large"]);

    // declared by Content-Length, and sent chunked without one: both refused before anything parses them
    const huge = JSON.stringify({ model: "sora-2", prompt: "x".repeat(MAX_REFERENCE_BYTES * 8) });
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(huge));
        controller.close();
      },
    });
    for (const body of [huge, chunked]) {
      const res = await fetch(`${t.origin}/v1/videos`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.key}`, "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect((await res.json()).error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    }
    expect(await t.app.services.db.task.count({ where: { prompt: { startsWith: "xxxx" } } })).toBe(0);
  });
});

describe("the OpenAI SDK against Reelay's rate limit", () => {
  const LIMIT = 3;
  const t = useTestApp({ mock: "openai", config: { rateLimitPerMinute: LIMIT }, channels: [{ name: "gateway", models: ["sora-2"] }] });

  it("counts REST creates with GraphQL mutations, and answers 429 RateLimitError with retry-after", async () => {
    // three mutations: createApiKey and cancelTask over GraphQL, then one create over REST
    const user = await keyedUser(t, "hasty@rest-sdk", "5");
    const graphql = await t.gql(`mutation { cancelTask(id: "no-such-task") { id } }`, {}, { token: user.token });
    expect(graphql.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    await user.client.videos.create({ model: "sora-2", prompt: "within the limit" });
    const err = await rejection(user.client.videos.create({ model: "sora-2", prompt: "over the limit" }));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(Number(err.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(await t.app.services.db.task.count({ where: { user: { subject: user.subject } } })).toBe(1);
  });
});
