/**
 * The OpenAI Videos protocol over Reelay's tasks: /v1/videos and /v1/models. Every
 * operation is the core's (createVideo, remixVideo, cancelTask), so a task made here is the
 * same task GraphQL shows and watches, and the other way round.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { CurrentUser, Services } from "../context.js";
import { badInput, ErrorCode, notFound, ReelayError } from "../errors.js";
import type { Task } from "../generated/prisma/client.js";
import { type MediaProxy, proxyKey, serveMediaObject } from "../http/media.js";
import { listModels } from "../model-listing.js";
import { parseTaskId } from "../schema/tasks.js";
import { type CreateVideoInput, createVideo, remixVideo } from "../tasks/create.js";
import type { WebhookEvent } from "../webhooks/events.js";
import type { ImageReference, VideoCreateForm, VideoCreateJson, VideoListQuery, VideoRemixBody } from "./definitions.js";
import { videoBody } from "./definitions.js";
import { deleteVideo } from "./delete-video.js";
import type { JsonAnswer } from "./route.js";
import { openAIVideoOf } from "./video-object.js";

/** The caller's task by the id a client sends (the bare task id, or a GraphQL global id); NOT_FOUND for anyone else's. */
export async function findOwnTask(services: Services, user: CurrentUser, rawId: string): Promise<Task> {
  const id = parseTaskId(rawId);
  const task = id ? await services.db.task.findFirst({ where: { id, userId: user.id } }) : null;
  if (!task) throw notFound(`No video with id '${rawId.slice(0, 100)}'`);
  return task;
}

/** The `Idempotency-Key` header, which the core dedupes creates by. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | null {
  const key = headers["idempotency-key"];
  return typeof key === "string" ? key : null;
}

const videoAnswer = (task: Task, status = 200): JsonAnswer => ({ status, body: videoBody(openAIVideoOf(task)) });

type CreateBody = z.output<typeof VideoCreateJson> | z.output<typeof VideoCreateForm>;

/** Where the reference image comes from: a file, or a URL (https, data:, base64) the core fetches through its guarded fetch. */
function referenceOf(ref: CreateBody["input_reference"]): Pick<CreateVideoInput, "inputReference" | "inputReferenceUrl"> {
  if (ref === undefined) return {};
  if (ref instanceof File) return { inputReference: ref };
  if (typeof ref === "string") return { inputReferenceUrl: ref };
  const reference = ref as z.output<typeof ImageReference>;
  if (reference.file_id !== undefined)
    throw badInput("input_reference.file_id is not supported: send the image as a file or as image_url", {
      field: "input_reference.file_id",
    });
  if (!reference.image_url) throw badInput("input_reference needs an image_url", { field: "input_reference.image_url" });
  return { inputReferenceUrl: reference.image_url };
}

/** The task's webhook, as the core takes it (and checks it). */
export const webhookOf = (body: { webhook_url?: string; webhook_events?: WebhookEvent[] }) => ({
  webhookUrl: body.webhook_url ?? null,
  webhookEvents: body.webhook_events ?? null,
});

/** The core's field names as the OpenAI routes' errors name them. */
export const OPENAI_FIELD_NAMES: Record<string, string> = {
  inputReference: "input_reference",
  inputReferenceUrl: "input_reference",
  webhookUrl: "webhook_url",
  webhookEvents: "webhook_events",
  cancelAfter: "cancel_after",
};

export async function createVideoOp(services: Services, user: CurrentUser, body: CreateBody, idempotencyKey: string | null) {
  const id = await createVideo(services, user, {
    model: body.model,
    prompt: body.prompt,
    seconds: body.seconds ?? null,
    size: body.size ?? null,
    ...referenceOf(body.input_reference),
    ...webhookOf(body),
    cancelAfter: body.cancel_after ?? null,
    idempotencyKey,
  });
  return videoAnswer(await services.db.task.findUniqueOrThrow({ where: { id } }));
}

export async function retrieveVideoOp(services: Services, user: CurrentUser, rawId: string) {
  return videoAnswer(await findOwnTask(services, user, rawId));
}

export async function remixVideoOp(
  services: Services,
  user: CurrentUser,
  call: { rawId: string; body: z.output<typeof VideoRemixBody>; idempotencyKey: string | null },
) {
  const original = await findOwnTask(services, user, call.rawId);
  const id = await remixVideo(services, user, {
    originalId: original.id,
    prompt: call.body.prompt,
    ...webhookOf(call.body),
    idempotencyKey: call.idempotencyKey,
  });
  return videoAnswer(await services.db.task.findUniqueOrThrow({ where: { id } }));
}

export async function deleteVideoOp(services: Services, user: CurrentUser, rawId: string): Promise<JsonAnswer> {
  const task = await findOwnTask(services, user, rawId);
  await deleteVideo(services, user, task.id);
  return { body: { id: task.id, object: "video.deleted", deleted: true } };
}

/**
 * One page of the caller's tasks, newest first unless asked otherwise. Ordered by
 * (created, id), so the cursor (the last id of a page) is stable however many tasks share a
 * millisecond, and a page never repeats or skips a task.
 */
export async function listVideosOp(services: Services, user: CurrentUser, query: z.output<typeof VideoListQuery>): Promise<JsonAnswer> {
  const { limit, order } = query;
  const cursor = query.after === undefined ? null : await findCursor(services, user, query.after);
  const beyond = <T>(at: T) => (order === "desc" ? { lt: at } : { gt: at });
  const rows = await services.db.task.findMany({
    where: {
      userId: user.id,
      ...(cursor ? { OR: [{ createdAt: beyond(cursor.createdAt) }, { createdAt: cursor.createdAt, id: beyond(cursor.id) }] } : {}),
    },
    orderBy: [{ createdAt: order }, { id: order }],
    take: limit + 1,
  });
  const data = rows.slice(0, limit).map((task) => videoBody(openAIVideoOf(task)));
  return {
    body: { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: rows.length > limit },
  };
}

async function findCursor(services: Services, user: CurrentUser, after: string) {
  const id = parseTaskId(after);
  const task = id ? await services.db.task.findFirst({ where: { id, userId: user.id }, select: { id: true, createdAt: true } }) : null;
  if (!task) throw badInput("after names none of your videos", { field: "after" });
  return task;
}

/**
 * The bytes of a completed task's video or thumbnail, with Range, ETag and caching as the
 * signed /media URLs serve them: from storage, or from the provider while the mirror is pending.
 */
export async function videoContentOp(
  services: Services,
  call: { user: CurrentUser; rawId: string; variant: "video" | "thumbnail"; proxy: MediaProxy; req: IncomingMessage; res: ServerResponse },
): Promise<undefined> {
  const task = await findOwnTask(services, call.user, call.rawId);
  if (task.status !== "COMPLETED") {
    throw new ReelayError(ErrorCode.CONFLICT, `Video '${task.id}' is not completed (status: ${openAIVideoOf(task).status})`);
  }
  const stored = call.variant === "video" ? task.videoKey : task.thumbnailKey;
  const key = stored ?? (task.mediaStatus === "PROXIED" ? proxyKey(task.id, call.variant) : null);
  if (!key) {
    const why = task.mediaStatus === "EXPIRED" ? "was deleted" : task.mediaStatus === "LOST" ? "was lost" : "does not exist";
    throw notFound(`The ${call.variant} of video '${task.id}' ${why}`);
  }
  await serveMediaObject(call.req, call.res, key, services.storage, call.proxy);
  return undefined;
}

/** The models an enabled channel serves now, as OpenAI's model list. */
export async function listModelsOp(services: Services): Promise<JsonAnswer> {
  const listing = await listModels(services);
  const data = listing.filter((m) => m.available).map((m) => ({ id: m.spec.id, object: "model", created: 0, owned_by: m.spec.provider }));
  return { body: { object: "list", data } };
}

export async function retrieveModelOp(services: Services, model: string): Promise<JsonAnswer> {
  const { body } = await listModelsOp(services);
  const found = (body as { data: { id: string }[] }).data.find((m) => m.id === model);
  if (!found) throw notFound(`No model '${model.slice(0, 100)}' is served here`);
  return { body: found };
}
