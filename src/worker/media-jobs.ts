import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import { ErrorCode, notFound, ReelayError } from "../errors.js";
import { Prisma, type Task } from "../generated/prisma/client.js";
import { STORED_ERROR_LENGTH } from "../limits.js";
import { upstreamOf } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { ProviderAdaptor, UpstreamSnapshot } from "../providers/types.js";
import { noteTaskEvent } from "../tasks/events.js";
import { jsonValue } from "../tasks/json-column.js";
import type { CompletedMedia } from "../tasks/lifecycle.js";
import type { TaskQueue } from "../tasks/queue.js";
import { type MirroredMedia, mirrorMedia, StorageWriteError } from "./mirror.js";

/** when a provider says nothing about how long it keeps results */
const DEFAULT_RESULT_RETENTION_MS = 24 * 3600_000;

/** Until when the provider keeps its copy of a finished task's media, counted from `now` (the clock's time). */
export function upstreamExpiry(adaptor: ProviderAdaptor, snapshot: UpstreamSnapshot, now: number): Date {
  return snapshot.mediaExpiresAt ?? new Date(now + (adaptor.resultRetentionMs ?? DEFAULT_RESULT_RETENTION_MS));
}

/** The columns of a task whose media is now in storage. */
export function storedMedia(services: Services, media: Omit<MirroredMedia, "bytes">): CompletedMedia {
  const retention = services.config.mediaRetentionMs;
  return {
    videoKey: media.videoKey,
    videoType: media.videoType,
    thumbnailKey: media.thumbnailKey,
    thumbnailType: media.thumbnailType,
    mediaStatus: "STORED",
    mirroredAt: fromNow(services.clock),
    nextMirrorAt: null,
    mirrorError: null,
    mediaExpiresAt: retention === null ? null : fromNow(services.clock, retention),
  };
}

/** The columns of a completed task whose media could not be stored yet: served from the provider, mirrored later. */
export function proxiedMedia(
  services: Services,
  adaptor: ProviderAdaptor,
  snapshot: UpstreamSnapshot,
  err: StorageWriteError,
  attempts = 0,
): CompletedMedia {
  return {
    mediaStatus: "PROXIED",
    mirrorError: err.message.slice(0, STORED_ERROR_LENGTH),
    nextMirrorAt: fromNow(services.clock, mirrorBackoff(services, attempts)),
    upstreamMediaExpiresAt: upstreamExpiry(adaptor, snapshot, services.clock.now()),
    upstreamResult: jsonValue(snapshot.result) ?? Prisma.JsonNull,
  };
}

const mirrorBackoff = (services: Services, attempts: number) =>
  Math.min(services.config.mirrorRetryMaxMs, services.config.mirrorRetryBaseMs * 2 ** Math.min(attempts, 20));

/** A snapshot good enough to download a completed task's media again. */
export const completedSnapshot = (task: Pick<Task, "upstreamResult">): UpstreamSnapshot => ({
  status: "COMPLETED",
  result: task.upstreamResult ?? undefined,
});

/** The work of one claimed task: a mirror to retry or media to delete, under this worker's lease. */
export interface MediaJob {
  id: string;
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Background media work of a worker: mirrors that failed at completion are retried with
 * backoff until they succeed or the provider's copy is gone, and media past its retention
 * is deleted. Claims use the task lease, so no two workers touch one task at once.
 */
export function createMediaJobs(services: Services, queue: TaskQueue) {
  const { db, logger, storage } = services;
  const owner = queue.lease.owner;

  async function remirror(taskId: string, signal: AbortSignal) {
    const task = await db.task.findUnique({ where: { id: taskId }, include: { channel: true } });
    if (!task || task.leaseOwner !== owner || task.mediaStatus !== "PROXIED" || !task.upstreamId) return;
    const target = upstreamOf(task, services.channelKeys);
    const lost = async (reason: string) => {
      await queue.release(taskId, { mediaStatus: "LOST", nextMirrorAt: null, mirrorError: reason });
      await noteTaskEvent(services, taskId, "MEDIA_LOST", "The provider's copy of the media was gone before Reelay could store it");
    };
    if (!target?.upstream) return void (await lost(`no adaptor for provider ${task.provider}`));
    if (task.upstreamMediaExpiresAt && task.upstreamMediaExpiresAt.getTime() <= services.clock.now()) {
      logger.error({ taskId }, "the provider's copy expired before the media could be mirrored");
      return void (await lost("the provider's copy expired before it could be mirrored"));
    }
    try {
      const media = await mirrorMedia({
        adaptor: target.adaptor,
        channel: target.channel,
        task: { ...target.upstream, id: task.id, mediaType: task.mediaType },
        snapshot: completedSnapshot(task),
        storage,
        signal,
        allowPrivateNetworks: services.config.allowPrivateNetworks,
      });
      services.metrics.mirrorBytes.inc(media.bytes);
      await queue.release(taskId, { ...storedMedia(services, media), mirrorAttempts: { increment: 1 } });
      await noteTaskEvent(services, taskId, "MIRRORED", `The media was copied into Reelay's storage on retry ${task.mirrorAttempts + 1}`);
      logger.info({ taskId, attempts: task.mirrorAttempts + 1 }, "mirrored media after an earlier storage failure");
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === "not_found") {
        return void (await lost("the provider no longer has the media"));
      }
      const side = err instanceof StorageWriteError ? "storage" : "provider";
      services.metrics.mirrorFailures.inc({ side });
      const attempts = task.mirrorAttempts + 1;
      const wait = mirrorBackoff(services, attempts);
      logger.warn({ taskId, attempts, retryInMs: wait, err: String(err), side }, "mirroring failed again");
      await queue.release(taskId, {
        mirrorAttempts: attempts,
        mirrorError: (err instanceof Error ? err.message : String(err)).slice(0, STORED_ERROR_LENGTH),
        nextMirrorAt: fromNow(services.clock, wait),
      });
      const message = `Storing the media failed again (retry ${attempts}); next try in ${Math.ceil(wait / 1000)} s`;
      await noteTaskEvent(services, taskId, "MIRROR_RETRY", message, { attempt: attempts });
    }
  }

  async function expire(taskId: string) {
    const task = await db.task.findUnique({ where: { id: taskId } });
    if (!task || task.leaseOwner !== owner || task.mediaStatus !== "STORED") return;
    try {
      for (const key of [task.videoKey, task.thumbnailKey]) if (key) await storage.delete(key);
    } catch (err) {
      logger.warn({ taskId, err: String(err) }, "deleting expired media failed; will try again");
      await queue.release(taskId);
      return;
    }
    await queue.release(taskId, { mediaStatus: "EXPIRED", videoKey: null, thumbnailKey: null });
    logger.info({ taskId }, "deleted media past its retention");
  }

  return {
    /** claims due mirror retries and retention deletions, up to `limit` in all */
    async claim(limit: number): Promise<MediaJob[]> {
      const mirrors = await queue.claimMedia("mirror", limit);
      const expiring = await queue.claimMedia("expiry", limit - mirrors.length);
      return [
        ...mirrors.map((id) => ({ id, run: (signal: AbortSignal) => remirror(id, signal) })),
        ...expiring.map((id) => ({ id, run: () => expire(id) })),
      ];
    },
  };
}

/** how long a LOST task's provider copy is given to prove it still exists when an admin retries its mirror */
const ADMIN_RETRY_WINDOW_MS = 3600_000;

/**
 * An admin's retry of a completed task's mirror: a PROXIED or LOST task is mirrored again at
 * the next worker round, with its attempts counted afresh; a STORED task is left as it is.
 * Refuses a task that is not COMPLETED, or whose media was deleted after its retention.
 */
export async function retryMirror(services: Services, taskId: string): Promise<void> {
  const task = await services.db.task.findUnique({ where: { id: taskId }, select: { status: true, mediaStatus: true } });
  if (!task) throw notFound("No such task");
  if (task.status !== "COMPLETED")
    throw new ReelayError(ErrorCode.CONFLICT, `Only a COMPLETED task has media to mirror; this one is ${task.status}`);
  if (task.mediaStatus === "EXPIRED") throw new ReelayError(ErrorCode.CONFLICT, "This task's media was deleted after the retention period");
  if (task.mediaStatus !== "PROXIED" && task.mediaStatus !== "LOST") return;
  const retry = { mediaStatus: "PROXIED" as const, nextMirrorAt: fromNow(services.clock), mirrorAttempts: 0 };
  // A LOST task's provider copy was thought gone; give it one more window to prove otherwise.
  const window = task.mediaStatus === "LOST" ? { upstreamMediaExpiresAt: fromNow(services.clock, ADMIN_RETRY_WINDOW_MS) } : {};
  await services.db.task.updateMany({ where: { id: taskId, mediaStatus: task.mediaStatus }, data: { ...retry, ...window } });
}
