import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { klingAdaptor } from "../../src/providers/kling.js";
import { tinyPng } from "../helpers/images.js";
import { useMock } from "../helpers/use-test-app.js";
import { letTimePass } from "../helpers/wait.js";
import { klingFailures, startMockKling } from "../mocks/kling.js";
import { describeAdaptorContract } from "./adaptor-contract.js";

const MODEL = "kling-v2-5-turbo";

describeAdaptorContract("kling", async () => {
  const mock = await startMockKling();
  return {
    adaptor: klingAdaptor,
    channel: { id: "c-kling", name: "kling", provider: "kling", baseUrl: mock.baseUrl, apiKey: mock.apiKey },
    request: (prompt) => ({ model: MODEL, prompt, seconds: 5, size: "1280x720", aspectRatio: null, reference: null }),
    prompts: { failsDuringGeneration: "a storm [fail]", refusedForContent: "something [blocked]" },
    failNextSubmit: (kind) =>
      mock.failNext(
        1,
        { method: "POST", path: "/v1/videos/" },
        kind === "rate_limit" ? klingFailures.rateLimit(2) : klingFailures.serverError(),
      ),
    bytesOf: (id) => mock.contentOf(id),
    unknownTask: () => ({ upstreamId: "no-such-task", state: { family: "text2video", submittedAt: Date.now() }, model: MODEL }),
    close: () => mock.close(),
  };
});

describe("kling adaptor specifics", () => {
  const mock = useMock("kling");
  const channel = () => ({ id: "c", name: "kling", provider: "kling", baseUrl: mock.baseUrl, apiKey: mock.apiKey });

  it("signs a fresh short-lived JWT for every request: HS256, iss = access key, nbf in the past", async () => {
    await klingAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a fox", seconds: 5, size: null, aspectRatio: "9:16", reference: null },
    });
    await letTimePass(1_100, "the next token is signed in a later second (its nbf and exp are whole seconds)");
    await klingAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a hare", seconds: 5, size: null, aspectRatio: "9:16", reference: null },
    });
    const tokens = mock.requests.slice(-2).map((r) => r.headers.authorization.replace(/^Bearer /, ""));
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const token of tokens) {
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: "HS256", typ: "JWT" });
      const claims = decodeJwt(token);
      const now = Date.now() / 1000;
      expect(claims.iss).toBe(mock.accessKey);
      expect(claims.nbf!).toBeLessThan(now);
      expect(claims.exp! - now).toBeLessThanOrEqual(1800);
      expect(claims.exp! - now).toBeGreaterThan(60);
    }
  });

  it("maps 1080p sizes to pro mode, duration to a string, and a reference image to image2video as bare base64", async () => {
    const png = tinyPng();
    const submitted = await klingAdaptor.submit({
      channel: channel(),
      request: {
        model: MODEL,
        prompt: "a lantern",
        seconds: 10,
        size: "1920x1080",
        aspectRatio: null,
        reference: { bytes: png, mimeType: "image/png", filename: "a.png", sha256: "" },
      },
    });
    const task = mock.tasks.get(submitted.upstreamId)!;
    expect(task.family).toBe("image2video");
    expect(task.body).toMatchObject({ model_name: MODEL, duration: "10", mode: "pro", image: png.toString("base64") });
    // polls go to the same family
    await klingAdaptor.poll({ channel: channel(), task: { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL } });
    expect(mock.requests.at(-1)!.path).toBe(`/v1/videos/image2video/${submitted.upstreamId}`);
  });

  it("tells a billing problem (429, code 1101) from a rate limit: the channel cannot serve, retrying will not help", async () => {
    mock.failNext(1, { method: "POST" }, klingFailures.arrears());
    const err = await klingAdaptor
      .submit({
        channel: channel(),
        request: { model: MODEL, prompt: "a boat", seconds: 5, size: null, aspectRatio: null, reference: null },
      })
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "unavailable", retryable: false });
  });

  it("reports the duration Kling made for settlement", async () => {
    const submitted = await klingAdaptor.submit({
      channel: channel(),
      request: { model: MODEL, prompt: "a tide", seconds: 5, size: null, aspectRatio: null, reference: null },
    });
    const task = { upstreamId: submitted.upstreamId, state: submitted.state, model: MODEL };
    let snapshot = submitted.snapshot;
    for (let i = 0; i < 10 && snapshot.status !== "COMPLETED"; i++) snapshot = await klingAdaptor.poll({ channel: channel(), task });
    expect(snapshot.usage).toEqual({ seconds: 5.1 });
  });
});
