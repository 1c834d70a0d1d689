import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type MockOpenAIVideos, type MockOpenAIVideosOptions, mockFailures, startMockOpenAIVideos, type Video } from "./openai-videos.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let mock: MockOpenAIVideos | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function start(options?: MockOpenAIVideosOptions) {
  mock = await startMockOpenAIVideos(options);
  const m = mock;
  const auth = { authorization: `Bearer ${m.apiKey}` };
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(m.baseUrl + path, {
      method,
      headers: {
        ...auth,
        ...(body !== undefined && !(body instanceof FormData) ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  const json = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
  const create = async (body: Record<string, unknown> = {}) => {
    const r = await json("POST", "/v1/videos", { prompt: "a cat surfing", model: "sora-2", ...body });
    expect(r.status).toBe(200);
    return r.body as Video;
  };
  const pollUntilDone = async (id: string) => {
    const seen: [string, number][] = [];
    for (let i = 0; i < 50; i++) {
      const v = (await json("GET", `/v1/videos/${id}`)).body as Video;
      seen.push([v.status, v.progress]);
      if (v.status === "completed" || v.status === "failed") return { video: v, seen };
    }
    throw new Error("never finished");
  };
  return { m, call, json, create, pollUntilDone };
}

const expectEnvelope = (body: any, type: string, code: string | null, param?: string | null) => {
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error).toMatchObject({ type, code, ...(param !== undefined ? { param } : {}) });
  expect(typeof body.error.message).toBe("string");
};

describe("openai-videos mock", () => {
  it("listens on 127.0.0.1 and rejects missing or wrong keys with 401 invalid_api_key", async () => {
    const { m } = await start({ apiKey: "sk-test" });
    expect(m.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(m.apiKey).toBe("sk-test");
    for (const headers of [{}, { authorization: "Bearer nope" }] as Record<string, string>[]) {
      const res = await fetch(`${m.baseUrl}/v1/videos`, { headers });
      expect(res.status).toBe(401);
      expectEnvelope(await res.json(), "invalid_request_error", "invalid_api_key", null);
    }
  });

  it("creates via JSON and follows the default script queued → 25 → 50 → 75 → completed", async () => {
    const { create, pollUntilDone } = await start();
    const v = await create({ seconds: "8", size: "1280x720" });
    expect(v).toMatchObject({
      object: "video",
      status: "queued",
      progress: 0,
      model: "sora-2",
      prompt: "a cat surfing",
      seconds: "8",
      size: "1280x720",
      completed_at: null,
      expires_at: null,
      error: null,
      remixed_from_video_id: null,
    });
    expect(v.id).toMatch(/^video_[0-9a-f]+$/);
    expect(typeof v.created_at).toBe("number");
    const { video, seen } = await pollUntilDone(v.id);
    expect(seen).toEqual([
      ["queued", 0],
      ["in_progress", 25],
      ["in_progress", 50],
      ["in_progress", 75],
      ["completed", 100],
    ]);
    expect(video.completed_at).toBeGreaterThanOrEqual(v.created_at);
    expect(video.expires_at).toBe(video.completed_at! + 3600);
  });

  it("applies defaults and validates model, seconds, size and prompt", async () => {
    const { json, create } = await start({ extraModels: ["veo-3"] });
    expect(await create({ model: undefined })).toMatchObject({ model: "sora-2", seconds: "4", size: "720x1280" });
    expect((await create({ model: "sora-2-pro", size: "1792x1024", seconds: "12" })).size).toBe("1792x1024");
    expect((await create({ model: "veo-3", size: "1024x1792" })).model).toBe("veo-3");
    const cases: [Record<string, unknown>, string, string][] = [
      [{ model: "sora-3" }, "model", "invalid_value"],
      [{ seconds: 8 }, "seconds", "invalid_type"],
      [{ seconds: "10" }, "seconds", "invalid_value"],
      [{ size: "1792x1024" }, "size", "invalid_value"],
      [{ size: "640x480", model: "sora-2-pro" }, "size", "invalid_value"],
      [{ prompt: "" }, "prompt", "missing_required_parameter"],
      [{ prompt: undefined }, "prompt", "missing_required_parameter"],
    ];
    for (const [patch, param, code] of cases) {
      const r = await json("POST", "/v1/videos", { prompt: "x", model: "sora-2", ...patch });
      expect(r.status, JSON.stringify(patch)).toBe(400);
      expectEnvelope(r.body, "invalid_request_error", code, param);
    }
    const r = await json("POST", "/v1/videos", { prompt: "x", seconds: 4 });
    expect(r.body.error.message).toMatch(/^Invalid type for 'seconds'/);
  });

  it("accepts multipart with an input_reference file and records fields and file hash", async () => {
    const { m, call } = await start();
    const image = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
    const form = new FormData();
    form.set("prompt", "animate this");
    form.set("model", "sora-2-pro");
    form.set("seconds", "8");
    form.set("size", "1024x1792");
    form.set("input_reference", new Blob([image], { type: "image/png" }), "ref.png");
    const res = await call("POST", "/v1/videos", form);
    expect(res.status).toBe(200);
    const v = (await res.json()) as Video;
    expect(v).toMatchObject({ model: "sora-2-pro", seconds: "8", size: "1024x1792", status: "queued" });
    const rec = m.requests.at(-1)!;
    expect(rec.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(rec.fields).toEqual({ prompt: "animate this", model: "sora-2-pro", seconds: "8", size: "1024x1792" });
    expect(rec.file).toEqual({ name: "ref.png", type: "image/png", size: 3000, sha256: sha256(image) });
    expect(m.jobs.get(v.id)!.inputReference).toEqual({
      kind: "file",
      name: "ref.png",
      type: "image/png",
      size: 3000,
      sha256: sha256(image),
    });
  });

  it("accepts JSON input_reference as data: URL or plain URL", async () => {
    const { m, create } = await start();
    const bytes = Buffer.from("fake-jpeg-bytes");
    const a = await create({ input_reference: { image_url: `data:image/jpeg;base64,${bytes.toString("base64")}` } });
    expect(m.jobs.get(a.id)!.inputReference).toMatchObject({
      kind: "data_url",
      type: "image/jpeg",
      size: bytes.length,
      sha256: sha256(bytes),
    });
    expect(m.requests.at(-1)!.fields.input_reference).toEqual({ image_url: expect.stringMatching(/^data:image\/jpeg/) });
    const b = await create({ input_reference: { image_url: "https://example.com/a.png" } });
    expect(m.jobs.get(b.id)!.inputReference).toEqual({ kind: "url", url: "https://example.com/a.png" });
  });

  it("serves deterministic content only when completed, with sniffable magic bytes", async () => {
    const { m, call, create, pollUntilDone } = await start();
    const v = await create();
    const early = await call("GET", `/v1/videos/${v.id}/content`);
    expect(early.status).toBe(404);
    expectEnvelope(await early.json(), "invalid_request_error", "video_not_ready");
    await pollUntilDone(v.id);
    const res = await call("GET", `/v1/videos/${v.id}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("content-length")).toBe(String(64 * 1024));
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(4, 12).toString("latin1")).toBe("ftypmp42");
    expect(body.equals(m.contentOf(v.id))).toBe(true);
    expect(sha256(body)).toBe(m.jobs.get(v.id)!.videoSha256);
    const thumb = await call("GET", `/v1/videos/${v.id}/content?variant=thumbnail`);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    const tb = Buffer.from(await thumb.arrayBuffer());
    expect([tb.subarray(0, 4).toString(), tb.subarray(8, 12).toString(), tb.readUInt32LE(4)]).toEqual(["RIFF", "WEBP", tb.length - 8]);
    expect(tb.equals(m.contentOf(v.id, "thumbnail"))).toBe(true);
    const sprite = await call("GET", `/v1/videos/${v.id}/content?variant=spritesheet`);
    expect(sprite.headers.get("content-type")).toBe("image/jpeg");
    const sb = Buffer.from(await sprite.arrayBuffer());
    expect([sb[0], sb[1], sb.at(-2), sb.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    expect((await call("GET", `/v1/videos/${v.id}/content?variant=gif`)).status).toBe(400);
    // Bytes depend on the job id only, so two jobs differ but one job is stable.
    const other = await create();
    m.setJobState(other.id, { status: "completed" });
    expect(m.contentOf(other.id).equals(m.contentOf(v.id))).toBe(false);
    expect(m.contentOf(v.id).equals(m.contentOf(v.id))).toBe(true);
  });

  it("answers a Range request with 206 and exactly that part, and an unsatisfiable one with 416", async () => {
    const { m, call, create } = await start({ script: { videoBytes: 100_000 } });
    const v = await create();
    m.setJobState(v.id, { status: "completed" });
    const full = m.contentOf(v.id);
    const get = (range: string) => call("GET", `/v1/videos/${v.id}/content`, undefined, { range });
    for (const [range, start, end] of [
      ["bytes=0-99", 0, 99],
      ["bytes=1000-70000", 1000, 70000],
      ["bytes=99990-", 99990, 99999],
      ["bytes=-10", 99990, 99999],
      ["bytes=99000-200000", 99000, 99999],
    ] as const) {
      const res = await get(range);
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/100000`);
      expect(res.headers.get("content-length")).toBe(String(end - start + 1));
      expect(Buffer.from(await res.arrayBuffer()).equals(full.subarray(start, end + 1)), range).toBe(true);
    }
    const head = await call("HEAD", `/v1/videos/${v.id}/content`);
    expect([head.status, head.headers.get("content-length"), head.headers.get("accept-ranges")]).toEqual([200, "100000", "bytes"]);
    const bad = await get("bytes=100000-");
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe("bytes */100000");
  });

  it("streams large videos in chunks with the exact advertised length", async () => {
    const { m, call, create } = await start({ script: { videoBytes: 16 * 1024 * 1024 + 5, queuedPolls: 0, progressSteps: [] } });
    const v = await create();
    const res = await call("GET", `/v1/videos/${v.id}/content`);
    expect(res.status).toBe(404); // not polled yet
    await call("GET", `/v1/videos/${v.id}`);
    const big = await call("GET", `/v1/videos/${v.id}/content`);
    expect(big.headers.get("content-length")).toBe(String(16 * 1024 * 1024 + 5));
    const hash = createHash("sha256");
    let size = 0,
      chunks = 0;
    for await (const chunk of big.body! as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
      chunks++;
    }
    expect(size).toBe(16 * 1024 * 1024 + 5);
    expect(chunks).toBeGreaterThan(1);
    expect(hash.digest("hex")).toBe(m.jobs.get(v.id)!.videoSha256);
  });

  it("remixes only existing completed videos, copying model/size/seconds", async () => {
    const { m, json, create } = await start();
    const src = await create({ model: "sora-2-pro", size: "1792x1024", seconds: "12" });
    expect((await json("POST", `/v1/videos/${src.id}/remix`, {})).status).toBe(400);
    const notDone = await json("POST", `/v1/videos/${src.id}/remix`, { prompt: "now at night" });
    expect(notDone.status).toBe(400);
    expectEnvelope(notDone.body, "invalid_request_error", "video_not_completed");
    const missing = await json("POST", `/v1/videos/video_doesnotexist/remix`, { prompt: "x" });
    expect(missing.status).toBe(404);
    expectEnvelope(missing.body, "invalid_request_error", "video_not_found");
    m.setJobState(src.id, { status: "completed" });
    const remix = await json("POST", `/v1/videos/${src.id}/remix`, { prompt: "now at night" });
    expect(remix.status).toBe(200);
    expect(remix.body).toMatchObject({
      status: "queued",
      progress: 0,
      prompt: "now at night",
      remixed_from_video_id: src.id,
      model: "sora-2-pro",
      size: "1792x1024",
      seconds: "12",
    });
    expect(remix.body.id).not.toBe(src.id);
    expect(m.jobs.get(remix.body.id)!.video.remixed_from_video_id).toBe(src.id);
  });

  it("deletes jobs in any state; deleted jobs 404 and are flagged", async () => {
    const { m, json, create } = await start();
    const v = await create();
    await json("GET", `/v1/videos/${v.id}`);
    await json("GET", `/v1/videos/${v.id}`); // in_progress
    const del = await json("DELETE", `/v1/videos/${v.id}`);
    expect(del).toMatchObject({ status: 200, body: { id: v.id, object: "video.deleted", deleted: true } });
    expect(m.jobs.get(v.id)!.deleted).toBe(true);
    for (const [method, path] of [
      ["GET", ""],
      ["GET", "/content"],
      ["DELETE", ""],
    ]) {
      const r = await json(method, `/v1/videos/${v.id}${path}`);
      expect(r.status).toBe(404);
      expectEnvelope(r.body, "invalid_request_error", "video_not_found");
    }
  });

  it("lists with cursor pagination and order, excluding deleted jobs", async () => {
    const { json, create } = await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ prompt: `p${i}` })).id);
    await json("DELETE", `/v1/videos/${ids[2]}`);
    const page1 = (await json("GET", "/v1/videos?limit=2")).body;
    expect(page1).toMatchObject({ object: "list", has_more: true, first_id: ids[4], last_id: ids[3] });
    expect(page1.data.map((v: Video) => v.id)).toEqual([ids[4], ids[3]]);
    const page2 = (await json("GET", `/v1/videos?limit=2&after=${page1.last_id}`)).body;
    expect(page2.data.map((v: Video) => v.id)).toEqual([ids[1], ids[0]]);
    expect(page2.has_more).toBe(false);
    const asc = (await json("GET", "/v1/videos?order=asc&limit=10")).body;
    expect(asc.data.map((v: Video) => v.id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
    expect(asc.data[0].object).toBe("video");
    expect((await json("GET", `/v1/videos?after=${ids[0]}`)).body).toMatchObject({
      data: [],
      has_more: false,
      first_id: null,
      last_id: null,
    });
  });

  it("answers the next n matching requests with the failNext response (before checking the key), then as usual", async () => {
    const { m, json, create, call } = await start();
    m.failNext(2, { method: "POST", path: "/v1/videos" }, mockFailures.rateLimit());
    m.failNext(1, { method: "GET", path: /^\/v1\/videos\/[^/]+$/ }, mockFailures.overloaded());
    const r1 = await json("POST", "/v1/videos", { prompt: "x" });
    expect(r1.status).toBe(429);
    expect(r1.headers.get("retry-after")).toBe("1");
    expectEnvelope(r1.body, "rate_limit_error", "rate_limit_exceeded");
    expect((await json("POST", "/v1/videos", { prompt: "x" })).status).toBe(429);
    const v = await create();
    expect(m.requests.filter((r) => r.method === "POST").map((r) => r.fields.prompt)).toEqual(["x", "x", "a cat surfing"]);
    expect((await json("GET", "/v1/videos")).status).toBe(200); // list path does not match the regex
    const o = await json("GET", `/v1/videos/${v.id}`);
    expect(o.status).toBe(503);
    expectEnvelope(o.body, "service_unavailable_error", "server_is_overloaded");
    expect((await json("GET", `/v1/videos/${v.id}`)).body.status).toBe("queued"); // failed poll did not advance
    m.failNext(1, {}, { status: 500 });
    const bare = await fetch(`${m.baseUrl}/v1/videos`); // no auth: injected failure still wins
    expect(bare.status).toBe(500);
    expectEnvelope(await bare.json(), "server_error", null);
    m.failNext(1, { path: "/v1/videos" }, mockFailures.insufficientQuota());
    const q = await call("GET", "/v1/videos");
    expect(q.status).toBe(429);
    expectEnvelope(await q.json(), "insufficient_quota", "insufficient_quota");
    expect(mockFailures.moderation()).toMatchObject({
      status: 400,
      body: { error: { type: "invalid_request_error", code: "moderation_blocked" } },
    });
  });

  it("honours [moderation] and [fail] prompt conventions", async () => {
    const { m, json, create, pollUntilDone, call } = await start();
    const mod = await json("POST", "/v1/videos", { prompt: "something [moderation] here" });
    expect(mod.status).toBe(400);
    expectEnvelope(mod.body, "invalid_request_error", "moderation_blocked");
    expect(m.jobs.size).toBe(0);
    const v = await create({ prompt: "please [fail]" });
    const { video, seen } = await pollUntilDone(v.id);
    expect(seen.map((s) => s[0])).toEqual(["queued", "in_progress", "in_progress", "in_progress", "failed"]);
    expect(video.error).toEqual({ code: "moderation_blocked", message: expect.any(String) });
    expect(video.completed_at).toBeNull();
    expect((await call("GET", `/v1/videos/${v.id}/content`)).status).toBe(404);
  });

  it("follows setScript, or the first scriptFor rule whose prompt matches, and reports reportedSeconds", async () => {
    const { m, create, pollUntilDone } = await start({ script: { queuedPolls: 2 } });
    m.scriptFor(/dog/, { progressSteps: [10, 90], reportedSeconds: "5", videoBytes: 1234 });
    m.scriptFor("dog", { outcome: "failed" }); // shadowed by the first rule
    m.scriptFor("broken", { outcome: "failed", failure: { code: "internal_error", message: "boom" }, progressSteps: [] });
    const dog = await pollUntilDone((await create({ prompt: "a dog", seconds: "4" })).id);
    expect(dog.seen).toEqual([
      ["queued", 0],
      ["queued", 0],
      ["in_progress", 10],
      ["in_progress", 90],
      ["completed", 100],
    ]);
    expect(dog.video.seconds).toBe("5");
    expect(m.contentOf(dog.video.id).length).toBe(1234);
    const broken = await pollUntilDone((await create({ prompt: "broken" })).id);
    expect(broken.seen).toEqual([
      ["queued", 0],
      ["queued", 0],
      ["failed", 0],
    ]);
    expect(broken.video.error).toEqual({ code: "internal_error", message: "boom" });
    m.setScript({ queuedPolls: 0, progressSteps: [99] });
    const next = await pollUntilDone((await create({ prompt: "cat" })).id);
    expect(next.seen).toEqual([
      ["in_progress", 99],
      ["completed", 100],
    ]);
  });

  it("follows the per-prompt scripts given at start like scriptFor rules, the first match winning", async () => {
    const { create, pollUntilDone } = await start({
      scripts: { dog: { queuedPolls: 0, progressSteps: [10] }, "a dog": { outcome: "failed" } },
    });
    const dog = await pollUntilDone((await create({ prompt: "a dog" })).id);
    expect(dog.seen).toEqual([
      ["in_progress", 10],
      ["completed", 100],
    ]);
  });

  it("moves a job to the state setJobState gives and keeps it there on later polls", async () => {
    const { m, json, create } = await start();
    const v = await create();
    m.setJobState(v.id, { status: "in_progress", progress: 42 });
    for (let i = 0; i < 10; i++)
      expect((await json("GET", `/v1/videos/${v.id}`)).body).toMatchObject({ status: "in_progress", progress: 42 });
    m.setJobState(v.id, { status: "failed", error: { code: "timeout", message: "took too long" } });
    expect((await json("GET", `/v1/videos/${v.id}`)).body).toMatchObject({
      status: "failed",
      error: { code: "timeout", message: "took too long" },
    });
    const w = await create();
    m.setJobState(w.id, { status: "completed" });
    expect((await json("GET", `/v1/videos/${w.id}`)).body).toMatchObject({ status: "completed", progress: 100, error: null });
    expect(() => m.setJobState("video_nope", { status: "completed" })).toThrow();
  });

  it("records every request in order and closes all sockets", async () => {
    const { m, json, create } = await start();
    const v = await create();
    await json("GET", `/v1/videos/${v.id}?x=1`);
    expect(m.requests.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/v1/videos"],
      ["GET", `/v1/videos/${v.id}`],
    ]);
    expect(m.requests[1].query).toEqual({ x: "1" });
    expect(m.requests[0].headers.authorization).toBe(`Bearer ${m.apiKey}`);
    expect(m.requests[0].fields).toEqual({ prompt: "a cat surfing", model: "sora-2" });
    expect((await json("GET", "/v2/whatever")).status).toBe(404);
    expect((await json("PUT", `/v1/videos/${v.id}`)).status).toBe(405);
    const bad = await fetch(`${m.baseUrl}/v1/videos`, {
      method: "POST",
      headers: { authorization: `Bearer ${m.apiKey}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    await m.close();
    mock = undefined;
    await expect(fetch(`${m.baseUrl}/v1/videos`)).rejects.toThrow();
  });

  it("closes promptly even with a download in flight", async () => {
    const { m, call, create } = await start({ script: { videoBytes: 256 * 1024 * 1024 } });
    const v = await create();
    m.setJobState(v.id, { status: "completed" });
    const res = await call("GET", `/v1/videos/${v.id}/content`);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const t0 = Date.now();
    await m.close();
    mock = undefined;
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
  });
});
