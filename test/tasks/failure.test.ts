import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../src/providers/errors.js";
import { providerWords, reportedFailure, upstreamFailure } from "../../src/tasks/failure.js";

/** what a message users see must never contain */
const INTERNALS = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|:\d{2,5}\b|[a-z]+:\/\/|localhost|\.(?:local|internal)\b|sk-|ECONNREFUSED/i;
const RAW = "connect ECONNREFUSED 127.0.0.1:54321 via http://gpu-7.cluster.local:8080/run key sk-live-0123456789abcdef";

describe("the failure a task shows when a call to its provider failed", () => {
  it.each([
    ["a refusal", new UpstreamError("rejected", "KLING_1201", RAW, { status: 400 }), "UPSTREAM_REJECTED"],
    ["a rate limit", new UpstreamError("rate_limited", "rate_limit_exceeded", RAW, { status: 429 }), "RATE_LIMITED"],
    ["a bad key", new UpstreamError("unavailable", "invalid_api_key", RAW, { status: 401 }), "UPSTREAM_ERROR"],
    ["a network error", new UpstreamError("transient", "ECONNREFUSED", RAW), "UPSTREAM_ERROR"],
    ["a job the provider forgot", new UpstreamError("not_found", "HTTP_404", RAW, { status: 404 }), "UPSTREAM_ERROR"],
    ["a refused result link", new UpstreamError("rejected", "RESULT_URL_REFUSED", RAW), "RESULT_URL_REFUSED"],
    ["media over the limit", new UpstreamError("rejected", "MEDIA_TOO_LARGE", RAW), "MEDIA_TOO_LARGE"],
  ])("%s: a stable code and Reelay's words for the user, the raw text for admins", (_, err, code) => {
    for (const call of ["submit", "poll", "stream", "download"] as const) {
      const failure = upstreamFailure(err, call);
      expect(failure.code).toBe(code);
      expect(failure.message).not.toMatch(INTERNALS);
      expect(failure.upstream).toContain(RAW);
    }
  });

  it("an unexpected error: UPSTREAM_ERROR, its text for admins only", () => {
    const failure = upstreamFailure(new Error(RAW), "submit");
    expect(failure).toMatchObject({ code: "UPSTREAM_ERROR", upstream: RAW });
    expect(failure.message).not.toMatch(INTERNALS);
  });

  it("a refusal for content: the provider's reason, without its links, addresses, hosts or keys", () => {
    const raw = "Prompt refused by moderation at 10.1.2.3:8443 (http://gpu-7.cluster.local:8080/run, key sk-live-0123456789abcdef)";
    const failure = upstreamFailure(new UpstreamError("rejected", "CONTENT_POLICY", raw), "submit");
    expect(failure.code).toBe("CONTENT_POLICY");
    expect(failure.message).toMatch(/^Prompt refused by moderation at /);
    expect(failure.message).not.toMatch(INTERNALS);
    expect(failure.upstream).toContain(raw);
  });
});

describe("the failure a task shows when the provider reported the job failed", () => {
  it.each([
    ["its own code", { code: "InternalError", message: RAW }, "UPSTREAM_FAILED"],
    ["a dropped stream", { code: "STREAM_DROPPED", message: RAW }, "STREAM_DROPPED"],
    ["a stream with no video", { code: "STREAM_ENDED", message: `the stream ended without a video: ${RAW}` }, "STREAM_ENDED"],
    ["an answer whose only link was the prompt's", { code: "RESULT_FROM_PROMPT", message: RAW }, "RESULT_FROM_PROMPT"],
  ])("%s: a stable code and Reelay's words", (_, error, code) => {
    const failure = reportedFailure({ status: "FAILED", error });
    expect(failure.code).toBe(code);
    expect(failure.message).not.toMatch(INTERNALS);
    expect(failure.upstream).toContain(RAW);
  });

  it("a refusal for content keeps the provider's (scrubbed) reason", () => {
    const failure = reportedFailure({
      status: "FAILED",
      error: { code: "CONTENT_POLICY", message: "生成失败: violates our policy (sentinel_block)" },
    });
    expect(failure).toMatchObject({ code: "CONTENT_POLICY", message: "生成失败: violates our policy (sentinel_block)" });
  });
});

describe("providerWords", () => {
  it.each([
    ["a link", "blocked, see https://policy.example.com/rules?id=1", "blocked, see [link]"],
    ["an IPv4 address with its port", "refused at 10.0.0.7:9000", "refused at [address]"],
    ["an IPv6 address", "refused at [fe80::1]:443 and ::ffff:10.0.0.1", "refused at [address] and [address]"],
    ["a host name", "moderation on gpu-7.cluster.local said no", "moderation on [host] said no"],
    ["a bearer token", "Bearer eyJhbGciOiJIUzI1NiJ9 rejected", "Bearer [redacted] rejected"],
    ["an API key", "key sk-abcdefghijklmnop is not allowed this content", "key [redacted] is not allowed this content"],
  ])("takes out %s", (_, raw, scrubbed) => {
    expect(providerWords(raw)).toBe(scrubbed);
  });

  it("leaves ordinary words, times and abbreviations alone, and cuts a long text", () => {
    expect(providerWords("e.g. violence at 12:30:45 is not allowed")).toBe("e.g. violence at 12:30:45 is not allowed");
    expect(providerWords("x".repeat(10) + " word".repeat(200)).length).toBeLessThanOrEqual(300);
  });
});
