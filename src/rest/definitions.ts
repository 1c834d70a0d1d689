/**
 * The shapes of the REST API: every request body and query is validated by these schemas,
 * and the OpenAPI document (openapi.ts) is generated from the same ones.
 */
import { z } from "zod";
import { WEBHOOK_EVENTS } from "../webhooks/events.js";
import { MAX_WEBHOOK_URL_LENGTH } from "../webhooks/url.js";
import type { OpenAIVideo } from "./video-object.js";

/** the list sizes GET /v1/videos accepts, as OpenAI's lists do */
export const LIST_LIMIT = { default: 20, max: 100 } as const;
/** the longest id, cursor or short text field accepted; task ids are 36 characters */
const MAX_ID_LENGTH = 200;
/** an image given by URL: an https URL, a data: URL or base64 (sized by the body limit) */
const imageUrl = z.string().min(1);

/** `seconds` as OpenAI writes it ("4"), or as a number, which the official clients never send but people do. */
const seconds = z
  .union([z.string().regex(/^\d{1,4}$/, 'seconds must be a whole number of seconds, such as "4"'), z.number().int().positive()])
  .transform(Number)
  .meta({ description: 'Clip length in seconds, as a string ("4", "8", "12" for sora-2); the model says which it makes.' });

/** the longest cancel_after accepted: a duration is short */
const MAX_DURATION_LENGTH = 40;

/** createVideo's cancelAfter, as the REST routes spell it */
const cancelAfter = z.string().max(MAX_DURATION_LENGTH).optional().meta({
  description:
    'A deadline from creation: an ISO-8601 duration ("PT10M") or a short one ("10m", "2h"); a task not finished by then is cancelled (error code DEADLINE_EXCEEDED) and its hold released.',
});

const webhookFields = {
  webhook_url: z
    .string()
    .max(MAX_WEBHOOK_URL_LENGTH)
    .optional()
    .meta({ description: "A public http(s) URL that receives the task's events, signed as Standard Webhooks (docs/webhooks.md)." }),
  webhook_events: z
    .array(z.enum(WEBHOOK_EVENTS))
    .max(WEBHOOK_EVENTS.length)
    .optional()
    .meta({ description: "Which events to deliver to webhook_url (every event when absent)." }),
};

export const ImageReference = z
  .object({
    image_url: imageUrl.optional().meta({ description: "A fully qualified https URL or a base64 data: URL of the first frame." }),
    file_id: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "Not supported by Reelay: send the image itself." }),
  })
  .meta({ id: "ImageReference", description: "A reference image given by URL instead of as a file." });

const createFields = {
  model: z.string().min(1).max(MAX_ID_LENGTH).default("sora-2").meta({ description: "The model, as GET /v1/models lists them." }),
  prompt: z.string().meta({ description: "What to generate." }),
  seconds: seconds.optional(),
  size: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "WIDTHxHEIGHT, e.g. 1280x720; the model's default when absent." }),
  cancel_after: cancelAfter,
  ...webhookFields,
};

export const VideoCreateJson = z
  .object({
    ...createFields,
    input_reference: z
      .union([imageUrl, ImageReference])
      .optional()
      .meta({ description: "The first frame: { image_url } or a URL string. Upload a file with multipart/form-data instead." }),
  })
  .meta({ id: "VideoCreateRequest", description: "Starts a video job. Its price is held from the balance until it ends." });

export const VideoCreateForm = z
  .object({
    ...createFields,
    input_reference: z
      .union([z.file(), ImageReference])
      .optional()
      .meta({ description: "The first frame as an image file (PNG, JPEG, WebP), or input_reference[image_url]." }),
  })
  .meta({ id: "VideoCreateForm", description: "Starts a video job, with its reference image uploaded as a file." });

export const VideoRemixBody = z
  .object({ prompt: z.string().meta({ description: "What to change." }), ...webhookFields })
  .meta({ id: "VideoRemixRequest", description: "Remixes a completed video of the caller on the channel that made it." });

export const VideoListQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_LIMIT.max)
    .default(LIST_LIMIT.default)
    .meta({ description: `How many videos a page holds, 1 to ${LIST_LIMIT.max}.` }),
  after: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "The id of the last video of the previous page (its last_id)." }),
  order: z.enum(["asc", "desc"]).default("desc").meta({ description: "By creation time: newest first (desc) or oldest first (asc)." }),
});

export const VideoContentQuery = z.object({
  variant: z
    .enum(["video", "thumbnail"])
    .default("video")
    .meta({ description: "The video (MP4, or the image of an image model) or its thumbnail." }),
});

export const VideoError = z
  .object({ code: z.string(), message: z.string() })
  .meta({ id: "VideoError", description: "Why the job failed or was cancelled." });

export const Video = z
  .object({
    id: z.string(),
    object: z.literal("video"),
    model: z.string(),
    status: z
      .enum(["queued", "in_progress", "completed", "failed"])
      .meta({ description: "A cancelled job is failed, with code cancelled." }),
    progress: z.number().int().min(0).max(100),
    prompt: z.string(),
    seconds: z.string().nullable(),
    size: z.string().nullable(),
    created_at: z.number().int().meta({ description: "Unix seconds" }),
    completed_at: z.number().int().nullable(),
    expires_at: z.number().int().nullable().meta({ description: "When the stored media is (or was) deleted; null while it is kept." }),
    remixed_from_video_id: z.string().nullable(),
    error: VideoError.nullable(),
  })
  .meta({ id: "Video", description: "A video job in OpenAI's shape; its id is the Reelay task id, also valid over GraphQL." });

/** A Video answer; openAIVideoOf's result must fit it, so the schema documents exactly what is sent. */
export const videoBody = (video: OpenAIVideo): z.output<typeof Video> => video;

export const VideoList = z
  .object({
    object: z.literal("list"),
    data: z.array(Video),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  })
  .meta({ id: "VideoList", description: "One page of the caller's videos; pass last_id as `after` for the next." });

export const VideoDeleted = z
  .object({ id: z.string(), object: z.literal("video.deleted"), deleted: z.literal(true) })
  .meta({ id: "VideoDeleted", description: "The job is cancelled if it was running, and its stored media deleted." });

export const Model = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: z.number().int().meta({ description: "Always 0: the catalogue is not dated." }),
    owned_by: z.string().meta({ description: "The provider whose adaptor serves the model." }),
  })
  .meta({ id: "Model", description: "A model an enabled channel serves now." });

export const ModelList = z.object({ object: z.literal("list"), data: z.array(Model) }).meta({ id: "ModelList" });

export const ErrorBody = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().meta({ description: "invalid_request_error, authentication_error, insufficient_quota, rate_limit_error, …" }),
      param: z.string().nullable().meta({ description: "The request field at fault, when one is." }),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: "Error", description: "OpenAI's error envelope." });

export const NewApiCreateBody = z
  .object({
    model: z.string().min(1).max(MAX_ID_LENGTH),
    prompt: z.string(),
    image: imageUrl.optional().meta({ description: "The first frame: an https URL, a data: URL or bare base64." }),
    duration: z.number().int().positive().optional().meta({ description: "Seconds of video." }),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    size: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "WIDTHxHEIGHT, instead of width and height." }),
    fps: z.number().int().positive().optional().meta({ description: "Accepted and ignored: each model has its own frame rate." }),
    seed: z.number().int().optional().meta({ description: "Accepted and ignored." }),
    n: z.literal(1).optional().meta({ description: "One video per request." }),
    response_format: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "Accepted and ignored: answers carry URLs." }),
    user: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "Accepted and ignored: the caller is the key's user." }),
    metadata: z
      .object({ aspect_ratio: z.string().max(MAX_ID_LENGTH).optional().meta({ description: "e.g. 16:9, for models that take one." }) })
      .optional()
      .meta({ description: "Vendor extras; fields other than aspect_ratio are ignored." }),
    cancel_after: cancelAfter,
    ...webhookFields,
  })
  .meta({ id: "VideoGenerationRequest", description: "new-api's unified video create." });

const newApiStatus = z.enum(["queued", "processing", "succeeded", "failed"]);

export const NewApiTaskCreated = z
  .object({ task_id: z.string(), status: newApiStatus })
  .meta({ id: "VideoGenerationCreated", description: "The task id, valid over GraphQL and /v1/videos too." });

export const NewApiTask = z
  .object({
    task_id: z.string(),
    status: newApiStatus,
    url: z.string().nullable().meta({ description: "Where the finished video can be fetched without credentials, once succeeded." }),
    format: z.string().meta({ description: "mp4 for videos, the image format for image models." }),
    metadata: z.object({
      duration: z.number().int().nullable(),
      width: z.number().int().nullable(),
      height: z.number().int().nullable(),
    }),
    error: VideoError.nullable(),
  })
  .meta({ id: "VideoGeneration", description: "new-api's unified video task." });
