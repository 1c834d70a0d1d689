import { release, settle } from "../billing/ledger.js";
import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import type { Prisma, Task } from "../generated/prisma/client.js";
import { formatMoney } from "../money.js";
import { enqueueWebhook } from "../webhooks/outbox.js";
import { describeQuantity, noteTaskEvent, recordTaskEvent, type TaskEventKind, unitName } from "./events.js";
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

/**
 * Tells every subscriber of the task (and of its owner) that it changed. `newEvents`: its event
 * log grew without a change of status or progress, which subscribers pass on as well;
 * `queuePosition`: its place in its channel's queue, for a task waiting for a slot. Never
 * throws: the database is the truth.
 */
export async function publishTask(
  services: Services,
  task: { id: string; userId: string; status: string; progress: number },
  options: { newEvents?: boolean; queuePosition?: number } = {},
) {
  try {
    await services.pubsub.publish({
      taskId: task.id,
      userId: task.userId,
      status: task.status,
      progress: task.progress,
      ...(options.newEvents ? { eventsAt: Date.now() } : {}),
      ...(options.queuePosition ? { queuePosition: options.queuePosition } : {}),
    });
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
  const started = status === "PROCESSING" && task.status !== "PROCESSING";
  const data: Prisma.TaskUpdateManyMutationInput = { status, progress, ...(started ? { startedAt: fromNow(services.clock) } : {}) };
  const count =
    task.webhookUrl === null
      ? (await services.db.task.updateMany({ where, data })).count
      : await services.db.$transaction(async (tx) => {
          const [row] = await tx.task.updateManyAndReturn({ where, data });
          if (row) await enqueueWebhook(tx, services, row, status === task.status ? "progress" : "started");
          return row ? 1 : 0;
        });
  if (count === 0) return null;
  await noteProgress(services, task, started, progress);
  const changed: typeof task = { ...task, status, progress };
  await publishTask(services, changed);
  return changed;
}

/** progress is noted in the event log each time it passes a multiple of this, not on every poll */
const PROGRESS_EVENT_STEP = 25; // percent

/** The event log's entry for a progress reading: the start of generation, or progress past a step. */
async function noteProgress(services: Services, task: Pick<Task, "id" | "progress">, started: boolean, progress: number) {
  if (started) {
    await noteTaskEvent(services, task.id, "PROVIDER_STATUS", `The provider started generating (${progress}%)`, { progress });
  } else if (Math.floor(progress / PROGRESS_EVENT_STEP) > Math.floor(task.progress / PROGRESS_EVENT_STEP)) {
    await noteTaskEvent(services, task.id, "PROGRESS", `${progress}% done`, { progress });
  }
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
    | "mirroredAt"
  >
> & { upstreamResult?: Prisma.InputJsonValue | Prisma.NullableJsonNullValueInput };

/** What a finished task made and costs, as its provider reported it. */
export interface CompletionOutcome {
  /** nano-dollars to settle (at most the hold is spent) */
  charge: bigint;
  media?: CompletedMedia;
  /** the length made, in whole seconds */
  seconds?: number | null;
  /** units settled in the task's price unit: what the provider reported, else what was held for */
  quantity?: number | null;
  /** when the provider reported the media ready (before it was mirrored) */
  generatedAt?: Date;
}

/**
 * COMPLETED with settlement, in one transaction and only from a running state:
 * a duplicate or late completion changes nothing. Returns null when the task was
 * no longer running.
 */
export async function completeTask(services: Services, taskId: string, outcome: CompletionOutcome) {
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
    const generatedAt = outcome.generatedAt ?? row.completedAt;
    const completed = await tx.task.update({
      where: { id: taskId },
      data: {
        charged,
        settledQuantity: outcome.quantity ?? null,
        generatedAt,
        // a provider that went from queued straight to done: the task ran from then on
        startedAt: row.startedAt ?? generatedAt,
      },
    });
    await recordCompletionEvents(tx, services, completed);
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
    await recordEndEvents(tx, services, row, failure);
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

/** The event log's account of a completion: what was made, where the media is, what was charged and returned. */
async function recordCompletionEvents(tx: Prisma.TransactionClient, services: Services, task: Task) {
  const at = fromNow(services.clock);
  const made = task.settledQuantity === null ? "" : `: ${describeQuantity(task.priceUnit, task.settledQuantity)}`;
  await recordTaskEvent(tx, task.id, "COMPLETED", `Completed${made}`, undefined, { at });
  if (task.mediaStatus === "STORED") {
    await recordTaskEvent(tx, task.id, "MIRRORED", "The media was copied into Reelay's storage", undefined, { at });
  } else if (task.mediaStatus === "PROXIED") {
    const message = "Storing the media failed; it is served from the provider's copy until a retry stores it";
    await recordTaskEvent(tx, task.id, "MIRROR_RETRY", message, undefined, { at });
  }
  const per = `${formatMoney(task.unitPrice)} per ${unitName(task.priceUnit)}`;
  const quantity = task.settledQuantity === null ? "" : ` for ${describeQuantity(task.priceUnit, task.settledQuantity)}`;
  const settled = { amount: formatMoney(task.charged), quantity: task.settledQuantity, unitPrice: formatMoney(task.unitPrice) };
  await recordTaskEvent(tx, task.id, "SETTLED", `Settled ${formatMoney(task.charged)}${quantity} at ${per}`, settled, { at });
  const refund = task.holdAmount - task.charged;
  if (refund > 0n) {
    const message = `Returned ${formatMoney(refund)} of the ${formatMoney(task.holdAmount)} held`;
    await recordTaskEvent(tx, task.id, "REFUNDED", message, { amount: formatMoney(refund) }, { at });
  }
}

/** The event log's account of a task that failed or was cancelled, and of its released hold. */
async function recordEndEvents(tx: Prisma.TransactionClient, services: Services, task: Task, failure: TaskFailure | null) {
  const at = fromNow(services.clock);
  const kind: TaskEventKind =
    failure?.code === "DEADLINE_EXCEEDED" ? "DEADLINE_EXCEEDED" : task.status === "FAILED" ? "FAILED" : "CANCELLED";
  const message =
    task.status === "FAILED"
      ? `Failed: ${failure?.message ?? "no reason given"}`
      : (failure?.message ?? "Cancelled at the owner's request");
  await recordTaskEvent(tx, task.id, kind, message, failure ? { code: failure.code } : undefined, { at });
  if (task.holdAmount > 0n) {
    const amount = formatMoney(task.holdAmount);
    await recordTaskEvent(tx, task.id, "REFUNDED", `Released the ${amount} held`, { amount }, { at });
  }
}

/** One line per ended task: what it cost (the contract's decimal string) and what of its hold went back. */
function logSettlement(services: Services, task: Pick<Task, "id" | "userId" | "holdAmount" | "charged">) {
  services.logger.info(
    { taskId: task.id, userId: task.userId, amount: formatMoney(task.charged), released: formatMoney(task.holdAmount - task.charged) },
    "task settled",
  );
}
