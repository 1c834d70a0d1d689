import { describe, expect, it } from "vitest";
import { seedanceAdaptor } from "../../src/providers/seedance.js";
import { useMock } from "../helpers/use-test-app.js";
import { seedanceFailures, startMockSeedance } from "../mocks/seedance.js";
import { describeAdaptorContract } from "./adaptor-contract.js";

const MODEL = "seedance-1-0-pro-250528";

describeAdaptorContract("seedance", async () => {
  const mock = await startMockSeedance();
  return {
    adaptor: seedanceAdaptor,
    channel: { id: "c-ark", name: "ark", provider: "seedance", baseUrl: mock.baseUrl, apiKey: mock.apiKey },
    request: (prompt) => ({ model: MODEL, prompt, seconds: 5, size: "1280x720", aspectRatio: null, reference: null }),
    prompts: { failsDuringGeneration: "a storm [fail]", refusedForContent: "something [blocked]" },
    failNextSubmit: (kind) =>
      mock.failNext(1, { method: "POST" }, kind === "rate_limit" ? seedanceFailures.rateLimit(2) : seedanceFailures.serverError()),
    bytesOf: (id) => mock.contentOf(id),
    unknownTask: () => ({ upstreamId: "cgt-unknown", state: null, model: MODEL }),
    close: () => mock.close(),
  };
});

describe("seedance adaptor specifics", () => {
  const mock = useMock("seedance");
  const channel = () => ({ id: "c", name: "ark", provider: "seedance", baseUrl: mock.baseUrl, apiKey: mock.apiKey });

  it("passes ratio, duration and resolution as flags after the prompt, and reports usage in tokens", async () => {
    const submitted = await seedanceAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a glacier", seconds: 10, size: "1080x1920", aspectRatio: null, reference: null },
    });
    expect(mock.tasks.get(submitted.upstreamId)!.text).toBe("a glacier --ratio 9:16 --duration 10 --resolution 1080p");
    const task = { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL };
    let snapshot = submitted.snapshot;
    for (let i = 0; i < 10 && snapshot.status !== "COMPLETED"; i++) snapshot = await seedanceAdaptor.poll({ channel: channel(), task });
    expect(snapshot.usage).toEqual({ tokens: mock.tokensOf(submitted.upstreamId) });
  });

  it("cancels a queued task; a running one cannot be cancelled and says so", async () => {
    const queued = await seedanceAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a queued job", seconds: 5, size: null, aspectRatio: null, reference: null },
    });
    await seedanceAdaptor.cancel!({ channel: channel(), task: { upstreamId: queued.upstreamId, state: null, model: MODEL } });
    expect(mock.tasks.get(queued.upstreamId)!.status).toBe("cancelled");

    const running = await seedanceAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a running job", seconds: 5, size: null, aspectRatio: null, reference: null },
    });
    await seedanceAdaptor.poll({ channel: channel(), task: { upstreamId: running.upstreamId, state: null, model: MODEL } });
    const err = await seedanceAdaptor.cancel!({
      channel: channel(),
      task: { upstreamId: running.upstreamId, state: null, model: MODEL },
    }).catch((e) => e);
    expect(err).toMatchObject({ kind: "rejected" });
  });
});
