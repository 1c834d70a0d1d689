/**
 * The one reading of a provider's error answer that every adaptor shares: HTTP status,
 * the provider's own code table, Retry-After, spent quota and refusals for content.
 */
import { describe, expect, it } from "vitest";
import { type ErrorDialect, readUpstreamError, UpstreamError, upstreamErrorOf } from "../../src/providers/errors.js";
import { failedSnapshot } from "../../src/providers/snapshots.js";

interface Envelope {
  error?: { code?: string; type?: string; message?: string };
}

const dialect: ErrorDialect<Envelope> = {
  read: ({ error }) => error ?? {},
  quota: /insufficient_quota/,
  contentPolicy: { codes: /moderation/, messages: /unsafe/ },
};

const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { get: (name: string) => headers[name] ?? null },
  text: async () => body,
});

const classify = (status: number, error: Envelope["error"] = {}, headers: Record<string, string> = {}) =>
  readUpstreamError(answer(status, JSON.stringify({ error }), headers), dialect);

describe("upstream error classification", () => {
  it("reads the HTTP status the same way for every provider", async () => {
    const kinds = await Promise.all(
      [400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503].map(async (s) => [s, (await classify(s)).kind]),
    );
    expect(Object.fromEntries(kinds)).toEqual({
      400: "rejected",
      401: "unavailable",
      403: "unavailable",
      404: "not_found",
      408: "transient",
      409: "rejected",
      422: "rejected",
      429: "rate_limited",
      500: "transient",
      502: "transient",
      503: "transient",
    });
  });

  it("keeps the provider's code and message, and names the status when the provider gave neither", async () => {
    expect(await classify(400, { code: "invalid_size", message: "size is not supported" })).toMatchObject({
      code: "invalid_size",
      message: "size is not supported",
      options: { status: 400 },
    });
    expect(await classify(400, { type: "invalid_request_error" })).toMatchObject({ code: "invalid_request_error" });
    const err = await readUpstreamError(answer(502, "<html>bad gateway</html>"), dialect);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: "transient", code: "HTTP_502", message: "the provider answered HTTP 502" });
  });

  it("honours Retry-After, in seconds or as a date, whatever the kind", async () => {
    expect((await classify(429, {}, { "retry-after": "2" })).options.retryAfterMs).toBe(2_000);
    expect((await classify(503, {}, { "retry-after": "1.5" })).options.retryAfterMs).toBe(1_500);
    expect((await classify(401, {}, { "retry-after": "3" })).options.retryAfterMs).toBe(3_000);
    const date = new Date(Date.now() + 60_000).toUTCString();
    expect((await classify(429, {}, { "retry-after": date })).options.retryAfterMs).toBeGreaterThan(50_000);
    expect((await classify(429)).options.retryAfterMs).toBeUndefined();
  });

  it("tells a spent quota from a rate limit on a 429: the channel cannot serve, retrying will not help", async () => {
    expect(await classify(429, { code: "insufficient_quota" })).toMatchObject({ kind: "unavailable", retryable: false });
    expect(await classify(429, { type: "insufficient_quota" })).toMatchObject({ kind: "unavailable" });
    expect(await classify(429, { code: "rate_limit_exceeded" })).toMatchObject({ kind: "rate_limited", retryable: true });
  });

  it("names a refusal for content CONTENT_POLICY, by the provider's code or its message, only when it is a refusal", async () => {
    expect(await classify(400, { code: "moderation_blocked" })).toMatchObject({ kind: "rejected", code: "CONTENT_POLICY" });
    expect(await classify(400, { code: "bad", message: "an unsafe prompt" })).toMatchObject({ kind: "rejected", code: "CONTENT_POLICY" });
    expect(await classify(500, { code: "moderation_down" })).toMatchObject({ kind: "transient", code: "moderation_down" });
  });

  it("lets the provider's own code decide before the status, as with errors inside an HTTP 200", () => {
    const coded: ErrorDialect<{ code?: number; message?: string }> = {
      read: ({ code, message }, status) => ({ code: `P_${code || status}`, message }),
      kindOf: ({ code }) => (code === 7 ? "unavailable" : code === 9 ? "rejected" : undefined),
      contentPolicy: { codes: /^P_9$/ },
    };
    const res = answer(200, "");
    expect(upstreamErrorOf(res, { code: 7, message: "billing" }, coded)).toMatchObject({ kind: "unavailable", code: "P_7" });
    expect(upstreamErrorOf({ ...res, status: 429 }, { code: 7 }, coded)).toMatchObject({ kind: "unavailable", code: "P_7" });
    expect(upstreamErrorOf(res, { code: 9 }, coded)).toMatchObject({ kind: "rejected", code: "CONTENT_POLICY" });
    expect(upstreamErrorOf({ ...res, status: 503 }, { code: 1 }, coded)).toMatchObject({ kind: "transient", code: "P_1" });
  });

  it("maps a job that failed to FAILED, with CONTENT_POLICY for refusals and a message when the provider gave none", () => {
    expect(failedSnapshot({ code: "moderation_blocked" }, dialect.contentPolicy)).toEqual({
      status: "FAILED",
      error: { code: "CONTENT_POLICY", message: "the provider reported the task as failed" },
    });
    expect(failedSnapshot({ message: "ran out of GPUs" }, dialect.contentPolicy, "the job failed")).toEqual({
      status: "FAILED",
      error: { code: "UPSTREAM_FAILED", message: "ran out of GPUs" },
    });
  });
});
