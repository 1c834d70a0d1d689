/**
 * new-api's unified video routes over plain HTTP, as clients written against new-api call
 * them: create with new-api's fields, then poll the task in new-api's shape until it has a
 * URL (or an error).
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { grantCredit, ME } from "../helpers/fixtures.js";
import { tinyPng, withAllByteValues } from "../helpers/images.js";
import { tokenFor } from "../helpers/tokens.js";
import { useStarted, useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";

const HOLD = "[hold]";
const PNG = withAllByteValues(tinyPng());
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

// webhooks here go to a receiver on 127.0.0.1
const t = useTestApp({
  mock: "openai",
  mockOptions: { script: { queuedPolls: 0, progressSteps: [50] } },
  config: { allowPrivateNetworks: true },
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
});
const receiver = useStarted(
  async () => {
    const server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` };
  },
  ({ server }) => new Promise((resolve) => server.close(resolve)),
);

let key: string;

async function keyFor(subject: string, credit: string) {
  const token = await tokenFor(subject);
  if (credit === "0") await t.gql(ME, {}, { token });
  else await grantCredit(t, subject, credit);
  const res = await t.gql(`mutation { createApiKey(input: { name: "new-api" }) { key } }`, {}, { token });
  return res.data!.createApiKey.key as string;
}

async function call(method: string, path: string, options: { body?: unknown; key?: string | null } = {}) {
  const bearer = options.key === undefined ? key : options.key;
  const res = await fetch(`${t.origin}${path}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(options.body ? { "content-type": "application/json" } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const generate = (body: Record<string, unknown>) => call("POST", "/v1/video/generations", { body });
const task = (id: string) => call("GET", `/v1/video/generations/${id}`);
const untilStatus = (id: string, status: string) =>
  until(`task ${id} to be ${status}`, async () => ((await task(id)).body.status === status ? (await task(id)).body : null), 15_000);
const upstreamIdOf = async (id: string) => (await t.app.services.db.task.findUniqueOrThrow({ where: { id } })).upstreamId!;

beforeAll(async () => {
  t.mock.scriptFor(HOLD, { queuedPolls: 1_000_000 });
  key = await keyFor("client@new-api", "20");
});

describe("POST /v1/video/generations and GET /v1/video/generations/{task_id}", () => {
  it("creates from new-api's fields, forwards only what the model takes, and answers a URL that serves the video once it succeeded", async () => {
    const prompt = "waves on basalt";
    const created = await generate({
      model: "sora-2",
      prompt,
      duration: 8,
      width: 1280,
      height: 720,
      fps: 24,
      seed: 7,
      n: 1,
      response_format: "url",
      user: "someone-else",
      metadata: { negative_prompt: "blur", vendor_knob: { deep: true } },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ task_id: expect.any(String), status: expect.stringMatching(/^(queued|processing)$/) });
    const sent = t.mock.requests.find((r) => r.method === "POST" && r.path === "/v1/videos" && r.fields.prompt === prompt)!;
    expect(sent.fields).toMatchObject({ seconds: "8", size: "1280x720" });
    for (const field of ["fps", "seed", "negative_prompt", "vendor_knob", "metadata", "user"])
      expect(sent.fields).not.toHaveProperty(field);

    const done = await untilStatus(created.body.task_id, "succeeded");
    expect(done).toEqual({
      task_id: created.body.task_id,
      status: "succeeded",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/media\//),
      format: "mp4",
      metadata: { duration: 8, width: 1280, height: 720 },
      error: null,
    });
    const media = await fetch(done.url); // no credentials: the URL itself is signed
    expect(media.status).toBe(200);
    expect(sha256(Buffer.from(await media.arrayBuffer()))).toBe(sha256(t.mock.contentOf(await upstreamIdOf(done.task_id))));
    // the same task on the OpenAI routes
    expect((await call("GET", `/v1/videos/${done.task_id}`)).body).toMatchObject({ object: "video", status: "completed", seconds: "8" });
  });

  it("reports queued, then processing while the provider works, with no URL before success", async () => {
    const { body } = await generate({ model: "sora-2", prompt: `slow ${HOLD}` });
    expect(await untilStatus(body.task_id, "queued")).toMatchObject({ url: null, error: null });
    t.mock.setJobState(await until("the upstream job", () => upstreamIdOf(body.task_id)), { status: "in_progress", progress: 30 });
    expect(await untilStatus(body.task_id, "processing")).toMatchObject({ url: null, error: null, metadata: { duration: 4 } });
    expect((await call("DELETE", `/v1/videos/${body.task_id}`)).status).toBe(200);
    expect((await task(body.task_id)).body).toMatchObject({ status: "failed", error: { code: "cancelled" } });
  });

  it("answers failed with the error and no URL when generation fails", async () => {
    const { body } = await generate({ model: "sora-2", prompt: "[fail] a refused scene" });
    const failed = await untilStatus(body.task_id, "failed");
    expect(failed).toMatchObject({ task_id: body.task_id, url: null, format: "mp4" });
    expect(failed.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  });

  it("takes image as a base64 data: URL and sends the provider its exact bytes", async () => {
    const prompt = "from this frame";
    const { status } = await generate({ model: "sora-2", prompt, image: `data:image/png;base64,${PNG.toString("base64")}` });
    expect(status).toBe(200);
    const sent = t.mock.requests.find((r) => r.method === "POST" && r.path === "/v1/videos" && r.fields.prompt === prompt);
    expect(sent?.file?.sha256).toBe(sha256(PNG));
  });

  it("refuses bad input in OpenAI's error format, naming new-api's field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "sora-2", prompt: "p", duration: 5 }, "duration"],
      [{ model: "sora-2", prompt: "p", width: 1280 }, "height"],
      [{ model: "sora-2", prompt: "p", width: 1280, height: 720, size: "720x1280" }, "size"],
      [{ model: "sora-2", prompt: "p", duration: "eight" }, "duration"],
      [{ model: "sora-2", prompt: "p", n: 2 }, "n"],
      [{ model: "sora-2" }, "prompt"],
    ];
    for (const [body, param] of cases) {
      const res = await generate(body);
      expect([res.status, res.body.error?.param], JSON.stringify(body)).toEqual([400, param]);
      expect(res.body.error).toMatchObject({ type: "invalid_request_error", message: expect.any(String) });
    }
  });

  it("answers 401 without a key, 402 without credit, and 404 for another user's task", async () => {
    const { body } = await generate({ model: "sora-2", prompt: `mine ${HOLD}` });
    expect((await call("GET", `/v1/video/generations/${body.task_id}`, { key: null })).status).toBe(401);
    const broke = await keyFor("broke@new-api", "0");
    const refused = await call("POST", "/v1/video/generations", { key: broke, body: { model: "sora-2", prompt: "no money" } });
    expect([refused.status, refused.body.error.type]).toEqual([402, "insufficient_quota"]);
    const other = await call("GET", `/v1/video/generations/${body.task_id}`, { key: broke });
    expect([other.status, other.body.error.code]).toEqual([404, "not_found"]);
    expect((await call("GET", "/v1/video/generations/not-a-task")).status).toBe(404);
  });

  it("passes webhook_url and webhook_events through to the task, as JSON and as multipart fields", async () => {
    const json = await generate({
      model: "sora-2",
      prompt: `hooked ${HOLD}`,
      webhook_url: receiver.url,
      webhook_events: ["completed", "failed"],
    });
    expect(json.status).toBe(200);
    const form = new FormData();
    form.set("prompt", `hooked form ${HOLD}`);
    form.set("webhook_url", receiver.url);
    form.append("webhook_events[]", "started");
    form.append("webhook_events[]", "cancelled");
    const multipart = await fetch(`${t.origin}/v1/videos`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    expect(multipart.status).toBe(200);
    const video = await multipart.json();
    const rows = await t.app.services.db.task.findMany({
      where: { id: { in: [json.body.task_id, video.id] } },
      select: { id: true, webhookUrl: true, webhookEvents: true },
    });
    expect(rows.find((r) => r.id === json.body.task_id)).toMatchObject({
      webhookUrl: receiver.url,
      webhookEvents: ["completed", "failed"],
    });
    expect(rows.find((r) => r.id === video.id)).toMatchObject({ webhookUrl: receiver.url, webhookEvents: ["started", "cancelled"] });

    const unknown = await generate({ model: "sora-2", prompt: "p", webhook_url: receiver.url, webhook_events: ["exploded"] });
    expect([unknown.status, unknown.body.error.param]).toEqual([400, "webhook_events.0"]);
    const orphan = await generate({ model: "sora-2", prompt: "p", webhook_events: ["completed"] });
    expect([orphan.status, orphan.body.error.param]).toEqual([400, "webhook_events"]);
    const notUrl = await generate({ model: "sora-2", prompt: "p", webhook_url: "ftp://example.com/x" });
    expect([notUrl.status, notUrl.body.error.param]).toEqual([400, "webhook_url"]);
    for (const id of [json.body.task_id, video.id]) await call("DELETE", `/v1/videos/${id}`);
  });
});
