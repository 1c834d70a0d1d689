import { fromNow } from "../clock.js";
import type { CurrentUser, Services } from "../context.js";
import { ErrorCode, notFound, ReelayError } from "../errors.js";
import type { Task } from "../generated/prisma/client.js";
import { cancelTask } from "../tasks/cancel.js";
import { type Lease, leasedTo } from "../tasks/queue.js";
import { isTerminal } from "../tasks/status.js";

/**
 * DELETE /v1/videos/{id}. A running task is cancelled, its hold released (as cancelTask
 * does). A finished one has its stored media deleted, as retention deletes it: the objects
 * go, the task's media becomes EXPIRED. The task row and its ledger stay, so balances, usage
 * and the task's history still add up; retrieving it afterwards answers the job with its
 * media gone. Deleting again changes nothing.
 */
export async function deleteVideo(services: Services, user: CurrentUser, taskId: string): Promise<void> {
  const task = await services.db.task.findFirst({ where: { id: taskId, userId: user.id } });
  if (!task) throw notFound("No such video");
  if (!isTerminal(task.status)) {
    await cancelTask(services, user, task.id);
    return;
  }
  await removeMedia(services, task);
}

/**
 * Deletes a finished task's media under the task's lease, so no worker mirrors it into
 * storage again or expires it meanwhile; a task a worker holds now is refused with
 * CONFLICT and may be deleted a moment later.
 */
async function removeMedia(services: Services, task: Task): Promise<void> {
  const { db, storage, clock, logger } = services;
  if (task.mediaStatus === null || task.mediaStatus === "EXPIRED") return;
  const lease: Lease = { owner: `delete:${services.instanceId}`, ms: services.config.leaseMs };
  const unleased = { OR: [{ leaseUntil: null }, { leaseUntil: { lt: fromNow(clock) } }] };
  const { count } = await db.task.updateMany({
    where: { id: task.id, mediaStatus: task.mediaStatus, ...unleased },
    data: leasedTo(lease, clock),
  });
  if (count === 0)
    throw new ReelayError(ErrorCode.CONFLICT, "This video's media is being copied or deleted right now; try again in a moment");
  const held = { id: task.id, leaseOwner: lease.owner };
  try {
    for (const key of [task.videoKey, task.thumbnailKey]) if (key) await storage.delete(key);
  } catch (err) {
    await db.task.updateMany({ where: held, data: { leaseOwner: null, leaseUntil: null } });
    throw err;
  }
  await db.task.updateMany({
    where: held,
    data: {
      mediaStatus: "EXPIRED",
      videoKey: null,
      thumbnailKey: null,
      nextMirrorAt: null,
      mediaExpiresAt: fromNow(clock),
      leaseOwner: null,
      leaseUntil: null,
    },
  });
  logger.info({ taskId: task.id, userId: task.userId }, "deleted a video's media at its owner's request");
}
