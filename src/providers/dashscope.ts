import { retryAfterMs, UpstreamError } from "./errors.js";
import { downloadResultUrl, estimatedProgress, joinUrl, readJson, type UpstreamResponse, upstreamFetch } from "./http.js";
import type { ChannelConfig, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "./types.js";

interface DashScopeAnswer {
  request_id?: string;
  code?: string;
  message?: string;
  output?: { task_id?: string; task_status?: string; video_url?: string; code?: string; message?: string };
  usage?: { video_duration?: number; duration?: number; video_count?: number };
}

interface DashScopeState {
  submittedAt: number;
}

const TYPICAL_GENERATION_MS = 240_000;
const CONTENT_CODES = /DataInspection|InappropriateContent|content/i;

const auth = (channel: ChannelConfig) => ({ authorization: `Bearer ${channel.apiKey}` });

/** Image-to-video models take a resolution tier; text-to-video models take "W*H". */
const isImageToVideo = (model: string) => /-i2v/.test(model);

function errorOf(status: number, body: DashScopeAnswer, retryAfter: string | null): UpstreamError {
  const code = body.code || `HTTP_${status}`;
  const message = body.message || `the provider answered HTTP ${status}`;
  const options = { status, retryAfterMs: retryAfterMs(retryAfter) };
  if (/^Throttling/.test(code) || status === 429) return new UpstreamError("rate_limited", code, message, options);
  if (status >= 500 || code === "InternalError") return new UpstreamError("transient", code, message, options);
  if (code === "InvalidApiKey" || code === "Arrearage" || code === "AccessDenied" || status === 401 || status === 403) {
    return new UpstreamError("unavailable", code, message, options);
  }
  if (status === 404) return new UpstreamError("not_found", code, message, options);
  return new UpstreamError("rejected", CONTENT_CODES.test(code) ? "CONTENT_POLICY" : code, message, options);
}

async function answerOf(res: UpstreamResponse): Promise<DashScopeAnswer> {
  const body = await readJson<DashScopeAnswer>(res).catch((err) => {
    if (!res.ok) return {} as DashScopeAnswer;
    throw err;
  });
  if (!res.ok || body.code) throw errorOf(res.status, body, res.headers.get("retry-after"));
  return body;
}

function snapshotOf(answer: DashScopeAnswer, state: DashScopeState | null): UpstreamSnapshot {
  const output = answer.output ?? {};
  switch (output.task_status) {
    case "PENDING":
      return { status: "QUEUED", progress: 0 };
    case "SUCCEEDED": {
      if (!output.video_url)
        return { status: "FAILED", error: { code: "UPSTREAM_FAILED", message: "the provider finished without a video" } };
      // Older models report video_duration, newer ones duration.
      const seconds = Number(answer.usage?.video_duration ?? answer.usage?.duration);
      return {
        status: "COMPLETED",
        progress: 100,
        result: { url: output.video_url },
        usage: Number.isFinite(seconds) && seconds > 0 ? { seconds } : undefined,
      };
    }
    case "FAILED": {
      const code = output.code || "UPSTREAM_FAILED";
      return {
        status: "FAILED",
        error: {
          code: CONTENT_CODES.test(code) ? "CONTENT_POLICY" : code,
          message: output.message || "the provider reported the task as failed",
        },
      };
    }
    case "CANCELED":
      return { status: "CANCELLED" };
    case "UNKNOWN":
      // The task id has expired (24 h) or never existed.
      throw new UpstreamError("not_found", "UNKNOWN", "the provider no longer knows this task");
    default: // RUNNING
      return { status: "PROCESSING", progress: estimatedProgress(state?.submittedAt, TYPICAL_GENERATION_MS) };
  }
}

function bodyOf(request: SubmitRequest) {
  const input: Record<string, unknown> = { prompt: request.prompt };
  const parameters: Record<string, unknown> = { prompt_extend: false, watermark: false };
  if (request.seconds !== null) parameters.duration = request.seconds;
  if (request.reference) {
    input.img_url = `data:${request.reference.mimeType};base64,${Buffer.from(request.reference.bytes).toString("base64")}`;
  }
  if (request.size) {
    const [width, height] = request.size.split("x").map(Number);
    if (isImageToVideo(request.model)) parameters.resolution = `${Math.min(width, height)}P`;
    else parameters.size = `${width}*${height}`;
  }
  return { model: request.model, input, parameters };
}

/** Alibaba Cloud Model Studio (DashScope): Wan video synthesis as asynchronous tasks. */
export const dashscopeAdaptor: ProviderAdaptor = {
  name: "dashscope",
  // Task ids and result URLs last about a day.
  resultRetentionMs: 24 * 3600_000,

  async submit({ channel, request, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, "/api/v1/services/aigc/video-generation/video-synthesis"), {
      method: "POST",
      // HTTP calls are asynchronous only: without this header DashScope refuses the request.
      headers: { ...auth(channel), "content-type": "application/json", "x-dashscope-async": "enable" },
      body: JSON.stringify(bodyOf(request)),
      signal,
    });
    const answer = await answerOf(res);
    const taskId = answer.output?.task_id;
    if (!taskId) throw new UpstreamError("transient", "BAD_RESPONSE", "the provider's answer has no task id", { status: res.status });
    const state: DashScopeState = { submittedAt: Date.now() };
    return { upstreamId: taskId, state, snapshot: snapshotOf(answer, state) };
  },

  async poll({ channel, task, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/api/v1/tasks/${encodeURIComponent(task.upstreamId)}`), {
      headers: auth(channel),
      signal,
    });
    return snapshotOf(await answerOf(res), (task.state as DashScopeState | null) ?? null);
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};
