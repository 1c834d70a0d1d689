import type { Services } from "../context.js";
import { type Channel, Prisma, type Task } from "../generated/prisma/client.js";
import { STORED_ERROR_LENGTH } from "../limits.js";
import { UpstreamError } from "../providers/errors.js";
import { adaptorFor } from "../providers/index.js";
import type { ProviderAdaptor, UpstreamSnapshot } from "../providers/types.js";
import { channelConfig } from "../tasks/create.js";
import type { CompletedMedia } from "../tasks/lifecycle.js";
import { type MirroredMedia, mirrorMedia, StorageWriteError } from "./mirror.js";

/** when a provider says nothing about how long it keeps results */
const DEFAULT_RESULT_RETENTION_MS = 24 * 3600_000;

/** How long the provider's copy of a finished task's media lasts. */
export function upstreamExpiry(adaptor: ProviderAdaptor, snapshot: UpstreamSnapshot, now = Date.now()): Date {
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
    nextMirrorAt: null,
    mirrorError: null,
    mediaExpiresAt: retention === null ? null : new Date(Date.now() + retention),
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
    nextMirrorAt: new Date(Date.now() + mirrorBackoff(services, attempts)),
    upstreamMediaExpiresAt: upstreamExpiry(adaptor, snapshot),
    upstreamResult: (snapshot.result ?? null) as Prisma.InputJsonValue,
  };
}

const mirrorBackoff = (services: Services, attempts: number) =>
  Math.min(services.config.mirrorRetryMaxMs, services.config.mirrorRetryBaseMs * 2 ** Math.min(attempts, 20));

/** A snapshot good enough to download a completed task's media again. */
export const completedSnapshot = (task: Pick<Task, "upstreamResult">): UpstreamSnapshot => ({
  status: "COMPLETED",
  result: task.upstreamResult ?? undefined,
});

/**
 * Background media work of a worker: mirrors that failed at completion are retried with
 * backoff until they succeed or the provider's copy is gone, and media past its retention
 * is deleted. Claims use the task lease, so no two workers touch one task at once.
 */
export function createMediaJobs(services: Services, workerId: string, leaseMs: number) {
  const { db, logger, storage } = services;

  async function claim(where: Prisma.Sql, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const rows = await db.$queryRaw<{ id: string }[]>`
      UPDATE tasks SET "leaseOwner" = ${workerId}, "leaseUntil" = now() + ${`${leaseMs} milliseconds`}::interval
      WHERE id IN (
        SELECT id FROM tasks
        WHERE status = 'COMPLETED' AND ${where}
          AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return rows.map((r) => r.id);
  }

  /** Ends this worker's claim with the given changes, if it still holds it. */
  const release = (taskId: string, data: Prisma.TaskUpdateManyMutationInput) =>
    db.task.updateMany({ where: { id: taskId, leaseOwner: workerId }, data: { ...data, leaseOwner: null, leaseUntil: null } });

  async function remirror(taskId: string, signal: AbortSignal) {
    const task: (Task & { channel: Channel }) | null = await db.task.findUnique({ where: { id: taskId }, include: { channel: true } });
    if (!task || task.leaseOwner !== workerId || task.mediaStatus !== "PROXIED" || !task.upstreamId) return;
    const adaptor = adaptorFor(task.provider);
    const lost = (reason: string) => release(taskId, { mediaStatus: "LOST", nextMirrorAt: null, mirrorError: reason });
    if (!adaptor) return void (await lost(`no adaptor for provider ${task.provider}`));
    if (task.upstreamMediaExpiresAt && task.upstreamMediaExpiresAt.getTime() <= Date.now()) {
      logger.error({ taskId }, "the provider's copy expired before the media could be mirrored");
      return void (await lost("the provider's copy expired before it could be mirrored"));
    }
    try {
      const media = await mirrorMedia({
        adaptor,
        channel: channelConfig(task.channel, services.channelKeys),
        task: { id: task.id, upstreamId: task.upstreamId, state: task.upstreamState, model: task.model, mediaType: task.mediaType },
        snapshot: completedSnapshot(task),
        storage,
        signal,
      });
      services.metrics.mirrorBytes.inc(media.bytes);
      await release(taskId, { ...storedMedia(services, media), mirrorAttempts: { increment: 1 } });
      logger.info({ taskId, attempts: task.mirrorAttempts + 1 }, "mirrored media after an earlier storage failure");
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === "not_found") {
        return void (await lost("the provider no longer has the media"));
      }
      services.metrics.mirrorFailures.inc({ side: err instanceof StorageWriteError ? "storage" : "provider" });
      const attempts = task.mirrorAttempts + 1;
      const wait = mirrorBackoff(services, attempts);
      logger.warn(
        { taskId, attempts, retryInMs: wait, err: String(err), side: err instanceof StorageWriteError ? "storage" : "provider" },
        "mirroring failed again",
      );
      await release(taskId, {
        mirrorAttempts: attempts,
        mirrorError: String((err as Error).message ?? err).slice(0, STORED_ERROR_LENGTH),
        nextMirrorAt: new Date(Date.now() + wait),
      });
    }
  }

  async function expire(taskId: string) {
    const task = await db.task.findUnique({ where: { id: taskId } });
    if (!task || task.leaseOwner !== workerId || task.mediaStatus !== "STORED") return;
    try {
      for (const key of [task.videoKey, task.thumbnailKey]) if (key) await storage.delete(key);
    } catch (err) {
      logger.warn({ taskId, err: String(err) }, "deleting expired media failed; will try again");
      await release(taskId, {});
      return;
    }
    await release(taskId, { mediaStatus: "EXPIRED", videoKey: null, thumbnailKey: null });
    logger.info({ taskId }, "deleted media past its retention");
  }

  return {
    /** claims due mirror retries and retention deletions; returns the work to await */
    async claim(limit: number): Promise<{ id: string; run: (signal: AbortSignal) => Promise<void> }[]> {
      const mirrors = await claim(Prisma.sql`"mediaStatus" = 'PROXIED' AND "nextMirrorAt" <= now()`, limit);
      const expiring = await claim(Prisma.sql`"mediaStatus" = 'STORED' AND "mediaExpiresAt" <= now()`, limit - mirrors.length);
      return [
        ...mirrors.map((id) => ({ id, run: (signal: AbortSignal) => remirror(id, signal) })),
        ...expiring.map((id) => ({ id, run: () => expire(id) })),
      ];
    },
  };
}
