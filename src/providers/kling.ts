import { SignJWT } from "jose";
import { retryAfterMs, UpstreamError } from "./errors.js";
import { downloadResultUrl, estimatedProgress, joinUrl, readJson, type UpstreamResponse, upstreamFetch } from "./http.js";
import type { ChannelConfig, ProviderAdaptor, SubmitRequest, UpstreamSnapshot, UpstreamTask } from "./types.js";

/** Kling's answer envelope: HTTP 200 is not enough, `code` must be 0. */
interface Envelope<T> {
  code?: number;
  message?: string;
  request_id?: string;
  data?: T;
}

interface KlingTask {
  task_id?: string;
  task_status?: string;
  task_status_msg?: string;
  task_result?: { videos?: { id?: string; url?: string; duration?: string }[] };
}

/** Which endpoint family made the task: polls must use the same one. */
interface KlingState {
  family: "text2video" | "image2video";
  submittedAt: number;
}

const TYPICAL_GENERATION_MS = 180_000;
/** a token lives this long; a fresh one is made for every request */
const TOKEN_TTL_S = 30 * 60;
/** tolerated clock difference between us and Kling */
const CLOCK_SKEW_S = 5;

/** Reelay sizes → Kling's mode and aspect ratio: std renders 720p, pro 1080p. */
const KLING_SIZES: Record<string, { mode: "std" | "pro"; aspectRatio: string }> = {
  "1280x720": { mode: "std", aspectRatio: "16:9" },
  "720x1280": { mode: "std", aspectRatio: "9:16" },
  "720x720": { mode: "std", aspectRatio: "1:1" },
  "1920x1080": { mode: "pro", aspectRatio: "16:9" },
  "1080x1920": { mode: "pro", aspectRatio: "9:16" },
  "1080x1080": { mode: "pro", aspectRatio: "1:1" },
};

/** The channel key is "ACCESS_KEY:SECRET_KEY" ("|" is accepted too, as new-api stores it). */
function credentials(channel: ChannelConfig) {
  const [accessKey, secretKey] = channel.apiKey.split(/[:|]/, 2);
  if (!accessKey || !secretKey)
    throw new UpstreamError("unavailable", "BAD_CHANNEL_KEY", "a kling channel key must be ACCESS_KEY:SECRET_KEY");
  return { accessKey, secretKey };
}

async function authorization(channel: ChannelConfig) {
  const { accessKey, secretKey } = credentials(channel);
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(accessKey)
    .setExpirationTime(now + TOKEN_TTL_S)
    .setNotBefore(now - CLOCK_SKEW_S)
    .sign(new TextEncoder().encode(secretKey));
  return { authorization: `Bearer ${token}` };
}

/** Kling signals most failures by `code`, and uses 429 for both rate limits and billing. */
function errorOf(status: number, body: Envelope<unknown>, retryAfter: string | null): UpstreamError {
  const code = body.code ?? 0;
  const name = `KLING_${code || status}`;
  const message = body.message || `the provider answered HTTP ${status}`;
  const options = { status, retryAfterMs: retryAfterMs(retryAfter) };
  if (code === 1302 || code === 1303) return new UpstreamError("rate_limited", name, message, options);
  if (code >= 1000 && code <= 1004) return new UpstreamError("unavailable", name, message, options); // auth
  if (code >= 1100 && code <= 1103) return new UpstreamError("unavailable", name, message, options); // account, billing, permission
  if (code === 1304) return new UpstreamError("unavailable", name, message, options);
  if (code === 1300 || code === 1301) return new UpstreamError("rejected", "CONTENT_POLICY", message, options);
  if (code === 1202 || code === 1203 || status === 404) return new UpstreamError("not_found", name, message, options);
  if (code >= 5000 || status >= 500) return new UpstreamError("transient", name, message, options);
  if (status === 429) return new UpstreamError("rate_limited", name, message, options);
  if (status === 401 || status === 403) return new UpstreamError("unavailable", name, message, options);
  return new UpstreamError("rejected", name, message, options);
}

async function dataOf<T>(res: UpstreamResponse): Promise<T> {
  const body = await readJson<Envelope<T>>(res).catch((err) => {
    if (!res.ok) return {} as Envelope<T>;
    throw err;
  });
  if (!res.ok || (body.code ?? 0) !== 0 || !body.data) throw errorOf(res.status, body, res.headers.get("retry-after"));
  return body.data;
}

function snapshotOf(task: KlingTask, state: KlingState | null): UpstreamSnapshot {
  switch (task.task_status) {
    case "submitted":
      return { status: "QUEUED", progress: 0 };
    case "succeed": {
      const video = task.task_result?.videos?.[0];
      if (!video?.url) return { status: "FAILED", error: { code: "UPSTREAM_FAILED", message: "the provider finished without a video" } };
      const seconds = Number(video.duration);
      return {
        status: "COMPLETED",
        progress: 100,
        result: { url: video.url },
        usage: Number.isFinite(seconds) && seconds > 0 ? { seconds } : undefined,
      };
    }
    case "failed": {
      const message = task.task_status_msg || "the provider reported the task as failed";
      return {
        status: "FAILED",
        error: { code: /risk|policy|sensitive|violat|safety/i.test(message) ? "CONTENT_POLICY" : "UPSTREAM_FAILED", message },
      };
    }
    default: // processing, and words Kling may add later: still running
      return { status: "PROCESSING", progress: estimatedProgress(state?.submittedAt, TYPICAL_GENERATION_MS) };
  }
}

function bodyOf(request: SubmitRequest) {
  const mapped = request.size ? KLING_SIZES[request.size] : undefined;
  const body: Record<string, unknown> = {
    model_name: request.model,
    prompt: request.prompt,
    duration: String(request.seconds ?? 5), // a string, as Kling wants it
    mode: mapped?.mode ?? "std",
  };
  if (request.reference) {
    body.image = Buffer.from(request.reference.bytes).toString("base64"); // bare base64, no data: prefix
  } else {
    body.aspect_ratio = mapped?.aspectRatio ?? request.aspectRatio ?? "16:9";
  }
  return body;
}

const taskUrl = (channel: ChannelConfig, task: UpstreamTask) =>
  joinUrl(
    channel.baseUrl,
    `/v1/videos/${(task.state as KlingState | null)?.family ?? "text2video"}/${encodeURIComponent(task.upstreamId)}`,
  );

/** Kling AI's official API: text2video and image2video tasks with a per-request JWT. */
export const klingAdaptor: ProviderAdaptor = {
  name: "kling",
  resultRetentionMs: 30 * 24 * 3600_000,

  async submit({ channel, request, signal }) {
    const family = request.reference ? "image2video" : "text2video";
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/v1/videos/${family}`), {
      method: "POST",
      headers: { ...(await authorization(channel)), "content-type": "application/json" },
      body: JSON.stringify(bodyOf(request)),
      signal,
    });
    const data = await dataOf<KlingTask>(res);
    if (!data.task_id) throw new UpstreamError("transient", "BAD_RESPONSE", "the provider's answer has no task id", { status: res.status });
    const state: KlingState = { family, submittedAt: Date.now() };
    return { upstreamId: data.task_id, state, snapshot: snapshotOf(data, state) };
  },

  async poll({ channel, task, signal }) {
    const res = await upstreamFetch(taskUrl(channel, task), { headers: await authorization(channel), signal });
    return snapshotOf(await dataOf<KlingTask>(res), (task.state as KlingState | null) ?? null);
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};
