import { release, settle } from "../billing/ledger.js";
import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import type { Prisma, Task } from "../generated/prisma/client.js";
import { formatMoney } from "../money.js";
import { enqueueWebhook } from "../webhooks/outbox.js";

import { isTerminal, RUNNING_STATUSES } from "./status.js";

export interface TaskFailure {
  /** stable and machine-readable, e.g. CONTENT_POLICY, UPSTREAM_ERROR, TIMEOUT */
  code: string;
  /** what the user sees, in Reelay's words */
  message: string;
  /** the provider's raw text, for admins only */
  upstream?: string | null;
}

/** longest raw provider text kept on a task */
const UPSTREAM_ERROR_LENGTH = 2_000; // characters

/** Tells every subscriber of the task (and of its owner) that it changed. Never throws: the database is the truth. */
export async function publishTask(services: Services, task: { id: string; userId: string; status: string; progress: number }) {
  try {
    await services.pubsub.publish({ taskId: task.id, userId: task.userId, status: task.status, progress: task.progress });
  } catch (err) {
    services.logger.warn({ err, taskId: task.id }, "could not publish a task change");
  }
}

/** a running task shows at most this; 100 means finished */
const MAX_RUNNING_PROGRESS = 99;

/**
 * Records a reading of a running task: status only moves forward (QUEUED → PROCESSING)
 * and progress never decreases. Compare-and-set against the row the caller read, so a
 * concurrent change wins and this one is dropped. Returns the new state when it changed.
 * A task with a webhook (or one whose webhook the caller did not read) has the `started`
 * or `progress` delivery written in the same transaction.
 */
export async function recordProgress(
  services: Services,
  task: Pick<Task, "id" | "userId" | "status" | "progress"> & { webhookUrl?: string | null },
  reading: { status: "QUEUED" | "PROCESSING"; progress?: number },
) {
  if (isTerminal(task.status)) return null;
  const status = task.status === "PROCESSING" || reading.status === "PROCESSING" ? "PROCESSING" : "QUEUED";
  const progress = Math.max(task.progress, Math.min(MAX_RUNNING_PROGRESS, Math.round(reading.progress ?? 0)));
  if (status === task.status && progress === task.progress) return null;
  const where = { id: task.id, status: task.status, progress: task.progress };
  const count =
    task.webhookUrl === null
      ? (await services.db.task.updateMany({ where, data: { status, progress } })).count
      : await services.db.$transaction(async (tx) => {
          const [row] = await tx.task.updateManyAndReturn({ where, data: { status, progress } });
          if (row) await enqueueWebhook(tx, services, row, status === task.status ? "progress" : "started");
          return row ? 1 : 0;
        });
  if (count === 0) return null;
  const changed: typeof task = { ...task, status, progress };
  await publishTask(services, changed);
  return changed;
}

/** Where a completed task's media is: stored, or still at the provider with a mirror to retry. */
export type CompletedMedia = Partial<
  Pick<
    Task,
    | "videoKey"
    | "videoType"
    | "thumbnailKey"
    | "thumbnailType"
    | "mediaStatus"
    | "nextMirrorAt"
    | "mirrorError"
    | "upstreamMediaExpiresAt"
    | "mediaExpiresAt"
  >
> & { upstreamResult?: Prisma.InputJsonValue | Prisma.NullableJsonNullValueInput };

/**
 * COMPLETED with settlement, in one transaction and only from a running state:
 * a duplicate or late completion changes nothing. Returns null when the task was
 * no longer running.
 */
export async function completeTask(
  services: Services,
  taskId: string,
  outcome: { charge: bigint; media?: CompletedMedia; seconds?: number | null },
) {
  const task = await services.db.$transaction(async (tx) => {
    const claimed = await tx.task.updateMany({
      where: { id: taskId, status: { in: [...RUNNING_STATUSES] } },
      data: {
        status: "COMPLETED",
        progress: 100,
        completedAt: fromNow(services.clock),
        leaseOwner: null,
        leaseUntil: null,
        ...outcome.media,
        ...(outcome.seconds ? { seconds: outcome.seconds } : {}),
      },
    });
    if (claimed.count === 0) return null;
    const row = await tx.task.findUniqueOrThrow({ where: { id: taskId } });
    const charged = await settle(tx, row.userId, row.id, row.holdAmount, outcome.charge);
    const completed = await tx.task.update({ where: { id: taskId }, data: { charged } });
    await enqueueWebhook(tx, services, completed, "completed");
    return completed;
  });
  if (!task) return null;
  // Logged after the guarded transition committed: once per task, however many workers raced.
  services.logger.info({ taskId, userId: task.userId, seconds: task.seconds }, "task completed");
  logSettlement(services, task);
  await publishTask(services, task);
  return task;
}

/** FAILED or CANCELLED with the whole hold released, only from a running state. Null when it was already terminal. */
export async function endTask(services: Services, taskId: string, status: "FAILED" | "CANCELLED", failure: TaskFailure | null) {
  const task = await services.db.$transaction(async (tx) => {
    const claimed = await tx.task.updateMany({
      where: { id: taskId, status: { in: [...RUNNING_STATUSES] } },
      data: {
        status,
        completedAt: fromNow(services.clock),
        errorCode: failure?.code ?? null,
        errorMessage: failure?.message ?? null,
        upstreamError: failure?.upstream?.slice(0, UPSTREAM_ERROR_LENGTH) ?? null,
        leaseOwner: null,
        leaseUntil: null,
      },
    });
    if (claimed.count === 0) return null;
    const row = await tx.task.findUniqueOrThrow({ where: { id: taskId } });
    await release(tx, row.userId, row.id, row.holdAmount, failure?.code ?? status.toLowerCase());
    await enqueueWebhook(tx, services, row, status === "FAILED" ? "failed" : "cancelled");
    return row;
  });
  if (!task) return null;
  // Logged after the guarded transition committed: once per task, however many workers raced.
  services.logger.info(
    { taskId, userId: task.userId, code: failure?.code, reason: failure?.message },
    status === "FAILED" ? "task failed" : "task cancelled",
  );
  logSettlement(services, task);
  await publishTask(services, task);
  return task;
}

/** One line per ended task: what it cost (the contract's decimal string) and what of its hold went back. */
function logSettlement(services: Services, task: Pick<Task, "id" | "userId" | "holdAmount" | "charged">) {
  services.logger.info(
    { taskId: task.id, userId: task.userId, amount: formatMoney(task.charged), released: formatMoney(task.holdAmount - task.charged) },
    "task settled",
  );
}
