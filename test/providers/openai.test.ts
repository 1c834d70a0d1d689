import { openaiAdaptor } from "../../src/providers/openai.js";
import { mockFailures, startMockOpenAIVideos } from "../mocks/openai-videos.js";
import { describeAdaptorContract } from "./adaptor-contract.js";

describeAdaptorContract("openai", async () => {
  const mock = await startMockOpenAIVideos({ script: { queuedPolls: 1, progressSteps: [30, 60] } });
  return {
    adaptor: openaiAdaptor,
    channel: { id: "c-openai", name: "gateway", provider: "openai", baseUrl: mock.baseUrl, apiKey: mock.apiKey },
    request: (prompt) => ({ model: "sora-2", prompt, seconds: 4, size: "1280x720", aspectRatio: null, reference: null }),
    prompts: { failsDuringGeneration: "a storm [fail]", refusedForContent: "something [moderation]" },
    failNextSubmit: (kind) =>
      mock.failNext(
        1,
        { method: "POST", path: "/v1/videos" },
        kind === "rate_limit" ? mockFailures.rateLimit(2) : mockFailures.serverError(),
      ),
    bytesOf: (id) => mock.contentOf(id),
    unknownTask: () => ({ upstreamId: "video_does_not_exist", state: null, model: "sora-2" }),
    close: () => mock.close(),
  };
});
