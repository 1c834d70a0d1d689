import { retryAfterMs, UpstreamError } from "./errors.js";
import { joinUrl, rangeHeader, readJson, toDownload, type UpstreamResponse, upstreamFetch } from "./http.js";
import type { ChannelConfig, ProviderAdaptor, SubmitResult, UpstreamSnapshot, UpstreamStatus } from "./types.js";

/** The OpenAI Videos wire format, as gateways (new-api, one-api forks, resellers) still serve it. */
interface VideoObject {
  id: string;
  status?: string;
  progress?: number | string | null;
  seconds?: string | number | null;
  size?: string | null;
  expires_at?: number | null;
  error?: { code?: string | null; message?: string | null } | null;
}

interface ErrorEnvelope {
  error?: { message?: string; type?: string; code?: string | null; param?: string | null } | string;
}

// Gateways return non-standard status words; read them the way new-api does.
const STATUS_WORDS: Record<string, UpstreamStatus> = {
  queued: "QUEUED",
  pending: "QUEUED",
  submitted: "QUEUED",
  not_start: "QUEUED",
  in_progress: "PROCESSING",
  processing: "PROCESSING",
  running: "PROCESSING",
  completed: "COMPLETED",
  succeeded: "COMPLETED",
  success: "COMPLETED",
  failed: "FAILED",
  failure: "FAILED",
  error: "FAILED",
  cancelled: "CANCELLED",
  canceled: "CANCELLED",
};

const QUOTA_CODES = /insufficient_quota|credit_balance|spend_limit|billing/i;
const CONTENT_CODES = /moderation|content_policy|safety|sentinel/i;

function headers(channel: ChannelConfig, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${channel.apiKey}`, ...extra };
}

/** Maps an error answer to what Reelay should do about it. */
async function errorFrom(res: UpstreamResponse): Promise<UpstreamError> {
  const text = await res.text().catch(() => "");
  let envelope: ErrorEnvelope = {};
  try {
    envelope = JSON.parse(text) as ErrorEnvelope;
  } catch {
    // not JSON: keep the status only
  }
  const err = typeof envelope.error === "string" ? { message: envelope.error } : (envelope.error ?? {});
  const code = err.code || err.type || `HTTP_${res.status}`;
  const message = err.message || `the provider answered HTTP ${res.status}`;
  const status = res.status;
  const retryAfter = retryAfterMs(res.headers.get("retry-after"));
  if (status === 429) {
    return QUOTA_CODES.test(`${err.code} ${err.type}`)
      ? new UpstreamError("unavailable", code, message, { status })
      : new UpstreamError("rate_limited", code, message, { status, retryAfterMs: retryAfter });
  }
  if (status >= 500 || status === 408) return new UpstreamError("transient", code, message, { status, retryAfterMs: retryAfter });
  if (status === 401 || status === 403) return new UpstreamError("unavailable", code, message, { status });
  if (status === 404) return new UpstreamError("not_found", code, message, { status });
  return new UpstreamError("rejected", CONTENT_CODES.test(code) ? "CONTENT_POLICY" : code, message, { status });
}

function snapshotOf(video: VideoObject): UpstreamSnapshot {
  const word = String(video.status ?? "").toLowerCase();
  // Unknown words mean "still running": failing a job on a status we don't know would cost the user a video.
  const status = STATUS_WORDS[word] ?? "PROCESSING";
  const progress = Number(video.progress);
  const seconds = Number(video.seconds);
  const snapshot: UpstreamSnapshot = { status };
  if (Number.isFinite(progress)) snapshot.progress = Math.max(0, Math.min(100, Math.round(progress)));
  if (status === "COMPLETED") {
    snapshot.progress = 100;
    if (Number.isFinite(seconds) && seconds > 0) snapshot.usage = { seconds };
    if (typeof video.expires_at === "number" && video.expires_at > 0) snapshot.mediaExpiresAt = new Date(video.expires_at * 1000);
  }
  if (status === "FAILED") {
    const code = video.error?.code || "UPSTREAM_FAILED";
    snapshot.error = {
      code: CONTENT_CODES.test(code) ? "CONTENT_POLICY" : code,
      message: video.error?.message || "the provider reported the job as failed",
    };
  }
  return snapshot;
}

async function videoFrom(res: UpstreamResponse): Promise<VideoObject> {
  if (!res.ok) throw await errorFrom(res);
  const video = await readJson<VideoObject>(res);
  if (!video || typeof video.id !== "string") {
    throw new UpstreamError("transient", "BAD_RESPONSE", "the provider's answer has no video id", { status: res.status });
  }
  return video;
}

const submitted = (video: VideoObject): SubmitResult => ({ upstreamId: video.id, snapshot: snapshotOf(video) });

export const openaiAdaptor: ProviderAdaptor = {
  name: "openai",
  // OpenAI kept finished videos for about a day; gateways vary, and most report expires_at.
  resultRetentionMs: 24 * 3600_000,

  async submit({ channel, request, signal }) {
    const url = joinUrl(channel.baseUrl, "/v1/videos");
    const fields: Record<string, string> = { model: request.model, prompt: request.prompt };
    // The protocol wants seconds as a string ("4"); an integer gets a 400.
    if (request.seconds !== null) fields.seconds = String(request.seconds);
    if (request.size) fields.size = request.size;
    let res: UpstreamResponse;
    if (request.reference) {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) form.set(key, value);
      const { bytes, mimeType, filename } = request.reference;
      form.set("input_reference", new Blob([new Uint8Array(bytes)], { type: mimeType }), filename);
      res = await upstreamFetch(url, { method: "POST", headers: headers(channel), body: form, signal });
    } else {
      res = await upstreamFetch(url, {
        method: "POST",
        headers: headers(channel, { "content-type": "application/json" }),
        body: JSON.stringify(fields),
        signal,
      });
    }
    return submitted(await videoFrom(res));
  },

  async poll({ channel, task, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}`), {
      headers: headers(channel),
      signal,
    });
    return snapshotOf(await videoFrom(res));
  },

  async cancel({ channel, task, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}`), {
      method: "DELETE",
      headers: headers(channel),
      signal,
    });
    if (res.ok || res.status === 404) {
      await res.discard();
      return;
    }
    throw await errorFrom(res);
  },

  async remix({ channel, task, prompt, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}/remix`), {
      method: "POST",
      headers: headers(channel, { "content-type": "application/json" }),
      body: JSON.stringify({ prompt }),
      signal,
    });
    return submitted(await videoFrom(res));
  },

  async download({ channel, task, variant, range, signal }) {
    const url = joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}/content?variant=${variant}`);
    // Downloads can be large: no overall timeout, the caller's signal bounds them.
    const res = await upstreamFetch(url, {
      headers: headers(channel, { accept: "application/binary", ...rangeHeader(range) }),
      signal,
      timeoutMs: 30 * 60_000,
    });
    if (res.ok) return toDownload(res);
    if (variant === "thumbnail" && (res.status === 404 || res.status === 400)) {
      await res.discard();
      return null; // thumbnails are optional
    }
    throw await errorFrom(res);
  },
};
