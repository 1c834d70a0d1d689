import { encodeReferenceImage } from "../media/reference-image.js";
import { type ErrorDialect, readUpstreamError, retryAfterMs } from "./errors.js";
import {
  deleteJob,
  fetchMedia,
  freshHeaders,
  joinUrl,
  missingId,
  postJson,
  readJson,
  toDownload,
  type UpstreamResponse,
  upstreamFetch,
} from "./http.js";
import { usdPrices } from "./model-specs.js";
import { failedSnapshot } from "./snapshots.js";
import type { ChannelConfig, ModelSpec, Provider, ProviderAdaptor, SubmitResult, UpstreamSnapshot, UpstreamStatus } from "./types.js";

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

/** OpenAI's error envelope; gateways sometimes send the error as a bare string. */
const OPENAI_ERRORS: ErrorDialect<ErrorEnvelope> = {
  read: ({ error }) => (typeof error === "string" ? { message: error } : (error ?? {})),
  quota: /insufficient_quota|credit_balance|spend_limit|billing/i,
  contentPolicy: { codes: /moderation|content_policy|safety|sentinel/i },
};

function headers(channel: ChannelConfig, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${channel.apiKey}`, ...extra };
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
    return { ...snapshot, ...failedSnapshot(video.error ?? {}, OPENAI_ERRORS.contentPolicy, "the provider reported the job as failed") };
  }
  return snapshot;
}

async function videoFrom(res: UpstreamResponse): Promise<VideoObject> {
  if (!res.ok) throw await readUpstreamError(res, OPENAI_ERRORS);
  const video = await readJson<VideoObject>(res);
  if (!video || typeof video.id !== "string") throw missingId(res, "video id");
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
      form.set("input_reference", encodeReferenceImage.file(request.reference), request.reference.filename);
      res = await upstreamFetch(url, { method: "POST", headers: headers(channel), body: form, signal });
    } else {
      res = await postJson(url, { headers: headers(channel), json: fields, signal });
    }
    return submitted(await videoFrom(res));
  },

  async poll({ channel, task, fresh, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}`), {
      headers: { ...headers(channel), ...freshHeaders(fresh) },
      signal,
    });
    const snapshot = snapshotOf(await videoFrom(res));
    // A gateway that wants fewer polls says so on the answer itself.
    const wait = retryAfterMs(res.headers.get("retry-after"));
    return wait === undefined ? snapshot : { ...snapshot, hints: { retryAfterMs: wait } };
  },

  cancel({ channel, task, signal }) {
    return deleteJob(
      joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}`),
      { headers: headers(channel), signal },
      OPENAI_ERRORS,
    );
  },

  async remix({ channel, task, prompt, signal }) {
    const res = await postJson(joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}/remix`), {
      headers: headers(channel),
      json: { prompt },
      signal,
    });
    return submitted(await videoFrom(res));
  },

  async download({ channel, task, variant, range, signal, allowPrivateNetworks }) {
    const url = joinUrl(channel.baseUrl, `/v1/videos/${encodeURIComponent(task.upstreamId)}/content?variant=${variant}`);
    const res = await fetchMedia(url, {
      from: { channelBaseUrl: channel.baseUrl, credentials: headers(channel, { accept: "application/binary" }), allowPrivateNetworks },
      range,
      signal,
    });
    if (res.ok) return toDownload(res);
    if (variant === "thumbnail" && (res.status === 404 || res.status === 400)) {
      await res.discard();
      return null; // thumbnails are optional
    }
    throw await readUpstreamError(res, OPENAI_ERRORS);
  },
};

const SORA_PROMPT_LIMIT = 4_000; // characters
const PORTRAIT_720 = "720x1280";
const LANDSCAPE_720 = "1280x720";

/** A Sora model: 4, 8 or 12 seconds, priced per second (by size, "*" for any). */
function soraModel(id: string, sizes: string[], pricesPerSecond: Record<string, string>): Omit<ModelSpec, "provider"> {
  return {
    id,
    mediaType: "VIDEO",
    seconds: { allowed: [4, 8, 12], default: 4 },
    sizes: { allowed: sizes, default: PORTRAIT_720 },
    aspectRatios: { "9:16": PORTRAIT_720, "16:9": LANDSCAPE_720 },
    maxPromptLength: SORA_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: usdPrices(pricesPerSecond),
  };
}

/** OpenAI's Sora models, as gateways serve them. */
export const openai: Provider = {
  adaptor: openaiAdaptor,
  models: [
    soraModel("sora-2", [PORTRAIT_720, LANDSCAPE_720], { "*": "0.10" }),
    soraModel("sora-2-pro", [PORTRAIT_720, LANDSCAPE_720, "1024x1792", "1792x1024"], {
      [PORTRAIT_720]: "0.30",
      [LANDSCAPE_720]: "0.30",
      "1024x1792": "0.50",
      "1792x1024": "0.50",
    }),
  ],
};
