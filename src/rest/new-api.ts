/**
 * new-api's unified video routes, for clients written against new-api: the same tasks as
 * /v1/videos and GraphQL, in new-api's request and answer shapes.
 */
import type { z } from "zod";
import type { CurrentUser, Services } from "../context.js";
import { badInput } from "../errors.js";
import type { Task } from "../generated/prisma/client.js";
import { createVideo } from "../tasks/create.js";
import type { NewApiCreateBody, NewApiTask } from "./definitions.js";
import { findOwnTask, webhookOf } from "./openai-videos.js";
import type { JsonAnswer } from "./route.js";
import { mediaUrlsOf, openAIVideoOf } from "./video-object.js";

type NewApiStatus = z.output<typeof NewApiTask>["status"];

const NEW_API_STATUS: Record<Task["status"], NewApiStatus> = {
  QUEUED: "queued",
  PROCESSING: "processing",
  COMPLETED: "succeeded",
  FAILED: "failed",
  CANCELLED: "failed",
};

/** The core's field names as this route's errors name them. */
export const NEW_API_FIELD_NAMES: Record<string, string> = {
  seconds: "duration",
  inputReference: "image",
  inputReferenceUrl: "image",
  aspectRatio: "metadata.aspect_ratio",
  webhookUrl: "webhook_url",
  webhookEvents: "webhook_events",
  cancelAfter: "cancel_after",
};

/** size from `size`, or from `width` and `height` (both or neither). */
function sizeOf(body: z.output<typeof NewApiCreateBody>): string | null {
  const { width, height } = body;
  if ((width === undefined) !== (height === undefined)) {
    throw badInput("width and height go together", { field: width === undefined ? "width" : "height" });
  }
  const fromDimensions = width === undefined ? null : `${width}x${height}`;
  if (fromDimensions && body.size !== undefined && body.size !== fromDimensions) {
    throw badInput(`size ${body.size} disagrees with width and height (${fromDimensions})`, { field: "size" });
  }
  return fromDimensions ?? body.size ?? null;
}

/**
 * POST /v1/video/generations. fps, seed, n, response_format and user are accepted as
 * new-api takes them and not forwarded: no model here takes them, and the caller is the
 * key's user. Of `metadata`, only aspect_ratio is read; other vendor fields are ignored.
 */
export async function createGenerationOp(
  services: Services,
  user: CurrentUser,
  body: z.output<typeof NewApiCreateBody>,
  idempotencyKey: string | null,
): Promise<JsonAnswer> {
  const id = await createVideo(services, user, {
    model: body.model,
    prompt: body.prompt,
    seconds: body.duration ?? null,
    size: sizeOf(body),
    aspectRatio: body.metadata?.aspect_ratio ?? null,
    inputReferenceUrl: body.image ?? null,
    ...webhookOf(body),
    cancelAfter: body.cancel_after ?? null,
    idempotencyKey,
  });
  const task = await services.db.task.findUniqueOrThrow({ where: { id }, select: { id: true, status: true } });
  return { body: { task_id: task.id, status: NEW_API_STATUS[task.status] } };
}

/** GET /v1/video/generations/{task_id}: the task in new-api's words, with a credential-free URL once it succeeded. */
export async function retrieveGenerationOp(services: Services, user: CurrentUser, rawId: string): Promise<JsonAnswer> {
  const task = await findOwnTask(services, user, rawId);
  const [width, height] = task.size?.split("x").map(Number) ?? [null, null];
  const body: z.output<typeof NewApiTask> = {
    task_id: task.id,
    status: NEW_API_STATUS[task.status],
    url: task.status === "COMPLETED" ? mediaUrlsOf(services, task).video : null,
    format: formatOf(task),
    metadata: { duration: task.seconds, width, height },
    // the same error as the task's Video object carries
    error: openAIVideoOf(task).error,
  };
  return { body };
}

/** mp4 for a video; an image model's format from the stored type (png, jpeg, webp). */
function formatOf(task: Pick<Task, "mediaType" | "videoType">): string {
  if (task.mediaType !== "IMAGE") return "mp4";
  return task.videoType?.split("/")[1] ?? "png";
}
