import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../../src/providers/errors.js";
import type { ChannelConfig, ProviderAdaptor, SubmitRequest, UpstreamSnapshot, UpstreamTask } from "../../src/providers/types.js";

/**
 * What every provider adaptor must do, checked against that provider's mock server.
 * A new adaptor plugs in by writing `test/providers/<name>.test.ts` that calls
 * `describeAdaptorContract` with a harness around its mock; provider-specific cases
 * (field mapping, auth details) go in the same file after it. Push-model adaptors (with
 * `stream`) are held to the same behaviour through their stream instead of submit and poll.
 */
export interface AdaptorHarness {
  adaptor: ProviderAdaptor;
  channel: ChannelConfig;
  /** a valid request for one of the provider's models; the prompt is the caller's */
  request(prompt: string): SubmitRequest;
  /** prompts that make the mock fail the job during generation, and refuse it at submission for content */
  prompts: { failsDuringGeneration: string; refusedForContent: string };
  /** the next submission is answered with a 429 (Retry-After: 2 s) or a 5xx */
  failNextSubmit(kind: "rate_limit" | "server_error"): void;
  /** the bytes the mock serves as the finished video of a job (for push-model adaptors: of the last one finished) */
  bytesOf(upstreamId: string): Buffer;
  /** a task the provider has never heard of */
  unknownTask(): UpstreamTask;
  /** the mock serves finished media from another local server than the channel's: ALLOW_PRIVATE_NETWORKS for downloads */
  allowPrivateNetworks?: boolean;
  close(): Promise<void>;
}

const POLL_LIMIT = 50;

export function describeAdaptorContract(name: string, start: () => Promise<AdaptorHarness>) {
  describe(`${name} adaptor contract`, () => {
    let h: AdaptorHarness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await h?.close();
    });

    const task = (upstreamId: string, state: unknown, model: string): UpstreamTask => ({ upstreamId, state, model });

    /** Starts a job: submit, or for push-model adaptors the whole stream with no retries. */
    function begin(prompt: string, channel = h.channel) {
      const request = h.request(prompt);
      if (h.adaptor.stream) return h.adaptor.stream({ channel, request, attempts: 1, onProgress: () => {} });
      return h.adaptor.submit({ channel, request });
    }

    async function runToEnd(prompt: string) {
      const request = h.request(prompt);
      if (h.adaptor.stream) {
        const readings: UpstreamSnapshot[] = [];
        const last = await h.adaptor.stream({
          channel: h.channel,
          request,
          onProgress: (progress) => readings.push({ status: "PROCESSING", progress }),
        });
        readings.push(last);
        return { upstream: task(`stream:${prompt}`, null, request.model), readings, last };
      }
      const submitted = await h.adaptor.submit({ channel: h.channel, request });
      const upstream = task(submitted.upstreamId, submitted.state ?? null, request.model);
      const readings: UpstreamSnapshot[] = [submitted.snapshot];
      while (readings.length < POLL_LIMIT && !["COMPLETED", "FAILED", "CANCELLED"].includes(readings.at(-1)!.status)) {
        readings.push(await h.adaptor.poll({ channel: h.channel, task: upstream }));
      }
      return { upstream, readings, last: readings.at(-1)! };
    }

    it("submits, polls to COMPLETED with progress that never falls, and downloads the provider's exact bytes", async () => {
      const { upstream, readings, last } = await runToEnd("a paper boat on a canal");
      expect(typeof upstream.upstreamId).toBe("string");
      expect(upstream.upstreamId).not.toBe("");
      expect(last.status).toBe("COMPLETED");
      const progress = readings.map((r) => r.progress ?? 0);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(Math.min(progress[i - 1], 99));
      expect(progress.every((p) => p >= 0 && p <= 100)).toBe(true);
      const download = await h.adaptor.download({
        channel: h.channel,
        task: upstream,
        snapshot: last,
        variant: "video",
        allowPrivateNetworks: h.allowPrivateNetworks,
      });
      expect(download).not.toBeNull();
      expect((await collect(download!.body)).equals(h.bytesOf(upstream.upstreamId))).toBe(true);
    });

    it("reports what it made for settlement, or nothing (then the hold is charged), never nonsense", async () => {
      const { last } = await runToEnd("a lantern festival");
      const usage = last.usage ?? {};
      for (const value of [usage.seconds, usage.images, usage.tokens]) {
        if (value !== undefined) expect(Number.isFinite(value) && value > 0).toBe(true);
      }
    });

    it("maps a job that fails during generation to FAILED with a code and a message", async () => {
      const { last } = await runToEnd(h.prompts.failsDuringGeneration);
      expect(last.status).toBe("FAILED");
      expect(last.error?.code).toMatch(/.+/);
      expect(last.error?.message).toMatch(/.+/);
    });

    it("treats a refusal for content at submission as final: rejected, not retryable", async () => {
      const err = await begin(h.prompts.refusedForContent).catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.kind).toBe("rejected");
      expect(err.retryable).toBe(false);
    });

    it("treats a 429 as rate limiting to retry, with the provider's Retry-After", async () => {
      h.failNextSubmit("rate_limit");
      const err = await begin("a rate-limited request").catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.kind).toBe("rate_limited");
      expect(err.retryable).toBe(true);
      expect(err.options.retryAfterMs).toBe(2_000);
    });

    it("treats a 5xx as transient and retryable", async () => {
      h.failNextSubmit("server_error");
      const err = await begin("a request during an outage").catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.kind).toBe("transient");
      expect(err.retryable).toBe(true);
    });

    it("answers not_found for a job the provider does not know", async (ctx) => {
      if (h.adaptor.stream) return ctx.skip(); // a stream has no job to look up
      const err = await h.adaptor.poll({ channel: h.channel, task: h.unknownTask() }).catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.kind).toBe("not_found");
    });

    it("sends the channel's credential: a wrong key is refused and is not the user's fault", async () => {
      const wrong = { ...h.channel, apiKey: `${h.channel.apiKey}-wrong` };
      const err = await begin("a request with a bad key", wrong).catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.kind).toBe("unavailable");
    });

    it("cancels a running job where the provider can, and the job is then gone or cancelled", async (ctx) => {
      if (!h.adaptor.cancel) return ctx.skip();
      const request = h.request("a job to cancel");
      const submitted = await h.adaptor.submit({ channel: h.channel, request });
      const upstream = task(submitted.upstreamId, submitted.state ?? null, request.model);
      await h.adaptor.cancel({ channel: h.channel, task: upstream });
      const after = await h.adaptor.poll({ channel: h.channel, task: upstream }).then(
        (s) => s.status,
        (e: UpstreamError) => e.kind,
      );
      expect(["CANCELLED", "not_found"]).toContain(after);
    });
  });
}

export async function collect(body: Readable) {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}
