import type { CurrentUser, Services } from "../context.js";
import { notFound } from "../errors.js";
import { type UpstreamRow, upstreamOf } from "../providers/channel.js";
import { noteTaskEvent } from "./events.js";
import { endTask, type TaskFailure } from "./lifecycle.js";
import { publishQueuePositions } from "./slots.js";
import { isTerminal } from "./status.js";

/** What a task ends with when it passed the user's cancelAfter deadline. */
export const DEADLINE_EXCEEDED: TaskFailure = {
  code: "DEADLINE_EXCEEDED",
  message: "Cancelled: the task did not finish before its cancelAfter deadline",
};

/**
 * Cancels a running task of the caller and releases its hold; a terminal task is left
 * as it is. The upstream job is stopped where the provider allows it, after the
 * cancellation is committed, so a slow provider never holds the user's money.
 */
export async function cancelTask(services: Services, user: CurrentUser, taskId: string): Promise<void> {
  const task = await services.db.task.findFirst({ where: { id: taskId, userId: user.id }, include: { channel: true } });
  if (!task) throw notFound("No such task");
  if (isTerminal(task.status)) return;
  await cancelRunning(services, task, null);
}

/**
 * Ends a task whose cancelAfter deadline passed: CANCELLED with DEADLINE_EXCEEDED, the hold
 * released by the same rule as a user's cancellation, the upstream job stopped where the
 * provider allows it. Does nothing to a task that already ended.
 */
export async function cancelAtDeadline(services: Services, task: UpstreamRow & { id: string }): Promise<void> {
  await cancelRunning(services, task, DEADLINE_EXCEEDED);
}

async function cancelRunning(services: Services, task: UpstreamRow & { id: string }, failure: TaskFailure | null) {
  const ended = await endTask(services, task.id, "CANCELLED", failure);
  // a task that waited for a slot was never submitted: nothing upstream to stop, and the tasks behind it move up
  if (ended?.waitingSince) return publishQueuePositions(services, ended.channelId);
  const target = upstreamOf(task, services.channelKeys);
  if (!ended || !target?.upstream) return;
  if (!target.adaptor.cancel) {
    await noteTaskEvent(
      services,
      task.id,
      "CANCELLED",
      "The provider offers no way to stop a job: it may still finish there, at no charge",
    );
    return;
  }
  try {
    await target.adaptor.cancel({ channel: target.channel, task: target.upstream });
    await noteTaskEvent(services, task.id, "CANCELLED", "The provider's job was stopped");
  } catch (err) {
    services.logger.warn({ err, taskId: task.id }, "the provider did not confirm the cancellation");
    await noteTaskEvent(services, task.id, "CANCELLED", "The provider did not confirm that its job was stopped; it is not charged");
  }
}
