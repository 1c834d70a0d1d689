import { retryAfterMs, UpstreamError } from "./errors.js";
import { downloadResultUrl, estimatedProgress, joinUrl, readJson, type UpstreamResponse, upstreamFetch } from "./http.js";
import type { ChannelConfig, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "./types.js";

/** A content-generation task of Volcengine Ark / BytePlus ModelArk. */
interface ArkTask {
  id?: string;
  model?: string;
  status?: string;
  error?: { code?: string; message?: string } | null;
  content?: { video_url?: string };
  usage?: { completion_tokens?: number; total_tokens?: number };
}

interface ArkError {
  error?: { code?: string; message?: string; type?: string };
}

interface SeedanceState {
  submittedAt: number;
}

const TYPICAL_GENERATION_MS = 120_000;
const CONTENT_CODES = /Sensitive|Moderation|Risk|Policy/i;

const auth = (channel: ChannelConfig) => ({ authorization: `Bearer ${channel.apiKey}` });

/** Reelay sizes → Seedance's ratio and resolution flags. */
const SEEDANCE_SIZES: Record<string, { ratio: string; resolution: string }> = {
  "864x480": { ratio: "16:9", resolution: "480p" },
  "480x864": { ratio: "9:16", resolution: "480p" },
  "640x640": { ratio: "1:1", resolution: "480p" },
  "1280x720": { ratio: "16:9", resolution: "720p" },
  "720x1280": { ratio: "9:16", resolution: "720p" },
  "960x960": { ratio: "1:1", resolution: "720p" },
  "1920x1080": { ratio: "16:9", resolution: "1080p" },
  "1080x1920": { ratio: "9:16", resolution: "1080p" },
  "1440x1440": { ratio: "1:1", resolution: "1080p" },
};

async function errorFrom(res: UpstreamResponse): Promise<UpstreamError> {
  const body = await readJson<ArkError>(res).catch(() => ({}) as ArkError);
  const status = res.status;
  const code = body.error?.code || `HTTP_${status}`;
  const message = body.error?.message || `the provider answered HTTP ${status}`;
  const options = { status, retryAfterMs: retryAfterMs(res.headers.get("retry-after")) };
  if (status === 429) {
    // Ark answers 429 for spent quota too; only rate limits are worth retrying.
    return /Quota|Balance|Overdue/i.test(code)
      ? new UpstreamError("unavailable", code, message, options)
      : new UpstreamError("rate_limited", code, message, options);
  }
  if (status >= 500) return new UpstreamError("transient", code, message, options);
  if (status === 401 || status === 403) return new UpstreamError("unavailable", code, message, options);
  if (status === 404) return new UpstreamError("not_found", code, message, options);
  return new UpstreamError("rejected", CONTENT_CODES.test(code) ? "CONTENT_POLICY" : code, message, options);
}

async function taskOf(res: UpstreamResponse): Promise<ArkTask> {
  if (!res.ok) throw await errorFrom(res);
  return readJson<ArkTask>(res);
}

function snapshotOf(task: ArkTask, state: SeedanceState | null): UpstreamSnapshot {
  switch (task.status) {
    case "queued":
      return { status: "QUEUED", progress: 0 };
    case "succeeded": {
      if (!task.content?.video_url)
        return { status: "FAILED", error: { code: "UPSTREAM_FAILED", message: "the provider finished without a video" } };
      const tokens = Number(task.usage?.total_tokens ?? task.usage?.completion_tokens);
      return {
        status: "COMPLETED",
        progress: 100,
        result: { url: task.content.video_url },
        usage: Number.isFinite(tokens) && tokens > 0 ? { tokens } : undefined,
      };
    }
    case "failed": {
      const code = task.error?.code || "UPSTREAM_FAILED";
      return {
        status: "FAILED",
        error: {
          code: CONTENT_CODES.test(code) ? "CONTENT_POLICY" : code,
          message: task.error?.message || "the provider reported the task as failed",
        },
      };
    }
    case "cancelled":
      return { status: "CANCELLED" };
    default: // running
      return { status: "PROCESSING", progress: estimatedProgress(state?.submittedAt, TYPICAL_GENERATION_MS) };
  }
}

function contentOf(request: SubmitRequest) {
  const mapped = request.size ? SEEDANCE_SIZES[request.size] : undefined;
  // Parameters travel as --flags after the prompt, which every Seedance model reads.
  const flags = [
    mapped || request.aspectRatio ? `--ratio ${mapped?.ratio ?? request.aspectRatio}` : null,
    request.seconds !== null ? `--duration ${request.seconds}` : null,
    mapped ? `--resolution ${mapped.resolution}` : null,
  ].filter(Boolean);
  const content: Record<string, unknown>[] = [{ type: "text", text: [request.prompt, ...flags].join(" ") }];
  if (request.reference) {
    const url = `data:${request.reference.mimeType};base64,${Buffer.from(request.reference.bytes).toString("base64")}`;
    content.push({ type: "image_url", image_url: { url } });
  }
  return content;
}

const taskPath = (id: string) => `/api/v3/contents/generations/tasks/${encodeURIComponent(id)}`;

/** ByteDance Seedance on BytePlus ModelArk / Volcengine Ark; usage is reported in tokens. */
export const seedanceAdaptor: ProviderAdaptor = {
  name: "seedance",
  resultRetentionMs: 24 * 3600_000,

  async submit({ channel, request, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, "/api/v3/contents/generations/tasks"), {
      method: "POST",
      headers: { ...auth(channel), "content-type": "application/json" },
      body: JSON.stringify({ model: request.model, content: contentOf(request) }),
      signal,
    });
    const task = await taskOf(res);
    if (!task.id) throw new UpstreamError("transient", "BAD_RESPONSE", "the provider's answer has no task id", { status: res.status });
    const state: SeedanceState = { submittedAt: Date.now() };
    return { upstreamId: task.id, state, snapshot: { status: "QUEUED", progress: 0 } };
  },

  async poll({ channel, task, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, taskPath(task.upstreamId)), { headers: auth(channel), signal });
    return snapshotOf(await taskOf(res), (task.state as SeedanceState | null) ?? null);
  },

  /** Only a queued task can be cancelled; a running one finishes (and is then not charged by Reelay). */
  async cancel({ channel, task, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, taskPath(task.upstreamId)), {
      method: "DELETE",
      headers: auth(channel),
      signal,
    });
    if (res.ok || res.status === 404) {
      await res.discard();
      return;
    }
    throw await errorFrom(res);
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};
