import { encodeReferenceImage } from "../media/reference-image.js";
import { type ErrorDialect, UpstreamError, type UpstreamErrorKind, upstreamErrorOf } from "./errors.js";
import { downloadResultUrl, freshHeaders, joinUrl, missingId, postJson, readJson, type UpstreamResponse, upstreamFetch } from "./http.js";
import { needsReferenceImage, usdPrices } from "./model-specs.js";
import { failedSnapshot, finishedAt, runningSince } from "./snapshots.js";
import type { ChannelConfig, ModelSpec, Provider, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "./types.js";

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
/** DashScope's codes that say more than the HTTP status does. */
const DASHSCOPE_CODES: readonly [RegExp, UpstreamErrorKind][] = [
  [/^Throttling/, "rate_limited"],
  [/^InternalError$/, "transient"],
  [/^(InvalidApiKey|Arrearage|AccessDenied)$/, "unavailable"],
];

const DASHSCOPE_ERRORS: ErrorDialect<DashScopeAnswer> = {
  read: (body) => body,
  kindOf: ({ code }) => (code ? DASHSCOPE_CODES.find(([pattern]) => pattern.test(code))?.[1] : undefined),
  contentPolicy: { codes: /DataInspection|InappropriateContent|content/i },
};

const auth = (channel: ChannelConfig) => ({ authorization: `Bearer ${channel.apiKey}` });

/** Image-to-video models take a resolution tier; text-to-video models take "W*H". */
const isImageToVideo = (model: string) => /-i2v/.test(model);

/** An answer's body; DashScope reports some errors with HTTP 200 and a `code`. */
async function answerOf(res: UpstreamResponse): Promise<DashScopeAnswer> {
  const body = await readJson<DashScopeAnswer>(res).catch((err) => {
    if (!res.ok) return {} as DashScopeAnswer;
    throw err;
  });
  if (!res.ok || body.code) throw upstreamErrorOf(res, body, DASHSCOPE_ERRORS);
  return body;
}

function snapshotOf(answer: DashScopeAnswer, state: DashScopeState | null): UpstreamSnapshot {
  const output = answer.output ?? {};
  switch (output.task_status) {
    case "PENDING":
      return { status: "QUEUED", progress: 0 };
    case "SUCCEEDED":
      // Older models report video_duration, newer ones duration.
      return finishedAt(output.video_url, { seconds: Number(answer.usage?.video_duration ?? answer.usage?.duration) });
    case "FAILED":
      return failedSnapshot(output, DASHSCOPE_ERRORS.contentPolicy);
    case "CANCELED":
      return { status: "CANCELLED" };
    case "UNKNOWN":
      // The task id has expired (24 h) or never existed.
      throw new UpstreamError("not_found", "UNKNOWN", "the provider no longer knows this task");
    default: // RUNNING
      return runningSince(state?.submittedAt, TYPICAL_GENERATION_MS);
  }
}

function bodyOf(request: SubmitRequest) {
  const input: Record<string, unknown> = { prompt: request.prompt };
  const parameters: Record<string, unknown> = { prompt_extend: false, watermark: false };
  if (request.seconds !== null) parameters.duration = request.seconds;
  if (request.reference) {
    input.img_url = encodeReferenceImage.dataUrl(request.reference);
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
  typicalGenerationMs: TYPICAL_GENERATION_MS,
  // Task ids and result URLs last about a day.
  resultRetentionMs: 24 * 3600_000,

  async submit({ channel, request, signal }) {
    const res = await postJson(joinUrl(channel.baseUrl, "/api/v1/services/aigc/video-generation/video-synthesis"), {
      // HTTP calls are asynchronous only: without this header DashScope refuses the request.
      headers: { ...auth(channel), "x-dashscope-async": "enable" },
      json: bodyOf(request),
      signal,
    });
    const answer = await answerOf(res);
    const taskId = answer.output?.task_id;
    if (!taskId) throw missingId(res, "task id");
    const state: DashScopeState = { submittedAt: Date.now() };
    return { upstreamId: taskId, state, snapshot: snapshotOf(answer, state) };
  },

  async poll({ channel, task, fresh, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/api/v1/tasks/${encodeURIComponent(task.upstreamId)}`), {
      headers: { ...auth(channel), ...freshHeaders(fresh) },
      signal,
    });
    return snapshotOf(await answerOf(res), (task.state as DashScopeState | null) ?? null);
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};

// Wan. Text-to-video models take no image; image-to-video models need one.
const WAN_PROMPT_LIMIT = 800;
/** Wan 2.2: 5 seconds, 480p or 1080p; prices per second by size. */
const WAN_2_2 = { seconds: [5], pricesPerSecond: { "832x480": "0.02", "480x832": "0.02", "1920x1080": "0.10", "1080x1920": "0.10" } };
/** Wan 2.5: 5 or 10 seconds, 480p to 1080p. */
const WAN_2_5 = {
  seconds: [5, 10],
  pricesPerSecond: {
    "832x480": "0.05",
    "480x832": "0.05",
    "1280x720": "0.10",
    "720x1280": "0.10",
    "1920x1080": "0.15",
    "1080x1920": "0.15",
  },
};

function wanModel(
  id: string,
  { seconds, pricesPerSecond }: { seconds: number[]; pricesPerSecond: Record<string, string> },
  imageToVideo: boolean,
): Omit<ModelSpec, "provider"> {
  const sizes = Object.keys(pricesPerSecond);
  return {
    id,
    mediaType: "VIDEO",
    seconds: { allowed: seconds, default: seconds[0] },
    sizes: { allowed: sizes, default: sizes.includes("1280x720") ? "1280x720" : sizes[0] },
    // An aspect ratio alone picks 720p where the model makes it, else its highest tier.
    aspectRatios: Object.fromEntries(
      [
        ["16:9", ["1280x720", "1920x1080", "832x480"].find((s) => sizes.includes(s))],
        ["9:16", ["720x1280", "1080x1920", "480x832"].find((s) => sizes.includes(s))],
      ].filter((e): e is [string, string] => Boolean(e[1])),
    ),
    maxPromptLength: WAN_PROMPT_LIMIT,
    acceptsReferenceImage: imageToVideo,
    priceUnit: "SECOND",
    defaultPrices: usdPrices(pricesPerSecond),
    check: imageToVideo ? needsReferenceImage : undefined,
  };
}

/** Alibaba Cloud Model Studio (DashScope). */
export const dashscope: Provider = {
  adaptor: dashscopeAdaptor,
  models: [
    wanModel("wan2.2-t2v-plus", WAN_2_2, false),
    wanModel("wan2.5-t2v-preview", WAN_2_5, false),
    wanModel("wan2.2-i2v-plus", WAN_2_2, true),
    wanModel("wan2.5-i2v-preview", WAN_2_5, true),
  ],
};
