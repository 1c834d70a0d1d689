import { SignJWT } from "jose";
import { encodeReferenceImage } from "../media/reference-image.js";
import { type ErrorDialect, UpstreamError, type UpstreamErrorKind, upstreamErrorOf } from "./errors.js";
import { downloadResultUrl, freshHeaders, joinUrl, missingId, postJson, readJson, type UpstreamResponse, upstreamFetch } from "./http.js";
import { type SizeTiers, sizesOf, tierOf, usdPrices } from "./model-specs.js";
import { failedSnapshot, finishedAt, runningSince } from "./snapshots.js";
import type { ChannelConfig, ModelSpec, Provider, ProviderAdaptor, SubmitRequest, UpstreamSnapshot, UpstreamTask } from "./types.js";

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

/** Kling's sizes by mode: std renders 720p, pro 1080p. */
const KLING_TIERS: SizeTiers = {
  std: { "16:9": "1280x720", "9:16": "720x1280", "1:1": "720x720" },
  pro: { "16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1080x1080" },
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

/** Kling's codes, by range: most failures are told by `code`, and 429 means a rate limit or billing. */
const KLING_CODES: readonly [from: number, to: number, kind: UpstreamErrorKind][] = [
  [1000, 1004, "unavailable"], // authentication
  [1100, 1103, "unavailable"], // account, billing, permission
  [1202, 1203, "not_found"],
  [1300, 1301, "rejected"], // content policy
  [1302, 1303, "rate_limited"],
  [1304, 1304, "unavailable"],
  [5000, Number.POSITIVE_INFINITY, "transient"],
];

const KLING_ERRORS: ErrorDialect<Envelope<unknown>> = {
  read: ({ code, message }, status) => ({ code: `KLING_${code || status}`, message }),
  kindOf: ({ code = 0 }) => KLING_CODES.find(([from, to]) => code >= from && code <= to)?.[2],
  contentPolicy: { codes: /^KLING_130[01]$/ },
};

async function dataOf<T>(res: UpstreamResponse): Promise<T> {
  const body = await readJson<Envelope<T>>(res).catch((err) => {
    if (!res.ok) return {} as Envelope<T>;
    throw err;
  });
  if (!res.ok || (body.code ?? 0) !== 0 || !body.data) throw upstreamErrorOf(res, body, KLING_ERRORS);
  return body.data;
}

function snapshotOf(task: KlingTask, state: KlingState | null): UpstreamSnapshot {
  switch (task.task_status) {
    case "submitted":
      return { status: "QUEUED", progress: 0 };
    case "succeed": {
      const video = task.task_result?.videos?.[0];
      return finishedAt(video?.url, { seconds: Number(video?.duration) });
    }
    case "failed":
      // A failed task has no code, only a message; Kling words refusals for content in it.
      return failedSnapshot({ message: task.task_status_msg }, { messages: /risk|policy|sensitive|violat|safety/i });
    default: // processing, and words Kling may add later: still running
      return runningSince(state?.submittedAt, TYPICAL_GENERATION_MS);
  }
}

function bodyOf(request: SubmitRequest) {
  const mapped = tierOf(KLING_TIERS, request.size);
  const body: Record<string, unknown> = {
    model_name: request.model,
    prompt: request.prompt,
    duration: String(request.seconds ?? 5), // a string, as Kling wants it
    mode: mapped?.tier ?? "std",
  };
  if (request.reference) {
    body.image = encodeReferenceImage.base64(request.reference); // bare base64, no data: prefix
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
  typicalGenerationMs: TYPICAL_GENERATION_MS,
  resultRetentionMs: 30 * 24 * 3600_000,

  async submit({ channel, request, callbackUrl, signal }) {
    const family = request.reference ? "image2video" : "text2video";
    const res = await postJson(joinUrl(channel.baseUrl, `/v1/videos/${family}`), {
      headers: await authorization(channel),
      // Kling POSTs the task there on every change of state; polling goes on beside it.
      json: callbackUrl ? { ...bodyOf(request), callback_url: callbackUrl } : bodyOf(request),
      signal,
    });
    const data = await dataOf<KlingTask>(res);
    if (!data.task_id) throw missingId(res, "task id");
    const state: KlingState = { family, submittedAt: Date.now() };
    return { upstreamId: data.task_id, state, snapshot: snapshotOf(data, state) };
  },

  async poll({ channel, task, fresh, signal }) {
    const res = await upstreamFetch(taskUrl(channel, task), {
      headers: { ...(await authorization(channel)), ...freshHeaders(fresh) },
      signal,
    });
    return snapshotOf(await dataOf<KlingTask>(res), (task.state as KlingState | null) ?? null);
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};

// Kling: 5 or 10 seconds; the size picks the mode.
const KLING_PROMPT_LIMIT = 2_500;
/** A Kling model priced per second by mode; some models have no std mode. */
function klingModel(id: string, pricesPerSecond: { std?: string; pro: string }): Omit<ModelSpec, "provider"> {
  const modes = pricesPerSecond.std ? (["std", "pro"] as const) : (["pro"] as const);
  const prices = modes.flatMap((mode) => sizesOf(KLING_TIERS, [mode]).map((size) => [size, pricesPerSecond[mode]!] as const));
  return {
    id,
    mediaType: "VIDEO",
    seconds: { allowed: [5, 10], default: 5 },
    sizes: { allowed: sizesOf(KLING_TIERS, modes), default: KLING_TIERS[modes[0]]["16:9"] },
    aspectRatios: KLING_TIERS[modes[0]],
    maxPromptLength: KLING_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: usdPrices(Object.fromEntries(prices)),
  };
}

/** Kling AI's own API. */
export const kling: Provider = {
  adaptor: klingAdaptor,
  models: [
    klingModel("kling-v2-5-turbo", { std: "0.042", pro: "0.07" }),
    klingModel("kling-v2-6", { std: "0.042", pro: "0.07" }),
    klingModel("kling-v2-1-master", { pro: "0.28" }),
    klingModel("kling-v1-6", { std: "0.028", pro: "0.049" }),
  ],
};
