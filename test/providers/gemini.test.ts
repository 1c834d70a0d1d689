import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { geminiAdaptor } from "../../src/providers/gemini.js";
import { tinyPng } from "../helpers/images.js";
import { useMock } from "../helpers/use-test-app.js";
import { geminiFailures, startMockGemini } from "../mocks/gemini.js";
import { collect, describeAdaptorContract } from "./adaptor-contract.js";

const MODEL = "veo-3.0-fast-generate-001";

describeAdaptorContract("gemini", async () => {
  const mock = await startMockGemini();
  return {
    adaptor: geminiAdaptor,
    channel: { id: "c-gemini", name: "veo", provider: "gemini", baseUrl: mock.baseUrl, apiKey: mock.apiKey },
    request: (prompt) => ({ model: MODEL, prompt, seconds: 8, size: "1280x720", aspectRatio: null, reference: null }),
    prompts: { failsDuringGeneration: "a storm [fail]", refusedForContent: "something [blocked]" },
    failNextSubmit: (kind) =>
      mock.failNext(
        1,
        { method: "POST", path: "/v1beta/models/" },
        kind === "rate_limit" ? geminiFailures.rateLimit(2) : geminiFailures.serverError(),
      ),
    bytesOf: (name) => mock.contentOf(name),
    unknownTask: () => ({ upstreamId: `models/${MODEL}/operations/unknown123`, state: null, model: MODEL }),
    // The mock's storage host is another local server than its API: an untrusted private address.
    allowPrivateNetworks: true,
    close: () => mock.close(),
  };
});

describe("gemini adaptor, Veo specifics", () => {
  const mock = useMock("gemini");
  const channel = () => ({ id: "c", name: "veo", provider: "gemini", baseUrl: mock.baseUrl, apiKey: mock.apiKey });

  it("maps Reelay's size to Veo's aspect ratio and resolution, and sends the reference image inline", async () => {
    const png = tinyPng();
    const sha256 = createHash("sha256").update(png).digest("hex");
    const submitted = await geminiAdaptor.submit({
      channel: channel(),
      request: {
        model: "veo-3.1-generate-preview",
        prompt: "a fox",
        seconds: 8,
        size: "1080x1920",
        aspectRatio: null,
        reference: { bytes: png, mimeType: "image/png", filename: "ref.png", sha256 },
      },
    });
    const op = mock.operations.get(submitted.upstreamId)!;
    expect(op.parameters).toMatchObject({
      aspectRatio: "9:16",
      resolution: "1080p",
      durationSeconds: 8,
      sampleCount: 1,
      personGeneration: "allow_adult",
    });
    expect(op.image).toEqual({ mimeType: "image/png", sha256 });
    expect(mock.requests.at(-1)!.headers["x-goog-api-key"]).toBe(mock.apiKey);
  });

  it("treats a video removed by the safety filter as FAILED for content policy", async () => {
    const submitted = await geminiAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a crowd [rai]", seconds: 4, size: null, aspectRatio: "16:9", reference: null },
    });
    const task = { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL };
    let snapshot = submitted.snapshot;
    for (let i = 0; i < 10 && snapshot.status === "PROCESSING"; i++) snapshot = await geminiAdaptor.poll({ channel: channel(), task });
    expect(snapshot).toMatchObject({ status: "FAILED", error: { code: "CONTENT_POLICY" } });
  });

  it("sends the key to the API only: the storage host it redirects the download to never sees it", async () => {
    const submitted = await geminiAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a harbour", seconds: 4, size: null, aspectRatio: null, reference: null },
    });
    const task = { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL };
    let snapshot = submitted.snapshot;
    for (let i = 0; i < 10 && snapshot.status !== "COMPLETED"; i++) snapshot = await geminiAdaptor.poll({ channel: channel(), task });
    mock.storageRequests.length = 0;
    // The storage host is another local server than the API: allowed only with ALLOW_PRIVATE_NETWORKS.
    const download = await geminiAdaptor.download({
      channel: channel(),
      task,
      snapshot,
      variant: "video",
      range: { start: 10, end: 99 },
      allowPrivateNetworks: true,
    });
    const bytes = await collect(download!.body);
    expect(bytes.equals(mock.contentOf(submitted.upstreamId).subarray(10, 100))).toBe(true);
    expect(download!.range).toMatchObject({ start: 10, end: 99 });
    expect(mock.storageRequests).toHaveLength(1);
    expect(mock.storageRequests[0].headers["x-goog-api-key"]).toBeUndefined();
    expect(await geminiAdaptor.download({ channel: channel(), task, snapshot, variant: "thumbnail" })).toBeNull();
  });

  it("reports the requested duration for settlement, since Veo makes exactly that", async () => {
    const submitted = await geminiAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a kite", seconds: 6, size: null, aspectRatio: null, reference: null },
    });
    const task = { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL };
    let snapshot = submitted.snapshot;
    for (let i = 0; i < 10 && snapshot.status !== "COMPLETED"; i++) snapshot = await geminiAdaptor.poll({ channel: channel(), task });
    expect(snapshot.usage).toEqual({ seconds: 6 });
  });

  it("takes the media type from the request, not from the model's name", async () => {
    const request = { prompt: "a fox", seconds: null, size: null, aspectRatio: null, reference: null };
    await geminiAdaptor
      .submit({ channel: channel(), request: { ...request, model: "nano-banana-next", mediaType: "IMAGE" } })
      .catch(() => {});
    expect(mock.requests.at(-1)).toMatchObject({ method: "POST", path: "/v1beta/models/nano-banana-next:generateContent" });
    await geminiAdaptor
      .submit({ channel: channel(), request: { ...request, model: "gemini-9-image-video", mediaType: "VIDEO" } })
      .catch(() => {});
    expect(mock.requests.at(-1)).toMatchObject({ method: "POST", path: "/v1beta/models/gemini-9-image-video:predictLongRunning" });
  });
});
