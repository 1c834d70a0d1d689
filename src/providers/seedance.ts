import { encodeReferenceImage } from "../media/reference-image.js";
import { type ErrorDialect, readUpstreamError } from "./errors.js";
import {
  deleteJob,
  downloadResultUrl,
  freshHeaders,
  joinUrl,
  missingId,
  postJson,
  readJson,
  type UpstreamResponse,
  upstreamFetch,
} from "./http.js";
import { needsReferenceImage, type SizeTiers, sizesOf, tierOf } from "./model-specs.js";
import { failedSnapshot, finishedAt, runningSince } from "./snapshots.js";
import type { ChannelConfig, ModelSpec, Provider, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "./types.js";

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
const ARK_ERRORS: ErrorDialect<ArkError> = {
  read: ({ error }) => ({ code: error?.code, message: error?.message }),
  // Ark answers 429 for spent quota too; only rate limits are worth retrying.
  quota: /Quota|Balance|Overdue/i,
  contentPolicy: { codes: /Sensitive|Moderation|Risk|Policy/i },
};

const auth = (channel: ChannelConfig) => ({ authorization: `Bearer ${channel.apiKey}` });

/** Seedance's sizes by its resolution flag. */
const SEEDANCE_TIERS: SizeTiers = {
  "480p": { "16:9": "864x480", "9:16": "480x864", "1:1": "640x640" },
  "720p": { "16:9": "1280x720", "9:16": "720x1280", "1:1": "960x960" },
  "1080p": { "16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1440x1440" },
};

async function taskOf(res: UpstreamResponse): Promise<ArkTask> {
  if (!res.ok) throw await readUpstreamError(res, ARK_ERRORS);
  return readJson<ArkTask>(res);
}

function snapshotOf(task: ArkTask, state: SeedanceState | null): UpstreamSnapshot {
  switch (task.status) {
    case "queued":
      return { status: "QUEUED", progress: 0 };
    case "succeeded":
      return finishedAt(task.content?.video_url, { tokens: Number(task.usage?.total_tokens ?? task.usage?.completion_tokens) });
    case "failed":
      return failedSnapshot(task.error ?? {}, ARK_ERRORS.contentPolicy);
    case "cancelled":
      return { status: "CANCELLED" };
    default: // running
      return runningSince(state?.submittedAt, TYPICAL_GENERATION_MS);
  }
}

function contentOf(request: SubmitRequest) {
  const mapped = tierOf(SEEDANCE_TIERS, request.size);
  // Parameters travel as --flags after the prompt, which every Seedance model reads.
  const flags = [
    mapped || request.aspectRatio ? `--ratio ${mapped?.aspectRatio ?? request.aspectRatio}` : null,
    request.seconds !== null ? `--duration ${request.seconds}` : null,
    mapped ? `--resolution ${mapped.tier}` : null,
  ].filter(Boolean);
  const content: Record<string, unknown>[] = [{ type: "text", text: [request.prompt, ...flags].join(" ") }];
  if (request.reference) {
    const url = encodeReferenceImage.dataUrl(request.reference);
    content.push({ type: "image_url", image_url: { url } });
  }
  return content;
}

const taskPath = (id: string) => `/api/v3/contents/generations/tasks/${encodeURIComponent(id)}`;

/** ByteDance Seedance on BytePlus ModelArk / Volcengine Ark; usage is reported in tokens. */
export const seedanceAdaptor: ProviderAdaptor = {
  name: "seedance",
  typicalGenerationMs: TYPICAL_GENERATION_MS,
  resultRetentionMs: 24 * 3600_000,

  async submit({ channel, request, signal }) {
    const res = await postJson(joinUrl(channel.baseUrl, "/api/v3/contents/generations/tasks"), {
      headers: auth(channel),
      json: { model: request.model, content: contentOf(request) },
      signal,
    });
    const task = await taskOf(res);
    if (!task.id) throw missingId(res, "task id");
    const state: SeedanceState = { submittedAt: Date.now() };
    return { upstreamId: task.id, state, snapshot: { status: "QUEUED", progress: 0 } };
  },

  async poll({ channel, task, fresh, signal }) {
    const res = await upstreamFetch(joinUrl(channel.baseUrl, taskPath(task.upstreamId)), {
      headers: { ...auth(channel), ...freshHeaders(fresh) },
      signal,
    });
    return snapshotOf(await taskOf(res), (task.state as SeedanceState | null) ?? null);
  },

  /** Only a queued task can be cancelled; a running one finishes (and is then not charged by Reelay). */
  cancel({ channel, task, signal }) {
    return deleteJob(joinUrl(channel.baseUrl, taskPath(task.upstreamId)), { headers: auth(channel), signal }, ARK_ERRORS);
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};

/** A Seedance model: priced per output token, 24 fps. */
function seedanceModel(id: string, usdPerMillionTokens: number, imageToVideoOnly = false): Omit<ModelSpec, "provider"> {
  return {
    id,
    mediaType: "VIDEO",
    seconds: { allowed: [5, 10], default: 5 },
    sizes: { allowed: sizesOf(SEEDANCE_TIERS), default: SEEDANCE_TIERS["1080p"]["16:9"] },
    aspectRatios: SEEDANCE_TIERS["1080p"],
    maxPromptLength: 2_000,
    acceptsReferenceImage: true,
    priceUnit: "TOKEN",
    // nano-dollars per token = USD per million tokens × 1000
    defaultPrices: { "*": BigInt(Math.round(usdPerMillionTokens * 1000)) },
    fps: 24,
    check: imageToVideoOnly ? needsReferenceImage : undefined,
  };
}

/** ByteDance Seedance on BytePlus ModelArk / Volcengine Ark. */
export const seedance: Provider = {
  adaptor: seedanceAdaptor,
  models: [
    seedanceModel("seedance-1-0-pro-250528", 2.5),
    seedanceModel("seedance-1-0-pro-fast-251015", 1.0),
    seedanceModel("seedance-1-0-lite-t2v-250428", 1.8),
    seedanceModel("seedance-1-0-lite-i2v-250428", 1.8, true),
  ],
};
