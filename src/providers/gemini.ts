import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { encodeReferenceImage } from "../media/reference-image.js";
import { type ErrorDialect, readUpstreamError, UpstreamError } from "./errors.js";
import {
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
import { type SizeTiers, sizesOf, tierOf, usdPrices } from "./model-specs.js";
import { failedSnapshot, runningSince } from "./snapshots.js";
import type { ChannelConfig, ModelSpec, Provider, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "./types.js";

/** A long-running operation of the Gemini API, as `predictLongRunning` and its polls return it. */
interface Operation {
  name?: string;
  done?: boolean;
  error?: { code?: number; message?: string; status?: string } | string;
  response?: {
    generateVideoResponse?: {
      generatedSamples?: { video?: { uri?: string } }[];
      raiMediaFilteredCount?: number;
      raiMediaFilteredReasons?: string[];
    };
    generatedVideos?: { video?: { uri?: string } }[];
  };
}

/** What the adaptor keeps between polls. */
interface GeminiState {
  submittedAt: number;
  seconds: number | null;
}

/** Veo reports no progress: an estimate over a typical generation time stands in for it. */
const TYPICAL_GENERATION_MS = 90_000;
/** an image is made within the call, which may take this long */
const IMAGE_GENERATION_TIMEOUT_MS = 120_000;

const headers = (channel: ChannelConfig, extra: Record<string, string> = {}) => ({ "x-goog-api-key": channel.apiKey, ...extra });

/** Veo's sizes by its resolution flag. */
const VEO_TIERS: SizeTiers = {
  "720p": { "16:9": "1280x720", "9:16": "720x1280" },
  "1080p": { "16:9": "1920x1080", "9:16": "1080x1920" },
  "4k": { "16:9": "3840x2160", "9:16": "2160x3840" },
};

/** Google's error envelope: the code that names the failure is `status` (e.g. INVALID_ARGUMENT). */
const GEMINI_ERRORS: ErrorDialect<{ error?: { code?: number; message?: string; status?: string } }> = {
  read: ({ error }) => ({ code: error?.status, message: error?.message }),
  contentPolicy: { messages: /safety|policy|blocked|prohibited/i },
};

async function operationFrom(res: UpstreamResponse): Promise<Operation> {
  if (!res.ok) throw await readUpstreamError(res, GEMINI_ERRORS);
  return readJson<Operation>(res);
}

function samplesOf(op: Operation): string[] {
  const samples = op.response?.generateVideoResponse?.generatedSamples ?? op.response?.generatedVideos ?? [];
  return samples.map((s) => s.video?.uri).filter((u): u is string => typeof u === "string" && u !== "");
}

function snapshotOf(op: Operation, state: GeminiState | null, now = Date.now()): UpstreamSnapshot {
  if (!op.done) {
    return runningSince(state?.submittedAt, TYPICAL_GENERATION_MS, now);
  }
  if (op.error) {
    const error = typeof op.error === "string" ? { message: op.error } : { code: op.error.status, message: op.error.message };
    return failedSnapshot(error, GEMINI_ERRORS.contentPolicy, "the provider reported the operation as failed");
  }
  const uris = samplesOf(op);
  if (uris.length === 0) {
    const reasons = op.response?.generateVideoResponse?.raiMediaFilteredReasons ?? [];
    return {
      status: "FAILED",
      error: reasons.length
        ? { code: "CONTENT_POLICY", message: reasons.join("; ") }
        : { code: "UPSTREAM_FAILED", message: "the provider finished without a video" },
    };
  }
  // Veo does not say how long the video is: it makes the duration asked for.
  return { status: "COMPLETED", progress: 100, result: { uris }, usage: state?.seconds ? { seconds: state.seconds } : undefined };
}

function instanceOf(request: SubmitRequest) {
  const instance: Record<string, unknown> = { prompt: request.prompt };
  if (request.reference) {
    instance.image = { bytesBase64Encoded: encodeReferenceImage.base64(request.reference), mimeType: request.reference.mimeType };
  }
  return instance;
}

function parametersOf(request: SubmitRequest) {
  const mapped = tierOf(VEO_TIERS, request.size);
  const parameters: Record<string, unknown> = { sampleCount: 1 };
  const aspectRatio = mapped?.aspectRatio ?? request.aspectRatio;
  if (aspectRatio) parameters.aspectRatio = aspectRatio;
  if (mapped) parameters.resolution = mapped.tier;
  if (request.seconds !== null) parameters.durationSeconds = request.seconds;
  // Veo's documented values: people may appear; image-to-video allows adults only.
  parameters.personGeneration = request.reference ? "allow_adult" : "allow_all";
  return parameters;
}

/** Image models answer within the call; the image rides in the task's state until it is mirrored. */
interface ImageState {
  image: { mimeType: string; data: string };
}

/** The image models' sizes, by the aspect ratio they are asked for in. */
const IMAGE_SIZES = { "1:1": "1024x1024", "16:9": "1344x768", "9:16": "768x1344", "4:3": "1184x864", "3:4": "864x1184" };

interface ImageAnswer {
  candidates?: { finishReason?: string; content?: { parts?: { text?: string; inlineData?: { mimeType?: string; data?: string } }[] } }[];
  promptFeedback?: { blockReason?: string };
  predictions?: { bytesBase64Encoded?: string; mimeType?: string; raiFilteredReason?: string }[];
}

/** Gemini image models (generateContent) and Imagen (predict): one synchronous call. */
async function generateImage(channel: ChannelConfig, request: SubmitRequest, signal?: AbortSignal): Promise<ImageState["image"]> {
  const aspectRatio = tierOf({ image: IMAGE_SIZES }, request.size)?.aspectRatio ?? request.aspectRatio ?? "1:1";
  const imagen = request.model.startsWith("imagen-");
  const body = imagen
    ? { instances: [{ prompt: request.prompt }], parameters: { sampleCount: 1, aspectRatio } }
    : {
        contents: [
          {
            parts: [
              { text: request.prompt },
              ...(request.reference
                ? [{ inlineData: { mimeType: request.reference.mimeType, data: encodeReferenceImage.base64(request.reference) } }]
                : []),
            ],
          },
        ],
        generationConfig: { responseModalities: ["IMAGE"], imageConfig: { aspectRatio } },
      };
  const res = await postJson(
    joinUrl(channel.baseUrl, `/v1beta/models/${encodeURIComponent(request.model)}:${imagen ? "predict" : "generateContent"}`),
    { headers: headers(channel), json: body, signal, timeoutMs: IMAGE_GENERATION_TIMEOUT_MS },
  );
  if (!res.ok) throw await readUpstreamError(res, GEMINI_ERRORS);
  const answer = await readJson<ImageAnswer>(res);
  const inline = imagen
    ? answer.predictions?.find((p) => p.bytesBase64Encoded)
    : answer.candidates?.[0]?.content?.parts?.find((p) => p.inlineData?.data)?.inlineData;
  const data = inline && ("bytesBase64Encoded" in inline ? inline.bytesBase64Encoded : (inline as { data?: string }).data);
  if (!inline || !data) {
    const reason =
      answer.promptFeedback?.blockReason ??
      answer.candidates?.[0]?.finishReason ??
      answer.predictions?.[0]?.raiFilteredReason ??
      "no image in the answer";
    const refused = /SAFETY|PROHIBITED|BLOCK|RAI|filtered/i.test(reason);
    throw new UpstreamError(
      refused ? "rejected" : "transient",
      refused ? "CONTENT_POLICY" : "NO_IMAGE",
      `the provider made no image: ${reason}`,
    );
  }
  return { mimeType: inline.mimeType ?? "image/png", data };
}

/** Google's Gemini API: Veo video through `predictLongRunning` and operation polling; image models in one call. */
export const geminiAdaptor: ProviderAdaptor = {
  name: "gemini",
  typicalGenerationMs: TYPICAL_GENERATION_MS,
  // Generated files are kept for about two days.
  resultRetentionMs: 2 * 24 * 3600_000,

  async submit({ channel, request, signal }) {
    if (request.mediaType === "IMAGE") {
      const image = await generateImage(channel, request, signal);
      const state: ImageState = { image };
      return { upstreamId: `image-${randomUUID()}`, state, snapshot: { status: "COMPLETED", progress: 100, usage: { images: 1 } } };
    }
    const res = await postJson(joinUrl(channel.baseUrl, `/v1beta/models/${encodeURIComponent(request.model)}:predictLongRunning`), {
      headers: headers(channel),
      json: { instances: [instanceOf(request)], parameters: parametersOf(request) },
      signal,
    });
    const op = await operationFrom(res);
    if (typeof op.name !== "string" || op.name === "") throw missingId(res, "operation name");
    const state: GeminiState = { submittedAt: Date.now(), seconds: request.seconds };
    return { upstreamId: op.name, state, snapshot: snapshotOf(op, state) };
  },

  async poll({ channel, task, fresh, signal }) {
    if ((task.state as ImageState | null)?.image) return { status: "COMPLETED", progress: 100, usage: { images: 1 } };
    // The operation name is a path: models/<model>/operations/<id>
    const res = await upstreamFetch(joinUrl(channel.baseUrl, `/v1beta/${task.upstreamId.split("/").map(encodeURIComponent).join("/")}`), {
      headers: { ...headers(channel), ...freshHeaders(fresh) },
      signal,
    });
    return snapshotOf(await operationFrom(res), (task.state as GeminiState | null) ?? null);
  },

  async download({ channel, task, snapshot, variant, range, signal, allowPrivateNetworks }) {
    if (variant === "thumbnail") return null; // Veo makes no thumbnail
    const image = (task.state as ImageState | null)?.image;
    if (image) {
      const bytes = Buffer.from(image.data, "base64");
      const part = range ? bytes.subarray(range.start, Math.min(range.end, bytes.length - 1) + 1) : bytes;
      return {
        body: Readable.from([part]),
        contentType: image.mimeType,
        contentLength: part.length,
        ...(range ? { range: { start: range.start, end: range.start + part.length - 1, total: bytes.length } } : {}),
      };
    }
    let uris = (snapshot.result as { uris?: string[] } | undefined)?.uris;
    if (!uris?.length) {
      // A stored task may have lost its snapshot: the finished operation still names the file.
      const current = await this.poll({ channel, task, signal });
      uris = (current.result as { uris?: string[] } | undefined)?.uris;
    }
    if (!uris?.length) throw new UpstreamError("not_found", "NO_MEDIA", "the operation names no generated video");
    // The file URI is on the API's origin; the key goes there only, never to the storage host it redirects to.
    const res = await fetchMedia(new URL(uris[0], channel.baseUrl), {
      from: { channelBaseUrl: channel.baseUrl, credentials: headers(channel), allowPrivateNetworks },
      range,
      signal,
    });
    if (!res.ok) throw await readUpstreamError(res, GEMINI_ERRORS);
    return toDownload(res);
  },
};

// Veo: 4, 6 or 8 seconds; 1080p and 4k only at 8 seconds.
const VEO_PROMPT_LIMIT = 4_000; // characters; the API counts tokens (1,024), this is a safe bound
const veoOnlyAt8: ModelSpec["check"] = ({ seconds, size }) =>
  seconds !== 8 && ["1080p", "4k"].includes(tierOf(VEO_TIERS, size)?.tier ?? "")
    ? { field: "seconds", message: `${size} is made only at 8 seconds` }
    : null;
function veoModel(id: string, pricePerSecond: string, fourK: boolean): Omit<ModelSpec, "provider"> {
  return {
    id,
    mediaType: "VIDEO",
    seconds: { allowed: [4, 6, 8], default: 8 },
    sizes: { allowed: sizesOf(VEO_TIERS, fourK ? ["720p", "1080p", "4k"] : ["720p", "1080p"]), default: VEO_TIERS["720p"]["16:9"] },
    aspectRatios: VEO_TIERS["720p"],
    maxPromptLength: VEO_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: usdPrices({ "*": pricePerSecond }),
    check: veoOnlyAt8,
  };
}

/** Gemini image models and Imagen, priced per image. */
function imageModel(id: string, price: string, takesReference: boolean): Omit<ModelSpec, "provider"> {
  return {
    id,
    mediaType: "IMAGE",
    seconds: null,
    sizes: { allowed: Object.values(IMAGE_SIZES), default: IMAGE_SIZES["1:1"] },
    aspectRatios: IMAGE_SIZES,
    maxPromptLength: 4_000,
    acceptsReferenceImage: takesReference,
    priceUnit: "IMAGE",
    defaultPrices: usdPrices({ "*": price }),
  };
}

/** Google's Gemini API: Veo video and the image models. */
export const gemini: Provider = {
  adaptor: geminiAdaptor,
  models: [
    veoModel("veo-3.0-generate-001", "0.40", false),
    veoModel("veo-3.0-fast-generate-001", "0.15", false),
    veoModel("veo-3.1-generate-preview", "0.40", true),
    veoModel("veo-3.1-fast-generate-preview", "0.15", true),
    imageModel("gemini-2.5-flash-image", "0.039", true),
    imageModel("imagen-4.0-generate-001", "0.04", false),
    imageModel("imagen-4.0-fast-generate-001", "0.02", false),
  ],
};
