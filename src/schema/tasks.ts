import { decodeGlobalID } from "@pothos/plugin-relay";
import { adminOnly, builder } from "../builder.js";
import { channelDisplayName } from "../channels/store.js";
import type { Context } from "../context.js";
import { notFound } from "../errors.js";
import {
  MediaStatus as PrismaMediaStatus,
  MediaType as PrismaMediaType,
  TaskStatus as PrismaTaskStatus,
} from "../generated/prisma/enums.js";
import { taskMediaUrl } from "../http/media.js";
import { NIL_UUID, UUID_PATTERN } from "../limits.js";
import type { TaskEvent } from "../pubsub.js";
import { cancelTask } from "../tasks/cancel.js";
import { createVideo, remixVideo } from "../tasks/create.js";
import { createQueuePositionLoader, type QueuePositionLoader } from "../tasks/slots.js";
import { isRunning, isTerminal } from "../tasks/status.js";
import { watchTask, watchUserTasks } from "../tasks/watch.js";
import { FRESH_READ_FIELDS, type FreshReadTask, readFresh, refreshForAdmin } from "../worker/refresh.js";
import { WebhookEvent } from "./webhooks.js";

const TASK_TYPENAME = "VideoTask";

/** A task id as clients send it: the VideoTask global id (or, for convenience, the bare UUID). Null when it is neither. */
export function parseTaskId(id: string): string | null {
  if (UUID_PATTERN.test(id)) return id.toLowerCase();
  try {
    const { typename, id: raw } = decodeGlobalID(id);
    return typename === TASK_TYPENAME && UUID_PATTERN.test(raw) ? raw.toLowerCase() : null;
  } catch {
    return null;
  }
}

function requireTaskId(id: string): string {
  const parsed = parseTaskId(id);
  if (!parsed) throw notFound("No such task");
  return parsed;
}

const currentUser = (ctx: Context) => ctx.currentUser!; // fields below require loggedIn

/** per request: the queue positions of one response come from one query */
const queuePositionLoaders = new WeakMap<Context, QueuePositionLoader>();

function queuePositionOf(ctx: Context, taskId: string): Promise<number | null> {
  let load = queuePositionLoaders.get(ctx);
  if (!load) {
    load = createQueuePositionLoader(ctx.services.db);
    queuePositionLoaders.set(ctx, load);
  }
  return load(taskId);
}

const TaskStatus = builder.enumType(PrismaTaskStatus, { name: "TaskStatus" });
export const MediaType = builder.enumType(PrismaMediaType, { name: "MediaType" });
const TaskOrderField = builder.enumType("TaskOrderField", { values: ["CREATED_AT", "UPDATED_AT"] as const });
const OrderDirection = builder.enumType("OrderDirection", { values: ["ASC", "DESC"] as const });

const TaskError = builder.objectRef<{ code: string; message: string }>("TaskError").implement({
  fields: (t) => ({
    code: t.exposeString("code", { description: "machine-readable, e.g. UPSTREAM_REJECTED, CONTENT_POLICY, TIMEOUT, UPSTREAM_ERROR" }),
    message: t.exposeString("message"),
  }),
});

const MediaStatus = builder.enumType(PrismaMediaStatus, {
  name: "MediaStatus",
  description: "where a COMPLETED task's media is served from",
  values: {
    STORED: { description: "in this service's storage" },
    PROXIED: { description: "not mirrored yet: served from the provider through this server while the mirror is retried" },
    LOST: { description: "the provider's copy expired before it could be mirrored" },
    EXPIRED: { description: "deleted from storage after the retention period" },
  },
});

const MirrorState = builder
  .objectRef<{ attempts: number; lastError: string | null; nextAttemptAt: Date | null; providerCopyExpiresAt: Date | null }>("MirrorState")
  .implement({
    fields: (t) => ({
      attempts: t.exposeInt("attempts"),
      lastError: t.exposeString("lastError", { nullable: true }),
      nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
      providerCopyExpiresAt: t.expose("providerCopyExpiresAt", { type: "DateTime", nullable: true }),
    }),
  });

builder.prismaNode("Task", {
  name: TASK_TYPENAME,
  id: { field: "id" },
  // node(id) finds the caller's own tasks; an admin's any task (to read upstreamError), as for User
  findUnique: (id, ctx) => (ctx.currentUser?.role === "ADMIN" ? { id } : { id, userId: ctx.currentUser?.id ?? NIL_UUID }),
  nullable: true,
  fields: (t) => ({
    status: t.expose("status", { type: TaskStatus }),
    progress: t.exposeInt("progress", { description: "0..100, never decreases" }),
    queuePosition: t.int({
      nullable: true,
      description:
        "while the task waits in Reelay's queue for a slot on its channel (every channel that could take it is at its maxConcurrency): its place in that queue, 1 = submitted next; null otherwise",
      select: { id: true, status: true, waitingSince: true },
      resolve: (task, _args, ctx) => (task.status === "QUEUED" && task.waitingSince ? queuePositionOf(ctx, task.id) : null),
    }),
    prompt: t.exposeString("prompt"),
    model: t.exposeString("model", { description: "the model the client asked for, e.g. sora-2, sora-2-pro" }),
    provider: t.exposeString("provider", { description: "which adaptor served it: openai, gemini, kling, dashscope, chat-sse, ..." }),
    channel: t.string({
      description: "name of the channel (upstream configuration) that served it",
      select: { channel: { select: { name: true } } },
      resolve: (task) => channelDisplayName(task.channel.name),
    }),
    mediaType: t.expose("mediaType", { type: MediaType }),
    seconds: t.exposeInt("seconds", { nullable: true }),
    size: t.exposeString("size", { nullable: true, description: "WIDTHxHEIGHT, e.g. 1280x720" }),
    aspectRatio: t.exposeString("aspectRatio", { nullable: true }),
    videoUrl: t.string({
      nullable: true,
      description: "URL of the finished media in this service's storage (mirrored); null until COMPLETED",
      select: { videoKey: true, mediaStatus: true },
      resolve: (task, _args, ctx) => taskMediaUrl(ctx.services, task, "video"),
    }),
    thumbnailUrl: t.string({
      nullable: true,
      select: { thumbnailKey: true, mediaStatus: true },
      resolve: (task, _args, ctx) => taskMediaUrl(ctx.services, task, "thumbnail"),
    }),
    mediaStatus: t.expose("mediaStatus", { type: MediaStatus, nullable: true, description: "null until COMPLETED" }),
    mediaExpiresAt: t.expose("mediaExpiresAt", {
      type: "DateTime",
      nullable: true,
      description: "when the stored media will be deleted (MEDIA_RETENTION_DAYS); null when it is kept",
    }),
    mirror: t.field({
      type: MirrorState,
      nullable: true,
      ...adminOnly("the state of the copy into storage, when it has not simply succeeded"),
      select: { mediaStatus: true, mirrorAttempts: true, mirrorError: true, nextMirrorAt: true, upstreamMediaExpiresAt: true },
      resolve: (task) =>
        task.mediaStatus === "PROXIED" || task.mediaStatus === "LOST"
          ? {
              attempts: task.mirrorAttempts,
              lastError: task.mirrorError,
              nextAttemptAt: task.nextMirrorAt,
              providerCopyExpiresAt: task.upstreamMediaExpiresAt,
            }
          : null,
    }),
    remixedFrom: t.relation("remixedFrom", { nullable: true }),
    error: t.field({
      type: TaskError,
      nullable: true,
      select: { errorCode: true, errorMessage: true },
      resolve: (task) => (task.errorCode ? { code: task.errorCode, message: task.errorMessage ?? task.errorCode } : null),
    }),
    upstreamError: t.exposeString("upstreamError", {
      nullable: true,
      description: "ADMIN only: the provider's own words when the task failed on its answer, as it gave them (error.message is Reelay's)",
      authScopes: { admin: true },
    }),
    cost: t.field({
      type: "Money",
      description: "held while running, the settled charge once terminal (zero after FAILED or CANCELLED)",
      select: { status: true, holdAmount: true, charged: true },
      resolve: (task) => (isTerminal(task.status) ? task.charged : task.holdAmount),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true }),
    lastPolledAt: t.expose("lastPolledAt", {
      type: "DateTime",
      nullable: true,
      description: "when the provider last answered a poll of the task; null before the first",
    }),
  }),
});

const TaskStats = builder.objectRef<{ counts: Partial<Record<PrismaTaskStatus, number>>; spent: bigint }>("TaskStats").implement({
  fields: (t) => ({
    total: t.int({ resolve: (s) => Object.values(s.counts).reduce((a, b) => a + b, 0) }),
    queued: t.int({ resolve: (s) => s.counts.QUEUED ?? 0 }),
    processing: t.int({ resolve: (s) => s.counts.PROCESSING ?? 0 }),
    completed: t.int({ resolve: (s) => s.counts.COMPLETED ?? 0 }),
    failed: t.int({ resolve: (s) => s.counts.FAILED ?? 0 }),
    cancelled: t.int({ resolve: (s) => s.counts.CANCELLED ?? 0 }),
    spent: t.field({ type: "Money", description: "sum of settled charges", resolve: (s) => s.spent }),
  }),
});

builder.queryFields((t) => ({
  videoTask: t.prismaField({
    type: "Task",
    nullable: true,
    description: "null when the task does not exist or belongs to someone else",
    authScopes: { loggedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseTaskId(String(args.id));
      if (!id) return null;
      const where = { id, userId: currentUser(ctx).id };
      // Fresh on read: a running task last polled long ago is polled first (bounded; see readFresh).
      const task = await ctx.services.db.task.findFirst({ ...withFreshReadFields(query), where });
      if (!task || !(await readFresh(ctx.services, task as unknown as FreshReadTask))) return task;
      return ctx.services.db.task.findFirst({ ...query, where });
    },
  }),
  tasks: t.prismaConnection(
    {
      type: "Task",
      cursor: "id",
      description: "the caller's tasks, newest first unless ordered otherwise",
      authScopes: { loggedIn: true },
      args: {
        status: t.arg({ type: TaskStatus }),
        mediaType: t.arg({ type: MediaType }),
        orderBy: t.arg({ type: TaskOrderField, defaultValue: "CREATED_AT" }),
        direction: t.arg({ type: OrderDirection, defaultValue: "DESC" }),
      },
      resolve: (query, _root, args, ctx) => {
        const direction = args.direction === "ASC" ? "asc" : "desc";
        const field = args.orderBy === "UPDATED_AT" ? "updatedAt" : "createdAt";
        return ctx.services.db.task.findMany({
          ...query,
          where: taskFilter(ctx, args),
          // id breaks ties so the order, and so every cursor, is stable
          orderBy: [{ [field]: direction }, { id: direction }],
        });
      },
      totalCount: (_parent, args, ctx) => ctx.services.db.task.count({ where: taskFilter(ctx, args) }),
    },
    { name: "VideoTaskConnection" },
    { name: "VideoTaskEdge" },
  ),
  stats: t.field({
    type: TaskStats,
    description: "counts over the caller's tasks",
    authScopes: { loggedIn: true },
    resolve: async (_root, _args, ctx) => {
      const userId = currentUser(ctx).id;
      const [groups, spent] = await Promise.all([
        ctx.services.db.task.groupBy({ by: ["status"], where: { userId }, _count: { _all: true } }),
        ctx.services.db.ledgerEntry.aggregate({ where: { userId, kind: "SETTLE" }, _sum: { amount: true } }),
      ]);
      return {
        counts: Object.fromEntries(groups.map((g) => [g.status, g._count._all])),
        spent: spent._sum.amount ?? 0n,
      };
    },
  }),
}));

function taskFilter(ctx: Context, args: { status?: PrismaTaskStatus | null; mediaType?: PrismaMediaType | null }) {
  return {
    userId: currentUser(ctx).id,
    ...(args.status ? { status: args.status } : {}),
    ...(args.mediaType ? { mediaType: args.mediaType } : {}),
  };
}

/** The selection of a read, with the columns a fresh read decides by when it names its columns. */
function withFreshReadFields<Q extends { select?: object }>(query: Q): Q {
  return query.select ? { ...query, select: { ...query.select, ...FRESH_READ_FIELDS } } : query;
}

/** A new task's webhook, the same on createVideo and remixVideo. */
const webhookInputFields = (t: Parameters<Parameters<typeof builder.inputType>[1]["fields"]>[0]) => ({
  webhookUrl: t.string({
    description: "where the task's events are POSTed, signed as Standard Webhooks (see docs/webhooks.md); a public http(s) address",
  }),
  webhookEvents: t.field({ type: [WebhookEvent], description: "which events to send; every event when unset or empty" }),
});

const CreateVideoInput = builder.inputType("CreateVideoInput", {
  fields: (t) => ({
    model: t.string({ required: true }),
    prompt: t.string({ required: true }),
    seconds: t.int(),
    size: t.string(),
    aspectRatio: t.string(),
    inputReference: t.field({ type: "Upload", description: "an image file sent with the GraphQL multipart request spec" }),
    inputReferenceUrl: t.string({ description: "alternative to inputReference: an https URL, a data: URL, or bare base64 image bytes" }),
    channel: t.string({ description: "pick a channel by name; otherwise routed by model" }),
    idempotencyKey: t.string({
      description: "same key from the same user returns the same task instead of creating (and charging) another",
    }),
    ...webhookInputFields(t),
    cancelAfter: t.string({
      description:
        'a deadline from creation: an ISO-8601 duration ("PT10M", "P1D") or a short one ("90s", "10m", "2h", "1d"), at most MAX_CANCEL_AFTER_MS; a task not finished by then is cancelled (CANCELLED, error code DEADLINE_EXCEEDED) and its hold released',
    }),
  }),
});

const RemixVideoInput = builder.inputType("RemixVideoInput", {
  fields: (t) => ({
    videoId: t.id({ required: true, description: "a COMPLETED task of the same user; the remix runs on that task's channel" }),
    prompt: t.string({ required: true }),
    idempotencyKey: t.string(),
    ...webhookInputFields(t),
  }),
});

builder.mutationFields((t) => ({
  createVideo: t.prismaField({
    type: "Task",
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: CreateVideoInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const id = await createVideo(ctx.services, currentUser(ctx), input);
      return ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  remixVideo: t.prismaField({
    type: "Task",
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RemixVideoInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const originalId = requireTaskId(String(input.videoId));
      const id = await remixVideo(ctx.services, currentUser(ctx), {
        originalId,
        prompt: input.prompt,
        idempotencyKey: input.idempotencyKey,
        webhookUrl: input.webhookUrl,
        webhookEvents: input.webhookEvents,
      });
      return ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  refreshTask: t.prismaField({
    type: "Task",
    ...adminOnly(
      "polls any running task's provider now and records the answer; a task some worker is polling at this moment, or a terminal one, is returned as it is",
    ),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireTaskId(String(args.id));
      const task = await ctx.services.db.task.findUnique({ where: { id }, select: { status: true } });
      if (!task) throw notFound("No such task");
      if (isRunning(task.status)) await refreshForAdmin(ctx.services, id);
      return ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  cancelTask: t.prismaField({
    type: "Task",
    description: "cancels a QUEUED or PROCESSING task of the caller and releases its hold; a terminal task is returned unchanged",
    authScopes: { loggedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireTaskId(String(args.id));
      await cancelTask(ctx.services, currentUser(ctx), id);
      return ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));

builder.subscriptionField("taskProgress", (t) =>
  t.prismaField({
    type: "Task",
    description:
      "With id: that task of the caller. Without: every task of the caller. Emits the current state at once, then every change of status or progress; a subscription with id completes after the task's terminal state is sent.",
    authScopes: { loggedIn: true },
    args: { id: t.arg.id() },
    subscribe: (_root, args, ctx) =>
      args.id ? watchTask(ctx.services, currentUser(ctx), requireTaskId(String(args.id))) : watchUserTasks(ctx.services, currentUser(ctx)),
    // Only ids cross the bus: each event re-reads the row with the client's selection,
    // once per instance for all subscribers that select the same fields.
    resolve: (query, event, _args, ctx) =>
      sharedRead(ctx, event, query, () => ctx.services.db.task.findUniqueOrThrow({ ...query, where: { id: event.taskId } })),
  }),
);

/** how long one read of a changed task serves the other subscribers of the same change */
const SHARED_READ_MS = 250;

/**
 * One change reaches every subscriber of a task at about the same moment; they share one
 * database read per distinct selection instead of issuing one each. Keyed by the change
 * (task, status, progress, new events, queue position), so a later change is always read afresh.
 */
function sharedRead<T>(ctx: Context, event: TaskEvent, query: unknown, read: () => Promise<T>): Promise<T> {
  const reads = ctx.services.sharedTaskReads;
  const now = Date.now();
  const key = `${event.taskId}:${event.status}:${event.progress}:${event.eventsAt ?? ""}:${event.queuePosition ?? ""}:${JSON.stringify(query)}`;
  const hit = reads.get(key);
  if (hit && hit.until > now) return hit.row as Promise<T>;
  for (const [k, v] of reads) if (v.until <= now) reads.delete(k); // keep the map small
  const row = read();
  reads.set(key, { row, until: now + SHARED_READ_MS });
  row.catch(() => reads.delete(key));
  return row;
}
