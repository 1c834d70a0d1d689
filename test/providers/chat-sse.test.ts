import { describe, expect, it } from "vitest";
import { chatSseAdaptor, progressIn, resultUrlIn } from "../../src/providers/chat-sse.js";
import { useMock } from "../helpers/use-test-app.js";
import { chatSseFailures, startMockChatSse } from "../mocks/chat-sse.js";
import { describeAdaptorContract } from "./adaptor-contract.js";

const MODEL = "sora_video2-landscape";

describeAdaptorContract("chat-sse", async () => {
  const mock = await startMockChatSse();
  return {
    adaptor: chatSseAdaptor,
    channel: { id: "c-sse", name: "reseller", provider: "chat-sse", baseUrl: mock.baseUrl, apiKey: mock.apiKey },
    request: (prompt) => ({ model: MODEL, prompt, seconds: null, size: null, aspectRatio: null, reference: null }),
    prompts: { failsDuringGeneration: "a storm [fail]", refusedForContent: "something [blocked]" },
    failNextSubmit: (kind) => mock.failNext(1, kind === "rate_limit" ? chatSseFailures.rateLimit(2) : chatSseFailures.serverError()),
    bytesOf: () => mock.videos.get(mock.finished.at(-1)!)!,
    unknownTask: () => ({ upstreamId: "none", state: null, model: MODEL }),
    close: () => mock.close(),
  };
});

describe("reading a reseller's stream", () => {
  it("takes progress from the text after the echoed parameters, in both styles resellers use", () => {
    expect(progressIn('```json\n{"prompt": "99% sure"}\n```\n⌛️ 排队中')).toBeNull();
    expect(progressIn('```json\n{"prompt": "99% sure"}\n```\n🏃 进度：36.0%\n🏃 进度：76.5%')).toBe(76);
    expect(progressIn("> 生成中. 进度 42")).toBe(42);
  });

  it("finds the video in a <video> tag, a markdown link or a bare URL, the last one winning", () => {
    expect(resultUrlIn('<video src="https://cdn.example/v.mp4?a=1&amp;b=2" controls></video>')).toBe("https://cdn.example/v.mp4?a=1&b=2");
    expect(resultUrlIn("✅ 视频生成成功，[点击这里](https://cdn.example/x.mp4) 查看视频")).toBe("https://cdn.example/x.mp4");
    expect(resultUrlIn("first https://a.example/1.mp4 then https://a.example/2.webm?sig=z")).toBe("https://a.example/2.webm?sig=z");
    expect(resultUrlIn("no link here")).toBeNull();
  });
});

describe("chat-sse adaptor against the mock reseller", () => {
  const mock = useMock("chat-sse");
  const channel = () => ({ id: "c", name: "reseller", provider: "chat-sse", baseUrl: mock.baseUrl, apiKey: mock.apiKey });
  const request = (prompt: string) => ({ model: MODEL, prompt, seconds: null, size: null, aspectRatio: null, reference: null });

  it("pushes each progress figure as it streams, before the stream ends", async () => {
    const seen: { progress: number; at: number }[] = [];
    const snapshot = await chatSseAdaptor.stream!({
      channel: channel(),
      request: request("a tide pool"),
      onProgress: (progress) => seen.push({ progress, at: Date.now() }),
    });
    const ended = Date.now();
    expect(seen.map((s) => s.progress)).toEqual([12, 36, 76]);
    expect(seen[0].at).toBeLessThan(ended - 20); // arrived while the stream was still open
    expect(snapshot).toMatchObject({ status: "COMPLETED", progress: 100 });
  });

  it("retries 503s before any content with backoff, then streams", async () => {
    mock.failNext(2, chatSseFailures.overloaded());
    const before = mock.requests.length;
    const snapshot = await chatSseAdaptor.stream!({
      channel: channel(),
      request: request("a retried request"),
      attempts: 4,
      retryBaseMs: 30,
      onProgress: () => {},
    });
    expect(snapshot.status).toBe("COMPLETED");
    const attempts = mock.requests.slice(before);
    expect(attempts).toHaveLength(3);
    expect(attempts[2].at - attempts[0].at).toBeGreaterThanOrEqual(30 * 0.8 + 60 * 0.8);
  });

  it("fails cleanly when the connection drops mid-stream, and when the stream ends without a link", async () => {
    expect(
      await chatSseAdaptor.stream!({ channel: channel(), request: request("a broken line [drop]"), onProgress: () => {} }),
    ).toMatchObject({ status: "FAILED", error: { code: "STREAM_DROPPED" } });
    expect(await chatSseAdaptor.stream!({ channel: channel(), request: request("no ending [nourl]"), onProgress: () => {} })).toMatchObject(
      { status: "FAILED", error: { code: "STREAM_ENDED" } },
    );
  });

  it("reads the link from a <video> tag and downloads it without the key", async () => {
    const snapshot = await chatSseAdaptor.stream!({ channel: channel(), request: request("a harbour [html]"), onProgress: () => {} });
    const download = await chatSseAdaptor.download({
      channel: channel(),
      task: { upstreamId: "stream", state: null, model: MODEL },
      snapshot,
      variant: "video",
    });
    const parts: Buffer[] = [];
    for await (const chunk of download!.body) parts.push(Buffer.from(chunk));
    expect(Buffer.concat(parts).equals(mock.videos.get(mock.finished.at(-1)!)!)).toBe(true);
  });
});
