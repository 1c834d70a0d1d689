import type { CurrentUser, Services } from "../context.js";
import { notFound } from "../errors.js";
import { upstreamOf } from "../providers/channel.js";
import { endTask } from "./lifecycle.js";
import { isTerminal } from "./status.js";

/**
 * Cancels a running task of the caller and releases its hold; a terminal task is left
 * as it is. The upstream job is stopped where the provider allows it, after the
 * cancellation is committed, so a slow provider never holds the user's money.
 */
export async function cancelTask(services: Services, user: CurrentUser, taskId: string): Promise<void> {
  const { db, logger } = services;
  const task = await db.task.findFirst({ where: { id: taskId, userId: user.id }, include: { channel: true } });
  if (!task) throw notFound("No such task");
  if (isTerminal(task.status)) return;
  const ended = await endTask(services, task.id, "CANCELLED", null);
  const target = upstreamOf(task, services.channelKeys);
  if (!ended || !target?.upstream || !target.adaptor.cancel) return;
  try {
    await target.adaptor.cancel({ channel: target.channel, task: target.upstream });
  } catch (err) {
    logger.warn({ err, taskId }, "the provider did not confirm the cancellation");
  }
}
