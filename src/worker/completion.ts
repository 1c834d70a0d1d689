import { costOf } from "../billing/prices.js";
import { findModel, holdUnits } from "../catalogue.js";
import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import { Prisma, type Task } from "../generated/prisma/client.js";
import type { TaskUpstream } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot, UpstreamTask } from "../providers/types.js";
import { upstreamFailure } from "../tasks/failure.js";
import { jsonValue } from "../tasks/json-column.js";
import { completeTask, endTask } from "../tasks/lifecycle.js";
import { proxiedMedia, storedMedia, upstreamExpiry } from "./media-jobs.js";
import { type MirroredMedia, mirrorMedia, StorageWriteError } from "./mirror.js";

/** What completing a task needs of its row. */
export type CompletingTask = Pick<Task, "id" | "model" | "size" | "mediaType" | "priceUnit" | "unitPrice" | "seconds" | "holdAmount">;

/**
 * Completes a task its provider finished: copies the media into storage and settles the
 * charge. When storage fails the task completes all the same, served from the provider's
 * copy and mirrored again later. Returns false when the provider's copy could not be read:
 * the provider keeps it a while, so the caller tries again on a later poll. A download Reelay
 * refuses (see fetchMedia) fails the task instead, its hold released.
 */
export async function completeWithMedia(
  services: Services,
  task: CompletingTask,
  target: TaskUpstream & { upstream: UpstreamTask },
  snapshot: UpstreamSnapshot,
  signal: AbortSignal,
): Promise<boolean> {
  const { adaptor, channel, upstream } = target;
  const charge = {
    charge: chargeFor(task, snapshot),
    seconds: reportedSeconds(task, snapshot),
    quantity: settledQuantity(task, snapshot),
    generatedAt: fromNow(services.clock),
  };
  let media: MirroredMedia;
  try {
    media = await mirrorMedia({
      adaptor,
      channel,
      task: { ...upstream, id: task.id, mediaType: task.mediaType },
      snapshot,
      storage: services.storage,
      signal,
      allowPrivateNetworks: services.config.allowPrivateNetworks,
    });
  } catch (err) {
    services.metrics.mirrorFailures.inc({ side: err instanceof StorageWriteError ? "storage" : "provider" });
    if (err instanceof UpstreamError && err.kind === "rejected") {
      // Reelay refused the download (a link to a private address, a file too large): asking again changes nothing.
      services.logger.warn({ taskId: task.id, code: err.code, err: err.message }, "refused to download the finished media");
      await endTask(services, task.id, "FAILED", upstreamFailure(err, "download"));
      return true;
    }
    if (!(err instanceof StorageWriteError)) {
      services.logger.warn({ taskId: task.id, err: String(err) }, "downloading the finished media failed; will retry");
      return false;
    }
    // The video exists and the provider serves it: complete now, serve it through this
    // server, and mirror it again in the background.
    services.logger.warn({ taskId: task.id, err: err.message }, "storing the finished media failed; completing with the provider's copy");
    await completeTask(services, task.id, { ...charge, media: proxiedMedia(services, adaptor, snapshot, err) });
    return true;
  }
  services.metrics.mirrorBytes.inc(media.bytes);
  await completeTask(services, task.id, {
    ...charge,
    media: {
      ...storedMedia(services, media),
      upstreamResult: jsonValue(snapshot.result) ?? Prisma.JsonNull,
      upstreamMediaExpiresAt: upstreamExpiry(adaptor, snapshot, services.clock.now()),
    },
  });
  return true;
}

/** What the task costs: the price of what the provider reports it made, else of what was asked. */
export function chargeFor(task: Pick<Task, "priceUnit" | "unitPrice" | "seconds" | "holdAmount">, snapshot: UpstreamSnapshot): bigint {
  const usage = snapshot.usage ?? {};
  switch (task.priceUnit) {
    case "SECOND":
      return usage.seconds !== undefined ? costOf(task.unitPrice, usage.seconds) : task.holdAmount;
    case "IMAGE":
      return usage.images !== undefined ? costOf(task.unitPrice, usage.images) : task.holdAmount;
    case "TOKEN":
      return usage.tokens !== undefined ? costOf(task.unitPrice, usage.tokens) : task.holdAmount;
  }
}

/**
 * The units settled, in the task's price unit: what the provider reports it made, else what
 * the hold was taken for (the request's seconds, one image, the most tokens it could produce).
 */
export function settledQuantity(task: Pick<Task, "model" | "size" | "priceUnit" | "seconds">, snapshot: UpstreamSnapshot): number | null {
  const usage = snapshot.usage ?? {};
  const reported = { SECOND: usage.seconds, IMAGE: usage.images, TOKEN: usage.tokens }[task.priceUnit];
  if (reported !== undefined && Number.isFinite(reported)) return reported;
  return holdUnits(task.priceUnit, findModel(task.model), { seconds: task.seconds, size: task.size });
}

/** The length the provider reports it made, rounded to whole seconds; else the length asked for. */
function reportedSeconds(task: Pick<Task, "seconds">, snapshot: UpstreamSnapshot): number | null {
  const seconds = snapshot.usage?.seconds;
  return seconds !== undefined && Number.isFinite(seconds) ? Math.round(seconds) : task.seconds;
}
