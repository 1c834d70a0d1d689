import { describe, expect, it } from "vitest";
import { dashscopeAdaptor } from "../../src/providers/dashscope.js";
import { tinyPng } from "../helpers/images.js";
import { useMock } from "../helpers/use-test-app.js";
import { dashscopeFailures, startMockDashScope } from "../mocks/dashscope.js";
import { describeAdaptorContract } from "./adaptor-contract.js";

const MODEL = "wan2.5-t2v-preview";

describeAdaptorContract("dashscope", async () => {
  const mock = await startMockDashScope();
  return {
    adaptor: dashscopeAdaptor,
    channel: { id: "c-wan", name: "wan", provider: "dashscope", baseUrl: mock.baseUrl, apiKey: mock.apiKey },
    request: (prompt) => ({ model: MODEL, prompt, seconds: 5, size: "1280x720", aspectRatio: null, reference: null }),
    prompts: { failsDuringGeneration: "a storm [fail]", refusedForContent: "something [blocked]" },
    failNextSubmit: (kind) =>
      mock.failNext(1, { method: "POST" }, kind === "rate_limit" ? dashscopeFailures.rateLimit(2) : dashscopeFailures.serverError()),
    bytesOf: (id) => mock.contentOf(id),
    unknownTask: () => ({ upstreamId: "expired-task-id", state: null, model: MODEL }),
    close: () => mock.close(),
  };
});

describe("dashscope adaptor specifics", () => {
  const mock = useMock("dashscope");
  const channel = () => ({ id: "c", name: "wan", provider: "dashscope", baseUrl: mock.baseUrl, apiKey: mock.apiKey });

  it("submits asynchronously with W*H sizes for text-to-video, and a resolution tier plus a data: URI image for image-to-video", async () => {
    const t2v = await dashscopeAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a river", seconds: 10, size: "1920x1080", aspectRatio: null, reference: null },
    });
    expect(mock.requests.at(-1)!.headers["x-dashscope-async"]).toBe("enable");
    expect(mock.tasks.get(t2v.upstreamId)!.body.parameters).toMatchObject({ size: "1920*1080", duration: 10 });
    const png = tinyPng();
    const i2v = await dashscopeAdaptor.submit({
      channel: channel(),
      request: {
        model: "wan2.5-i2v-preview",
        prompt: "the image comes alive",
        seconds: 5,
        size: "1280x720",
        aspectRatio: null,
        reference: { bytes: png, mimeType: "image/png", filename: "a.png", sha256: "" },
      },
    });
    const body = mock.tasks.get(i2v.upstreamId)!.body;
    expect(body.parameters).toMatchObject({ resolution: "720P", duration: 5 });
    expect(body.input.img_url).toBe(`data:image/png;base64,${png.toString("base64")}`);
  });

  it("reports the seconds made from usage, and downloads the signed link without the key", async () => {
    const submitted = await dashscopeAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a meadow", seconds: 5, size: null, aspectRatio: null, reference: null },
    });
    const task = { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL };
    let snapshot = submitted.snapshot;
    for (let i = 0; i < 10 && snapshot.status !== "COMPLETED"; i++) snapshot = await dashscopeAdaptor.poll({ channel: channel(), task });
    expect(snapshot.usage).toEqual({ seconds: 5 });
    const download = await dashscopeAdaptor.download({ channel: channel(), task, snapshot, variant: "video" });
    for await (const _ of download!.body) void _;
    expect(mock.tasks.get(submitted.upstreamId)!.downloads).toEqual([{ authorization: undefined }]);
  });
});
