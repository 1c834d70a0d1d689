import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { Db, Prisma } from "../db/index.js";
import type { PriceUnit } from "../generated/prisma/enums.js";
import { UpstreamError } from "../providers/errors.js";

/**
 * A task's event log: what happened to it and why, in Reelay's words, for the task's owner
 * (`VideoTask.events`). A message never carries a key or the provider's raw text that only
 * admins see (Task.upstreamError); where the provider's words are shown to the user anyway
 * (a content refusal's errorMessage), an event may repeat them.
 */
export const TASK_EVENT_KINDS = [
  "CREATED",
  "QUEUED_FOR_SLOT",
  "SUBMITTED",
  "PROVIDER_STATUS",
  "RETRIED",
  "FAILED_OVER",
  "PROGRESS",
  "STALLED",
  "DEADLINE_EXCEEDED",
  "CANCELLED",
  "COMPLETED",
  "FAILED",
  "MIRRORED",
  "MIRROR_RETRY",
  "MEDIA_LOST",
  "SETTLED",
  "REFUNDED",
  "CALLBACK",
] as const;
export type TaskEventKind = (typeof TASK_EVENT_KINDS)[number];

/** most events kept per task: the oldest beyond it are dropped */
export const TASK_EVENT_LIMIT = 200;
/** longest message kept (the column's bound) */
export const TASK_EVENT_MESSAGE_LENGTH = 500; // characters

/** Kinds whose repeats (same message as the task's latest event) fold into that event's count. */
const COALESCED: ReadonlySet<TaskEventKind> = new Set(["PROVIDER_STATUS", "PROGRESS", "STALLED", "MIRROR_RETRY", "CALLBACK"]);

export interface TaskEventOptions {
  /** when it happened; the database's time when unset (pass the services' clock where there is one) */
  at?: Date;
}

/**
 * Appends an event to a task's log, in the caller's transaction when given one. A repeat of
 * the latest event of a coalesced kind only counts up, and the log keeps the newest
 * TASK_EVENT_LIMIT rows, so a long-running task's log stays bounded. Does not publish: the
 * caller publishes the task change (lifecycle.ts, publishTaskEvents) after its commit.
 */
export async function recordTaskEvent(
  db: Prisma.TransactionClient | Db,
  taskId: string,
  kind: TaskEventKind,
  message: string,
  data?: object,
  options: TaskEventOptions = {},
): Promise<void> {
  const text = message.length > TASK_EVENT_MESSAGE_LENGTH ? `${message.slice(0, TASK_EVENT_MESSAGE_LENGTH - 1)}…` : message;
  if (COALESCED.has(kind)) {
    const folded = await db.$executeRaw`
      UPDATE task_events SET count = count + 1
      WHERE id = (SELECT id FROM task_events WHERE "taskId" = ${taskId}::uuid ORDER BY at DESC, seq DESC LIMIT 1)
        AND kind = ${kind} AND message = ${text}`;
    if (folded > 0) return;
  }
  await db.taskEvent.create({
    data: {
      taskId,
      kind,
      message: text,
      ...(data ? { data: data as Prisma.InputJsonObject } : {}),
      ...(options.at ? { at: options.at } : {}),
    },
  });
  await db.$executeRaw`
    DELETE FROM task_events WHERE id IN (
      SELECT id FROM task_events WHERE "taskId" = ${taskId}::uuid ORDER BY at DESC, seq DESC OFFSET ${TASK_EVENT_LIMIT})`;
}

/**
 * recordTaskEvent outside a transaction, at the services' clock, for an event that follows a
 * change already committed: a failure to write it is logged, never thrown, since the event log
 * must not undo or block the change it reports.
 */
export async function noteTaskEvent(
  // the services' parts it uses, by shape: context.ts is not imported from here
  services: { db: Db; logger: Pick<Logger, "warn">; clock: Clock },
  taskId: string,
  kind: TaskEventKind,
  message: string,
  data?: object,
): Promise<boolean> {
  try {
    await recordTaskEvent(services.db, taskId, kind, message, data, { at: new Date(services.clock.now()) });
    return true;
  } catch (err) {
    services.logger.warn({ err, taskId, kind }, "could not record a task event");
    return false;
  }
}

const UNIT_NAMES: Record<PriceUnit, [string, string]> = {
  SECOND: ["second", "seconds"],
  IMAGE: ["image", "images"],
  TOKEN: ["token", "tokens"],
};

/** "8 seconds", "1 image", "12,000 tokens": a quantity of a price unit in words. */
export function describeQuantity(unit: PriceUnit, quantity: number): string {
  const [one, many] = UNIT_NAMES[unit];
  return `${quantity.toLocaleString("en-US", { maximumFractionDigits: 3 })} ${quantity === 1 ? one : many}`;
}

/** A price unit's singular name: "second", "image", "token". */
export const unitName = (unit: PriceUnit) => UNIT_NAMES[unit][0];

/**
 * Why a call to a provider failed, in Reelay's words for the task's owner: the HTTP status and
 * the kind of failure, never the provider's own text (which may name its infrastructure).
 */
export function upstreamReason(err: unknown): string {
  if (!(err instanceof UpstreamError)) return "an unexpected error";
  const status = err.options.status ? ` (HTTP ${err.options.status})` : "";
  switch (err.kind) {
    case "rate_limited":
      return `rate limiting${status || " (HTTP 429)"}`;
    case "transient":
      if (err.code === "TIMEOUT") return "no answer in time";
      return status ? `a server error${status}` : "a network error";
    case "unavailable":
      return `the channel could not serve the request${status}`;
    case "rejected":
      return `a refusal of the request${status}`;
    case "not_found":
      return `not found${status}`;
  }
}
